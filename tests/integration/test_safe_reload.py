"""Safe reload: a champion is verified (sha256 manifest) before it replaces the served model; nothing half-moves."""

from __future__ import annotations

import json
import shutil
import threading
from pathlib import Path

import pytest

from nivesh_ml.config import Settings
from nivesh_ml.errors import ModelLoadFailed
from nivesh_ml.models import get_family
from nivesh_ml.models.base import ModelMetadata
from nivesh_ml.models.credit.family import BOOSTER_FILE
from nivesh_ml.pipelines.training import TrainResult
from nivesh_ml.registry import ModelRegistry, registered_name
from nivesh_ml.serving.metrics import Metrics
from nivesh_ml.serving.models import ModelManager
from tests.integration.test_credit_api import APPLICANT
from tests.promoted import TINY_CREDIT, app_client, private_copy, promoted_home

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def credit(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, TrainResult]:
    return promoted_home(tmp_path_factory, "credit", TINY_CREDIT)


@pytest.fixture
def home(credit: tuple[Path, TrainResult], tmp_path: Path) -> Path:
    """A private copy of the promoted home (each test registers its own bad versions)."""
    return private_copy(credit[0], tmp_path)


def _good_dir(home: Path) -> Path:
    return next((home / "models" / "runs").glob("credit-*"))


def _register_copy(home: Path, tmp_path: Path, corrupt: str) -> str:
    """Register a copy of the good credit model, damaged after save, and force it to champion."""
    directory = tmp_path / f"credit-{corrupt}"
    shutil.copytree(_good_dir(home), directory)
    booster = directory / BOOSTER_FILE
    data = booster.read_bytes()
    if corrupt == "flipped":  # bit rot or tampering after save: the manifest no longer matches
        booster.write_bytes(data[:100] + bytes([data[100] ^ 0xFF]) + data[101:])
    elif corrupt == "truncated-resealed":  # a manifest that matches an unloadable file: the load itself fails
        booster.write_bytes(data[: len(data) // 2])
        ModelMetadata.read(directory).write(directory)
    registry = ModelRegistry(Settings(home=home))
    family = get_family("credit")
    version = registry.log_model(family, directory, ModelMetadata.read(directory)).version
    assert registry.promote(family, version, force=True).promoted
    return version


def _pointer(home: Path) -> dict[str, str]:
    path = home / "models" / "registry-cache" / registered_name("credit") / "champion.json"
    return json.loads(path.read_text())  # type: ignore[no-any-return]


def _cache_dirs(home: Path) -> list[str]:
    directory = home / "models" / "registry-cache" / registered_name("credit")
    return sorted(p.name for p in directory.iterdir()) if directory.is_dir() else []


def _champion(home: Path) -> str:
    return next(v["version"] for v in ModelRegistry(Settings(home=home)).versions("credit") if v["champion"])


def test_saved_model_carries_a_sha256_manifest(credit: tuple[Path, TrainResult]) -> None:
    meta = ModelMetadata.read(_good_dir(credit[0]))
    assert meta.manifest and "model.json" not in meta.manifest
    assert all(len(entry["sha256"]) == 64 and entry["size"] > 0 for entry in meta.manifest.values())


@pytest.mark.parametrize(("corrupt", "reason"), [("flipped", "sha256 mismatch"),
                                                 ("truncated-resealed", "Error")])
def test_corrupt_champion_on_reload_changes_nothing(home: Path, tmp_path: Path, corrupt: str, reason: str) -> None:
    with app_client(home) as client:
        served = client.get("/models").json()["models"]
        good = next(m for m in served if m["name"] == "credit")["version"]
        assert good is not None and good == _pointer(home)["version"]

        bad = _register_copy(home, tmp_path, corrupt)
        response = client.post("/models/credit/reload")
        assert response.status_code == 409, response.text
        error = response.json()["error"]
        assert error["code"] == "model_load_failed"
        assert error["details"]["model"] == "credit" and error["details"]["version"] == bad
        assert reason in error["details"]["reason"]

        # the old version keeps serving, the local champion pointer did not move, the bad download is gone
        after = next(m for m in client.get("/models").json()["models"] if m["name"] == "credit")
        assert after["version"] == good
        assert client.post("/predict/credit-risk", json={"applicant_data": APPLICANT}).status_code == 200
        assert _pointer(home)["version"] == good
        assert _cache_dirs(home) == ["champion.json", f"v{good}"]
        ready = client.get("/ready").json()
        assert "credit" not in ready["not_ready"] and ready["models"]["credit"] == good


def test_a_restart_does_not_reuse_the_bad_download(home: Path, tmp_path: Path) -> None:
    bad = _register_copy(home, tmp_path, "flipped")
    with app_client(home) as client:
        ready = client.get("/ready")
        assert ready.status_code == 503
        body = ready.json()
        assert "sha256" in body["not_ready"]["credit"] and body["retry_in_s"]["credit"] > 0
        assert client.post("/predict/credit-risk", json={"applicant_data": APPLICANT}).status_code == 503
    assert f"v{bad}" not in _cache_dirs(home) and not any(".partial" in n for n in _cache_dirs(home))


def test_failed_start_is_retried_with_backoff_until_a_good_champion(home: Path, tmp_path: Path) -> None:
    settings = Settings(home=home)
    good = _champion(home)
    _register_copy(home, tmp_path, "flipped")
    now = [100.0]
    manager = ModelManager(ModelRegistry(settings), Metrics(), ["credit"], retry_initial_s=5, retry_max_s=12,
                           clock=lambda: now[0])
    assert "credit" in manager.load_all()
    assert manager.retry_in() == {"credit": 5.0}
    assert manager.retry_due() == []  # not due yet: no attempt
    now[0] += 5
    assert manager.retry_due() == [] and manager.retry_in() == {"credit": 10.0}  # failed again: doubled
    now[0] += 10
    assert manager.retry_due() == [] and manager.retry_in() == {"credit": 12.0}  # capped

    ModelRegistry(settings).set_champion("credit", good)  # an operator rolls back
    now[0] += 12
    assert manager.retry_due() == ["credit"]
    assert manager.get("credit").version == good and manager.retry_in() == {} and manager.missing() == {}


def test_background_thread_loads_the_model_and_stops(home: Path, tmp_path: Path) -> None:
    settings = Settings(home=home)
    good = _champion(home)
    _register_copy(home, tmp_path, "flipped")
    manager = ModelManager(ModelRegistry(settings), Metrics(), ["credit"], retry_initial_s=0.05, retry_max_s=0.2)
    manager.load_all()
    loaded = threading.Event()
    original = manager.reload

    def reload(name: str):  # type: ignore[no-untyped-def]
        result = original(name)
        loaded.set()
        return result

    manager.reload = reload  # type: ignore[method-assign]
    ModelRegistry(settings).set_champion("credit", good)
    manager.start_background_retry()
    try:
        assert loaded.wait(120), "the retry thread never loaded the restored champion"
    finally:
        manager.stop_background_retry()
    assert manager.get("credit").version == good
    assert manager._thread is None


def test_registry_never_caches_an_unverified_download(home: Path, tmp_path: Path) -> None:
    bad = _register_copy(home, tmp_path, "flipped")
    registry = ModelRegistry(Settings(home=home))
    before = _cache_dirs(home)
    with pytest.raises(ModelLoadFailed) as raised:
        registry.champion("credit")
    assert raised.value.details["version"] == bad and raised.value.details["reason"] == "sha256 mismatch"
    assert _cache_dirs(home) == before  # no pointer written, no directory left behind


def test_model_saved_before_manifests_loads_unverified(home: Path, tmp_path: Path) -> None:
    directory = tmp_path / "legacy"
    shutil.copytree(_good_dir(home), directory)
    data = json.loads((directory / "model.json").read_text())
    del data["manifest"]
    (directory / "model.json").write_text(json.dumps(data))
    registry = ModelRegistry(Settings(home=home))
    family = get_family("credit")
    version = registry.log_model(family, directory, ModelMetadata.read(directory)).version
    registry.promote(family, version, force=True)
    manager = ModelManager(registry, Metrics(), ["credit"])
    assert manager.load_all() == {}
    described = manager.describe()[0]
    assert described["version"] == version and described["verified"] is False
    assert _pointer(home)["version"] == version
