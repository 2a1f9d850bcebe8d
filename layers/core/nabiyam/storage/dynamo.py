"""A generic DynamoDB table repository over pydantic models.

Items are the model's JSON-mode dump (floats as Decimal) plus derived key attributes
(e.g. ``pk``/``sk`` of a single-table design) computed by a ``keys`` function; reading
drops attributes the model does not declare. Pagination is explicit (`query_page` with
an opaque token, for APIs) or followed for you (`query`, a bounded generator).
"""

from __future__ import annotations

import base64
import json
import random
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Generic, TypeVar

from boto3.dynamodb.conditions import Attr, ConditionBase, Key
from botocore.exceptions import ClientError
from pydantic import BaseModel

from nabiyam import aws
from nabiyam.settings import Settings, get_settings

M = TypeVar("M", bound=BaseModel)

BATCH_SIZE = 25  # DynamoDB BatchWriteItem limit
MAX_PAGES = 100_000  # bound on any pagination loop


class StorageError(RuntimeError):
    """A storage operation failed in a way the caller should report."""


class BatchWriteError(StorageError):
    """Some items stayed unprocessed after every retry."""

    def __init__(self, table: str, unprocessed: int) -> None:
        super().__init__(f"{unprocessed} item(s) could not be written to {table} after retries")
        self.unprocessed = unprocessed


class InvalidPageToken(ValueError):
    """A pagination token that this repository did not produce."""


def to_item(model: BaseModel) -> dict[str, Any]:
    """JSON-mode dump with floats as Decimal (DynamoDB numbers); None values dropped."""
    data: dict[str, Any] = json.loads(model.model_dump_json(exclude_none=True), parse_float=Decimal)
    return data


def from_item(value: Any) -> Any:
    """Decimals back to int/float and sets to sorted lists, recursively."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: from_item(v) for k, v in value.items()}
    if isinstance(value, list):
        return [from_item(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return sorted(from_item(v) for v in value)
    return value


def encode_token(key: dict[str, Any] | None) -> str | None:
    if not key:
        return None
    raw = json.dumps(from_item(key), sort_keys=True, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_token(token: str | None) -> dict[str, Any] | None:
    if not token:
        return None
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        key = json.loads(raw, parse_float=Decimal)
    except (ValueError, TypeError) as exc:
        raise InvalidPageToken("the page token is not valid (was it copied in full?)") from exc
    if not isinstance(key, dict):
        raise InvalidPageToken("the page token is not valid")
    return key


@dataclass(frozen=True)
class RangeCond:
    """A condition on the sort key of a query."""

    op: str
    values: tuple[Any, ...]

    @classmethod
    def begins_with(cls, prefix: str) -> RangeCond:
        return cls("begins_with", (prefix,))

    @classmethod
    def between(cls, low: Any, high: Any) -> RangeCond:
        return cls("between", (low, high))

    @classmethod
    def eq(cls, value: Any) -> RangeCond:
        return cls("eq", (value,))

    @classmethod
    def gte(cls, value: Any) -> RangeCond:
        return cls("gte", (value,))

    @classmethod
    def lte(cls, value: Any) -> RangeCond:
        return cls("lte", (value,))

    @classmethod
    def gt(cls, value: Any) -> RangeCond:
        return cls("gt", (value,))

    @classmethod
    def lt(cls, value: Any) -> RangeCond:
        return cls("lt", (value,))

    def apply(self, name: str) -> ConditionBase:
        return getattr(Key(name), self.op)(*self.values)


@dataclass(frozen=True)
class Page(Generic[M]):
    items: list[M]
    next_token: str | None


class TableRepository(Generic[M]):
    """Typed access to one table.

    ``hash_key``/``range_key`` name the table's key attributes; ``indexes`` maps a GSI name
    to its (hash, range) attributes; ``keys`` adds derived attributes to each item.
    """

    def __init__(self, table_name: str, model: type[M], *, hash_key: str, range_key: str | None = None,
                 indexes: dict[str, tuple[str, str | None]] | None = None,
                 keys: Callable[[M], dict[str, Any]] | None = None, settings: Settings | None = None) -> None:
        self.table_name = table_name
        self.model = model
        self.hash_key = hash_key
        self.range_key = range_key
        self.indexes = dict(indexes or {})
        self._keys = keys
        self.settings = settings or get_settings()
        self._fields = set(model.model_fields)

    # -------------------------------------------------------------- plumbing
    @property
    def table(self) -> Any:
        return aws.resource("dynamodb", self.settings).Table(self.table_name)

    def item_of(self, model: M) -> dict[str, Any]:
        item = to_item(model)
        if self._keys is not None:
            item.update(self._keys(model))
        missing = [k for k in (self.hash_key, self.range_key) if k and item.get(k) in (None, "")]
        if missing:
            raise ValueError(f"{type(model).__name__} for {self.table_name} lacks key attribute(s) {missing}")
        return item

    def model_of(self, item: dict[str, Any]) -> M:
        data = {k: v for k, v in from_item(item).items() if k in self._fields}
        return self.model.model_validate(data)

    def key_of(self, model: M) -> dict[str, Any]:
        item = self.item_of(model)
        return {k: item[k] for k in (self.hash_key, self.range_key) if k}

    def _key(self, hash_value: Any, range_value: Any = None) -> dict[str, Any]:
        key = {self.hash_key: hash_value}
        if self.range_key:
            if range_value is None:
                raise ValueError(f"{self.table_name} needs a {self.range_key} value")
            key[self.range_key] = range_value
        return key

    # -------------------------------------------------------------- writes
    def put(self, model: M) -> None:
        self.table.put_item(Item=self.item_of(model))

    def put_if_absent(self, model: M) -> bool:
        """Write unless an item with the same key exists. True when this call wrote it."""
        try:
            self.table.put_item(Item=self.item_of(model), ConditionExpression=Attr(self.hash_key).not_exists())
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def put_if(self, model: M, condition: ConditionBase) -> bool:
        """Write when ``condition`` holds on the stored item. True when it did."""
        try:
            self.table.put_item(Item=self.item_of(model), ConditionExpression=condition)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def delete(self, hash_value: Any, range_value: Any = None) -> None:
        self.table.delete_item(Key=self._key(hash_value, range_value))

    def batch_put(self, models: Iterable[M], *, max_attempts: int = 8, base_delay: float = 0.05) -> int:
        """Write in chunks of 25, retrying unprocessed items with jittered backoff.

        Duplicate keys inside a chunk are collapsed (last wins; DynamoDB rejects them).
        Returns the number of items written; raises :class:`BatchWriteError` otherwise.
        """
        client = aws.client("dynamodb", self.settings)
        from boto3.dynamodb.types import TypeSerializer

        ser = TypeSerializer()
        written = 0
        chunk: dict[tuple[Any, ...], dict[str, Any]] = {}

        def flush() -> None:
            nonlocal written
            if not chunk:
                return
            requests = [{"PutRequest": {"Item": {k: ser.serialize(v) for k, v in item.items()}}} for item in chunk.values()]
            pending: dict[str, Any] = {self.table_name: requests}
            for attempt in range(max_attempts):
                response = client.batch_write_item(RequestItems=pending)
                pending = response.get("UnprocessedItems") or {}
                if not pending:
                    break
                time.sleep(min(2.0, base_delay * 2**attempt) * (0.5 + random.random()))  # noqa: S311
            left = len(pending.get(self.table_name, []))
            if left:
                raise BatchWriteError(self.table_name, left)
            written += len(requests)
            chunk.clear()

        for model in models:
            item = self.item_of(model)
            key = tuple(item[k] for k in (self.hash_key, self.range_key) if k)
            chunk.pop(key, None)
            chunk[key] = item
            if len(chunk) == BATCH_SIZE:
                flush()
        flush()
        return written

    # -------------------------------------------------------------- reads
    def get(self, hash_value: Any, range_value: Any = None, *, consistent: bool = True) -> M | None:
        item = self.table.get_item(Key=self._key(hash_value, range_value), ConsistentRead=consistent).get("Item")
        return self.model_of(item) if item else None

    def query_page(self, hash_value: Any, *, index: str | None = None, range_cond: RangeCond | None = None,
                   limit: int = 100, token: str | None = None, newest_first: bool = False,
                   filter_cond: ConditionBase | None = None) -> Page[M]:
        """One page of a query on the table or a GSI, with an opaque ``next_token``."""
        if limit < 1:
            raise ValueError("limit must be at least 1")
        if index is not None and index not in self.indexes:
            raise ValueError(f"{self.table_name} has no index {index!r}; known: {sorted(self.indexes)}")
        hash_name, range_name = self.indexes[index] if index else (self.hash_key, self.range_key)
        condition = Key(hash_name).eq(hash_value)
        if range_cond is not None:
            if not range_name:
                raise ValueError(f"{index or self.table_name} has no sort key to filter on")
            condition = condition & range_cond.apply(range_name)
        kwargs: dict[str, Any] = {"KeyConditionExpression": condition, "Limit": limit,
                                  "ScanIndexForward": not newest_first}
        if index:
            kwargs["IndexName"] = index
        if filter_cond is not None:
            kwargs["FilterExpression"] = filter_cond
        start = decode_token(token)
        if start:
            kwargs["ExclusiveStartKey"] = start
        response = self.table.query(**kwargs)
        return Page([self.model_of(i) for i in response.get("Items", [])], encode_token(response.get("LastEvaluatedKey")))

    def query(self, hash_value: Any, *, index: str | None = None, range_cond: RangeCond | None = None,
              page_size: int = 100, max_items: int | None = None, newest_first: bool = False,
              filter_cond: ConditionBase | None = None) -> Iterator[M]:
        """Every matching item, following pages (bounded by ``max_items`` when given)."""
        token: str | None = None
        yielded = 0
        for _ in range(MAX_PAGES):
            page = self.query_page(hash_value, index=index, range_cond=range_cond, limit=page_size, token=token,
                                   newest_first=newest_first, filter_cond=filter_cond)
            for item in page.items:
                if max_items is not None and yielded >= max_items:
                    return
                yield item
                yielded += 1
            token = page.next_token
            if token is None:
                return

    def scan(self, *, page_size: int = 500, filter_cond: ConditionBase | None = None) -> Iterator[M]:
        """Every item (jobs and small tables only: a scan reads the whole table)."""
        kwargs: dict[str, Any] = {"Limit": page_size}
        if filter_cond is not None:
            kwargs["FilterExpression"] = filter_cond
        for _ in range(MAX_PAGES):
            response = self.table.scan(**kwargs)
            for item in response.get("Items", []):
                yield self.model_of(item)
            if "LastEvaluatedKey" not in response:
                return
            kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]
