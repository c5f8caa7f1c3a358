"""The online store contract: namespaced JSON records per key, with TTL, atomic updates and batch reads.

Backends raise :class:`~nivesh_ml.errors.StoreUnavailable` / :class:`~nivesh_ml.errors.StoreBusy` for what
their dependency raises (connection, timeout, lock wait, disk I/O) and nothing broader: any other exception
is a bug and surfaces as one.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from typing import Any

Record = dict[str, Any]
Updater = Callable[[Record | None], Record]
RecordKey = tuple[str, str]  # (namespace, key)
ManyUpdater = Callable[[dict[RecordKey, Record | None]], dict[RecordKey, Record]]


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

    def update(self, namespace: str, key: str, fn: Updater, ttl_s: int | None = None) -> Record:
        """Atomic read-modify-write: ``fn`` gets the current record (or ``None``) and returns the new one.

        Concurrent updates of the same key from threads or processes are serialised; none is lost.
        """
        written = self.update_many([(namespace, key)], lambda cur: {(namespace, key): fn(cur[(namespace, key)])},
                                   ttl_s=ttl_s)
        return written[(namespace, key)]

    @abstractmethod
    def update_many(self, keys: Sequence[RecordKey], fn: ManyUpdater,
                    ttl_s: int | None = None) -> dict[RecordKey, Record]:
        """Atomic read-modify-write of several records: all of ``fn``'s records are written, or none.

        ``fn`` gets the current records of ``keys`` (``None`` where absent) and returns the records to
        write (only keys among ``keys``). One SQLite transaction; one WATCH + MULTI/EXEC on Redis. If
        ``fn`` raises, nothing is written and the exception propagates.

        Raises:
            StoreBusy: the write lock (SQLite) or a conflict-free turn (Redis) was not had in time.
            StoreUnavailable: the backend failed (connection, timeout, disk I/O).
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


def check_written_keys(keys: Sequence[RecordKey], written: dict[RecordKey, Record]) -> None:
    """An ``update_many`` function may only write the records it read (else the write is not atomic)."""
    extra = set(written) - set(keys)
    if extra:
        raise ValueError(f"update_many wrote records it did not read: {sorted(extra)}")
