"""The sentiment model end to end on a small training run: ONNX export and its parity with the
same arithmetic in numpy, the metrics file (NSMC accuracy, the hand-written food-chat set with a
confusion matrix), the runtime and the CLI (`nabiyam sentiment TEXT` / `-`), clear errors.

Tolerances: parity 1e-5 (float32 sums over ≤ a few hundred slots); the small model must beat
chance clearly on NSMC test (≥ 0.70 with 3,000 training reviews; the full model's ≥ 0.85 is in
the full run's metrics.json), and get unmistakable reviews right."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.xdist_group("sentiment")


def test_metrics_file_reports_nsmc_and_the_food_chat_set(sentiment_dir: Path) -> None:
    metrics = json.loads((sentiment_dir / "metrics.json").read_text(encoding="utf-8"))
    assert metrics["nsmc_test"]["n"] == 300 and metrics["nsmc_test"]["accuracy"] >= 0.70
    chat = metrics["food_chat"]
    assert chat["n"] >= 60
    conf = chat["confusion"]
    assert set(conf) == {"positive", "negative", "neutral"}
    assert sum(v for row in conf.values() for v in row.values()) == chat["n"]
    assert {k: sum(row.values()) for k, row in conf.items()} == {"positive": 24, "negative": 24, "neutral": 24}
    assert metrics["onnx_parity_max_abs"] < 1e-5
    assert metrics["version"].startswith("sentiment-")


def test_onnx_matches_numpy_on_new_text(sentiment_dir: Path) -> None:
    import onnx
    from onnx import numpy_helper

    from nabiyam.sentiment.model import SentimentModel
    from training_jobs.sentiment.trainer import Weights, numpy_probs

    graph = onnx.load(str(sentiment_dir / "model.onnx")).graph
    init = {t.name: numpy_helper.to_array(t) for t in graph.initializer}
    model = SentimentModel.load(sentiment_dir)
    texts = ["", "ㅋㅋㅋㅋㅋ", "짜장면 곱빼기 주세요!!!", "이 영화 진짜 별로… 시간 아까움", "A" * 500]
    got = model.probabilities(texts)
    want = numpy_probs(Weights(init["E"], init["W"], init["b"]), texts, model.buckets)
    assert got.shape == (5, 3) and np.allclose(got.sum(1), 1.0, atol=1e-5)
    assert float(np.abs(got - want).max()) < 1e-5


def test_unmistakable_reviews(sentiment_dir: Path) -> None:
    from nabiyam.sentiment.model import SentimentModel

    model = SentimentModel.load(sentiment_dir)
    pos, neg = model.predict(["정말 재밌고 감동적인 최고의 영화 강추", "최악 돈 아깝다 지루하고 재미없음"])
    assert pos.probs["positive"] > pos.probs["negative"]
    assert neg.probs["negative"] > neg.probs["positive"]


def test_cli_one_message_and_stdin(sentiment_dir: Path, capsys: pytest.CaptureFixture[str],
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from nabiyam.cli.main import main

    assert main(["sentiment", "최고의 영화 강추", "--model-dir", str(sentiment_dir)]) == 0
    line = json.loads(capsys.readouterr().out)
    assert line["text"] == "최고의 영화 강추" and line["label"] in ("positive", "negative", "neutral")
    assert 0 < line["score"] <= 1 and abs(sum(line["probs"].values()) - 1) < 1e-3
    monkeypatch.setattr(sys, "stdin", io.StringIO("너무 짜요\n\n치킨집 알려줘\n재밌다\n"))
    assert main(["sentiment", "-", "--model-dir", str(sentiment_dir)]) == 0
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert [x["text"] for x in lines] == ["너무 짜요", "치킨집 알려줘", "재밌다"]


def test_cli_errors_are_readable(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from nabiyam.cli.main import main

    assert main(["sentiment", "안녕", "--model-dir", str(tmp_path)]) == 2
    assert "sentiment artifacts" in capsys.readouterr().err
    monkeypatch.setattr(sys, "stdin", io.StringIO("\n\n"))
    assert main(["sentiment", "-", "--model-dir", str(tmp_path)]) == 2
    assert "non-empty message" in capsys.readouterr().err


def test_bad_training_data_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from nabiyam.cli.main import main

    bad = tmp_path / "train.tsv"
    bad.write_text("id\tmovie_id\tdocument\tlabel\n1\t2\t좋아\t7\n", encoding="utf-8")
    assert main(["train", "sentiment", "--out", str(tmp_path / "o"), "--train-tsv", str(bad)]) == 2
    assert "label '7' is not 0 or 1" in capsys.readouterr().err
