"""Small Korean helpers for templates: particles that depend on the last syllable, won amounts."""

from __future__ import annotations

_HANGUL_FIRST, _HANGUL_LAST = 0xAC00, 0xD7A3
# Final digits read aloud: 0 영, 1 일, 2 이, 3 삼, 4 사, 5 오, 6 육, 7 칠, 8 팔, 9 구 → batchim?
_DIGIT_HAS_FINAL = {"0": True, "1": True, "2": False, "3": True, "4": False, "5": False,
                    "6": True, "7": True, "8": True, "9": False}
_PAIRS = {"은/는": ("은", "는"), "이/가": ("이", "가"), "을/를": ("을", "를"), "과/와": ("과", "와"),
          "이에요/예요": ("이에요", "예요"), "으로/로": ("으로", "로")}


def _final(word: str) -> int | None:
    """Index of the final consonant (0 = none), or None when the word does not end in Hangul."""
    for ch in reversed(word.strip()):
        code = ord(ch)
        if _HANGUL_FIRST <= code <= _HANGUL_LAST:
            return (code - _HANGUL_FIRST) % 28
        if ch in _DIGIT_HAS_FINAL:
            return 1 if _DIGIT_HAS_FINAL[ch] else 0
        if ch.isalpha():
            return 0  # Latin letters: most read without a final consonant
        # skip punctuation/emoji/closing brackets at the end
    return None


def josa(word: str, pair: str) -> str:
    """`word` followed by the right particle: josa("치킨", "은/는") → "치킨은"."""
    with_final, without = _PAIRS[pair]
    final = _final(word)
    if pair == "으로/로":  # ㄹ-final words take 로 (서울로)
        return word + (without if final in (None, 0, 8) else with_final)
    return word + (with_final if final else without)


def won(amount: int) -> str:
    """12000 → "12,000원"."""
    return f"{amount:,}원"


def distance_text(metres: int) -> str:
    """How far, in words a child understands: "걸어서 5분쯤" under 1.5 km, else kilometres."""
    if metres < 1500:
        minutes = max(1, round(metres / 67))  # ~4 km/h walking
        return f"걸어서 {minutes}분쯤"
    return f"{metres / 1000:.1f}km쯤"
