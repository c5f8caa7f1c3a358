"""Redis connections shared by the Redis backends (feature store, cache, chat history)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import redis

RedisError = redis.RedisError
WatchError = redis.WatchError
# What a Redis outage raises (as opposed to a bug such as a wrong-type command): callers map these to a 503.
UNAVAILABLE_ERRORS: tuple[type[Exception], ...] = (
    redis.ConnectionError, redis.TimeoutError, redis.exceptions.BusyLoadingError,
    redis.exceptions.ReadOnlyError, redis.exceptions.ClusterDownError, redis.exceptions.TryAgainError,
)


@lru_cache(maxsize=8)
def redis_client(url: str, timeout_s: float = 2.0) -> Any:
    """A pooled client for ``url`` (created lazily, cached per URL)."""
    return redis.Redis.from_url(url, socket_timeout=timeout_s, socket_connect_timeout=timeout_s,
                                health_check_interval=30, decode_responses=True)
