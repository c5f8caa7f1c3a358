"""Redis prediction cache, shared by server replicas.

Keys: ``<prefix>:v:<key>`` for values and ``<prefix>:gen:<scope>`` for generation records (see
``cache.base``); user ids appear only as digests. Invalidation writes one generation record: no SCAN, no
pattern matching on caller-chosen text.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Sequence
from typing import Any

from nivesh_ml.cache.base import NO_GENERATION, Cache
from nivesh_ml.redis_conn import redis_client


class RedisCache(Cache):
    backend = "redis"

    def __init__(self, url: str, prefix: str = "nivesh:cache") -> None:
        self.url = url
        self.prefix = prefix

    def get(self, key: str) -> Any | None:
        raw = redis_client(self.url, 0.5).get(f"{self.prefix}:v:{key}")
        return json.loads(raw) if raw else None

    def set(self, key: str, value: Any, ttl_s: int) -> None:
        redis_client(self.url, 0.5).set(f"{self.prefix}:v:{key}", json.dumps(value, default=str), ex=ttl_s)

    def generations(self, scopes: Sequence[str]) -> list[str]:
        values = redis_client(self.url, 0.5).mget([f"{self.prefix}:gen:{scope}" for scope in scopes])
        return [v or NO_GENERATION for v in values]

    def new_generation(self, scope: str, ttl_s: int) -> None:
        # A random token, not INCR: a counter restarting after its record expired could repeat a value
        # whose entries are still alive; a fresh 64-bit token never does.
        redis_client(self.url, 0.5).set(f"{self.prefix}:gen:{scope}", secrets.token_hex(8), ex=ttl_s)
