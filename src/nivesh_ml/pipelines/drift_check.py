"""Weekly drift check: Evidently drift per model; retrain the models whose drift share reaches the threshold."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from nivesh_ml.config import Settings
from nivesh_ml.errors import InvalidInput, NotFound, UpstreamUnavailable
from nivesh_ml.models import available_models
from nivesh_ml.pipelines.retrain import new_run_id, retrain_model, run_dir

log = logging.getLogger(__name__)


def check_drift(settings: Settings, model: str, since_days: float | None = 7.0,
                report_path: Path | None = None) -> dict[str, Any]:
    """One model's drift check as a dict; ``status`` is drift, ok or skipped (with the reason)."""
    from nivesh_ml.monitoring.drift import check_model_drift

    try:
        result = check_model_drift(settings, model, since_days, report_path)
    except (NotFound, InvalidInput, UpstreamUnavailable) as exc:
        log.info("drift check of %s skipped: %s", model, exc.message)
        return {"model": model, "status": "skipped", "reason": exc.message}
    summary = {k: v for k, v in result.as_dict().items() if k != "columns"}
    return {**summary, "drifted_columns": result.drifted_columns,
            "status": "drift" if result.drift_detected else "ok"}


def step_drift(settings: Settings, run_id: str, models: list[str] | None = None,
               since_days: float | None = 7.0) -> dict[str, Any]:
    """Check every model; record which ones drifted for the retraining step."""
    checks = [check_drift(settings, m, since_days) for m in models or available_models()]
    result = {"checks": checks, "drifted": [c["model"] for c in checks if c["status"] == "drift"]}
    directory = run_dir(settings, run_id, "_drift")
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "drift.json").write_text(json.dumps(result, indent=2, default=str))
    return result


def drifted_models(settings: Settings, run_id: str) -> list[str]:
    """The models the drift step of ``run_id`` found drifted."""
    path = run_dir(settings, run_id, "_drift") / "drift.json"
    if not path.is_file():
        raise NotFound(f"the drift step of run {run_id} has not run")
    return list(json.loads(path.read_text())["drifted"])


def drift_check_and_retrain(settings: Settings, models: list[str] | None = None, since_days: float | None = 7.0,
                            data: Path | None = None, options: Mapping[str, Any] | None = None,
                            retrain: bool = True) -> dict[str, Any]:
    """The drift-check pipeline: check every model, retrain (through the gate) those that drifted."""
    run_id = new_run_id()
    drift = step_drift(settings, run_id, models, since_days)
    retrained = [retrain_model(settings, m, data, options, run_id) for m in drift["drifted"]] if retrain else []
    return {"run_id": run_id, **drift, "retrained": retrained}
