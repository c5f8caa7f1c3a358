"""SQLite online store: the embedded default. Safe across threads and processes (WAL, immediate locks)."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from nivesh_ml.errors import StoreBusy, StoreUnavailable
from nivesh_ml.features.codec import decode, encode_text
from nivesh_ml.features.store import ManyUpdater, OnlineStore, Record, RecordKey, check_written_keys
from nivesh_ml.sqlite_conn import open_wal

_SCHEMA = """
CREATE TABLE IF NOT EXISTS records (
    namespace TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    expires_at REAL,
    PRIMARY KEY (namespace, key)
)
"""

# What SQLite says when the file, not the caller, is at fault (anything else is a bug and is not wrapped).
_UNAVAILABLE = ("disk i/o", "unable to open", "readonly", "disk is full", "malformed", "not a database")


class SQLiteStore(OnlineStore):
    """Records in one SQLite file; one connection per thread, opened lazily.

    A write waits at most ``lock_timeout_s`` for the lock (SQLite's busy handler), then answers
    :class:`StoreBusy`, so a long writer elsewhere cannot stall a request.
    """

    backend = "sqlite"

    def __init__(self, path: Path, lock_timeout_s: float = 2.0) -> None:
        self.path = Path(path)
        self.lock_timeout_s = lock_timeout_s
        self._local = threading.local()

    @contextmanager
    def _guard(self) -> Iterator[sqlite3.Connection]:
        """The thread's connection; SQLite's lock and I/O failures as store errors."""
        try:
            conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
            if conn is None:
                conn = open_wal(self.path, _SCHEMA, timeout_s=self.lock_timeout_s)
                self._local.conn = conn
            yield conn
        except sqlite3.OperationalError as exc:
            message = str(exc).lower()
            if "locked" in message or "busy" in message:
                raise StoreBusy(f"feature store busy: no lock within {self.lock_timeout_s:g} s") from exc
            if any(part in message for part in _UNAVAILABLE):
                raise StoreUnavailable(f"feature store unavailable: {exc}") from exc
            raise
        except sqlite3.DatabaseError as exc:
            if any(part in str(exc).lower() for part in _UNAVAILABLE):
                raise StoreUnavailable(f"feature store unavailable: {exc}") from exc
            raise

    @staticmethod
    def _expiry(ttl_s: int | None) -> float | None:
        return time.time() + ttl_s if ttl_s else None

    def get(self, namespace: str, key: str) -> Record | None:
        with self._guard() as conn:
            row = conn.execute(
                "SELECT value FROM records WHERE namespace=? AND key=? AND (expires_at IS NULL OR expires_at>?)",
                (namespace, key, time.time()),
            ).fetchone()
        return decode(row[0]) if row else None

    def get_many(self, namespace: str, keys: Sequence[str]) -> dict[str, Record | None]:
        out: dict[str, Record | None] = dict.fromkeys(keys)
        now = time.time()
        with self._guard() as conn:
            for start in range(0, len(keys), 500):
                chunk = list(keys[start:start + 500])
                marks = ",".join("?" * len(chunk))
                rows = conn.execute(
                    f"SELECT key, value FROM records WHERE namespace=? AND key IN ({marks}) "
                    "AND (expires_at IS NULL OR expires_at>?)",
                    (namespace, *chunk, now),
                ).fetchall()
                out.update({k: decode(v) for k, v in rows})
        return out

    def put(self, namespace: str, key: str, value: Record, ttl_s: int | None = None) -> None:
        with self._guard() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO records(namespace, key, value, expires_at) VALUES (?,?,?,?)",
                (namespace, key, encode_text(value), self._expiry(ttl_s)),
            )

    def update_many(self, keys: Sequence[RecordKey], fn: ManyUpdater,
                    ttl_s: int | None = None) -> dict[RecordKey, Record]:
        """Optimistic, like Redis's WATCH: ``fn`` runs (and its records are encoded) before the write lock is
        taken; under the lock the records are read again and, if any changed meanwhile, ``fn`` runs again there.
        What is written is therefore always ``fn`` of the records as they are at the write, while the lock is
        held only for the check and the write: several writers (a backfill's workers) overlap their work."""
        keys = list(keys)
        with self._guard() as conn:
            seen = self._raw(conn, keys)
        new, rows = self._apply(keys, fn, seen)
        with self._guard() as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                now_raw = self._raw(conn, keys)
                if now_raw != seen:  # another writer came first: decide again on what is there now
                    new, rows = self._apply(keys, fn, now_raw)
                expiry = self._expiry(ttl_s)
                conn.executemany(
                    "INSERT OR REPLACE INTO records(namespace, key, value, expires_at) VALUES (?,?,?,?)",
                    [(namespace, key, value, expiry) for namespace, key, value in rows],
                )
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
        return new

    @staticmethod
    def _raw(conn: sqlite3.Connection, keys: Sequence[RecordKey]) -> list[tuple[str, float | None] | None]:
        """Each key's stored value and expiry as SQLite holds them (``None``: no row)."""
        out: list[tuple[str, float | None] | None] = []
        for namespace, key in keys:
            row = conn.execute("SELECT value, expires_at FROM records WHERE namespace=? AND key=?",
                               (namespace, key)).fetchone()
            out.append(None if row is None else (row[0], row[1]))
        return out

    @staticmethod
    def _apply(keys: Sequence[RecordKey], fn: ManyUpdater, raw: Sequence[tuple[str, float | None] | None],
               ) -> tuple[dict[RecordKey, Record], list[tuple[str, str, str]]]:
        """``fn`` of the live records in ``raw``, and its records encoded for the write."""
        now = time.time()
        current: dict[RecordKey, Record | None] = {
            k: decode(r[0]) if r is not None and (r[1] is None or r[1] > now) else None
            for k, r in zip(keys, raw, strict=True)}
        new = fn(current)
        check_written_keys(keys, new)
        return new, [(namespace, key, encode_text(value)) for (namespace, key), value in new.items()]

    def delete(self, namespace: str, key: str) -> None:
        with self._guard() as conn:
            conn.execute("DELETE FROM records WHERE namespace=? AND key=?", (namespace, key))

    def keys(self, namespace: str) -> Iterator[str]:
        with self._guard() as conn:
            rows = conn.execute(
                "SELECT key FROM records WHERE namespace=? AND (expires_at IS NULL OR expires_at>?) ORDER BY key",
                (namespace, time.time()),
            ).fetchall()
        return iter([r[0] for r in rows])

    def ping(self) -> bool:
        try:
            with self._guard() as conn:
                conn.execute("SELECT 1")
        except (sqlite3.Error, StoreUnavailable):
            return False
        return True

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None
