"""Rate limits over the real app: per-key advice rate, per-client fallback, in-flight cap; the Redis counter."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from nivesh_ml.config import Settings
from nivesh_ml.redis_conn import redis_client
from nivesh_ml.serving.app import create_app
from nivesh_ml.serving.limits import RedisWindowLimiter, SlidingWindowLimiter

pytestmark = pytest.mark.integration
ADVICE = {"user_id": "u1", "message": "How does ELSS save tax?"}
NOW = 1_700_000_010.0  # a frozen clock: a first advice call can take a minute on a busy machine (model load)


def _frozen(app: FastAPI) -> FastAPI:
    """The app's own limiter, with its clock stopped so that the test does not depend on request latency."""
    limiter = app.state.advice_limiter
    limiter.clock = lambda: NOW
    return app


@pytest.fixture
def keyed_client(tmp_path: Path) -> Iterator[TestClient]:
    settings = Settings(home=tmp_path / "var", api_keys=["key-a", "key-b"], server={"advice_rate_per_minute": 2})
    with TestClient(_frozen(create_app(settings, load_models=False)), raise_server_exceptions=False) as client:
        yield client


def _assert_429(response: object) -> None:
    assert response.status_code == 429, response.text  # type: ignore[attr-defined]
    retry_after = int(response.headers["Retry-After"])  # type: ignore[attr-defined]
    assert 1 <= retry_after <= 60
    error = response.json()["error"]  # type: ignore[attr-defined]
    assert error["code"] == "rate_limited" and error["details"]["retry_after_s"] == retry_after


def test_advice_limit_answers_429_with_retry_after(keyed_client: TestClient) -> None:
    headers = {"X-API-Key": "key-a"}
    for _ in range(2):
        assert keyed_client.post("/predict/advice", json=ADVICE, headers=headers).status_code == 200
    _assert_429(keyed_client.post("/predict/advice", json=ADVICE, headers=headers))
    metrics = keyed_client.get("/metrics").text
    assert 'nivesh_http_requests_total{method="POST",route="/predict/advice",status="429"} 1.0' in metrics


def test_keys_are_limited_independently(keyed_client: TestClient) -> None:
    for _ in range(2):
        assert keyed_client.post("/predict/advice", json=ADVICE, headers={"X-API-Key": "key-a"}).status_code == 200
    _assert_429(keyed_client.post("/predict/advice", json=ADVICE, headers={"X-API-Key": "key-a"}))
    assert keyed_client.post("/predict/advice", json=ADVICE, headers={"X-API-Key": "key-b"}).status_code == 200
    # An unauthenticated caller is refused by auth, not counted against anyone.
    assert keyed_client.post("/predict/advice", json=ADVICE).status_code == 401


def test_without_keys_the_client_address_is_limited(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "var", server={"advice_rate_per_minute": 1})
    with TestClient(_frozen(create_app(settings, load_models=False))) as client:
        assert client.post("/predict/advice", json=ADVICE, headers={"X-API-Key": "made-up-1"}).status_code == 200
        # Inventing keys does not reset the count when the server has none configured.
        _assert_429(client.post("/predict/advice", json=ADVICE, headers={"X-API-Key": "made-up-2"}))
        assert client.post("/predict/intent", json={"query": "balance"}).status_code != 429  # other routes free


def test_in_flight_cap_rejects_the_extra_request_but_not_health(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "var", server={"max_in_flight": 1})
    app = create_app(settings, load_models=False)
    entered, release = threading.Event(), threading.Event()

    def slow() -> dict[str, bool]:
        entered.set()
        release.wait(30)
        return {"done": True}

    app.add_api_route("/slow", slow)
    with TestClient(app) as client, ThreadPoolExecutor(1) as pool:
        first = pool.submit(client.get, "/slow")
        assert entered.wait(30)
        _assert_429(client.get("/models"))
        assert client.get("/health").status_code == 200  # liveness and readiness stay answerable
        release.set()
        assert first.result(30).json() == {"done": True}
        assert client.get("/models").status_code == 200  # the slot is free again


def test_sliding_window_forgets_old_hits() -> None:
    now = [1000.0]
    limiter = SlidingWindowLimiter(2, window_s=60, clock=lambda: now[0])
    assert limiter.hit("k") is None
    now[0] += 30
    assert limiter.hit("k") is None
    assert limiter.hit("k") == pytest.approx(30.0)  # the first hit leaves the window in 30 s
    now[0] += 30.5
    assert limiter.hit("k") is None


def test_sliding_window_memory_is_bounded() -> None:
    limiter = SlidingWindowLimiter(1, max_keys=100)
    for i in range(1000):
        limiter.hit(f"k{i}")
    assert len(limiter._hits) == 100


def test_redis_window_is_shared_by_workers(clean_redis: str) -> None:
    # Two limiters stand for two workers (or replicas) sharing one Redis.
    now = 1_700_000_050.0  # 10 s into a clock minute
    worker_a = RedisWindowLimiter(clean_redis, 2, "advice", clock=lambda: now)
    worker_b = RedisWindowLimiter(clean_redis, 2, "advice", clock=lambda: now)
    assert worker_a.hit("key-a") is None and worker_b.hit("key-a") is None
    assert worker_a.hit("key-a") == pytest.approx(50.0)
    assert worker_b.hit("key-b") is None
    keys = set(redis_client(clean_redis).keys("*"))
    digest = hashlib.sha256(b"key-a").hexdigest()
    assert f"nivesh:rl:advice:{digest}:{int(now // 60)}" in keys
    assert not any("key-a" in key for key in keys)  # the API key itself never reaches Redis
    assert all(0 < redis_client(clean_redis).ttl(key) <= 61 for key in keys)


def test_app_uses_redis_when_configured(tmp_path: Path, clean_redis: str) -> None:
    settings = Settings(home=tmp_path / "var", redis_url=clean_redis, server={"advice_rate_per_minute": 1})
    apps = [_frozen(create_app(settings, load_models=False)) for _ in range(2)]
    assert all(isinstance(app.state.advice_limiter, RedisWindowLimiter) for app in apps)
    with TestClient(apps[0]) as first, TestClient(apps[1]) as second:
        assert first.post("/predict/advice", json=ADVICE).status_code == 200
        _assert_429(second.post("/predict/advice", json=ADVICE))  # the other "worker" sees the same count
