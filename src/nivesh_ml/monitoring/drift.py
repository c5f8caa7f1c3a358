"""Data drift between a model's reference data and its recently logged inputs (Evidently DataDriftPreset).

Pure computation on two frames: loading the champion, its reference and the prediction log, and recording the
result, is :func:`nivesh_ml.pipelines.drift_check.check_model_drift`. This is the only module that imports
``evidently``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from nivesh_ml.errors import InvalidInput

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
    report = Report([DataDriftPreset(drift_share=threshold)], include_tests=True)
    run = report.run(Dataset.from_pandas(cur, data_definition=definition),
                     Dataset.from_pandas(ref, data_definition=definition))
    share, detected, columns = _drift_results(run.dict())
    if report_path is not None:
        report_path.parent.mkdir(parents=True, exist_ok=True)
        run.save_html(str(report_path))
    return DriftResult(model=model, drift_share=round(share, 4), threshold=threshold, drift_detected=detected,
                       n_reference=len(ref), n_current=len(cur), columns=columns,
                       report=str(report_path) if report_path else None)


def _drift_results(result: dict[str, Any]) -> tuple[float, bool, list[ColumnDrift]]:
    """Evidently's own verdicts: the DriftedColumnsCount share and its test, each ValueDrift column's test."""
    failed = {str(test.get("metric_config", {}).get("metric_id")): test.get("status") == "FAIL"
              for test in result.get("tests", [])}
    share, detected, columns = 0.0, False, []
    for metric in result.get("metrics", []):
        config, metric_id = metric.get("config", {}), str(metric.get("id"))
        kind = str(config.get("type", ""))
        if kind.endswith(("DriftedColumnsCount", "ValueDrift")) and metric_id not in failed:
            raise RuntimeError(f"Evidently returned no test result for {metric.get('metric_name')}")
        if kind.endswith("DriftedColumnsCount"):
            share, detected = float(metric["value"]["share"]), failed[metric_id]
        elif kind.endswith("ValueDrift"):
            columns.append(ColumnDrift(str(config.get("column")), str(config.get("method", "")),
                                       float(metric.get("value", 0.0)), float(config.get("threshold", 0.05)),
                                       failed[metric_id]))
    return share, detected, columns
