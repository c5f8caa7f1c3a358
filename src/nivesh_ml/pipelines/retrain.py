"""Scheduled retraining: extract → validate → train+evaluate → gate → promote → reload running servers.

Each step is a function that takes the run's state and returns a dict, which is also written as JSON under
``var/pipelines/<run_id>/<model>/<step>.json``: the Airflow DAG runs each step as its own task (in the project's
venv) and the next task reads what the previous one wrote; ``nivesh-ml pipeline run`` runs them in one process.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from nivesh_ml.config import Settings
from nivesh_ml.data.loaders import load_transactions, read_table
from nivesh_ml.errors import InvalidInput, NotFound
from nivesh_ml.models import available_models, get_family
from nivesh_ml.registry import ModelRegistry

log = logging.getLogger(__name__)

STEPS = ("validate", "train", "promote", "reload")
MIN_ROWS = 20
_TRANSACTION_MODELS = ("spending", "anomaly")
_RUN_ID = re.compile(r"[^A-Za-z0-9_.+-]+")


def new_run_id() -> str:
    """A run id for a local pipeline run."""
    return "local-" + datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")


def run_dir(settings: Settings, run_id: str, model: str) -> Path:
    """Where the steps of one model in one run keep their results."""
    return settings.var_dir / "pipelines" / _RUN_ID.sub("_", run_id) / model


def _write(settings: Settings, run_id: str, model: str, step: str, result: dict[str, Any]) -> dict[str, Any]:
    directory = run_dir(settings, run_id, model)
    directory.mkdir(parents=True, exist_ok=True)
    (directory / f"{step}.json").write_text(json.dumps(result, indent=2, default=str))
    return result


def _read(settings: Settings, run_id: str, model: str, step: str) -> dict[str, Any]:
    path = run_dir(settings, run_id, model) / f"{step}.json"
    if not path.is_file():
        raise NotFound(f"step {step!r} of run {run_id} has not run for {model}", details={"path": str(path)})
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def validate_data(model: str, data: Path | None) -> dict[str, Any]:
    """Schema and simple checks of a training file: readable, enough rows, no empty columns."""
    if data is None:
        return {"data": None, "rows": None, "checks": ["bundled or simulated data"]}
    path = Path(data)
    if not path.is_file():
        raise NotFound(f"training data {path} does not exist")
    if model in _TRANSACTION_MODELS:
        frame = load_transactions(path)  # rejects rows that break the schema, with line numbers
    elif path.suffix.lower() in (".csv", ".tsv", ".jsonl", ".json", ".parquet"):
        frame = read_table(path)
    else:
        return {"data": str(path), "rows": None, "checks": ["exists"]}
    frame = frame.drop(columns=["__line__"], errors="ignore")
    if len(frame) < MIN_ROWS:
        raise InvalidInput(f"{path.name} has {len(frame)} rows; training needs at least {MIN_ROWS}")
    empty = [str(c) for c in frame.columns if frame[c].isna().all()]
    if empty:
        raise InvalidInput(f"{path.name} has empty columns: {', '.join(empty)}", details={"columns": empty})
    duplicates = int(frame.duplicated().sum())
    return {"data": str(path), "rows": len(frame), "columns": list(map(str, frame.columns)),
            "duplicate_rows": duplicates, "checks": ["exists", "schema", "min_rows", "no_empty_columns"]}


def step_validate(settings: Settings, run_id: str, model: str, data: Path | None = None) -> dict[str, Any]:
    """Extract and validate the training data of ``model``."""
    get_family(model)  # unknown model → NotFound before any work
    return _write(settings, run_id, model, "validate", validate_data(model, data))


def step_train(settings: Settings, run_id: str, model: str,
               options: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Train, evaluate on held-out data and register a new version (not promoted yet)."""
    from nivesh_ml.pipelines.training import train_model

    validated = _read(settings, run_id, model, "validate")
    data = Path(validated["data"]) if validated.get("data") else None
    result = train_model(settings, model, data, options, register=True, promote=False)
    return _write(settings, run_id, model, "train", result.as_dict())


def step_promote(settings: Settings, run_id: str, model: str) -> dict[str, Any]:
    """The gate: promote the new version when it is at least as good as the champion, else keep the champion."""
    trained = _read(settings, run_id, model, "train")
    decision = ModelRegistry(settings).promote(get_family(model), str(trained["version"]))
    log.info("gate %s v%s: %s", model, decision.version, decision.reason)
    return _write(settings, run_id, model, "promote", decision.as_dict())


def reload_servers(settings: Settings, model: str, urls: list[str] | None = None,
                   post: Callable[..., httpx.Response] | None = None) -> list[dict[str, Any]]:
    """Ask each running server to load the new champion (``POST /models/{model}/reload`` with the admin key)."""
    headers = {}
    if settings.admin_api_key is not None:
        headers["X-API-Key"] = settings.admin_api_key.get_secret_value()
    send = post or httpx.post
    results = []
    for url in urls if urls is not None else settings.reload_urls:
        target = f"{url.rstrip('/')}/models/{model}/reload"
        try:
            response = send(target, headers=headers, timeout=120.0)
            entry: dict[str, Any] = {"url": url, "status": response.status_code, "ok": response.is_success}
            if response.is_success:
                entry["version"] = response.json().get("reloaded", {}).get("version")
            else:
                entry["error"] = response.text[:300]
        except httpx.HTTPError as exc:
            entry = {"url": url, "status": None, "ok": False, "error": f"{type(exc).__name__}: {exc}"[:300]}
        results.append(entry)
    return results


def step_reload(settings: Settings, run_id: str, model: str) -> dict[str, Any]:
    """Reload the champion on every configured server when the gate promoted a new version."""
    decision = _read(settings, run_id, model, "promote")
    changed = bool(decision.get("promoted")) and decision.get("previous_champion") != decision.get("version")
    servers = reload_servers(settings, model) if changed else []
    failed = [s for s in servers if not s["ok"]]
    if failed:
        log.warning("reload failed on %d of %d servers for %s", len(failed), len(servers), model)
    result = {"reloaded": changed, "servers": servers, "failed": len(failed)}
    return _write(settings, run_id, model, "reload", result)


def retrain_model(settings: Settings, model: str, data: Path | None = None,
                  options: Mapping[str, Any] | None = None, run_id: str | None = None) -> dict[str, Any]:
    """Every step for one model, in order; returns each step's result."""
    run_id = run_id or new_run_id()
    return {"run_id": run_id, "model": model,
            "validate": step_validate(settings, run_id, model, data),
            "train": step_train(settings, run_id, model, options),
            "promote": step_promote(settings, run_id, model),
            "reload": step_reload(settings, run_id, model)}


def weekly_retrain(settings: Settings, models: list[str] | None = None, data: Path | None = None,
                   options: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
    """Retrain the given models (every available one by default) through the gate."""
    run_id = new_run_id()
    return [retrain_model(settings, m, data, options, run_id) for m in models or available_models()]
