"""Cache contract on the in-process LRU and a real Redis; a broken cache never fails a request."""

from __future__ import annotations

import time

import pytest

from nivesh_ml.cache.base import Cache, SafeCache, cache_key
from nivesh_ml.cache.memory import MemoryCache
from nivesh_ml.cache.redis_cache import RedisCache

pytestmark = pytest.mark.integration


@pytest.fixture(params=["memory", "redis"])
def cache(request: pytest.FixtureRequest) -> Cache:
    if request.param == "memory":
        return MemoryCache(max_items=100)
    return RedisCache(request.getfixturevalue("clean_redis"))


def test_set_get_expire(cache: Cache) -> None:
    cache.set("k1", {"a": [1, 2]}, ttl_s=1)
    assert cache.get("k1") == {"a": [1, 2]}
    time.sleep(1.2)
    assert cache.get("k1") is None


def test_delete_prefix(cache: Cache) -> None:
    cache.set("spending:u=u1:3:aa", {"x": 1}, 60)
    cache.set("spending:u=u2:3:bb", {"x": 2}, 60)
    cache.delete_prefix("spending:u=u1:")
    assert cache.get("spending:u=u1:3:aa") is None
    assert cache.get("spending:u=u2:3:bb") == {"x": 2}


def test_key_depends_on_version_and_normalised_input() -> None:
    a = cache_key("intent", "3", {"query": "hi", "k": 1})
    assert a == cache_key("intent", "3", {"k": 1, "query": "hi"})
    assert a != cache_key("intent", "4", {"query": "hi", "k": 1})


def test_memory_cache_evicts_least_recently_used() -> None:
    cache = MemoryCache(max_items=2)
    cache.set("a", 1, 60)
    cache.set("b", 2, 60)
    cache.get("a")
    cache.set("c", 3, 60)
    assert cache.get("b") is None and cache.get("a") == 1


def test_safe_cache_bypasses_dead_redis() -> None:
    events: list[tuple[str, str]] = []
    safe = SafeCache(RedisCache("redis://127.0.0.1:1/0"), 60, lambda k, o: events.append((k, o)))
    assert safe.get("intent", "k") is None
    safe.set("intent", "k", {"v": 1})
    safe.invalidate("intent:")
    assert ("intent", "error") in events
