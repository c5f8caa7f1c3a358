"""SQLite connections for the embedded stores: WAL, autocommit, schema applied on open."""

from __future__ import annotations

import sqlite3
from contextlib import suppress
from pathlib import Path


def open_wal(path: Path, schema: str, timeout_s: float, incremental_vacuum: bool = False) -> sqlite3.Connection:
    """Open (creating) a WAL-mode database in autocommit mode and apply ``schema``.

    ``timeout_s`` bounds every wait for a lock (SQLite's busy handler); past it SQLite raises
    ``OperationalError: database is locked``. ``synchronous=NORMAL``: a commit does not wait for fsync; WAL stays
    consistent and a power cut loses at most the last few writes, which embedded profiles and the prediction log
    can afford. ``incremental_vacuum``: freed pages can be returned to the file system
    (``PRAGMA incremental_vacuum``), so deleting rows really shrinks the file; an existing database without it is
    converted once (``VACUUM``) when no one else holds it.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, timeout=timeout_s, isolation_level=None, check_same_thread=False)
    if incremental_vacuum:
        conn.execute("PRAGMA auto_vacuum=INCREMENTAL")  # takes effect on a new file, before any table
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.executescript(schema)
    if incremental_vacuum and conn.execute("PRAGMA auto_vacuum").fetchone()[0] != 2:
        # An older file: rewrite it once with the new setting. Busy: again on the next open (trimming still
        # bounds the rows meanwhile).
        with suppress(sqlite3.OperationalError):
            conn.execute("VACUUM")
    return conn
