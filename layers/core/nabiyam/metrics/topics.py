"""Frequent Korean nouns of the user messages, with kiwipiepy (a real morphological analyser).

kiwipiepy and its model (the ``kiwipiepy_model`` wheel, ~105 MB) are in the jobs' reporting
layer only — never the API function. Each distinct message is analysed once; on a day with
more than :data:`MAX_UNIQUE` distinct messages a deterministic sample (smallest CRC-32 first) is
analysed and the tokenizer label says so. Nouns are common and proper nouns (NNG, NNP) of two or
more characters, minus :data:`STOP_NOUNS` (words every request has).

Example::

    >>> KiwiNouns().nouns(["만원으로 치킨 먹을 수 있는 곳 있어?"])
    [['치킨']]
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence

MAX_UNIQUE = 20_000
NOUN_TAGS = ("NNG", "NNP")
STOP_NOUNS = frozenset({"곳", "데", "거", "것", "수", "추천", "가게", "식당", "근처", "오늘", "지금", "뭐", "저", "나", "때",
                        "좀", "정도", "중", "집"})


class KiwiNouns:
    def __init__(self) -> None:
        import kiwipiepy
        from kiwipiepy import Kiwi

        self.kiwi = Kiwi(num_workers=-1)
        self.name = f"kiwipiepy {kiwipiepy.__version__}"

    def nouns(self, texts: Sequence[str]) -> list[list[str]]:
        out = []
        for text in texts:
            out.append([t.form for t in self.kiwi.tokenize(text)
                        if t.tag in NOUN_TAGS and len(t.form) >= 2 and t.form not in STOP_NOUNS])
        return out


def nouns_by_message(messages: Sequence[str], extractor: KiwiNouns, max_unique: int = MAX_UNIQUE
                     ) -> tuple[dict[str, list[str]], str]:
    """``{message: nouns}`` for the distinct messages (a deterministic sample beyond ``max_unique``)
    and the tokenizer label to store."""
    unique = sorted(set(messages), key=lambda m: (zlib.crc32(m.encode()), m))
    label = extractor.name
    if len(unique) > max_unique:
        label += f" (sample of {max_unique} of {len(unique)} distinct messages)"
        unique = unique[:max_unique]
    return dict(zip(unique, extractor.nouns(unique), strict=True)), label
