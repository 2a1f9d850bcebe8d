"""Money normalizer: every common Korean way of writing an amount → int won."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nabiyam.nlu.money import find_money, parse_won
from training_jobs.nlu.data import sino


@pytest.mark.parametrize("text, won", [
    ("만원", 10000), ("만 원", 10000), ("1만원", 10000), ("10000원", 10000), ("10,000원", 10000),
    ("만오천원", 15000), ("1만 5천원", 15000), ("1만5천원", 15000), ("만 오천 원", 15000), ("구천오백원", 9500),
    ("4500원", 4500), ("삼천원", 3000), ("8천원", 8000), ("8천 원", 8000), ("7,000원", 7000), ("1.5만원", 15000),
    ("이만원", 20000), ("2만 원", 20000), ("이만오천원", 25000), ("만이천원", 12000), ("천원", 1000),
    ("사오천원", 5000), ("9천5백원", 9500), ("₩8000", 8000), ("1만5000원", 15000),
    ("만원 한 장", 10000), ("만원짜리 두 장", 20000), ("오천원권 한장", 5000), ("천원짜리 세 장", 3000),
])
def test_amount_shapes(text: str, won: int) -> None:
    found = find_money(text)
    assert [m.value for m in found] == [won], text
    assert (found[0].start, found[0].end) == (0, len(text))


@pytest.mark.parametrize("text, won, surface", [
    ("만원으로 치킨 먹을 수 있는 곳 있어?", 10000, "만원"),
    ("5천으로 뭐 먹지", 5000, "5천"),
    ("만오천 이하로 추천", 15000, "만오천"),
    ("15000 이하", 15000, "15000"),
    ("칠천원밖에 없어ㅠㅠ", 7000, "칠천원"),
    ("치킨이만원이야?", 10000, "만원"),  # 치킨이 + 만원, not 2만원
    ("카드에 만 원 남았어", 10000, "만 원"),
    ("용돈2만원받았다", 20000, "2만원"),
])
def test_amount_in_context(text: str, won: int, surface: str) -> None:
    found = find_money(text)
    assert [m.value for m in found] == [won]
    assert text[found[0].start:found[0].end] == surface


@pytest.mark.parametrize("text", ["만두 먹고 싶어", "이것만으로 충분해", "천천히 먹자", "일원동 맛집", "이만 갈게",
                                  "구원해줘", "백반 먹을래", "2학년 3반", "오늘 12시에 만나", "만화 보자"])
def test_not_money(text: str) -> None:
    assert find_money(text) == []


@pytest.mark.parametrize("surface", ["", "원", "abc", "만두", "0원"])
def test_parse_won_rejects(surface: str) -> None:
    assert parse_won(surface) is None


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=100, max_value=99_900).map(lambda n: n // 100 * 100))
def test_any_amount_round_trips(won: int) -> None:
    for surface in (f"{won}원", f"{won:,}원", sino(won) + "원", sino(won) + " 원"):
        assert [m.value for m in find_money(surface)] == [won], surface
