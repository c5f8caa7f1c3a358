"""The MLflow registry on SQLite: versions, the promotion gate, champions served from cache."""

from __future__ import annotations

from pathlib import Path

import pytest

from nivesh_ml.config import Settings
from nivesh_ml.errors import GateRejected
from nivesh_ml.registry import ModelRegistry
from tests.model_contract import check_model_contract
from tests.toy_family import ToyFamily

pytestmark = pytest.mark.integration


def _register(registry: ModelRegistry, tmp_path: Path, accuracy: float, offset: float) -> str:
    family = ToyFamily()
    trained = family.train([], {"accuracy": accuracy, "offset": offset})
    trained.metadata.data_hash = "hash-" + str(accuracy)
    directory = tmp_path / f"toy-{accuracy}-{offset}"
    family.save(trained, directory)
    return registry.log_model(family, directory, trained.metadata).version


def test_toy_family_passes_the_model_contract(tmp_path: Path) -> None:
    check_model_contract(ToyFamily(), [1], {"offset": 2.0}, [1.0, 2.0], tmp_path)


def test_gate_promotes_better_and_keeps_champion_over_worse(settings: Settings, tmp_path: Path) -> None:
    registry = ModelRegistry(settings)
    family = ToyFamily()
    v1 = _register(registry, tmp_path, accuracy=0.80, offset=1.0)
    first = registry.promote(family, v1)
    assert first.promoted and first.reason == "first champion"

    v2 = _register(registry, tmp_path, accuracy=0.70, offset=2.0)
    worse = registry.promote(family, v2)
    assert not worse.promoted
    assert registry.champion("toy").version == v1  # type: ignore[union-attr]
    with pytest.raises(GateRejected):
        registry.promote_or_raise(family, v2)

    v3 = _register(registry, tmp_path, accuracy=0.90, offset=3.0)
    assert registry.promote(family, v3).promoted
    assert registry.champion("toy").version == v3  # type: ignore[union-attr]

    forced = registry.promote(family, v2, force=True)  # a manual roll-back
    assert forced.promoted and forced.reason == "forced"
    versions = registry.versions("toy")
    assert [v["champion"] for v in versions] == [False, True, False]
    assert versions[0]["metrics"]["accuracy"] == pytest.approx(0.80)


def test_run_records_data_hash_params_and_artifacts(settings: Settings, tmp_path: Path) -> None:
    registry = ModelRegistry(settings)
    version = _register(registry, tmp_path, accuracy=0.8, offset=5.0)
    registry.promote(ToyFamily(), version)
    local = registry.champion("toy")
    assert local is not None and not local.from_cache
    predictor = ToyFamily().load(local.directory)
    assert predictor.predict([1.0]) == [6.0]
    assert predictor.metadata.version == version
    assert predictor.metadata.data_hash == "hash-0.8"


def test_champion_served_from_cache_when_tracking_is_unreachable(settings: Settings, tmp_path: Path) -> None:
    registry = ModelRegistry(settings)
    version = _register(registry, tmp_path, accuracy=0.8, offset=1.0)
    registry.promote(ToyFamily(), version)
    assert registry.champion("toy") is not None  # materialised into the local cache

    down = Settings(home=settings.home, mlflow_tracking_uri="http://127.0.0.1:9/")
    cached = ModelRegistry(down).champion("toy")
    assert cached is not None and cached.from_cache and cached.version == version
    assert ToyFamily().load(cached.directory).predict([0.0]) == [1.0]


def test_no_champion_is_none(settings: Settings) -> None:
    assert ModelRegistry(settings).champion("toy") is None
