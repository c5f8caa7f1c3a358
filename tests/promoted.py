"""Test helpers for the HTTP and pipeline tests: a var/ home holding a promoted tiny model, and an app client."""

from __future__ import annotations

import shutil
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from nivesh_ml.config import Settings
from nivesh_ml.pipelines.training import TrainResult, train_model
from nivesh_ml.serving.app import create_app


def promoted_home(factory: pytest.TempPathFactory, model: str, options: Mapping[str, Any],
                  data: Path | None = None) -> tuple[Path, TrainResult]:
    """A fresh home where ``model`` was trained tiny, registered (MLflow on SQLite) and promoted to champion."""
    home = factory.mktemp(f"{model}-home") / "var"
    result = train_model(Settings(home=home), model, data, options, promote=True)
    assert result.promotion and result.promotion["promoted"], result.promotion
    return home, result


# Credit trains in seconds: the tiny model of tests that need any real champion (reload, sync).
TINY_CREDIT: Mapping[str, Any] = {"n_applicants": 1200, "n_trials": 1, "folds": 3}


def private_copy(home: Path, tmp_path: Path) -> Path:
    """A copy of a promoted home that one test may change (register versions, corrupt artefacts)."""
    copy = tmp_path / "var"
    shutil.copytree(home, copy)
    return copy


@contextmanager
def app_client(home: Path) -> Iterator[TestClient]:
    """The real app over ``home`` (lifespan run: champions loaded), as a test client."""
    with TestClient(create_app(Settings(home=home))) as client:
        yield client
