"""Champion sync: every worker follows the registry alias (poll, Redis pub/sub); /ready tells when one lags."""

from __future__ import annotations

import json
import os
import shutil
import time
import uuid
from pathlib import Path

import pytest
import redis
from fastapi.testclient import TestClient
from pydantic import SecretStr

from nivesh_ml.config import ServerSettings, Settings
from nivesh_ml.models import get_family
from nivesh_ml.models.base import ModelMetadata
from nivesh_ml.models.credit.family import BOOSTER_FILE
from nivesh_ml.pipelines.training import TrainResult
from nivesh_ml.registry import ModelRegistry
from nivesh_ml.serving.app import create_app
from nivesh_ml.serving.champions import ChampionSync
from nivesh_ml.serving.deps import Services
from nivesh_ml.serving.metrics import Metrics
from nivesh_ml.serving.models import ModelManager
from tests.integration.test_credit_api import APPLICANT
from tests.promoted import TINY_CREDIT, private_copy, promoted_home

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def credit(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, TrainResult]:
    return promoted_home(tmp_path_factory, "credit", TINY_CREDIT)


@pytest.fixture
def home(credit: tuple[Path, TrainResult], tmp_path: Path) -> Path:
    return private_copy(credit[0], tmp_path)


def _settings(home: Path, redis_url: str | None = None, poll_s: float = 30.0,
              channel: str = ServerSettings().champion_channel) -> Settings:
    return Settings(home=home, redis_url=redis_url, admin_api_key=SecretStr("admin-key"),
                    server=ServerSettings(champion_poll_s=poll_s, champion_channel=channel))


def _register(settings: Settings, tmp_path: Path, flip: bool = False) -> str:
    """Register a copy of the promoted credit model as a new version (``flip``: damaged after save)."""
    source = next((settings.var_dir / "models" / "runs").glob("credit-*"))
    directory = tmp_path / f"credit-copy-{flip}"
    shutil.copytree(source, directory)
    if flip:
        booster = directory / BOOSTER_FILE
        data = booster.read_bytes()
        booster.write_bytes(data[:100] + bytes([data[100] ^ 0xFF]) + data[101:])
    registry = ModelRegistry(settings)
    return registry.log_model(get_family("credit"), directory, ModelMetadata.read(directory)).version


def wait_subscribed(redis_url: str, channel: str, listeners: int, timeout_s: float = 60.0) -> None:
    """Until Redis counts ``listeners`` subscribers on ``channel`` (a listener thread subscribes when it gets
    to it: a fixed sleep is too short on a loaded machine, and a message published before is lost)."""
    client = redis.Redis.from_url(redis_url)
    deadline = time.monotonic() + timeout_s
    while (subscribed := dict(client.pubsub_numsub(channel)).get(channel.encode(), 0)) < listeners:
        assert time.monotonic() < deadline, f"{subscribed} of {listeners} listeners subscribed to {channel}"
        time.sleep(0.05)
    client.close()


def _worker(settings: Settings) -> tuple[ModelManager, ChampionSync]:
    registry = ModelRegistry(settings)
    manager = ModelManager(registry, Metrics(), ["credit"])
    manager.load_all()
    return manager, ChampionSync(settings, registry, manager)


def test_poll_loads_a_new_champion_and_is_a_no_op_when_unchanged(home: Path, tmp_path: Path) -> None:
    settings = _settings(home)
    manager, sync = _worker(settings)
    assert sync.check_all() == []  # unchanged: nothing loaded
    assert manager.served_version("credit") == "1"
    version = _register(settings, tmp_path)
    ModelRegistry(settings).set_champion("credit", version)
    assert sync.check_all() == ["credit"]
    assert manager.served_version("credit") == version
    assert sync.check_all() == [] and sync.stale() == {}


def test_a_published_promotion_reaches_every_worker(home: Path, tmp_path: Path, clean_redis: str) -> None:
    # No poll: only the message can move them. A channel of this test's own, so that only its two listeners count.
    settings = _settings(home, clean_redis, poll_s=0, channel=f"nivesh:champions:{uuid.uuid4().hex}")
    workers = [_worker(settings) for _ in range(2)]
    for _, sync in workers:
        sync.start()
    try:
        # Pub/sub keeps no message for a listener that has not subscribed yet: publish only once both have.
        wait_subscribed(clean_redis, settings.server.champion_channel, 2)
        version = _register(settings, tmp_path)
        decision = ModelRegistry(settings).promote(get_family("credit"), version, force=True)
        assert decision.promoted
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(m.served_version("credit") != version for m, _ in workers):
            time.sleep(0.05)
        assert [m.served_version("credit") for m, _ in workers] == [version, version]
    finally:
        for _, sync in workers:
            sync.stop()


def test_a_malformed_message_is_ignored(home: Path) -> None:
    manager, sync = _worker(_settings(home))
    sync._on_message("not json")
    sync._on_message(json.dumps({"model": "nope"}))
    assert manager.served_version("credit") == "1"


def test_ready_fails_while_a_worker_serves_another_version_than_the_champion(home: Path, tmp_path: Path) -> None:
    settings = _settings(home, poll_s=0)  # no grace: stale as soon as seen
    with TestClient(create_app(settings)) as client:
        assert "credit" not in client.get("/ready").json()["not_ready"]
        bad = _register(settings, tmp_path, flip=True)  # fails verification: v1 keeps serving
        ModelRegistry(settings).set_champion("credit", bad)
        services: Services = client.app.state.services  # type: ignore[attr-defined]
        assert services.champions is not None
        assert services.champions.check("credit") is False
        ready = client.get("/ready")
        assert ready.status_code == 503
        assert "the champion is v" + bad in ready.json()["not_ready"]["credit"]
        served = client.post("/predict/credit-risk", json={"applicant_data": APPLICANT})
        assert served.status_code == 200  # v1 still serves
        ModelRegistry(settings).set_champion("credit", "1")  # rolled back: in step again
        services.champions.check("credit")
        assert "credit" not in client.get("/ready").json()["not_ready"]


def test_stale_waits_one_poll_interval(home: Path, tmp_path: Path) -> None:
    settings = _settings(home, poll_s=30)
    now = [0.0]
    registry = ModelRegistry(settings)
    manager = ModelManager(registry, Metrics(), ["credit"])
    manager.load_all()
    sync = ChampionSync(settings, registry, manager, clock=lambda: now[0])
    registry.set_champion("credit", _register(settings, tmp_path, flip=True))
    sync.check("credit")
    assert sync.stale() == {}
    now[0] = 31.0
    assert set(sync.stale()) == {"credit"}


def test_models_lists_the_pid_and_reload_publishes(home: Path, clean_redis: str) -> None:
    settings = _settings(home, clean_redis)
    listener = redis.Redis.from_url(clean_redis).pubsub(ignore_subscribe_messages=True)
    listener.subscribe(settings.server.champion_channel)
    try:
        with TestClient(create_app(settings)) as client:
            assert client.get("/models").json()["pid"] == os.getpid()
            reloaded = client.post("/models/credit/reload", headers={"X-API-Key": "admin-key"})
            assert reloaded.status_code == 200
            deadline = time.monotonic() + 5
            message = None
            while message is None and time.monotonic() < deadline:
                message = listener.get_message(timeout=0.5)
            assert message is not None
            assert json.loads(message["data"]) == {"model": "credit", "version": "1"}
    finally:
        listener.close()
