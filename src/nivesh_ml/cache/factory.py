"""The prediction cache chosen by settings; the one module that knows every backend (the base knows none)."""

from __future__ import annotations

from nivesh_ml.cache.base import Cache, Event, SafeCache
from nivesh_ml.config import Settings


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

    return MemoryCache(settings.cache.max_items, settings.cache.max_bytes)


def create_safe_cache(settings: Settings, on_event: Event | None = None) -> SafeCache:
    """The worker's cache: the configured backend, plus an in-process one for private kinds."""
    from nivesh_ml.cache.memory import MemoryCache

    backend = create_cache(settings)
    private = None
    if backend is not None and backend.backend != "memory":
        private = MemoryCache(settings.cache.max_items, settings.cache.max_bytes)
    return SafeCache(backend, settings.cache.ttl_seconds, on_event, private)
