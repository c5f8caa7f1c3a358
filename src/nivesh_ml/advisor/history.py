"""Chat history per (user, session): SQLite by default, Redis when configured; trimmed and expiring."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nivesh_ml.config import Settings
from nivesh_ml.errors import UpstreamUnavailable


@dataclass(frozen=True)
class Message:
    """One chat message (already redacted)."""

    role: str  # "user" or "assistant"
    content: str

    def as_dict(self) -> dict[str, str]:
        return {"role": self.role, "content": self.content}


def trim(messages: list[Message], max_turns: int, max_chars: int) -> list[Message]:
    """Keep the newest messages within ``max_turns`` user/assistant pairs and ``max_chars`` characters."""
    kept = messages[-2 * max_turns:]
    total = sum(len(m.content) for m in kept)
    while kept and total > max_chars:
        total -= len(kept[0].content)
        kept = kept[1:]
    while kept and kept[0].role != "user":  # a conversation restarts on a user message
        kept = kept[1:]
    return kept


class ChatHistory(ABC):
    """Stores the recent messages of each chat session."""

    def __init__(self, max_turns: int, max_chars: int, ttl_s: int) -> None:
        self.max_turns = max_turns
        self.max_chars = max_chars
        self.ttl_s = ttl_s

    @abstractmethod
    def get(self, user_id: str, session_id: str) -> list[Message]:
        """The session's messages, oldest first (empty when unknown or expired)."""

    @abstractmethod
    def _put(self, user_id: str, session_id: str, messages: list[Message]) -> None:
        """Replace the session's messages and refresh its expiry."""

    def append(self, user_id: str, session_id: str, *new: Message) -> list[Message]:
        """Add messages to a session, trim it and refresh its expiry."""
        messages = trim(self.get(user_id, session_id) + list(new), self.max_turns, self.max_chars)
        self._put(user_id, session_id, messages)
        return messages

    @abstractmethod
    def clear(self, user_id: str, session_id: str) -> None:
        """Forget a session."""


def _encode(messages: list[Message]) -> str:
    return json.dumps([m.as_dict() for m in messages], ensure_ascii=False)


def _decode(raw: str | None) -> list[Message]:
    return [Message(m["role"], m["content"]) for m in json.loads(raw)] if raw else []


class SQLiteHistory(ChatHistory):
    """One row per session in a local SQLite file."""

    def __init__(self, path: Path, max_turns: int, max_chars: int, ttl_s: int) -> None:
        super().__init__(max_turns, max_chars, ttl_s)
        self.path = path
        self._local = threading.local()
        self._writes = 0

    def _conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.path, timeout=10)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")  # chat history may lose the last turn on power loss
            conn.execute("CREATE TABLE IF NOT EXISTS chat (user_id TEXT, session_id TEXT, messages TEXT, "
                         "expires_at REAL, PRIMARY KEY (user_id, session_id))")
            self._local.conn = conn
        return conn

    def get(self, user_id: str, session_id: str) -> list[Message]:
        row = self._conn().execute("SELECT messages, expires_at FROM chat WHERE user_id=? AND session_id=?",
                                   (user_id, session_id)).fetchone()
        if row is None or row[1] < time.time():
            return []
        return _decode(row[0])

    def _put(self, user_id: str, session_id: str, messages: list[Message]) -> None:
        conn = self._conn()
        with conn:
            conn.execute("INSERT OR REPLACE INTO chat VALUES (?, ?, ?, ?)",
                         (user_id, session_id, _encode(messages), time.time() + self.ttl_s))
            self._writes += 1
            if self._writes % 100 == 1:  # purge expired sessions now and then
                conn.execute("DELETE FROM chat WHERE expires_at < ?", (time.time(),))

    def clear(self, user_id: str, session_id: str) -> None:
        conn = self._conn()
        with conn:
            conn.execute("DELETE FROM chat WHERE user_id=? AND session_id=?", (user_id, session_id))


class RedisHistory(ChatHistory):
    """One key per session (JSON list of messages) with a TTL."""

    def __init__(self, url: str, max_turns: int, max_chars: int, ttl_s: int, prefix: str = "nivesh:chat") -> None:
        super().__init__(max_turns, max_chars, ttl_s)
        self.url = url
        self.prefix = prefix

    def _client(self) -> Any:
        from nivesh_ml.redis_conn import redis_client

        return redis_client(self.url)

    def _key(self, user_id: str, session_id: str) -> str:
        return f"{self.prefix}:{user_id}:{session_id}"

    def get(self, user_id: str, session_id: str) -> list[Message]:
        from nivesh_ml.redis_conn import RedisError

        try:
            return _decode(self._client().get(self._key(user_id, session_id)))
        except RedisError as exc:
            raise UpstreamUnavailable(f"chat history unavailable: {type(exc).__name__}") from exc

    def _put(self, user_id: str, session_id: str, messages: list[Message]) -> None:
        from nivesh_ml.redis_conn import RedisError

        try:
            self._client().set(self._key(user_id, session_id), _encode(messages), ex=self.ttl_s)
        except RedisError as exc:
            raise UpstreamUnavailable(f"chat history unavailable: {type(exc).__name__}") from exc

    def clear(self, user_id: str, session_id: str) -> None:
        self._client().delete(self._key(user_id, session_id))


def create_history(settings: Settings) -> ChatHistory:
    """Redis history when ``NIVESH_REDIS_URL`` is set, else SQLite under the var dir."""
    cfg = settings.advisor
    if settings.redis_url:
        return RedisHistory(settings.redis_url, cfg.history_max_turns, cfg.history_max_chars,
                            cfg.history_ttl_seconds)
    return SQLiteHistory(settings.var_dir / "advisor" / "chat.db", cfg.history_max_turns, cfg.history_max_chars,
                         cfg.history_ttl_seconds)
