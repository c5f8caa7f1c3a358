"""The online store contract: namespaced JSON records per key, with TTL, atomic updates and batch reads."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from nivesh_ml.config import Settings

Record = dict[str, Any]
Updater = Callable[[Record | None], Record]


class OnlineStore(ABC):
    """A key-value store of JSON records, the same contract on every backend."""

    backend: str

    @abstractmethod
    def get(self, namespace: str, key: str) -> Record | None:
        """The record, or ``None`` when absent or expired."""

    @abstractmethod
    def get_many(self, namespace: str, keys: Sequence[str]) -> dict[str, Record | None]:
        """Batch read: one round trip for many keys."""

    @abstractmethod
    def put(self, namespace: str, key: str, value: Record, ttl_s: int | None = None) -> None:
        """Write a record (replacing any), expiring after ``ttl_s`` seconds when given."""

    @abstractmethod
    def update(self, namespace: str, key: str, fn: Updater, ttl_s: int | None = None) -> Record:
        """Atomic read-modify-write: ``fn`` gets the current record (or ``None``) and returns the new one.

        Concurrent updates of the same key from threads or processes are serialised; none is lost.
        """

    @abstractmethod
    def delete(self, namespace: str, key: str) -> None:
        """Remove a record."""

    @abstractmethod
    def keys(self, namespace: str) -> Iterator[str]:
        """Every live key of a namespace."""

    @abstractmethod
    def ping(self) -> bool:
        """Whether the backend answers."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections."""


def create_store(settings: Settings) -> OnlineStore:
    """The store chosen by settings (SQLite by default, Redis when configured)."""
    if settings.store_backend == "redis":
        from nivesh_ml.features.redis_store import RedisStore

        if not settings.redis_url:
            raise ValueError("feature_store.type is redis but NIVESH_REDIS_URL is not set")
        return RedisStore(settings.redis_url)
    from nivesh_ml.features.sqlite_store import SQLiteStore

    return SQLiteStore(settings.sqlite_store_path)
