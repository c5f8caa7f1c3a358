"""Append-only, bounded log of predictions (inputs with PII masked, outputs, model version).

Bounded twice, continuously: every :data:`TRIM_EVERY` appends each model keeps its newest ``max_rows``; and
whenever 1/32 of ``max_bytes`` has been appended, the database's live size is checked and, over
:data:`TRIM_AT` of the cap, the oldest rows (any model) go until it is back to :data:`TRIM_TO`, and the freed
pages are returned to the file system (``auto_vacuum=INCREMENTAL``), so the file shrinks too. The WAL is kept
near an eighth of the cap (checkpoint interval and ``journal_size_limit``).
"""

from __future__ import annotations

import json
import math
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any, Final

from nivesh_ml.pii import mask_pii
from nivesh_ml.sqlite_conn import open_wal

_SCHEMA = """
CREATE TABLE IF NOT EXISTS predictions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    ts REAL NOT NULL,
    model TEXT NOT NULL,
    version TEXT NOT NULL,
    inputs TEXT NOT NULL,
    outputs TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS predictions_model_ts ON predictions(model, ts);
"""

TRIM_EVERY: Final = 100  # appends between per-model row trims
TRIM_AT: Final = 0.85  # live size, as a fraction of max_bytes, beyond which a byte check trims
TRIM_TO: Final = 0.7  # fraction of max_bytes kept after a byte trim (room for the next batch of appends)
CHECK_FRACTION: Final = 32  # a byte check after every max_bytes / CHECK_FRACTION bytes appended


def _mask(value: Any) -> Any:
    if isinstance(value, str):
        return mask_pii(value)[0]
    if isinstance(value, dict):
        return {k: _mask(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_mask(v) for v in value]
    return value


class PredictionLog:
    """SQLite under ``var/``; the oldest rows are dropped beyond ``max_rows`` per model and ``max_bytes`` in all.

    ``lock_timeout_s`` bounds a write's wait for the lock: appends happen on the request path.
    """

    def __init__(self, path: Path, max_rows: int, enabled: bool = True, max_bytes: int = 256 * 1024 * 1024,
                 lock_timeout_s: float = 2.0) -> None:
        self.path = Path(path)
        self.max_rows = max_rows
        self.max_bytes = max_bytes
        self.enabled = enabled
        self.lock_timeout_s = lock_timeout_s
        self._local = threading.local()
        self._writes = 0
        self._unchecked_bytes = 0
        self._lock = threading.Lock()

    def _conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = open_wal(self.path, _SCHEMA, timeout_s=self.lock_timeout_s, incremental_vacuum=True)
            wal_limit = self.max_bytes // 8
            page = conn.execute("PRAGMA page_size").fetchone()[0]
            conn.execute(f"PRAGMA journal_size_limit={int(wal_limit)}")
            conn.execute(f"PRAGMA wal_autocheckpoint={max(16, min(1000, wal_limit // page))}")
            self._local.conn = conn
        return conn

    def append(self, model: str, version: str, inputs: dict[str, Any], outputs: dict[str, Any]) -> None:
        """Record one prediction; personal identifiers in string values are masked first."""
        if not self.enabled:
            return
        conn = self._conn()
        row = (time.time(), model, version, json.dumps(_mask(inputs), default=str),
               json.dumps(_mask(outputs), default=str))
        conn.execute("INSERT INTO predictions(ts, model, version, inputs, outputs) VALUES (?,?,?,?,?)", row)
        with self._lock:
            self._writes += 1
            self._unchecked_bytes += len(row[3]) + len(row[4]) + len(model) + len(version) + 32
            rotate = self._writes % TRIM_EVERY == 0
            check = self._unchecked_bytes >= self.max_bytes // CHECK_FRACTION
            if check:
                self._unchecked_bytes = 0
        if rotate:
            self.rotate_all()
        if check or rotate:
            self.trim_bytes()

    def size_bytes(self) -> int:
        """Bytes of the live database pages (what the file shrinks to after a vacuum and checkpoint)."""
        conn = self._conn()
        pages = conn.execute("PRAGMA page_count").fetchone()[0] - conn.execute("PRAGMA freelist_count").fetchone()[0]
        return int(pages * conn.execute("PRAGMA page_size").fetchone()[0])

    def trim_bytes(self) -> None:
        """Over :data:`TRIM_AT` of ``max_bytes``: drop the oldest rows down to :data:`TRIM_TO` and shrink the file."""
        conn = self._conn()
        deleted = False
        for _ in range(4):  # the first estimate ignores page slack; a second pass settles it
            size = self.size_bytes()
            if size <= self.max_bytes * TRIM_AT:
                break
            (rows,) = conn.execute("SELECT COUNT(*) FROM predictions").fetchone()
            drop = max(1, math.ceil(rows * (1 - self.max_bytes * TRIM_TO / size)))
            conn.execute("DELETE FROM predictions WHERE id IN (SELECT id FROM predictions ORDER BY id LIMIT ?)",
                         (drop,))
            deleted = True
        if deleted:
            conn.execute("PRAGMA incremental_vacuum").fetchall()
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()

    def rotate(self, model: str) -> None:
        """Drop the oldest rows of ``model`` beyond ``max_rows``."""
        self._conn().execute(
            "DELETE FROM predictions WHERE model=? AND id <= (SELECT id FROM predictions WHERE model=? "
            "ORDER BY id DESC LIMIT 1 OFFSET ?)",
            (model, model, self.max_rows),
        )

    def models(self) -> list[str]:
        """Models that have logged predictions."""
        return [m for (m,) in self._conn().execute("SELECT DISTINCT model FROM predictions ORDER BY model")]

    def rotate_all(self) -> None:
        """Bound every model's rows (a rarely used model is trimmed too, not only the one just written)."""
        for model in self.models():
            self.rotate(model)

    def recent(self, model: str, since_s: float | None = None, limit: int = 50_000) -> list[dict[str, Any]]:
        """Recent logged predictions of ``model``, newest last."""
        since = time.time() - since_s if since_s else 0.0
        rows = self._conn().execute(
            "SELECT ts, version, inputs, outputs FROM predictions WHERE model=? AND ts>=? "
            "ORDER BY id DESC LIMIT ?",
            (model, since, limit),
        ).fetchall()
        return [{"ts": ts, "version": v, "inputs": json.loads(i), "outputs": json.loads(o)}
                for ts, v, i, o in reversed(rows)]
