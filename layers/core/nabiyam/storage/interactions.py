"""The Interactions table: what users did with shops (orders, favorites, reviews, clicks).

PK ``user_id``, SK ``<iso-ts KST>#<kind>#<ref_id>`` so a user's history is one query in
time order; GSI ``by_shop`` (``shop_id`` + ``sk``) gives a shop's history. Timestamps are
normalised to KST so the sort key orders correctly whatever zone the caller used.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel

from nabiyam.domain.catalogue import Favorite, Order, Review
from nabiyam.domain.hours import to_kst
from nabiyam.settings import Settings, get_settings
from nabiyam.storage.dynamo import RangeCond, TableRepository

Kind = Literal["order", "favorite", "review", "click"]


class Interaction(BaseModel):
    user_id: str
    shop_id: str
    kind: Kind
    ref_id: str
    at: datetime
    menu_id: str | None = None
    price: int | None = None
    rating: int | None = None
    text: str | None = None
    conversation_id: str | None = None
    session_id: str | None = None

    @property
    def sk(self) -> str:
        return f"{sort_time(self.at)}#{self.kind}#{self.ref_id}"

    @classmethod
    def from_order(cls, o: Order) -> Interaction:
        return cls(user_id=o.user_id, shop_id=o.shop_id, kind="order", ref_id=o.order_id, at=o.ordered_at,
                   menu_id=o.menu_id, price=o.price, session_id=o.session_id)

    @classmethod
    def from_favorite(cls, f: Favorite) -> Interaction:
        return cls(user_id=f.user_id, shop_id=f.shop_id, kind="favorite", ref_id=f.shop_id, at=f.created_at)

    @classmethod
    def from_review(cls, r: Review) -> Interaction:
        return cls(user_id=r.user_id, shop_id=r.shop_id, kind="review", ref_id=r.review_id, at=r.created_at,
                   rating=r.rating, text=r.text)


def sort_time(at: datetime) -> str:
    """KST ISO-8601 to the second: lexicographic order is time order."""
    return to_kst(at).isoformat(timespec="seconds")


def _keys(i: Interaction) -> dict[str, Any]:
    return {"sk": i.sk}


class InteractionsRepository:
    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or get_settings()
        self.repo = TableRepository(self.settings.interactions_table, Interaction, hash_key="user_id", range_key="sk",
                                    indexes={"by_shop": ("shop_id", "sk")}, keys=_keys, settings=self.settings)

    def record(self, interaction: Interaction) -> bool:
        """Store once: a retried event with the same time/kind/ref is not counted twice."""
        return self.repo.put_if_absent(interaction)

    def record_many(self, interactions: Iterable[Interaction]) -> int:
        return self.repo.batch_put(interactions)

    def for_user(self, user_id: str, *, since: datetime | None = None, until: datetime | None = None,
                 newest_first: bool = False, max_items: int | None = None) -> Iterator[Interaction]:
        return self.repo.query(user_id, range_cond=_window(since, until), newest_first=newest_first,
                               max_items=max_items)

    def for_shop(self, shop_id: str, *, since: datetime | None = None, until: datetime | None = None,
                 max_items: int | None = None) -> Iterator[Interaction]:
        return self.repo.query(shop_id, index="by_shop", range_cond=_window(since, until), max_items=max_items)

    def all(self) -> Iterator[Interaction]:
        return self.repo.scan()


def _window(since: datetime | None, until: datetime | None) -> RangeCond | None:
    # "~" sorts after "#", so an `until` bound includes every event of that second.
    if since and until:
        return RangeCond.between(sort_time(since), sort_time(until) + "~")
    if since:
        return RangeCond.gte(sort_time(since))
    if until:
        return RangeCond.lte(sort_time(until) + "~")
    return None
