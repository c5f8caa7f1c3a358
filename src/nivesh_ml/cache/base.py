"""Cache contract and the fail-safe wrapper used by the prediction routes.

Invalidation is by *generation*: every key embeds the current generation of its kind and, for per-user
results, of its user; invalidating bumps one small generation record, O(1), and entries keyed with the old
generation are never read again (they expire on their TTL). User ids enter keys only as a SHA-256 digest,
so no character of a user id (``*``, ``:``, ``?``) can reach another user's entries, and nothing scans the
cache. A request that computed from old data while an invalidation happened stores its result under the
old generation, where no one reads it: no stale write-back race.

Responses of :data:`PRIVATE_KINDS` (NER: the entities are spans of the caller's raw text) are cached only in
the worker's memory, never in a shared Redis.
"""

from __future__ import annotations

import hashlib
import json
import logging
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from typing import Any, Final

log = logging.getLogger(__name__)

PRIVATE_KINDS: Final[frozenset[str]] = frozenset({"ner"})
NO_GENERATION: Final = "0"  # a scope never invalidated (or whose generation record expired)


class Cache(ABC):
    """Key → JSON-serialisable value, with expiry, and generation records for invalidation."""

    backend: str

    @abstractmethod
    def get(self, key: str) -> Any | None:
        """The cached value or ``None``."""

    @abstractmethod
    def set(self, key: str, value: Any, ttl_s: int) -> None:
        """Store a value."""

    @abstractmethod
    def generations(self, scopes: Sequence[str]) -> list[str]:
        """The current generation of each scope (:data:`NO_GENERATION` for one never invalidated)."""

    @abstractmethod
    def new_generation(self, scope: str, ttl_s: int) -> None:
        """Start a new generation of ``scope``: every entry keyed with an older one is unreachable.

        The record lives at least ``ttl_s`` (the entries' TTL), so a generation never comes back while
        entries keyed with it are alive.
        """


def digest(text: str) -> str:
    """A fixed-alphabet stand-in for caller-chosen text in keys (hex SHA-256, 128 bits)."""
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def kind_scope(kind: str) -> str:
    return f"k:{digest(kind)}"


def user_scope(user_id: str) -> str:
    return f"u:{digest(user_id)}"


def cache_key(kind: str, model_version: str, payload: Any) -> str:
    """Key from model version + normalised input: same model, same input → same key."""
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return f"{kind}:{model_version}:{hashlib.sha256(canonical.encode()).hexdigest()[:32]}"


Event = Callable[[str, str], None]  # (kind, outcome: hit|miss|error)


class SafeCache:
    """Wraps a backend so that a cache failure is logged and counted, never raised.

    ``private`` caches :data:`PRIVATE_KINDS` (defaults to ``backend`` when that is in-process; with a shared
    backend and no ``private`` those kinds are not cached at all).
    """

    def __init__(self, backend: Cache | None, ttl_s: int, on_event: Event | None = None,
                 private: Cache | None = None) -> None:
        self.backend = backend
        self.private = private if private is not None else (
            backend if backend is not None and backend.backend == "memory" else None)
        self.ttl_s = ttl_s
        self.on_event = on_event or (lambda kind, outcome: None)

    @property
    def name(self) -> str:
        return self.backend.backend if self.backend else "none"

    def _for(self, kind: str) -> Cache | None:
        return self.private if kind in PRIVATE_KINDS else self.backend

    def _backends(self) -> list[Cache]:
        return [b for b in {id(b): b for b in (self.backend, self.private) if b is not None}.values()]

    def key(self, kind: str, model_version: str, payload: Any, user_id: str | None = None) -> str | None:
        """The key of a prediction under the current generations (``None``: do not cache this time)."""
        backend = self._for(kind)
        if backend is None:
            return None
        scopes = [kind_scope(kind)] + ([user_scope(user_id)] if user_id is not None else [])
        try:
            gens = backend.generations(scopes)
        except Exception as exc:
            log.warning("cache generation read failed: %s", type(exc).__name__)
            self.on_event(kind, "error")
            return None
        user = f":u={digest(user_id)}" if user_id is not None else ""
        return cache_key(f"{kind}{user}:g={'.'.join(gens)}", model_version, payload)

    def get(self, kind: str, key: str) -> Any | None:
        backend = self._for(kind)
        if backend is None:
            return None
        try:
            value = backend.get(key)
        except Exception as exc:
            log.warning("cache get failed: %s", type(exc).__name__)
            self.on_event(kind, "error")
            return None
        self.on_event(kind, "hit" if value is not None else "miss")
        return value

    def set(self, kind: str, key: str, value: Any) -> None:
        backend = self._for(kind)
        if backend is None:
            return
        try:
            backend.set(key, value, self.ttl_s)
        except Exception as exc:
            log.warning("cache set failed: %s", type(exc).__name__)
            self.on_event(kind, "error")

    def _new_generation(self, scope: str) -> None:
        for backend in self._backends():
            try:
                backend.new_generation(scope, self.ttl_s)
            except Exception as exc:
                log.warning("cache invalidation failed: %s", type(exc).__name__)
                self.on_event("invalidate", "error")

    def invalidate(self, prefix: str) -> None:
        """Drop every cached result of a kind (``"intent"``; a trailing ``":"`` is accepted)."""
        self._new_generation(kind_scope(prefix.split(":", 1)[0]))

    def invalidate_user(self, user_id: str) -> None:
        """Drop every cached per-user result of ``user_id`` (and only theirs)."""
        self._new_generation(user_scope(user_id))
