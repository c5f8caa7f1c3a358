"""Redis prediction cache, shared by server replicas."""

from __future__ import annotations

import json
from typing import Any

from nivesh_ml.cache.base import Cache
from nivesh_ml.redis_conn import redis_client


class RedisCache(Cache):
    backend = "redis"

    def __init__(self, url: str, prefix: str = "nivesh:cache") -> None:
        self.url = url
        self.prefix = prefix

    def get(self, key: str) -> Any | None:
        raw = redis_client(self.url, 0.5).get(f"{self.prefix}:{key}")
        return json.loads(raw) if raw else None

    def set(self, key: str, value: Any, ttl_s: int) -> None:
        redis_client(self.url, 0.5).set(f"{self.prefix}:{key}", json.dumps(value, default=str), ex=ttl_s)

    def delete_prefix(self, prefix: str) -> None:
        client = redis_client(self.url, 0.5)
        keys = list(client.scan_iter(match=f"{self.prefix}:{prefix}*", count=1000))
        if keys:
            client.delete(*keys)
