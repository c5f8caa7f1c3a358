"""The last drift check of each model, kept as a small JSON under ``var/`` for the server's ``/metrics``."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any, Protocol

from nivesh_ml.config import Settings


class _LabelledGauge(Protocol):
    def labels(self, **labels: str) -> Any: ...


def drift_state_path(settings: Settings) -> Path:
    """Where ``nivesh-ml drift check`` records its latest results."""
    return settings.var_dir / "monitoring" / "drift.json"


def read_drift_state(settings: Settings) -> dict[str, dict[str, Any]]:
    """The latest drift result per model (empty when no check ran or the file is unreadable)."""
    path = drift_state_path(settings)
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return {k: v for k, v in data.items() if isinstance(v, dict)} if isinstance(data, dict) else {}


def write_drift_state(settings: Settings, model: str, summary: dict[str, Any]) -> Path:
    """Record ``model``'s latest drift summary (atomic replace, other models kept)."""
    path = drift_state_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    state = read_drift_state(settings)
    state[model] = summary
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".drift-", suffix=".json")
    with os.fdopen(fd, "w") as handle:
        json.dump(state, handle, indent=2, default=str)
    os.replace(tmp, path)
    return path


def refresh_drift_gauge(gauge: _LabelledGauge, settings: Settings) -> None:
    """Set the ``nivesh_drift_share{model}`` gauge from the latest drift checks (called at scrape time)."""
    for model, summary in read_drift_state(settings).items():
        share = summary.get("drift_share")
        if isinstance(share, int | float):
            gauge.labels(model=model).set(float(share))
