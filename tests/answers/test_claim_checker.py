"""The claim checker (`nabiyam.safety.claims`) catches each kind of false claim, and finds
none in the pipeline's own answers over random requests on a generated world.

A checker that passes everything would pass these answers too: so each test first shows a
true answer passing, then the same answer with one false line failing on the right rule."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from nabiyam.safety import AnswerRequest, check_answer

from .conftest import CHILD, DINNER, LATE, Answers

pytestmark = pytest.mark.xdist_group("answers")


def _rules(answers: Answers, turn: Any, text: str, **request: Any) -> set[str]:
    req = AnswerRequest(turn.nlu.filters, turn.nlu and request.pop("context", None) or _ctx(turn), turn.at,
                        turn.origin)
    req = replace(req, **request)
    return {v.rule for v in check_answer(req, turn.items, text, answers.catalogue).violations}


def _ctx(turn: Any) -> Any:
    from nabiyam.domain.recommendation import RequestContext

    return RequestContext(lat=CHILD[0], lon=CHILD[1], district="관악구", at=turn.at)


@pytest.fixture(scope="module")
def chicken(answers: Answers) -> Any:
    turn, report = answers.ask("2만원으로 치킨 먹을 수 있는 곳 있어?")
    assert report.violations == [] and turn.items, turn.answer.text
    return turn


@pytest.mark.parametrize("old,new,rule", [
    ("후라이드치킨 16,000원이면", "후라이드치킨 6,000원이면", "price"),  # not that price on the menu
    ("후라이드치킨 16,000원이면", "양념치킨 16,000원이면", "price"),  # not on that shop's menu
    ("20,000원", "30,000원", "budget_words"),  # not the effective budget
    ("1곳", "3곳", "count"),
    ("1. 바삭치킨 신림점", "1. 바삭치킨 봉천점", "shop_name"),
    ("바삭치킨 신림점 · 치킨", "바삭치킨 신림점 · 피자", "shop_category"),
    ("걸어서 13분쯤", "걸어서 2분쯤", "distance_words"),
    ("\n모두 ", "\n늦은 밤이에요 🌙 밖에 나갈 때는 꼭 어른과 함께 가요.\n모두 ", "late_night"),
    ("\n모두 ", "\n오늘은 우주에서 배달해 줘요.\n모두 ", "unrecognised"),
])
def test_each_false_line_is_caught(answers: Answers, chicken: Any, old: str, new: str, rule: str) -> None:
    text = chicken.answer.text
    base = {v.rule for v in check_answer(AnswerRequest(chicken.nlu.filters, _ctx(chicken), chicken.at, chicken.origin),
                                         chicken.items, text, answers.catalogue).violations}
    assert base == set(), text
    assert old in text, text
    lied = text.replace(old, new, 1)
    assert rule in _rules(answers, chicken, lied), lied


def test_false_reasons_are_caught(answers: Answers) -> None:
    from nabiyam.domain.recommendation import Reason, ReasonCode

    turn, report = answers.ask("분식 먹고 싶어")
    assert report.violations == [] and turn.items
    rec = turn.items[0]
    shop = answers.catalogue.shops[answers.catalogue.position[rec.shop_id]]
    ctx = _ctx(turn)
    for reason, rule in ((Reason(code=ReasonCode.GOOD_SHOP), "good_shop"),
                         (Reason(code=ReasonCode.HIGH_RATING, rating=4.9), "rating"),
                         (Reason(code=ReasonCode.NEAR, distance_m=10), "near"),
                         (Reason(code=ReasonCode.ASKED_CATEGORY, category="중식"), "asked_category")):
        if rule == "good_shop" and shop.is_good_shop:
            continue
        bad = rec.model_copy(update={"reasons": [reason]})
        from nabiyam.nlg.templates import recommendations

        text = recommendations(turn.nlu.filters, [bad], "c1").text
        got = {v.rule for v in check_answer(AnswerRequest(turn.nlu.filters, ctx, turn.at, turn.origin), [bad], text,
                                            answers.catalogue).violations}
        if rule == "near":  # 10 m: the words say 1 minute, the shop is farther
            assert "near" in got or rec.distance_m <= 67, (text, got)
        else:
            assert rule in got, (text, got)


def test_hard_filter_breaks_are_caught_in_the_answer(answers: Answers) -> None:
    turn, _ = answers.ask("배고파 뭐 먹지")
    late = {v.rule for v in check_answer(AnswerRequest(turn.nlu.filters, _ctx(turn), LATE, turn.origin), turn.items,
                                         turn.answer.text, answers.catalogue).violations}
    assert any(r.startswith("hard_filter:") for r in late), late  # daytime shops, checked at 03:30
    from nabiyam.domain.nlu import Filters

    cheap = {v.rule for v in check_answer(AnswerRequest(Filters(budget_max=1000), _ctx(turn), DINNER, turn.origin),
                                          turn.items, turn.answer.text, answers.catalogue).violations}
    assert "hard_filter:budget" in cheap


@pytest.mark.xdist_group("answers-audit")
def test_random_requests_on_a_world_make_no_false_claim(tmp_path_factory: pytest.TempPathFactory) -> None:
    """The audit `python -m nabiyam.safety.audit` runs (≥ 10,000 requests on the small world for
    the issue's note), here on a tiny world: zero false claims, zero hard-filter breaks."""
    from nabiyam.chat.pipeline import ChatPipeline
    from nabiyam.recsys.catalogue import CatalogueIndex
    from nabiyam.runtime import load_runtime
    from nabiyam.safety.audit import HAND_WRITTEN, audit
    from nabiyam.settings import Settings
    from nabiyam.world import generate, read_world

    out: Path = tmp_path_factory.mktemp("audit-world")
    generate("tiny", 5, out)
    catalogue = CatalogueIndex.from_world_dir(out)
    settings = Settings(state_dir=out / "state", artifacts_dir=out / "none", model_cache_dir=out / "cache")
    rt = load_runtime(settings, catalogue=catalogue, nlu_dir=None, ranker_dir=None)
    users = [u.user_id for u in read_world(out).users]
    report = audit(ChatPipeline(rt, None), catalogue, users, n=800, seed=9)
    assert report.requests == 800 + len(HAND_WRITTEN)
    assert report.false_claims == 0 and report.hard_filter_violations == 0, report.as_dict()
    assert report.style_problems == 0
    # the run really exercised the claims: many shops shown, thousands of claims checked
    assert report.answers_with_shops >= 150 and report.claims_checked >= 4_000, report.as_dict()
    assert report.templates["nothing_fits"] > 0 and report.templates["adult_only"] > 0
