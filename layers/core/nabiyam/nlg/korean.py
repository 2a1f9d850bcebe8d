"""Small Korean helpers for templates: particles that depend on the last syllable, won amounts."""

from __future__ import annotations

_HANGUL_FIRST, _HANGUL_LAST = 0xAC00, 0xD7A3
# Final digits read aloud: 0 영, 1 일, 2 이, 3 삼, 4 사, 5 오, 6 육, 7 칠, 8 팔, 9 구 → batchim?
_DIGIT_HAS_FINAL = {"0": True, "1": True, "2": False, "3": True, "4": False, "5": False,
                    "6": True, "7": True, "8": True, "9": False}
_PAIRS = {"은/는": ("은", "는"), "이/가": ("이", "가"), "을/를": ("을", "를"), "과/와": ("과", "와"),
          "이에요/예요": ("이에요", "예요"), "으로/로": ("으로", "로"), "이랑/랑": ("이랑", "랑"), "이나/나": ("이나", "나"),
          "이요/요": ("이요", "요")}
# The same pairs named by their with-final form ("이랑" → "이랑/랑"), as the NLU data generator writes them.
PAIR_OF: dict[str, str] = {with_final: pair for pair, (with_final, _) in _PAIRS.items()}


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


def particle(word: str, pair: str) -> str:
    """The particle of `pair` that follows `word` (the one rule for both the answers and the
    NLU's generated training sentences): particle("떡볶이", "이랑/랑") → "랑", particle("서울", "으로/로") → "로"."""
    with_final, without = _PAIRS[pair]
    final = _final(word)
    if pair == "으로/로":  # ㄹ-final words take 로 (서울로)
        return without if final in (None, 0, 8) else with_final
    return with_final if final else without


def josa(word: str, pair: str) -> str:
    """`word` followed by the right particle: josa("치킨", "은/는") → "치킨은"."""
    return word + particle(word, pair)


def won(amount: int) -> str:
    """12000 → "12,000원"."""
    return f"{amount:,}원"


WALK_M_PER_MIN = 67  # ~4 km/h: a child's walking pace


def walking_minutes(metres: int) -> int:
    """Minutes on foot: walking_minutes(670) → 10."""
    return max(1, round(metres / WALK_M_PER_MIN))


def distance_text(metres: int) -> str:
    """How far, in words a child understands: "걸어서 5분쯤" under 1.5 km; farther, the
    kilometres and the walking time, plainly ("2.4km, 걸어서 36분쯤")."""
    if metres < 1500:
        return f"걸어서 {walking_minutes(metres)}분쯤"
    return f"{metres / 1000:.1f}km, 걸어서 {walking_minutes(metres)}분쯤"
