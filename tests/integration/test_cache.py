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


@pytest.fixture(params=["memory", "redis"])
def safe(request: pytest.FixtureRequest) -> SafeCache:
    backend: Cache = MemoryCache(max_items=100) if request.param == "memory" \
        else RedisCache(request.getfixturevalue("clean_redis"))
    return SafeCache(backend, 60)


def _remember(safe: SafeCache, user_id: str, value: dict[str, int]) -> None:
    key = safe.key("spending", "3", {"months": 6}, user_id)
    assert key is not None
    safe.set("spending", key, value)


def _recall(safe: SafeCache, user_id: str) -> dict[str, int] | None:
    key = safe.key("spending", "3", {"months": 6}, user_id)
    assert key is not None
    hit: dict[str, int] | None = safe.get("spending", key)
    return hit


def test_invalidating_a_user_drops_only_theirs(safe: SafeCache) -> None:
    _remember(safe, "u1", {"x": 1})
    _remember(safe, "u2", {"x": 2})
    safe.invalidate_user("u1")
    assert _recall(safe, "u1") is None
    assert _recall(safe, "u2") == {"x": 2}
    _remember(safe, "u1", {"x": 3})  # the new generation caches again
    assert _recall(safe, "u1") == {"x": 3}


@pytest.mark.parametrize("wild", ["*", "u*", "?", "[u]*", "u1:", ""])
def test_glob_characters_in_a_user_id_touch_no_one_else(safe: SafeCache, wild: str) -> None:
    for user in ("u1", "u2", "u10"):
        _remember(safe, user, {"user": int(user[1:])})
    _remember(safe, wild, {"user": -1})
    safe.invalidate_user(wild)
    assert _recall(safe, wild) is None
    assert [_recall(safe, u) for u in ("u1", "u2", "u10")] == [{"user": 1}, {"user": 2}, {"user": 10}]


def test_invalidating_a_kind_drops_its_entries_only(safe: SafeCache) -> None:
    key_i = safe.key("intent", "3", {"query": "hi"})
    key_c = safe.key("credit", "3", {"age": 30})
    assert key_i and key_c
    safe.set("intent", key_i, {"intent": "greeting"})
    safe.set("credit", key_c, {"p": 0.1})
    safe.invalidate("intent:")
    new_i = safe.key("intent", "3", {"query": "hi"})
    assert new_i and new_i != key_i and safe.get("intent", new_i) is None
    assert safe.get("credit", safe.key("credit", "3", {"age": 30}) or "") == {"p": 0.1}


def test_redis_keys_hold_no_user_id_and_invalidation_scans_nothing(clean_redis: str) -> None:
    import redis

    safe = SafeCache(RedisCache(clean_redis), 60)
    _remember(safe, "alice@example.com", {"x": 1})
    client = redis.Redis.from_url(clean_redis, decode_responses=True)
    before = client.info("commandstats")
    safe.invalidate_user("alice@example.com")
    after = client.info("commandstats")
    assert after.get("cmdstat_scan", {}).get("calls", 0) == before.get("cmdstat_scan", {}).get("calls", 0)
    assert after.get("cmdstat_keys", {}).get("calls", 0) == before.get("cmdstat_keys", {}).get("calls", 0)
    assert client.keys("*") and not any("alice" in key for key in client.keys("*"))
    assert _recall(safe, "alice@example.com") is None


def test_ner_responses_never_reach_redis(clean_redis: str) -> None:
    import redis

    safe = SafeCache(RedisCache(clean_redis), 60, private=MemoryCache(max_items=10))
    key = safe.key("ner", "3", {"text": "paid Rs 5,000 to Ramesh"})
    assert key is not None
    safe.set("ner", key, {"entities": [{"text": "Ramesh", "label": "MERCHANT"}]})
    assert safe.get("ner", key) == {"entities": [{"text": "Ramesh", "label": "MERCHANT"}]}
    client = redis.Redis.from_url(clean_redis, decode_responses=True)
    assert not any("Ramesh" in (client.get(k) or "") for k in client.keys("*") if client.type(k) == "string")
    no_private = SafeCache(RedisCache(clean_redis), 60)  # a shared backend and no private cache: not cached
    assert no_private.key("ner", "3", {"text": "x"}) is None


def test_memory_cache_stays_within_its_byte_bound() -> None:
    cache = MemoryCache(max_items=10_000, max_bytes=20_000)
    for i in range(500):
        cache.set(f"k{i}", {"text": "x" * (i % 300), "i": i}, 60)
        assert cache.bytes <= 20_000
    assert cache.get("k499") == {"text": "x" * 199, "i": 499}  # the newest stay
    assert cache.get("k0") is None
    cache.set("huge", "y" * 50_000, 60)  # larger than the whole cache: not kept, nothing else lost
    assert cache.get("huge") is None and cache.get("k499") is not None


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
