"""The online store chosen by settings; the one module that knows every backend (the base knows none)."""

from __future__ import annotations

from nivesh_ml.config import Settings
from nivesh_ml.features.store import OnlineStore


def create_store(settings: Settings) -> OnlineStore:
    """The store chosen by settings (SQLite by default, Redis when configured)."""
    if settings.store_backend == "redis":
        from nivesh_ml.features.redis_store import RedisStore

        if not settings.redis_url:
            raise ValueError("feature_store.type is redis but NIVESH_REDIS_URL is not set")
        return RedisStore(settings.redis_url)
    from nivesh_ml.features.sqlite_store import SQLiteStore

    return SQLiteStore(settings.sqlite_store_path, lock_timeout_s=settings.feature_store.lock_timeout_s)
