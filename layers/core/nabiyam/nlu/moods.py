"""Two things the answer must notice before anything else: a request for what only adults
may buy (술, 맥주, 담배 …: a clear, kind no), and a sad or stressed child (one kind line).

>>> is_adult_only("치킨이랑 맥주 파는 곳"), is_adult_only("마술 쇼 보고 배고파"), is_adult_only("담배 사고 싶어")
(True, False, True)
>>> is_sad("오늘 숙제 너무 많아 ㅠㅠ"), is_sad("떡볶이 먹고 싶어"), is_sad("시험 망쳐서 속상해")
(True, False, True)
"""

from __future__ import annotations

import re

# Words for alcohol and tobacco. 술 alone only as a word (마술, 기술, 미술, 수술, 술래 are not).
_ADULT = re.compile(
    r"맥주|소주|막걸리|와인|양주|위스키|보드카|칵테일|하이볼|사케|생맥|치맥|호프|이자카야|포차|술집|"
    r"전자담배|담배|궐련|시가|"
    r"(?<![마기미수예학무요상검화주])술(?!래|술|수|법|사|책)"
)
# Sad or stressed: crying marks, and words for feeling down, tired, scared or lonely.
_SAD = re.compile(
    r"ㅠㅠ|ㅜㅜ|ㅠㅜ|ㅜㅠ|흑흑|엉엉|슬퍼|슬프|속상|우울|힘들|힘드|지쳐|지쳤|피곤해|스트레스|짜증|외로|"
    r"무서워|무섭|울고\s*싶|울었|망쳤|망쳐|혼났|너무\s*많아|싫어\s*ㅠ|괴로|서러|눈물"
)


def is_adult_only(text: str) -> bool:
    """The message asks about alcohol or tobacco."""
    return bool(_ADULT.search(text or ""))


def is_sad(text: str) -> bool:
    """The message sounds sad or stressed."""
    return bool(_SAD.search(text or ""))
