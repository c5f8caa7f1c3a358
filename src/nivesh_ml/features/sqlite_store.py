"""SQLite online store: the embedded default. Safe across threads and processes (WAL, immediate locks)."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

from nivesh_ml.features.store import OnlineStore, Record, Updater
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


class SQLiteStore(OnlineStore):
    """Records in one SQLite file; one connection per thread, opened lazily."""

    backend = "sqlite"

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._local = threading.local()

    def _conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = open_wal(self.path, _SCHEMA, timeout_s=60)
            self._local.conn = conn
        return conn

    @staticmethod
    def _expiry(ttl_s: int | None) -> float | None:
        return time.time() + ttl_s if ttl_s else None

    def get(self, namespace: str, key: str) -> Record | None:
        row = self._conn().execute(
            "SELECT value FROM records WHERE namespace=? AND key=? AND (expires_at IS NULL OR expires_at>?)",
            (namespace, key, time.time()),
        ).fetchone()
        return json.loads(row[0]) if row else None

    def get_many(self, namespace: str, keys: Sequence[str]) -> dict[str, Record | None]:
        out: dict[str, Record | None] = dict.fromkeys(keys)
        now = time.time()
        for start in range(0, len(keys), 500):
            chunk = list(keys[start:start + 500])
            marks = ",".join("?" * len(chunk))
            rows = self._conn().execute(
                f"SELECT key, value FROM records WHERE namespace=? AND key IN ({marks}) "
                "AND (expires_at IS NULL OR expires_at>?)",
                (namespace, *chunk, now),
            ).fetchall()
            out.update({k: json.loads(v) for k, v in rows})
        return out

    def put(self, namespace: str, key: str, value: Record, ttl_s: int | None = None) -> None:
        self._conn().execute(
            "INSERT OR REPLACE INTO records(namespace, key, value, expires_at) VALUES (?,?,?,?)",
            (namespace, key, json.dumps(value), self._expiry(ttl_s)),
        )

    def update(self, namespace: str, key: str, fn: Updater, ttl_s: int | None = None) -> Record:
        conn = self._conn()
        conn.execute("BEGIN IMMEDIATE")
        try:
            row = conn.execute(
                "SELECT value, expires_at FROM records WHERE namespace=? AND key=?", (namespace, key)
            ).fetchone()
            current = json.loads(row[0]) if row and (row[1] is None or row[1] > time.time()) else None
            new = fn(current)
            conn.execute(
                "INSERT OR REPLACE INTO records(namespace, key, value, expires_at) VALUES (?,?,?,?)",
                (namespace, key, json.dumps(new), self._expiry(ttl_s)),
            )
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return new

    def delete(self, namespace: str, key: str) -> None:
        self._conn().execute("DELETE FROM records WHERE namespace=? AND key=?", (namespace, key))

    def keys(self, namespace: str) -> Iterator[str]:
        rows = self._conn().execute(
            "SELECT key FROM records WHERE namespace=? AND (expires_at IS NULL OR expires_at>?) ORDER BY key",
            (namespace, time.time()),
        ).fetchall()
        return iter([r[0] for r in rows])

    def ping(self) -> bool:
        try:
            self._conn().execute("SELECT 1")
        except sqlite3.Error:
            return False
        return True

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None
