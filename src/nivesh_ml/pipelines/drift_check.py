"""Weekly drift check: Evidently drift per model; retrain the models whose drift share reaches the threshold.

The orchestration around :func:`nivesh_ml.monitoring.drift.compute_drift`: the champion and its reference data
from the registry, the recent inputs from the prediction log, the result recorded for ``/metrics``.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from nivesh_ml.config import Settings
from nivesh_ml.errors import InvalidInput, NotFound, UpstreamUnavailable
from nivesh_ml.models import available_models
from nivesh_ml.monitoring.drift import DriftResult, compute_drift, flatten_inputs
from nivesh_ml.monitoring.prediction_log import PredictionLog
from nivesh_ml.monitoring.reference import load_reference
from nivesh_ml.monitoring.state import write_drift_state
from nivesh_ml.pipelines.retrain import new_run_id, retrain_model, run_dir

log = logging.getLogger(__name__)


def logged_inputs(settings: Settings, model: str, since_days: float | None) -> pd.DataFrame:
    """The inputs logged for ``model`` in the last ``since_days`` days, flattened to columns."""
    plog = PredictionLog(settings.var_dir / "predictions.db", settings.monitoring.prediction_log_max_rows)
    rows = plog.recent(model, since_s=since_days * 86400 if since_days else None)
    return flatten_inputs([r["inputs"] for r in rows if isinstance(r.get("inputs"), dict)])


def check_model_drift(settings: Settings, model: str, since_days: float | None = 7.0,
                      report_path: Path | None = None, model_dir: Path | None = None) -> DriftResult:
    """Drift of the champion's reference data vs recent logged inputs; records it for ``/metrics``."""
    from nivesh_ml.registry import ModelRegistry

    version: str | None = None
    if model_dir is None:
        local = ModelRegistry(settings).champion(model)
        if local is None:
            raise NotFound(f"no champion for {model}: train one with `nivesh-ml train {model} --promote`")
        model_dir, version = local.directory, local.version
    try:
        reference = load_reference(model_dir)
    except NotFound as exc:
        raise NotFound(f"{model} {'v' + version if version else 'model'} was saved without reference data, so "
                       "its drift cannot be checked (its save() must call monitoring.reference.save_reference)",
                       details={"directory": str(model_dir)}) from exc
    current = logged_inputs(settings, model, since_days)
    if report_path is None:
        stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
        report_path = settings.var_dir / "reports" / f"drift-{model}-{stamp}.html"
    result = compute_drift(reference, current, settings.monitoring.drift_threshold, model, report_path)
    result.version = version
    write_drift_state(settings, model, drift_summary(result))
    log.info("drift %s", model, extra={"drift_share": result.drift_share, "detected": result.drift_detected})
    return result


def drift_summary(result: DriftResult) -> dict[str, Any]:
    """A drift result without its per-column tests, with the names of the drifted columns."""
    summary = {k: v for k, v in result.as_dict().items() if k != "columns"}
    return {**summary, "drifted_columns": result.drifted_columns}


def check_drift(settings: Settings, model: str, since_days: float | None = 7.0,
                report_path: Path | None = None) -> dict[str, Any]:
    """One model's drift check as a dict; ``status`` is drift, ok or skipped (with the reason)."""
    try:
        result = check_model_drift(settings, model, since_days, report_path)
    except (NotFound, InvalidInput, UpstreamUnavailable) as exc:
        log.info("drift check of %s skipped: %s", model, exc.message)
        return {"model": model, "status": "skipped", "reason": exc.message}
    return {**drift_summary(result), "status": "drift" if result.drift_detected else "ok"}


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
