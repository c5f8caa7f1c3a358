"""Cache contract and the fail-safe wrapper used by the prediction routes."""

from __future__ import annotations

import hashlib
import json
import logging
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any

from nivesh_ml.config import Settings

log = logging.getLogger(__name__)


class Cache(ABC):
    """Key → JSON-serialisable value, with expiry."""

    backend: str

    @abstractmethod
    def get(self, key: str) -> Any | None:
        """The cached value or ``None``."""

    @abstractmethod
    def set(self, key: str, value: Any, ttl_s: int) -> None:
        """Store a value."""

    @abstractmethod
    def delete_prefix(self, prefix: str) -> None:
        """Drop every key starting with ``prefix`` (invalidation)."""


def cache_key(kind: str, model_version: str, payload: Any) -> str:
    """Key from model version + normalised input: same model, same input → same key."""
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return f"{kind}:{model_version}:{hashlib.sha256(canonical.encode()).hexdigest()[:32]}"


Event = Callable[[str, str], None]  # (kind, outcome: hit|miss|error)


class SafeCache:
    """Wraps a backend so that a cache failure is logged and counted, never raised."""

    def __init__(self, backend: Cache | None, ttl_s: int, on_event: Event | None = None) -> None:
        self.backend = backend
        self.ttl_s = ttl_s
        self.on_event = on_event or (lambda kind, outcome: None)

    @property
    def name(self) -> str:
        return self.backend.backend if self.backend else "none"

    def get(self, kind: str, key: str) -> Any | None:
        if self.backend is None:
            return None
        try:
            value = self.backend.get(key)
        except Exception as exc:
            log.warning("cache get failed: %s", type(exc).__name__)
            self.on_event(kind, "error")
            return None
        self.on_event(kind, "hit" if value is not None else "miss")
        return value

    def set(self, kind: str, key: str, value: Any) -> None:
        if self.backend is None:
            return
        try:
            self.backend.set(key, value, self.ttl_s)
        except Exception as exc:
            log.warning("cache set failed: %s", type(exc).__name__)
            self.on_event(kind, "error")

    def invalidate(self, prefix: str) -> None:
        if self.backend is None:
            return
        try:
            self.backend.delete_prefix(prefix)
        except Exception as exc:
            log.warning("cache invalidation failed: %s", type(exc).__name__)
            self.on_event("invalidate", "error")


def create_cache(settings: Settings) -> Cache | None:
    """The backend chosen by settings (``None`` when caching is off)."""
    kind = settings.cache_backend
    if kind == "none":
        return None
    if kind == "redis":
        from nivesh_ml.cache.redis_cache import RedisCache

        if not settings.redis_url:
            raise ValueError("cache.type is redis but NIVESH_REDIS_URL is not set")
        return RedisCache(settings.redis_url)
    from nivesh_ml.cache.memory import MemoryCache

    return MemoryCache(settings.cache.max_items)
