"""The child-friendly style rules, checkable: every answer the API sends passes them.

Rules (why): children read these on a phone, so sentences are short; every sentence
ends politely-casual (해요체, not 합니다체 or 반말); no adult, scary or rude words; a
little emoji, not a wall of it; the whole answer fits on one screen.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

MAX_SENTENCE_CHARS = 70
MAX_ANSWER_CHARS = 700
MAX_EMOJI = 6

# Words an answer to a child must never contain (adult, scary, rude). Substrings, so they
# are chosen not to collide with food or place names (죽 is a food, so only 죽어/죽을).
BANNED_WORDS: tuple[str, ...] = (
    "소주", "맥주", "술집", "음주", "담배", "흡연", "도박", "성인용", "19금", "섹시",
    "바보", "멍청", "닥쳐", "꺼져", "짜증나", "죽어", "죽을", "죽일", "살인", "피투성이",
    "무서운", "끔찍", "시발", "씨발", "병신", "망했", "혐오", "저주",
)
# A banned word that is also a food with a particle: "죽을 먹을 수 있는 곳" (죽 = rice porridge) is fine.
_BANNED_EXCEPT: dict[str, re.Pattern[str]] = {"죽을": re.compile(r"죽을(?!\s*(?:먹|파는|팔))")}
# 합니다체/반말 endings that must not close a sentence.
_FORMAL_ENDINGS = ("습니다", "습니까", "십시오", "합니다", "됩니다", "입니다", "니다")
_POLITE_END = re.compile(r"(요|죠|세요|까요|래요|게요|네요|군요|어요|아요|예요|에요)$")
_TRAILING = re.compile(r"[\s!?.~…,)\]\"'`*]+$")
_LIST_ITEM = re.compile(r"^\s*(\d+[.)]|[-•·])\s")


@dataclass(frozen=True)
class StyleProblem:
    rule: str
    detail: str


def _is_emoji(ch: str) -> bool:
    return unicodedata.category(ch) == "So" or 0x1F000 <= ord(ch) <= 0x1FAFF


class _Deleting(dict[int, int | None]):
    """A `str.translate` table that learns each character once: None (delete) for what
    `drop` says, the character itself otherwise. One C-speed pass per answer."""

    def __init__(self, drop: Callable[[str], bool]):
        super().__init__()
        self.drop = drop

    def __missing__(self, code: int) -> int | None:
        value = None if self.drop(chr(code)) else code
        self[code] = value
        return value


_STRIP = _Deleting(lambda ch: _is_emoji(ch) or ch in "\ufe0f\u200d")
_ONLY_EMOJI = _Deleting(_is_emoji)


def strip_emoji(text: str) -> str:
    return text.translate(_STRIP)


def sentences(text: str) -> list[str]:
    """Sentences of an answer: split on line breaks and on ., !, ? followed by a space."""
    out: list[str] = []
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        parts = re.split(r"(?<=[^\d\s][.!?])\s+", line)  # not after a list number "1."
        out.extend(p.strip() for p in parts if p.strip())
    return out


def _ends_politely(sentence: str) -> bool:
    core = _TRAILING.sub("", strip_emoji(sentence)).strip()
    core = _TRAILING.sub("", core)
    if not core:
        return True  # a lone emoji or punctuation
    if core.endswith(_FORMAL_ENDINGS):
        return False
    return bool(_POLITE_END.search(core))


def check(text: str) -> list[StyleProblem]:
    """All style problems of one answer (empty list = fine)."""
    problems: list[StyleProblem] = []
    if not text.strip():
        return [StyleProblem("empty", "the answer is empty")]
    if len(text) > MAX_ANSWER_CHARS:
        problems.append(StyleProblem("answer_length", f"{len(text)} chars > {MAX_ANSWER_CHARS}"))
    emoji = len(text) - len(text.translate(_ONLY_EMOJI))
    if emoji > MAX_EMOJI:
        problems.append(StyleProblem("emoji", f"{emoji} emoji > {MAX_EMOJI}"))
    for word in BANNED_WORDS:
        if word in text and (word not in _BANNED_EXCEPT or _BANNED_EXCEPT[word].search(text)):
            problems.append(StyleProblem("banned_word", word))
    for sentence in sentences(text):
        if len(strip_emoji(sentence)) > MAX_SENTENCE_CHARS:
            problems.append(StyleProblem("sentence_length", f"{len(sentence)} chars: {sentence!r}"))
        # A list item's head ("1. 가게 이름 · 메뉴") is a label, not a sentence; it is checked
        # for length and words only. Every other sentence must end in 해요체.
        if _LIST_ITEM.match(sentence) and not sentence.rstrip().endswith(("요", "요!", "요.", "요?")):
            continue
        if not _ends_politely(sentence):
            problems.append(StyleProblem("ending", f"not 해요체: {sentence!r}"))
    return problems


def is_child_friendly(text: str) -> bool:
    return not check(text)
