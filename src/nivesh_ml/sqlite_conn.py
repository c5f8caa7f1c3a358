"""SQLite connections for the embedded stores: WAL, autocommit, schema applied on open."""

from __future__ import annotations

import sqlite3
from pathlib import Path


def open_wal(path: Path, schema: str, timeout_s: float) -> sqlite3.Connection:
    """Open (creating) a WAL-mode database in autocommit mode and apply ``schema``.

    ``synchronous=NORMAL``: a commit does not wait for fsync; WAL stays consistent and a power cut loses at
    most the last few writes, which embedded profiles and the prediction log can afford.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, timeout=timeout_s, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.executescript(schema)
    return conn
