"""A missing or corrupt ranker never raises: the deterministic funnel blend answers and says
so. When nothing passes the hard filters, the result says what to loosen."""

from __future__ import annotations

import json
import shutil
from datetime import datetime

import pytest

from nabiyam.domain.hours import KST
from nabiyam.domain.nlu import Filters
from nabiyam.domain.recommendation import RequestContext
from nabiyam.recsys import Recommender
from nabiyam.recsys.recommender import FALLBACK_VERSION

pytestmark = pytest.mark.xdist_group("recsys-trained")

LUNCH = RequestContext(district="관악구", at=datetime(2026, 3, 4, 12, 30, tzinfo=KST))


def _ids(result) -> list[str]:
    return [i.shop_id for i in result.items]


def test_no_artifact_dir_gives_the_marked_fallback(catalogue) -> None:
    result = Recommender.load(None, catalogue).recommend("u000001", Filters(), LUNCH)
    assert result.fallback and result.fallback_reason and result.model_version == FALLBACK_VERSION
    assert result.items and result.candidates
    again = Recommender.load(None, catalogue).recommend("u000001", Filters(), LUNCH)
    assert _ids(again) == _ids(result)  # deterministic


@pytest.mark.parametrize("damage", ["missing_dir", "garbage_onnx", "no_manifest", "bad_store", "other_layout"])
def test_damaged_artifacts_fall_back(catalogue, trained, tmp_path, damage) -> None:
    target = tmp_path / "ranker"
    if damage != "missing_dir":
        shutil.copytree(trained["out_dir"], target)
    if damage == "garbage_onnx":
        (target / "model.onnx").write_bytes(b"not an onnx graph")
    elif damage == "no_manifest":
        (target / "manifest.json").unlink()
    elif damage == "bad_store":
        (target / "feature_store.json.gz").write_bytes(b"\x1f\x8b broken")
    elif damage == "other_layout":  # a model trained before the wide layout changed (44-49 were padding)
        manifest = json.loads((target / "manifest.json").read_text(encoding="utf-8"))
        manifest["wide_features"] = manifest["wide_features"][:44] + [f"pad_{i}" for i in range(44, 50)]
        (target / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    rec = Recommender.load(target, catalogue)
    result = rec.recommend("u000001", Filters(), LUNCH)
    assert result.fallback and result.fallback_reason
    assert result.items
    if damage == "other_layout":
        assert "layout" in result.fallback_reason


def test_working_artifact_is_not_a_fallback(catalogue, trained) -> None:
    result = Recommender.load(trained["out_dir"], catalogue).recommend("u000001", Filters(), LUNCH)
    assert not result.fallback and result.fallback_reason is None
    assert all(set(c.funnels) == {"collaborative", "content", "contextual", "popularity"} for c in result.candidates)
    assert all(c.nominated_by for c in result.candidates)


def test_nothing_fits_explains_what_to_loosen(catalogue) -> None:
    rec = Recommender.load(None, catalogue)
    result = rec.recommend("u000001", Filters(budget_max=500), LUNCH)
    assert result.items == [] and result.candidates == []
    budget = next(r for r in result.relaxed if r.filter == "budget")
    assert budget.matches > 0 and budget.need_budget is not None and budget.need_budget > 500
    from nabiyam.nlg.templates import relaxation_tip

    assert relaxation_tip(budget.filter, budget.need_budget) == f"예산을 {budget.need_budget:,}원 이상으로 올려 보세요"


def test_k_must_be_positive(catalogue) -> None:
    with pytest.raises(ValueError, match="k must be at least 1"):
        Recommender.load(None, catalogue).recommend("u1", Filters(), LUNCH, k=0)
