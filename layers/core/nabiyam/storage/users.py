"""The Users table (PK ``user_id``): profiles as :class:`nabiyam.domain.catalogue.User`."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from nabiyam.domain.catalogue import User
from nabiyam.settings import Settings, get_settings
from nabiyam.storage.dynamo import TableRepository


class UsersRepository:
    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or get_settings()
        self.repo = TableRepository(self.settings.users_table, User, hash_key="user_id", settings=self.settings)

    def put(self, user: User) -> None:
        self.repo.put(user)

    def put_many(self, users: Iterable[User]) -> int:
        return self.repo.batch_put(users)

    def get(self, user_id: str) -> User | None:
        return self.repo.get(user_id)

    def all(self) -> Iterator[User]:
        return self.repo.scan()
