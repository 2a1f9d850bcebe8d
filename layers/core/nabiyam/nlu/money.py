"""Korean money expressions → int won.

Handles every common shape children and parents type: 만원, 만 원, 1만원, 10000원, 10,000원,
만오천원, 1만 5천원, 구천오백원, 4500원, 삼천원, 1.5만원, ₩8000, 사오천원 (a range: the upper
bound), bare amounts before a budget word (5천으로, 만오천 이하) and note counts (만원 한 장,
오천원짜리 두 장).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from nabiyam.nlu.text import is_syllable

_SINO = {"일": 1, "이": 2, "삼": 3, "사": 4, "오": 5, "육": 6, "칠": 7, "팔": 8, "구": 9}
_UNITS = {"십": 10, "백": 100, "천": 1000}
_NATIVE_COUNT = {"한": 1, "두": 2, "세": 3, "네": 4, "다섯": 5, "여섯": 6, "일곱": 7, "여덟": 8, "아홉": 9, "열": 10}
MAX_WON = 10_000_000

_DIG = r"(?:\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)"
_NUM = rf"(?:{_DIG}|[일이삼사오육칠팔구]{{1,2}})"
_GROUP = rf"(?:{_NUM}\s?)?[십백천만]"
_WON = rf"(?:(?:{_GROUP}\s?)+(?:\d+\s?)?|{_DIG}\s?)원"
_BUDGET_WORD = r"(?:으로|이하|이내|까지|정도|짜리|밖에|내로|안으로|안에서|로|있|뿐|만큼|쯤|선|가지고|갖고|들고|예산|$|[?!.,~ㅠㅜㅋㅎ])"
_BARE = (rf"(?:(?:{_NUM}\s?[천만]|만\s?(?={_NUM}\s?천))(?:\s?{_GROUP})*|\d{{1,3}}(?:,\d{{3}})+|\d{{4,6}})"
         rf"(?=\s?{_BUDGET_WORD})")
_WON_SIGN = rf"[₩￦]\s?{_DIG}"
_COUNT = r"(?:\s?(?:짜리|권))?\s?(한|두|세|네|다섯|여섯|일곱|여덟|아홉|열|\d{1,2})\s?장"

MONEY_RE = re.compile(rf"(?<![\d.,])(?:{_WON}|{_WON_SIGN}|{_BARE})(?:{_COUNT})?")
_TOKEN_RE = re.compile(r"\d+(?:\.\d+)?|[일이삼사오육칠팔구]|[십백천만]")


@dataclass(frozen=True)
class Money:
    start: int
    end: int
    value: int


def parse_won(surface: str) -> int | None:
    """An amount's surface text → won, or None when it is not a plausible amount."""
    s = surface.replace(",", "").replace(" ", "").lstrip("₩￦")
    count = 1
    m = re.search(_COUNT.replace(r"\s?", ""), s)
    if m:
        word = m.group(1)
        count = int(word) if word.isdigit() else _NATIVE_COUNT[word]
        s = s[: m.start()]
    s = s.removesuffix("원")
    if not s or "".join(_TOKEN_RE.findall(s)) != s:
        return None
    total = 0.0
    section = 0.0
    current: float | None = None
    for tok in _TOKEN_RE.findall(s):
        if tok[0].isdigit():
            val = float(tok)
            current = val if current is None else max(current, val)
        elif tok in _SINO:
            val = float(_SINO[tok])
            current = val if current is None else max(current, val)  # 사오천 = 4-5천: upper bound
        elif tok in _UNITS:
            section += (1.0 if current is None else current) * _UNITS[tok]
            current = None
        else:  # 만
            block = section + (current or 0.0)
            total += (block if block else 1.0) * 10_000
            section, current = 0.0, None
    won = int(round((total + section + (current or 0.0)) * count))
    if won <= 0 or won > MAX_WON:
        return None
    return won


def find_money(text: str) -> list[Money]:
    """Every amount in a (prepared) text, left to right, with its span."""
    found: list[Money] = []
    for m in MONEY_RE.finditer(text):
        start, surface = m.start(), m.group(0)
        # "치킨이만원" reads 치킨이 + 만원: a 이 glued to a word is the subject particle, not 2.
        if surface[0] == "이" and start > 0 and is_syllable(text[start - 1]) and len(surface) > 1:
            start, surface = start + 1, surface[1:]
            if surface[0] == " ":
                start, surface = start + 1, surface[1:]
        end = start + len(surface.rstrip())
        value = parse_won(text[start:end])
        if value is not None:
            found.append(Money(start, end, value))
    return found
