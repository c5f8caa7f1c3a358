from pathlib import Path

import pytest
from pydantic import ValidationError

from nivesh_ml.config import Settings


def test_defaults_are_embedded(tmp_path: Path) -> None:
    s = Settings(home=tmp_path)
    assert s.store_backend == "sqlite"
    assert s.cache_backend == "memory"
    assert s.tracking_uri == f"sqlite:///{tmp_path.resolve() / 'mlflow.db'}"
    assert s.server.host == "127.0.0.1"
    assert s.server.max_body_bytes == 2 * 1024 * 1024


def test_environment_overrides_nested_and_lists(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NIVESH_SERVER__MAX_BODY_BYTES", "4096")
    monkeypatch.setenv("NIVESH_SERVER__PORT", "9000")
    monkeypatch.setenv("NIVESH_API_KEYS", "alpha, beta")
    monkeypatch.setenv("NIVESH_REDIS_URL", "redis://127.0.0.1:6390/0")
    monkeypatch.setenv("NIVESH_ADVISOR__PROVIDER", "offline")
    s = Settings()
    assert s.server.max_body_bytes == 4096
    assert s.server.port == 9000
    assert s.api_keys == ["alpha", "beta"]
    assert s.store_backend == "redis" and s.cache_backend == "redis"
    assert s.advisor.provider == "offline"


def test_explicit_backend_beats_auto(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NIVESH_REDIS_URL", "redis://127.0.0.1:6390/0")
    monkeypatch.setenv("NIVESH_FEATURE_STORE__TYPE", "sqlite")
    assert Settings().store_backend == "sqlite"


def test_bad_values_are_rejected_with_the_field_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NIVESH_SERVER__PORT", "70000")
    with pytest.raises(ValidationError, match="port"):
        Settings()
