"""One contract suite, run against every online-store backend (SQLite and a real Redis)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from nivesh_ml.features.redis_store import RedisStore
from nivesh_ml.features.sqlite_store import SQLiteStore
from nivesh_ml.features.store import OnlineStore

pytestmark = pytest.mark.integration


@pytest.fixture(params=["sqlite", "redis"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[OnlineStore]:
    if request.param == "sqlite":
        backend: OnlineStore = SQLiteStore(tmp_path / "fs.db")
    else:
        backend = RedisStore(request.getfixturevalue("clean_redis"))
    yield backend
    backend.close()


def test_put_get_delete(store: OnlineStore) -> None:
    assert store.get("profile", "u1") is None
    store.put("profile", "u1", {"n": 1, "cats": {"food": 2.5}})
    assert store.get("profile", "u1") == {"n": 1, "cats": {"food": 2.5}}
    store.delete("profile", "u1")
    assert store.get("profile", "u1") is None


def test_namespaces_are_separate(store: OnlineStore) -> None:
    store.put("a", "k", {"v": 1})
    store.put("b", "k", {"v": 2})
    assert store.get("a", "k") == {"v": 1} and store.get("b", "k") == {"v": 2}


def test_batch_read_returns_none_for_missing(store: OnlineStore) -> None:
    for i in range(5):
        store.put("p", f"u{i}", {"i": i})
    got = store.get_many("p", ["u0", "u3", "nobody"])
    assert got == {"u0": {"i": 0}, "u3": {"i": 3}, "nobody": None}


def test_ttl_expires(store: OnlineStore) -> None:
    store.put("p", "short", {"x": 1}, ttl_s=1)
    store.put("p", "long", {"x": 2}, ttl_s=100)
    assert store.get("p", "short") == {"x": 1}
    time.sleep(1.3)
    assert store.get("p", "short") is None
    assert store.get("p", "long") == {"x": 2}
    assert list(store.keys("p")) == ["long"]


def test_update_is_atomic_under_concurrency(store: OnlineStore) -> None:
    def bump(_: int) -> None:
        store.update("counter", "u1", lambda cur: {"n": (cur or {"n": 0})["n"] + 1})

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(bump, range(200)))
    assert store.get("counter", "u1") == {"n": 200}


def test_update_decided_on_stale_records_is_decided_again(store: OnlineStore, tmp_path: Path,
                                                         request: pytest.FixtureRequest) -> None:
    """A writer that came in between the read and the write is not overwritten: ``fn`` runs again on what it
    wrote (SQLite decides outside the write lock, Redis between WATCH and EXEC)."""
    other: OnlineStore = SQLiteStore(tmp_path / "fs.db") if isinstance(store, SQLiteStore) \
        else RedisStore(request.getfixturevalue("clean_redis"))
    store.put("p", "u1", {"n": 1, "by": []})
    calls: list[dict[str, object] | None] = []

    def add_mine(cur: dict[str, object] | None) -> dict[str, object]:
        calls.append(cur)
        if len(calls) == 1:  # another process writes after our read, before our write
            other.put("p", "u1", {"n": 10, "by": ["other"]})
        assert cur is not None
        return {"n": int(str(cur["n"])) + 1, "by": [*list(cur["by"]), "me"]}  # type: ignore[call-overload]

    store.update("p", "u1", add_mine)
    other.close()
    assert [c["n"] for c in calls if c] == [1, 10]
    assert store.get("p", "u1") == {"n": 11, "by": ["other", "me"]}


def test_update_exception_leaves_record_unchanged(store: OnlineStore) -> None:
    store.put("p", "u1", {"n": 1})

    def broken(_: object) -> dict[str, int]:
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        store.update("p", "u1", broken)
    assert store.get("p", "u1") == {"n": 1}


def test_keys_and_ping(store: OnlineStore) -> None:
    for key in ("b", "a", "c"):
        store.put("ns", key, {})
    assert list(store.keys("ns")) == ["a", "b", "c"]
    assert store.ping()


def test_redis_down_is_reported_by_ping() -> None:
    assert RedisStore("redis://127.0.0.1:1/0").ping() is False
