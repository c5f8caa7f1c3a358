"""SQLite connections for the embedded stores: WAL, autocommit, schema applied on open."""

from __future__ import annotations

import sqlite3
import time
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
    _ensure_wal(conn, timeout_s)
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.executescript(schema)
    if incremental_vacuum and conn.execute("PRAGMA auto_vacuum").fetchone()[0] != 2:
        # An older file: rewrite it once with the new setting. Busy: again on the next open (trimming still
        # bounds the rows meanwhile).
        with suppress(sqlite3.OperationalError):
            conn.execute("VACUUM")
    return conn


def _ensure_wal(conn: sqlite3.Connection, timeout_s: float) -> None:
    """Switch to WAL unless the file already is. SQLite answers a journal-mode change that races another
    connection's with "database is locked" at once, without its busy handler: retried here within ``timeout_s``
    (the first connection to a new file wins; the others then find it in WAL already)."""
    deadline = time.monotonic() + timeout_s
    while str(conn.execute("PRAGMA journal_mode").fetchone()[0]).lower() != "wal":
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc).lower() or time.monotonic() >= deadline:
                raise
            time.sleep(0.01)
