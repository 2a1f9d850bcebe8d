"""What people say besides food requests: greetings, thanks, follow-ups and out-of-scope
chit-chat. Chit-chat comes from ChatbotData (songys/Chatbot_data, MIT) read at run time from
``../shared/data/chatbot_data/ChatbotData.csv`` (never copied into the repository); when that
file is absent a small built-in list stands in, and :data:`ChitChat.source` says so.
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from pathlib import Path

GREETINGS = ("안녕!", "안녕하세요", "안녕 나비얌", "하이~", "안녕하세요! 배고파요")
THANKS = ("고마워!", "고마워요 ㅎㅎ", "땡큐!", "덕분에 잘 먹었어", "고맙습니다~")
FOLLOW_UP_PREFIXES = ("다른 데는 없어? ", "음 다시 찾아줘. ", "그럼 ", "다른 곳도 알려줘 ")
BUILT_IN_CHITCHAT = ("오늘 날씨 어때?", "심심해", "숙제 하기 싫다", "내일 소풍 가", "게임하고 싶어",
                     "너 이름이 뭐야?", "오늘 학교에서 칭찬 받았어", "졸려", "주말에 뭐 하지?", "노래 추천해줘")
_FOOD_HINTS = ("먹", "밥", "배고", "맛", "식당", "음식", "치킨", "피자", "카페", "술", "커피")


def shared_data_dir() -> Path:
    """``NABIYAM_SHARED_DATA`` or ``<repo>/../shared/data``."""
    env = os.environ.get("NABIYAM_SHARED_DATA")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[4].parent / "shared" / "data"


@dataclass(frozen=True)
class ChitChat:
    lines: tuple[str, ...]
    source: str

    @classmethod
    def load(cls, data_dir: Path | None = None) -> ChitChat:
        path = (data_dir or shared_data_dir()) / "chatbot_data" / "ChatbotData.csv"
        if not path.exists():
            return cls(BUILT_IN_CHITCHAT, f"built-in list ({path} not found)")
        with open(path, encoding="utf-8", newline="") as fh:
            rows = [r["Q"].strip() for r in csv.DictReader(fh) if r.get("label") == "0"]
        lines = sorted({q for q in rows if q and len(q) <= 60 and not any(h in q for h in _FOOD_HINTS)})
        return cls(tuple(lines) or BUILT_IN_CHITCHAT, f"ChatbotData ({path}, {len(lines)} everyday lines)")
