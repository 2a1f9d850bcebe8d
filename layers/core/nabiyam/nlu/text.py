"""Text preparation that keeps character offsets into the user's original string.

The model and the rules see a cleaned copy (NFC, lower-case Latin), one item per visible
character; `offsets[i]` says which slice of the original text produced item i, so every
entity span we report is a span of what the user typed.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

HANGUL_BASE = 0xAC00
HANGUL_END = 0xD7A3
N_CHO, N_JUNG, N_JONG = 19, 21, 28


@dataclass(frozen=True)
class Prepared:
    original: str
    text: str  # cleaned, len(text) == len(offsets)
    offsets: tuple[tuple[int, int], ...]

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Cleaned [start, end) → original [start, end)."""
        return self.offsets[start][0], self.offsets[end - 1][1]


def prepare(original: str) -> Prepared:
    """NFC per character cluster (decomposed jamo typed by some keyboards), Latin lower-cased,
    control characters turned into spaces. Never raises."""
    chars: list[str] = []
    offsets: list[tuple[int, int]] = []
    i, n = 0, len(original)
    while i < n:
        best_j, best = i + 1, original[i]
        # A Hangul syllable may arrive as 2-3 conjoining jamo: compose the longest run that gives one char.
        for j in (i + 3, i + 2):
            if j <= n:
                composed = unicodedata.normalize("NFC", original[i:j])
                if len(composed) == 1:
                    best_j, best = j, composed
                    break
        ch = unicodedata.normalize("NFC", best)
        if len(ch) != 1:
            ch = best[0]
        if unicodedata.category(ch) in ("Cc", "Zs", "Zl", "Zp") or ch in "\t\r\n\u200b":
            ch = " "
        elif "A" <= ch <= "Z":
            ch = ch.lower()
        elif "\uff01" <= ch <= "\uff5e":  # full-width ASCII
            ch = chr(ord(ch) - 0xFEE0).lower()
        chars.append(ch)
        offsets.append((i, best_j))
        i = best_j
    return Prepared(original, "".join(chars), tuple(offsets))


def is_syllable(ch: str) -> bool:
    return len(ch) == 1 and HANGUL_BASE <= ord(ch) <= HANGUL_END


def decompose(ch: str) -> tuple[int, int, int]:
    """Hangul syllable → (initial, medial, final) indices, each +1 (0 = not a syllable)."""
    if not is_syllable(ch):
        return 0, 0, 0
    code = ord(ch) - HANGUL_BASE
    return code // (N_JUNG * N_JONG) + 1, (code // N_JONG) % N_JUNG + 1, code % N_JONG + 1


def compact(text: str) -> str:
    """Lookup key: no spaces, lower-case."""
    return "".join(text.split()).lower()
