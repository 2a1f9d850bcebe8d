"""Labelled utterances for the NLU: templates × lexicons × realistic noise, plus real
chit-chat (out of scope) from ../shared/data/chatbot_data (read at build time, never copied).

Every phrasing list is split into train / dev / test *phrasings*, so dev (early stopping,
threshold calibration) and test (reported metrics) use wordings training never saw. The
lexicons (foods, places, amounts) are shared: they are the gazetteer, not phrasing.
"""

from __future__ import annotations

import csv
import random
import re
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nabiyam.domain.food import CATEGORY_ALIASES, FOODS
from nabiyam.domain.geo import DISTRICTS, DONG_TO_DISTRICT
from nabiyam.domain.nlu import Entity, EntityType, Intent
from nabiyam.nlu import lexicon as lx
from nabiyam.nlu.filters import build_filters
from nabiyam.nlu.features import SLOT_TYPES, TAGS
from nabiyam.nlg.korean import PAIR_OF, particle
from nabiyam.nlu.text import compact
from training_jobs.nlu import lists as L

SPLITS = ("train", "dev", "test")
REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_CHATBOT_CSV = REPO_ROOT.parent / "shared" / "data" / "chatbot_data" / "ChatbotData.csv"
DEFAULT_KLUE_ONTOLOGY = REPO_ROOT.parent / "shared" / "data" / "klue_wos" / "ontology.json"


def split3(items: list[str], name: str) -> dict[str, list[str]]:
    """Deterministic disjoint train/dev/test parts of a phrasing list (4:1:1)."""
    shuffled = list(items)
    random.Random(zlib.crc32(name.encode())).shuffle(shuffled)
    out: dict[str, list[str]] = {s: [] for s in SPLITS}
    for i, item in enumerate(shuffled):
        out["test" if i % 6 == 0 else "dev" if i % 6 == 1 else "train"].append(item)
    for s in SPLITS:
        if not out[s]:
            out[s] = [shuffled[0]]
    return out


# ---------------------------------------------------------------- amounts
_SINO = ["", "일", "이", "삼", "사", "오", "육", "칠", "팔", "구"]


def sino(n: int) -> str:
    """15000 → 만오천, 9500 → 구천오백 (1 before a unit is dropped, as Koreans write it)."""
    out = ""
    man, rest = divmod(n, 10000)
    if man:
        out += ("" if man == 1 else sino(man)) + "만"
    for unit, word in ((1000, "천"), (100, "백"), (10, "십")):
        d, rest = divmod(rest, unit)
        if d:
            out += ("" if d == 1 else _SINO[d]) + word
    return out + (_SINO[rest] if rest else "")


def money_surface(rng: random.Random, won: int, bare_ok: bool) -> tuple[str, int]:
    """A way of writing `won`; returns (surface, value) (value changes with note counts)."""
    shapes: list[Callable[[], str]] = [lambda: f"{won}원", lambda: f"{won:,}원", lambda: sino(won) + "원",
                                       lambda: sino(won) + " 원"]
    man, rest = divmod(won, 10000)
    if won % 1000 == 0 and won < 10000:
        shapes += [lambda: f"{won // 1000}천원", lambda: f"{won // 1000}천 원"]
    if man and rest % 1000 == 0:
        head = f"{man}만"
        tail = f"{rest // 1000}천" if rest else ""
        shapes += [lambda: f"{head}{(' ' if rng.random() < .5 else '') + tail if tail else ''}원",
                   lambda: f"{head} {tail} 원".replace("  ", " ")]
        if rest == 5000:
            shapes.append(lambda: f"{man}.5만원")
        if not rest:
            shapes += [lambda: ("" if man == 1 else sino(man)) + "만 원", lambda: f"{man}만 원"]
    if won % 100 == 0 and won % 1000 and won < 10000:
        shapes += [lambda: f"{won // 1000}천{(won % 1000) // 100}백원"]
    surface = rng.choice(shapes)()
    if bare_ok and surface.endswith("원") and rng.random() < .25 and re.search(r"[천만] ?원$", surface):
        surface = surface[:-1].rstrip()
    if won in (1000, 5000, 10000, 50000) and rng.random() < .12:
        count = rng.choice([(1, "한"), (2, "두"), (3, "세")])
        note = sino(won) + "원" + rng.choice(["", "짜리", "권"])
        return f"{note} {count[1]} 장" if rng.random() < .6 else f"{note} {count[1]}장", won * count[0]
    return surface, won


def sample_amount(rng: random.Random) -> int:
    if rng.random() < .5:
        return rng.choice([3000, 4000, 5000, 6000, 7000, 8000, 9000, 10000, 12000, 15000, 20000, 10000, 5000, 8000])
    return rng.randrange(1000, 30001, 500)


# ---------------------------------------------------------------- slot fillers
def _pick_weighted(rng: random.Random, canonical: str, aliases: list[str]) -> str:
    return canonical if not aliases or rng.random() < .6 else rng.choice(aliases)


_FOODS = [(f.name, [a for a in f.aliases if a != f.name]) for f in FOODS]
_CATS = [(w, cat) for cat, ws in CATEGORY_ALIASES.items() for w in ws] + [
    ("중국요리", "중식"), ("분식점", "분식"), ("일식집", "일식"), ("양식집", "양식"), ("한식집", "한식"), ("빵가게", "베이커리")]
_COMPANIONS = [(w, v) for w, v in lx.COMPANIONS.items() if v != "alone" and not re.search(r"(랑|먹|네)$", w)]
_ALONE = [w for w, v in lx.COMPANIONS.items() if v == "alone" and w not in ("나만", "혼자먹")]
_TIMES = [(w, v) for w, v in lx.TIMES.items() if not w.endswith("에") and w != "간식으로"]
_DIETS = [(w, v) for w, v in lx.DIETS.items() if not re.search(r"(못먹|싫|빼고|먹는)$", w)]
_DIET_PHRASES = [("안 매운", "not_spicy"), ("너무 맵지 않은", "not_spicy"), ("맵지 않은", "not_spicy"), ("양 많은", "large_portion"),
                 ("몸에 좋은", "healthy"), ("고기 없는", "vegetarian"), ("건강에 좋은", "healthy"), ("매운 거 못 먹는", "not_spicy"),
                 ("양 많이 주는", "large_portion"), ("안 맵게", "not_spicy"), ("덜 매운", "not_spicy"), ("영양가 있는", "healthy")]
_NEAR = ["근처", "부근", "가까운", "가까이", "주변", "근방", "동네", "우리 동네", "이 근처", "집 근처", "집 앞", "학교 앞", "걸어서 갈 수 있는",
         "가까운 데", "주위", "코앞", "멀지 않은"]
_GOOD = ["착한가게", "착한 가게", "착한식당", "착한 식당", "선한영향력 가게", "착한업소"]


def _locations() -> list[tuple[str, str]]:
    out = [(d, d) for d in DISTRICTS] + [(dong, dist) for dong, dist in DONG_TO_DISTRICT.items()]
    for stem in lx._DONG_STEMS:
        dist = lx._STEM_DISTRICT.get(stem) or DONG_TO_DISTRICT.get(stem.removesuffix("역") + "동")
        if dist:
            out.append((stem, dist))
            if not stem.endswith("역") and len(stem) <= 3:
                out.append((stem + "역", dist))
    return out


_LOCS = _locations()


def _josa(word: str, form: str) -> str:
    """The particle `form` (named by its with-final form, 이랑/이/은 …) after `word`: the NLG's rule."""
    return particle(word, PAIR_OF[form]) if form in PAIR_OF else form


# ---------------------------------------------------------------- examples
@dataclass
class Example:
    text: str = ""
    intent: str = ""
    spans: list[tuple[str, int, int, Any]] = field(default_factory=list)  # (kind, start, end, value)

    def add(self, s: str, glue: bool = False) -> None:
        if not s:
            return
        if self.text and not glue and not self.text.endswith(" "):
            self.text += " "
        self.text += s

    def slot(self, kind: str, surface: str, value: Any, glue: bool = False) -> None:
        self.add("", glue)
        if self.text and not glue and not self.text.endswith(" "):
            self.text += " "
        start = len(self.text)
        self.text += surface
        self.spans.append((kind, start, start + len(surface), value))

    def delete(self, i: int) -> None:
        self.text = self.text[:i] + self.text[i + 1:]
        self.spans = [(k, s - (s > i), e - (e > i), v) for k, s, e, v in self.spans]

    def insert(self, i: int, s: str) -> None:
        self.text = self.text[:i] + s + self.text[i:]
        self.spans = [(k, s0 + len(s) * (s0 >= i), e + len(s) * (e > i or (e == i and s0 >= i)), v)
                      for k, s0, e, v in self.spans]


_SLOT_RE = re.compile(r"\{(\w+)(?:\|([^}]*))?\}")


class Generator:
    def __init__(self, split: str, seed: int, shops: list[str], chatbot: list[str]) -> None:
        self.rng = random.Random(f"{seed}-{split}")
        self.split = split
        self.p = {name: split3(getattr(L, name), name)[split] for name in dir(L) if name.isupper()}
        self.shops = shops
        self.chatbot = chatbot

    # one slot
    def fill(self, ex: Example, kind: str, josa: str | None, used: set[str]) -> None:
        r = self.rng
        if kind == "food":
            name, aliases = r.choice([f for f in _FOODS if f[0] not in used])
            used.add(name)
            ex.slot(lx.FOOD, _pick_weighted(r, name, aliases), name)
            surface = ex.text[ex.spans[-1][1]:]
        elif kind == "cat":
            surface, cat = r.choice(_CATS)
            ex.slot(lx.CATEGORY, surface, cat)
        elif kind == "companion":
            surface, v = r.choice(_COMPANIONS)
            ex.slot(lx.COMPANION, surface, str(v))
        elif kind == "alone":
            surface = r.choice(_ALONE)
            ex.slot(lx.COMPANION, surface, "alone")
        elif kind == "time":
            surface, v = r.choice(_TIMES)
            ex.slot(lx.TIME, surface, str(v))
        elif kind == "diet":
            surface, v = r.choice(_DIETS if r.random() < .6 else _DIET_PHRASES)
            ex.slot(lx.DIETARY, surface, str(v))
        elif kind == "loc":
            surface, v = r.choice(_LOCS)
            ex.slot(lx.LOCATION, surface, v)
        elif kind == "near":
            surface = r.choice(_NEAR)
            ex.slot(lx.NEAR_ME, surface, "near_me")
        elif kind == "good":
            surface = r.choice(_GOOD)
            ex.slot(lx.GOOD_SHOP, surface, True)
        elif kind == "money":
            surface, v = money_surface(r, sample_amount(r), bare_ok=josa in ("으로",))
            ex.slot(lx.BUDGET, surface, v)
        elif kind == "shop":
            surface = r.choice(self.shops)
            ex.slot(lx.SHOP, surface, surface)
        elif kind == "thing":
            surface = r.choice(self.p["OOS_THINGS"])
            ex.add(surface)
        else:
            raise KeyError(kind)
        if josa:
            ex.add(_josa(ex.text.rstrip(), josa), glue=True)

    def frame(self, ex: Example, frame: str, used: set[str]) -> None:
        pos = 0
        for m in _SLOT_RE.finditer(frame):
            lit = frame[pos:m.start()]
            glue = bool(ex.text) and not lit.startswith(" ") and pos > 0
            if lit.strip():
                ex.add(lit.strip(), glue=glue and not lit.startswith(" "))
            self.fill(ex, m.group(1), m.group(2), used)
            pos = m.end()
            # text right after the slot glues onto it ("{loc}에서")
            nxt = frame[pos:]
            if nxt and not nxt.startswith(" "):
                lit2 = re.split(r"[ {]", nxt, maxsplit=1)[0]
                if lit2:
                    ex.add(lit2, glue=True)
                    pos += len(lit2)
        tail = frame[pos:].strip()
        if tail:
            ex.add(tail, glue=not frame[pos:].startswith(" "))

    def _chunks(self, ex: Example, used: set[str], p: dict[str, float]) -> None:
        r = self.rng
        chunks: list[str] = []
        if r.random() < p.get("time", 0):
            chunks.append(r.choice(self.p["TIME_FRAMES"]))
        if r.random() < p.get("companion", 0):
            chunks.append(r.choice(self.p["ALONE_FRAMES"]) if r.random() < .25 else r.choice(self.p["COMPANION_FRAMES"]))
        if r.random() < p.get("loc", 0):
            chunks.append(r.choice(self.p["LOC_FRAMES"]) if r.random() < .6 else r.choice(self.p["NEAR_FRAMES"]))
        if r.random() < p.get("diet", 0):
            chunks.append(r.choice(self.p["DIET_FRAMES"]))
        if r.random() < p.get("good", 0):
            chunks.append(r.choice(self.p["GOOD_FRAMES"]))
        if r.random() < .3:
            r.shuffle(chunks)
        for c in chunks:
            self.frame(ex, c, used)

    def food_request(self, budget: bool) -> Example:
        r = self.rng
        ex = Example(intent=(Intent.BUDGET_FOOD_INQUIRY if budget else Intent.FOOD_RECOMMENDATION).value)
        used: set[str] = set()
        if r.random() < .25:
            ex.add(r.choice(self.p["OPENERS"]))
        if not budget and r.random() < .08:
            ex.add(r.choice(self.p["PLAIN_FR"]))
            return ex
        money_first = budget and r.random() < .5
        if budget:
            money_frame = (r.choice(self.p["MONEY_FRAMES"]) if r.random() < .85 else r.choice(self.p["CHEAP_FRAMES"]))
        if money_first:
            self.frame(ex, money_frame, used)
        self._chunks(ex, used, {"time": .35, "companion": .35, "loc": .3, "diet": .3, "good": .08})
        if r.random() < .75:
            self.frame(ex, r.choice(self.p["FOOD_FRAMES"]), used)
        if budget and not money_first:
            self.frame(ex, money_frame, used)
        ex.add(r.choice(self.p["BU_ENDINGS"] if budget else self.p["FR_ENDINGS"]))
        return ex

    def simple(self, intent: Intent) -> Example:
        r = self.rng
        ex = Example(intent=intent.value)
        used: set[str] = set()
        if intent is Intent.MENU_INQUIRY:
            self.frame(ex, r.choice(self.p["MENU_FRAMES"]), used)
        elif intent is Intent.SHOP_INFO:
            self.frame(ex, r.choice(self.p["SHOP_FRAMES"]), used)
        elif intent is Intent.GREETING:
            ex.add(r.choice(self.p["GREETINGS"]))
            if r.random() < .2:
                ex.add(r.choice(self.p["GREETINGS"]))
        elif intent is Intent.FEEDBACK:
            roll = r.random()
            if roll < .35:
                ex.add(r.choice(self.p["FB_STANDALONE"]))
            else:
                if r.random() < .7:
                    ex.add(r.choice(self.p["FB_REFS"]))
                ex.add(r.choice(self.p["FB_REACTIONS"]))
                if r.random() < .5:
                    ex.add(r.choice(self.p["FB_FOLLOWUPS"]))
        else:
            if self.chatbot and r.random() < .7:
                ex.add(r.choice(self.chatbot))
                for m in lx.match_lexicon(ex.text):  # 친구랑 싸웠어: tagged, but no filters (out of scope)
                    ex.spans.append((m.kind, m.start, m.end, m.value))
            else:
                self.frame(ex, r.choice(self.p["OOS_FRAMES"]), used)
        return ex

    def noise(self, ex: Example) -> Example:
        r = self.rng
        if r.random() < .3:
            ex.add(r.choice(self.p["EMOTES"]), glue=r.random() < .6)
        roll = r.random()
        if roll < .2:
            for i in range(len(ex.text) - 1, -1, -1):
                if ex.text[i] == " ":
                    ex.delete(i)
        elif roll < .5:
            for i in range(len(ex.text) - 1, -1, -1):
                if ex.text[i] == " " and r.random() < .4:
                    ex.delete(i)
        if r.random() < .05 and ex.text and ex.text[-1] in "아야어여": # 배고파아아
            ex.add(ex.text[-1] * r.randint(1, 3), glue=True)
        return ex

    def example(self, intent: Intent) -> Example:
        if intent in (Intent.FOOD_RECOMMENDATION, Intent.BUDGET_FOOD_INQUIRY):
            ex = self.food_request(intent is Intent.BUDGET_FOOD_INQUIRY)
        else:
            ex = self.simple(intent)
        return self.noise(ex)


# ---------------------------------------------------------------- rows
_KIND_TYPE = {lx.NEAR_ME: EntityType.LOCATION.value}


def to_row(ex: Example) -> dict[str, Any]:
    text = ex.text.strip()
    shift = len(ex.text) - len(ex.text.lstrip())
    good = False
    entities: list[dict[str, Any]] = []
    for kind, s, e, v in sorted(ex.spans, key=lambda x: x[1]):
        if kind == lx.GOOD_SHOP:
            good = True
            continue
        entities.append({"type": _KIND_TYPE.get(kind, kind), "start": s - shift, "end": e - shift,
                         "value": v, "text": text[s - shift:e - shift]})
    ents = [Entity(type=x["type"], text=x["text"], value=x["value"], start=x["start"], end=x["end"]) for x in entities]
    intent = ex.intent
    filters = build_filters(text, ents, good)
    if intent in (Intent.GREETING.value, Intent.OUT_OF_SCOPE.value):
        filters = build_filters(text, [], False)
    return {"text": text, "intent": intent, "entities": entities,
            "filters": filters.model_dump(mode="json", exclude_defaults=True)}


def bio_tags(row: dict[str, Any]) -> list[str]:
    tags = ["O"] * len(row["text"])
    for e in row["entities"]:
        if e["type"] not in SLOT_TYPES:
            continue
        tags[e["start"]] = f"B-{e['type']}"
        for i in range(e["start"] + 1, e["end"]):
            tags[i] = f"I-{e['type']}"
    assert all(t in TAGS for t in tags)
    return tags


# ---------------------------------------------------------------- external data
_FOODISH = re.compile(r"먹|밥|배고|배불|맛|식당|가게|메뉴|카페|커피|술|안녕|반가|고마|감사|추천|[0-9]+원|요리|음식|배달|주문|돈|"
                      r"잔액|카드|별로|좋았|싫|간식|야식|아침|점심|저녁|치킨|피자|빵|과자|라면|떡|짜장|고기|굶|다이어트|살|"
                      r"하이|헬로|ㅎㅇ|잘자|잘 자|바이|누구|최고|짱|땡큐")


def load_chatbot(path: Path | None) -> dict[str, list[str]]:
    """Out-of-scope questions from ChatbotData.csv, split by row hash; food/greeting-like rows dropped."""
    out: dict[str, list[str]] = {s: [] for s in SPLITS}
    if path is None or not path.exists():
        return out
    with path.open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            q = (row.get("Q") or "").strip()
            if not q or len(q) > 60 or _FOODISH.search(q):
                continue
            if any(m.kind not in (lx.COMPANION, lx.TIME, lx.LOCATION, lx.NEAR_ME) for m in lx.match_lexicon(q)):
                continue
            h = zlib.crc32(q.encode()) % 6
            out["test" if h == 0 else "dev" if h == 1 else "train"].append(q)
    return out


def load_shop_names(klue: Path | None) -> dict[str, list[str]]:
    """Shop names: synthetic prefix+suffix (prefixes split by phrasing) and KLUE-WoS restaurant names."""
    import json

    out: dict[str, list[str]] = {}
    for split in SPLITS:
        pre = split3(L.SHOP_PREFIXES, "SHOP_PREFIXES")[split]
        out[split] = [p + s for p in pre for s in L.SHOP_SUFFIXES]
        # brand-like names made of a food word: 김밥나라, 떡볶이대장 (the tagger must read them as shops)
        foods = split3([f.name for f in FOODS], "SHOP_FOODS")[split]
        out[split] += [f + s for f in foods for s in ("나라", "대장", "명가", "마을", "공장", "이야기", "왕", "하우스")]
    if klue is not None and klue.exists():
        names = [n for n in json.loads(klue.read_text(encoding="utf-8")).get("식당-이름", [])
                 if n not in ("none", "dontcare")]
        for split, part in split3(names, "KLUE_NAMES").items():
            out[split] += part * 4
    return out


INTENT_MIX = {Intent.FOOD_RECOMMENDATION: .25, Intent.BUDGET_FOOD_INQUIRY: .22, Intent.MENU_INQUIRY: .1,
              Intent.SHOP_INFO: .1, Intent.GREETING: .07, Intent.FEEDBACK: .1, Intent.OUT_OF_SCOPE: .16}


def generate(n: int, split: str, seed: int = 13, chatbot_csv: Path | None = DEFAULT_CHATBOT_CSV,
             klue: Path | None = DEFAULT_KLUE_ONTOLOGY) -> list[dict[str, Any]]:
    """`n` labelled rows of one split (train/dev/test), deterministic for (n, split, seed)."""
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, not {split!r}")
    gen = Generator(split, seed, load_shop_names(klue)[split], load_chatbot(chatbot_csv)[split])
    intents = list(INTENT_MIX)
    weights = list(INTENT_MIX.values())
    rows, seen = [], set()
    tries = 0
    while len(rows) < n and tries < n * 5:
        tries += 1
        row = to_row(gen.example(gen.rng.choices(intents, weights)[0]))
        key = compact(row["text"])
        if not key or key in seen:
            continue
        seen.add(key)
        rows.append(row)
    return rows


def load_extra(path: Path) -> list[dict[str, Any]]:
    """Logged utterances that went well (JSON Lines: text, intent, optional entities) as training
    rows. Rows without entity spans are labelled by the gazetteer, so slots stay consistent."""
    import json

    from nabiyam.nlu.rules import lexicon_entities
    from nabiyam.nlu.text import prepare

    rows: list[dict[str, Any]] = []
    with path.open(encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                raw = json.loads(line)
                text, intent = str(raw["text"]), Intent(raw["intent"]).value
            except (json.JSONDecodeError, KeyError, ValueError, TypeError) as exc:
                raise ValueError(f"{path}:{n}: expected {{\"text\": ..., \"intent\": one of "
                                 f"{', '.join(i.value for i in Intent)}}}: {exc}") from exc
            if "entities" in raw:
                entities = [{"type": e["type"], "start": int(e["start"]), "end": int(e["end"]), "value": e.get("value"),
                             "text": text[int(e["start"]):int(e["end"])]} for e in raw["entities"]]
            else:
                found, _ = lexicon_entities(prepare(text))
                entities = [{"type": str(e.type), "start": e.start, "end": e.end, "value": e.value, "text": e.text}
                            for e in found]
            rows.append({"text": text, "intent": intent, "entities": entities, "filters": raw.get("filters", {})})
    return rows
