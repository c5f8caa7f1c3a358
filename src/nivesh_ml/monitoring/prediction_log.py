"""Append-only, bounded log of predictions (inputs with PII masked, outputs, model version)."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

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


def _mask(value: Any) -> Any:
    if isinstance(value, str):
        return mask_pii(value)[0]
    if isinstance(value, dict):
        return {k: _mask(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_mask(v) for v in value]
    return value


class PredictionLog:
    """SQLite under ``var/``; the oldest rows are dropped beyond ``max_rows`` per model."""

    def __init__(self, path: Path, max_rows: int, enabled: bool = True) -> None:
        self.path = Path(path)
        self.max_rows = max_rows
        self.enabled = enabled
        self._local = threading.local()
        self._writes = 0

    def _conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = open_wal(self.path, _SCHEMA, timeout_s=30)
            self._local.conn = conn
        return conn

    def append(self, model: str, version: str, inputs: dict[str, Any], outputs: dict[str, Any]) -> None:
        """Record one prediction; personal identifiers in string values are masked first."""
        if not self.enabled:
            return
        conn = self._conn()
        conn.execute(
            "INSERT INTO predictions(ts, model, version, inputs, outputs) VALUES (?,?,?,?,?)",
            (time.time(), model, version, json.dumps(_mask(inputs), default=str),
             json.dumps(_mask(outputs), default=str)),
        )
        self._writes += 1
        if self._writes % 1000 == 0:
            self.rotate_all()

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
