"""Korean names for the codes the logs use (intents, dislike reasons, pipeline stages)."""

from __future__ import annotations

INTENTS = {
    "FOOD_RECOMMENDATION": "음식 추천", "BUDGET_FOOD_INQUIRY": "예산 문의", "MENU_INQUIRY": "메뉴 문의",
    "SHOP_INFO": "가게 정보", "GREETING": "인사", "FEEDBACK": "답변에 대한 반응", "OUT_OF_SCOPE": "범위 밖 요청",
}
DISLIKE_REASONS = {
    "too_slow": "답이 느려요", "irrelevant": "요청과 달라요", "too_expensive": "너무 비싸요", "closed": "문을 닫았어요",
    "too_far": "너무 멀어요", "wrong_food": "원한 음식이 아니에요", "meal_card_refused": "급식카드를 안 받아요",
    "other": "기타",
}
STAGES = {"nlu": "이해(NLU)", "recommend": "추천", "nlg": "답변 작성", "compute": "처리 합계", "total": "요청 전체"}
STAGE_ORDER = ("nlu", "recommend", "nlg", "compute", "total")


def label(table: dict[str, str], code: str | None) -> str:
    """The Korean name of ``code``, or the code itself when it is new (never an error)."""
    if not code:
        return "(없음)"
    return table.get(code, code)
