"""Opening the embedded SQLite stores: a journal-mode switch that races another connection waits, within the bound."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from nivesh_ml.sqlite_conn import open_wal

SCHEMA = "CREATE TABLE IF NOT EXISTS t (a)"


def hold_read_lock(path: Path) -> sqlite3.Connection:
    """Another connection in a read transaction on a not-yet-WAL file: SQLite refuses the switch at once."""
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    other.executescript(SCHEMA)
    other.execute("BEGIN")
    other.execute("SELECT * FROM t").fetchall()
    return other


def test_wal_switch_waits_for_a_reader_to_finish(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    other = hold_read_lock(path)
    threading.Timer(0.3, other.rollback).start()
    conn = open_wal(path, SCHEMA, timeout_s=5.0)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    other.close()


def test_wal_switch_gives_up_at_the_bound(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    other = hold_read_lock(path)
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        open_wal(path, SCHEMA, timeout_s=0.2)
    other.rollback()
    other.close()
