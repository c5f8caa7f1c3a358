"""The prediction cache through the real HTTP app: hits on repeats, bypass when Redis is down."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from nivesh_ml.config import Settings
from nivesh_ml.serving.app import create_app
from tests.integration.test_credit_api import APPLICANT, TINY
from tests.promoted import promoted_home

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return promoted_home(tmp_path_factory, "credit", TINY)[0]


def _count(metrics: str, outcome: str) -> float:
    match = re.search(rf'nivesh_cache_events_total{{kind="credit",outcome="{outcome}"}} ([0-9.]+)', metrics)
    return float(match.group(1)) if match else 0.0


@pytest.mark.parametrize("backend", ["memory", "redis"])
def test_repeated_request_is_a_cache_hit(home: Path, backend: str, request: pytest.FixtureRequest) -> None:
    extra = {"redis_url": request.getfixturevalue("clean_redis"), "feature_store": {"type": "sqlite"}} \
        if backend == "redis" else {}
    settings = Settings(home=home, **extra)
    assert settings.cache_backend == backend
    with TestClient(create_app(settings)) as client:
        first = client.post("/predict/credit-risk", json={"applicant_data": APPLICANT})
        second = client.post("/predict/credit-risk", json={"applicant_data": APPLICANT})
        assert first.status_code == second.status_code == 200
        assert first.json() == second.json()
        metrics = client.get("/metrics").text
    assert _count(metrics, "miss") == 1 and _count(metrics, "hit") == 1


def test_requests_succeed_when_redis_cache_is_down(home: Path) -> None:
    settings = Settings(home=home, redis_url="redis://127.0.0.1:1/0", feature_store={"type": "sqlite"})
    assert settings.cache_backend == "redis"
    with TestClient(create_app(settings)) as client:
        for _ in range(2):
            response = client.post("/predict/credit-risk", json={"applicant_data": APPLICANT})
            assert response.status_code == 200
            assert 0 < response.json()["default_probability"] < 1
        metrics = client.get("/metrics").text
    assert _count(metrics, "error") >= 2 and _count(metrics, "hit") == 0
