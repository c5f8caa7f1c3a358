"""Chat history: per user and session, trimmed to the budget, expiring; SQLite and Redis."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from nivesh_ml.advisor.history import ChatHistory, Message, RedisHistory, SQLiteHistory, create_history, trim
from nivesh_ml.config import Settings


def _turn(i: int) -> tuple[Message, Message]:
    return Message("user", f"question {i}"), Message("assistant", f"answer {i}")


def test_trim_keeps_the_newest_turns_within_budget() -> None:
    messages = [m for i in range(10) for m in _turn(i)]
    kept = trim(messages, max_turns=3, max_chars=10_000)
    assert kept[0].content == "question 7" and len(kept) == 6
    small = trim(messages, max_turns=10, max_chars=30)
    assert sum(len(m.content) for m in small) <= 30 and small[0].role == "user"


def _contract(history: ChatHistory) -> None:
    history.append("u1", "s1", *_turn(1))
    history.append("u1", "s1", *_turn(2))
    assert [m.content for m in history.get("u1", "s1")] == ["question 1", "answer 1", "question 2", "answer 2"]
    assert history.get("u2", "s1") == []  # another user cannot read the session
    for i in range(3, 10):
        history.append("u1", "s1", *_turn(i))
    assert len(history.get("u1", "s1")) == 2 * history.max_turns
    history.clear("u1", "s1")
    assert history.get("u1", "s1") == []


def test_sqlite_history(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    history = SQLiteHistory(tmp_path / "chat.db", max_turns=3, max_chars=5000, ttl_s=60)
    _contract(history)
    history.append("u1", "s2", *_turn(1))
    later = time.time() + 120
    monkeypatch.setattr(time, "time", lambda: later)
    assert history.get("u1", "s2") == []  # expired


def test_default_backend_is_sqlite(settings: Settings) -> None:
    assert isinstance(create_history(settings), SQLiteHistory)


@pytest.mark.integration
def test_redis_history(clean_redis: str) -> None:
    settings = Settings(redis_url=clean_redis)
    history = create_history(settings)
    assert isinstance(history, RedisHistory)
    history.max_turns = 3
    _contract(history)
    history.append("u1", "s3", *_turn(1))
    from nivesh_ml.redis_conn import redis_client

    ttl = redis_client(clean_redis).ttl("nivesh:chat:u1:s3")
    assert 0 < ttl <= settings.advisor.history_ttl_seconds
