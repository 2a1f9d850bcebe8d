"""The rules path: gazetteer + money regex + keyword intent rules. No model needed.

It answers when the ONNX model is missing, broken or unsure, and it is the baseline the model
must beat. Intent conventions (the same ones the training data follows):
- BUDGET_FOOD_INQUIRY: a food/place request that names an amount (만원으로 …) or is about cheapness.
- FOOD_RECOMMENDATION: a food/place request without an amount.
- MENU_INQUIRY: what a shop or dish offers / costs (메뉴 뭐 있어, 떡볶이 얼마야).
- SHOP_INFO: facts about a shop (hours, where, meal card accepted, phone, delivery).
- GREETING: hello / bye / who are you, with no request.
- FEEDBACK: a reaction to the answers just given (별로야, 고마워, 너무 비싸, 다른 데 없어?).
- OUT_OF_SCOPE: anything else.
"""

from __future__ import annotations

import re

from nabiyam.domain.nlu import Entity, EntityType, Intent, NluResult
from nabiyam.nlu import lexicon as lx
from nabiyam.nlu.filters import build_filters, semantic_query
from nabiyam.nlu.money import find_money
from nabiyam.nlu.text import Prepared, compact, prepare

_KIND_TO_TYPE = {
    lx.FOOD: EntityType.FOOD_TYPE, lx.CATEGORY: EntityType.CATEGORY, lx.BUDGET: EntityType.BUDGET,
    lx.COMPANION: EntityType.COMPANION, lx.TIME: EntityType.TIME_OF_DAY, lx.DIETARY: EntityType.DIETARY_PREFERENCE,
    lx.LOCATION: EntityType.LOCATION, lx.NEAR_ME: EntityType.LOCATION, lx.SHOP: EntityType.SHOP_NAME,
}

_C = re.compile  # cue patterns run on the compact text (no spaces)
GREETING_RE = _C(r"^(?:안녕|하이|헬로|hello|hi|ㅎㅇ|방가|반가|안뇽|하잉|여보세요|좋은아침|굿모닝|잘자|잘있어|바이|빠이|또봐|또올게|"
                 r"처음왔|너누구|넌누구|누구야|너는누구|이름이뭐|나비얌|시작|ㅂㅇ|ㅂㅂ)|^(?:나비얌아?)?(?:안녕|반가워)")
FEEDBACK_RE = _C(r"별로(?!없)|거기싫|그거싫|그곳싫|추천싫|맘에들|마음에들|맘에안|마음에안|좋았|맛있었|맛없었|맛없어|고마워|고맙|감사|땡큐|최고|짱|"
                 r"추천잘|추천별|다른데|다른곳|다른가게|다른거|다시추천|너무비싸|비싸잖|비싸서|너무멀|멀어서|멀잖|멀더|문닫았|문닫혀|"
                 r"닫혀있|닫았더|닫았던|영업안하|안하더|갔는데|가봤는데|먹어봤|먹었는데|잘먹었|잘먹을|틀렸|엉뚱|이상해|이상한|느려|"
                 r"쓸모없|도움이?됐|도움안|도움이?안|좋아요|좋네|괜찮네|괜찮았|굿|👍|👎|별점|만족|불만|실망|그거말고|이거말고|"
                 r"거기말고|거기갈래|거기로할|여기로할|거기좋|추천해준|알려준데|알려준곳|추천한곳|추천한데|그저그래|그냥그래|나쁘")
SHOP_INFO_RE = _C(r"몇시|영업|문열|문닫|열어[?요]?|닫아|오픈|마감|(?<!샌드)위치|어디에있|어디있|어딨|주소|전화|번호|주차|"
                  r"카드(?:돼|되|받|써|사용|결제|가능)|급식카드(?:돼|되|받|써|사용|결제|가능)|배달(?:돼|되|해|가능)|포장(?:돼|되|가능)|"
                  r"쉬는날|휴무|브레이크|오늘해|지금해|하는날|열었|열려|예약|화장실|놀이방|아기의자|유아의자|몇층|가는길|가는법|결제|24시|"
                  r"영업시간|몇시에|언제까지|언제열|언제문")
MENU_RE = _C(r"메뉴|뭐팔|뭐파|뭐있|뭐뭐|얼마(?:야|예|에|해|하|인|지|였|임|냐|니|나|정도)?|가격|세트|사이즈|맛있는거뭐|인기메뉴|"
             r"대표메뉴|시그니처|몇인분|곱빼기되|맛이뭐|무슨맛|들어가|팔아|파나요|파냐|팔죠|파는지")
REQUEST_RE = _C(r"추천|알려|찾아|골라|먹을|먹고싶|먹고싶|먹자|먹을까|먹지|먹어야|뭐먹|배고|배고파|맛집|식당|가게|갈만|갈데|갈곳|"
                r"갈래|먹으러|밥|있어|있나|있을까|어때|어디|땡겨|땡긴|당겨|먹고파|없을까|없어|없나|시켜|주문|추천좀|ㄱㄱ|곳|데|사먹")
CHEAP_RE = _C(r"싼|싸게|저렴|가성비|돈없|돈이없|잔액|잔고|카드한도|한도(?!넛)|용돈|얼마안|남았|돈이별로|싸고|값싼|비싸지않|안비싼")
SHOP_SUFFIX_RE = re.compile(r"[가-힣A-Za-z0-9]+(?:분식|반점|식당|김밥|치킨|피자|버거|카페|베이커리|제과|국밥|천국|떡볶이|"
                            r"상회|각|루|옥|네|집|칼국수|돈까스|만두|커피|마트|스시|초밥|짬뽕|돈가스|식탁|주방|키친|하우스)")
DISH_Q_RE = _C(r"매워\??$|맵나|맛있어\?|맛있나|맛있냐|짜\?|달아\?|양많아|양이많아")
SHOP_REF_RE = _C(r"^(?:거기|그집|그가게|이가게|저가게|여기|그식당|이집)")
WHERE_RE = _C(r"어디|어느(?:집|가게|곳|데|식당)")
NOT_FOOD_RE = _C(r"선물|노래|영화|게임|숙제|공부|시험|학교|옷|장난감|날씨|책|유튜브|만화")
_STOP_SHOP = {"중국집", "분식집", "치킨집", "피자집", "빵집", "밥집", "우리집", "거기", "여기", "저기", "그집", "이집", "저집",
              "친구네", "할머니네", "누구네", "떡볶이집", "국밥집", "돈까스집", "초밥집", "맛집", "한식집", "일식집", "양식집"}
_PARTICLE_TAIL = re.compile(r"(?:에서|에는|은|는|이|가|을|를|의|에|도|이랑|랑|하고)$")


def lexicon_entities(prep: Prepared) -> tuple[list[Entity], bool]:
    """Gazetteer and money matches as entities (spans into the original text), plus 착한가게."""
    spans: list[tuple[int, int, str, str | int]] = [(m.start, m.end, lx.BUDGET, m.value) for m in find_money(prep.text)]
    for m in lx.match_lexicon(prep.text):
        spans.append((m.start, m.end, m.kind, m.value))
    spans.sort(key=lambda s: (s[0], -(s[1] - s[0])))
    good_shop = False
    out: list[Entity] = []
    last_end = -1
    for start, end, kind, value in spans:
        if start < last_end:
            continue
        last_end = end
        if kind == lx.GOOD_SHOP:
            good_shop = True
            continue
        o_start, o_end = prep.span(start, end)
        out.append(Entity(type=_KIND_TO_TYPE[kind], text=prep.original[o_start:o_end], value=value,
                          start=o_start, end=o_end))
    return out, good_shop


def _shop_name(prep: Prepared, taken: list[Entity]) -> Entity | None:
    for m in SHOP_SUFFIX_RE.finditer(prep.text):
        word = _PARTICLE_TAIL.sub("", m.group(0))
        if word in _STOP_SHOP or lx.gazetteer().entries.get(word) or len(word) < 3:
            continue
        start, end = m.start(), m.start() + len(word)
        o_start, o_end = prep.span(start, end)
        if any(e.start < o_end and o_start < e.end and e.end - e.start >= o_end - o_start for e in taken):
            continue
        return Entity(type=EntityType.SHOP_NAME, text=prep.original[o_start:o_end], value=prep.original[o_start:o_end],
                      start=o_start, end=o_end)
    return None


def _names_a_shop(c: str) -> bool:
    """A shop-name-looking word (…분식, …버거) that is not itself a lexicon word (햄버거 is a food)."""
    entries = lx.gazetteer().entries
    return any(_PARTICLE_TAIL.sub("", m.group(0)) not in entries for m in SHOP_SUFFIX_RE.finditer(c))


def _request_after_greeting(c: str, slots: bool) -> bool:
    """"안녕! 아이랑 먹을 곳 추천해줘": a greeting followed by a food request is that request."""
    m = GREETING_RE.search(c)
    rest = c[m.end():] if m and m.start() == 0 else c
    rest = re.sub(r"^(?:하세요|하십니까|하신가|[~!?.,ㅎㅋ]+|나비얌아?|친구야?)+", "", rest)
    return bool(rest) and bool(re.search(r"추천|찾아|먹고싶|먹을|뭐먹|배고|맛집|먹으러|갈만|먹자|알려", rest)
                               or (slots and REQUEST_RE.search(rest)))


def rule_intent(text: str, entities: list[Entity], good_shop: bool) -> tuple[Intent, float]:
    """Keyword intent rules, most specific first. Returns (intent, confidence)."""
    c = compact(text)
    types = {EntityType(e.type) for e in entities}
    foodish = bool(types & {EntityType.FOOD_TYPE, EntityType.CATEGORY}) or good_shop
    slots = foodish or bool(types - {EntityType.SHOP_NAME})
    budget = EntityType.BUDGET in types
    asks = bool(re.search(r"추천|찾아|먹고싶|먹을수|먹을데|먹을곳|갈만|먹으러", c))
    shop_ref = bool(SHOP_REF_RE.search(c) or _names_a_shop(c))
    where = bool(WHERE_RE.search(c))  # "햄버거 어디가 맛있어?": which place, so a recommendation
    if FEEDBACK_RE.search(c) and not (budget and REQUEST_RE.search(c) and not re.search(r"비싸|다른", c)):
        if not (GREETING_RE.search(c) and len(c) <= 8 and not re.search(r"고마|감사", c)):
            return Intent.FEEDBACK, 0.75
    if SHOP_INFO_RE.search(c) and not asks:
        return Intent.SHOP_INFO, 0.75
    if ((MENU_RE.search(c) and not budget and not re.search(r"추천|찾아", c))
            or (DISH_Q_RE.search(c) and shop_ref and not (where and foodish))):
        return Intent.MENU_INQUIRY, 0.7
    if budget or (CHEAP_RE.search(c) and (slots or REQUEST_RE.search(c))):
        return Intent.BUDGET_FOOD_INQUIRY, 0.8
    if GREETING_RE.search(c) and not foodish and not _request_after_greeting(c, slots):
        return Intent.GREETING, 0.8
    if NOT_FOOD_RE.search(c) and not foodish:
        return Intent.OUT_OF_SCOPE, 0.6
    if foodish or (slots and REQUEST_RE.search(c)) or re.search(r"배고|뭐먹|맛집|추천|먹고싶|먹을|식당|고기|음식|외식|먹자", c):
        return Intent.FOOD_RECOMMENDATION, 0.7 if foodish else 0.6
    return Intent.OUT_OF_SCOPE, 0.55


def parse_rules(text: str, model_version: str | None = None) -> NluResult:
    """Rules-only NLU. Never raises for a string."""
    prep = prepare(text)
    entities, good_shop = lexicon_entities(prep)
    intent, conf = rule_intent(text, entities, good_shop)
    if intent in (Intent.SHOP_INFO, Intent.MENU_INQUIRY):
        shop = _shop_name(prep, entities)
        if shop is not None:
            entities = sorted([e for e in entities if not (e.start < shop.end and shop.start < e.end)] + [shop],
                              key=lambda e: e.start)
    return finish(text, intent, conf, entities, good_shop, "rules", model_version)


def finish(text: str, intent: Intent, conf: float, entities: list[Entity], good_shop: bool, source: str,
           model_version: str | None) -> NluResult:
    """Entities → filters + semantic query; greetings, feedback and chit-chat carry no filters."""
    filters = build_filters(text, entities, good_shop)
    if intent in (Intent.GREETING, Intent.OUT_OF_SCOPE):
        filters = build_filters(text, [], False)
    return NluResult(text=text, intent=intent, confidence=round(float(conf), 4), entities=entities, filters=filters,
                     semantic_query=semantic_query(filters), source=source, model_version=model_version)
