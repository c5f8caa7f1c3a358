"""The prediction log: PII masked, bounded per model, recent rows by time window."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from nivesh_ml.monitoring.prediction_log import PredictionLog


def test_personal_identifiers_never_reach_the_log(tmp_path: Path) -> None:
    plog = PredictionLog(tmp_path / "p.db", max_rows=1000)
    plog.append("ner", "3", {"text": "call me on 9876543210", "nested": {"pan": "ABCDE1234F"}},
                {"labels": ["MONEY"]})
    raw = sqlite3.connect(tmp_path / "p.db").execute("SELECT inputs FROM predictions").fetchone()[0]
    assert "9876543210" not in raw and "ABCDE1234F" not in raw
    (row,) = plog.recent("ner")
    assert row["version"] == "3" and row["outputs"] == {"labels": ["MONEY"]}


def test_log_is_bounded_per_model_keeping_the_newest(tmp_path: Path) -> None:
    plog = PredictionLog(tmp_path / "p.db", max_rows=100)
    for i in range(999):
        plog.append("credit", "1", {"i": i}, {})
    plog.append("intent", "1", {"i": -1}, {})  # the 1000th write trims every model
    rows = plog.recent("credit")
    assert len(rows) == 100 and rows[-1]["inputs"] == {"i": 998} and rows[0]["inputs"] == {"i": 899}
    assert len(plog.recent("intent")) == 1
    assert plog.models() == ["credit", "intent"]


def test_recent_filters_by_time_window_and_disabled_log_writes_nothing(tmp_path: Path) -> None:
    plog = PredictionLog(tmp_path / "p.db", max_rows=100)
    plog.append("credit", "1", {"old": True}, {})
    conn = sqlite3.connect(tmp_path / "p.db")
    conn.execute("UPDATE predictions SET ts = ?", (time.time() - 10 * 86400,))
    conn.commit()
    plog.append("credit", "1", {"old": False}, {})
    assert [r["inputs"]["old"] for r in plog.recent("credit", since_s=7 * 86400)] == [False]
    off = PredictionLog(tmp_path / "off.db", max_rows=100, enabled=False)
    off.append("credit", "1", {}, {})
    assert not (tmp_path / "off.db").exists()


def test_log_stays_under_its_byte_cap_and_the_file_shrinks(tmp_path: Path) -> None:
    cap = 64 * 1024
    plog = PredictionLog(tmp_path / "p.db", max_rows=1_000_000, max_bytes=cap)
    for i in range(3000):  # ~900 KB of rows in all
        plog.append("intent" if i % 3 else "credit", "1", {"query": f"{i:06d}" + "x" * 250}, {"intent": "x"})
        if i % 50 == 0:
            assert plog.size_bytes() <= cap
    assert plog.size_bytes() <= cap
    assert (tmp_path / "p.db").stat().st_size <= cap  # freed pages went back to the file system
    rows = plog.recent("intent")
    assert 50 < len(rows) < 1000 and rows[-1]["inputs"]["query"].startswith("002999")  # the newest kept
