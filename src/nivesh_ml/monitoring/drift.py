"""Data drift between a model's reference data and its recently logged inputs (Evidently DataDriftPreset).

This is the only module that imports ``evidently``.
"""

from __future__ import annotations

import logging
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from nivesh_ml.config import Settings
from nivesh_ml.errors import InvalidInput, NotFound
from nivesh_ml.monitoring.prediction_log import PredictionLog
from nivesh_ml.monitoring.reference import load_reference
from nivesh_ml.monitoring.state import write_drift_state

log = logging.getLogger(__name__)

MIN_CURRENT_ROWS = 30
# A string column with many distinct, longish values is free text: compared through its length and word count.
_TEXT_MIN_UNIQUE = 30
_TEXT_MIN_MEAN_LEN = 12.0


@dataclass
class ColumnDrift:
    column: str
    method: str
    score: float
    threshold: float
    drifted: bool


@dataclass
class DriftResult:
    """Outcome of one drift check: the share of drifted columns and the per-column tests."""

    model: str
    drift_share: float
    threshold: float
    drift_detected: bool
    n_reference: int
    n_current: int
    columns: list[ColumnDrift] = field(default_factory=list)
    version: str | None = None
    report: str | None = None
    checked_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def drifted_columns(self) -> list[str]:
        return [c.column for c in self.columns if c.drifted]


def _is_scalar(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float | bool)


def _explode_batches(record: dict[str, Any]) -> list[dict[str, Any]]:
    """A batch logged as one list of scalars (``{"queries": [...]}``) becomes one row per item."""
    batches = [k for k, v in record.items() if isinstance(v, list) and v and all(map(_is_scalar, v))]
    if len(batches) != 1:
        return [record]
    key = batches[0]
    return [{**record, key: item} for item in record[key]]


def _plural(name: str) -> set[str]:
    return {name + "s", name + "es", name[:-1] + "ies" if name.endswith("y") else name + "s"}


def flatten_inputs(records: list[dict[str, Any]]) -> pd.DataFrame:
    """Logged inputs as a frame: nested dicts become dotted columns, a logged batch one row per item;
    other lists and non-scalars are dropped."""
    if not records:
        return pd.DataFrame()
    frame = pd.json_normalize([row for record in records for row in _explode_batches(record)], sep=".")
    keep = [c for c in frame.columns
            if not frame[c].map(lambda v: isinstance(v, list | dict | tuple)).any()]
    return frame[keep]


def _sources(column: str, current: pd.DataFrame, by_leaf: dict[str, list[str]]) -> list[str]:
    """Current columns holding reference ``column``: same name, same last dotted part, or its plural (a batch)."""
    found = [column] if column in current.columns else []
    if not found and len(by_leaf.get(column, [])) == 1:
        found = list(by_leaf[column])
    plural = sorted({c for name in _plural(column) for c in by_leaf.get(name, [])})
    return found + plural[:1] if len(plural) == 1 else found


def align_columns(reference: pd.DataFrame, current: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Columns present in both, matched by full name, by the last dotted part, or by plural (batch logs)."""
    by_leaf: dict[str, list[str]] = {}
    for column in current.columns:
        by_leaf.setdefault(str(column).rsplit(".", 1)[-1], []).append(str(column))
    mapping = {str(c): found for c in reference.columns if (found := _sources(str(c), current, by_leaf))}
    if not mapping:
        raise InvalidInput("logged inputs share no column with the reference data",
                           details={"reference": list(map(str, reference.columns))[:50],
                                    "current": list(map(str, current.columns))[:50]})
    ref = reference[list(mapping)].reset_index(drop=True)
    cur = pd.DataFrame({column: current[sources].bfill(axis=1).iloc[:, 0] for column, sources in mapping.items()})
    return ref, cur.reset_index(drop=True)


def _is_text(values: pd.Series) -> bool:
    strings = values.dropna().astype(str)
    return strings.nunique() >= _TEXT_MIN_UNIQUE and float(strings.str.len().mean() or 0) >= _TEXT_MIN_MEAN_LEN


def _typed_frames(ref: pd.DataFrame, cur: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, list[str], list[str]]:
    """Numeric and categorical columns; free text replaced by ``<col>.length`` and ``<col>.words``."""
    numeric: list[str] = []
    categorical: list[str] = []
    ref_out, cur_out = pd.DataFrame(index=ref.index), pd.DataFrame(index=cur.index)
    for column in ref.columns:
        both = pd.concat([ref[column], cur[column]], ignore_index=True)
        as_number = pd.to_numeric(both, errors="coerce")
        if as_number.notna().sum() >= max(1, int(0.95 * both.notna().sum())) and both.dtype != bool:
            ref_out[column] = pd.to_numeric(ref[column], errors="coerce")
            cur_out[column] = pd.to_numeric(cur[column], errors="coerce")
            numeric.append(column)
        elif _is_text(both):
            for suffix, fn in (("length", lambda s: s.str.len()), ("words", lambda s: s.str.split().str.len())):
                name = f"{column}.{suffix}"
                ref_out[name] = fn(ref[column].fillna("").astype(str)).astype(float)
                cur_out[name] = fn(cur[column].fillna("").astype(str)).astype(float)
                numeric.append(name)
        else:
            ref_out[column] = ref[column].astype(str)
            cur_out[column] = cur[column].astype(str)
            categorical.append(column)
    return ref_out, cur_out, numeric, categorical


def compute_drift(reference: pd.DataFrame, current: pd.DataFrame, threshold: float, model: str = "model",
                  report_path: Path | None = None) -> DriftResult:
    """Evidently DataDriftPreset on the shared columns; drift when the drifted share reaches ``threshold``."""
    from evidently import DataDefinition, Dataset, Report
    from evidently.presets import DataDriftPreset

    if len(current) < MIN_CURRENT_ROWS:
        raise InvalidInput(f"only {len(current)} logged predictions for {model}; drift needs at least "
                           f"{MIN_CURRENT_ROWS}", details={"n_current": len(current)})
    ref, cur = align_columns(reference, current)
    ref, cur, numeric, categorical = _typed_frames(ref, cur)
    definition = DataDefinition(numerical_columns=numeric, categorical_columns=categorical)
    report = Report([DataDriftPreset(drift_share=threshold)])
    run = report.run(Dataset.from_pandas(cur, data_definition=definition),
                     Dataset.from_pandas(ref, data_definition=definition))
    columns = _column_results(run.dict())
    share = sum(c.drifted for c in columns) / len(columns) if columns else 0.0
    if report_path is not None:
        report_path.parent.mkdir(parents=True, exist_ok=True)
        run.save_html(str(report_path))
    return DriftResult(model=model, drift_share=round(share, 4), threshold=threshold,
                       drift_detected=share >= threshold, n_reference=len(ref), n_current=len(cur),
                       columns=columns, report=str(report_path) if report_path else None)


def _column_results(result: dict[str, Any]) -> list[ColumnDrift]:
    out = []
    for metric in result.get("metrics", []):
        config = metric.get("config", {})
        if not str(config.get("type", "")).endswith("ValueDrift"):
            continue
        method = str(config.get("method", ""))
        score, limit = float(metric.get("value", 0.0)), float(config.get("threshold", 0.05))
        # p-value tests drift when small; distance tests (Wasserstein, Jensen-Shannon, PSI) when large.
        drifted = score < limit if "p_value" in method else score >= limit
        out.append(ColumnDrift(str(config.get("column")), method, score, limit, drifted))
    return out


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
    summary = {k: v for k, v in result.as_dict().items() if k != "columns"}
    summary["drifted_columns"] = result.drifted_columns
    write_drift_state(settings, model, summary)
    log.info("drift %s", model, extra={"drift_share": result.drift_share, "detected": result.drift_detected})
    return result
