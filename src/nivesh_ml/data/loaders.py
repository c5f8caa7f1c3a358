"""Readers for user-supplied files. Bad rows are reported with their line numbers, never dropped."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from nivesh_ml.data.schemas import CHANNELS, CURRENCIES, DIRECTIONS
from nivesh_ml.errors import InvalidInput

MAX_REPORTED_ERRORS = 50


def file_sha256(*paths: Path) -> str:
    """Content hash of one or more files (the training data hash recorded with every model)."""
    digest = hashlib.sha256()
    for path in paths:
        with Path(path).open("rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


def frame_sha256(frame: pd.DataFrame) -> str:
    """Content hash of a data frame (index ignored)."""
    values = pd.util.hash_pandas_object(frame, index=False).to_numpy()
    return hashlib.sha256(values.tobytes() + ",".join(map(str, frame.columns)).encode()).hexdigest()


def _first_line_offset(path: Path) -> int:
    # CSV: header is line 1, first record line 2. JSONL: first record line 1.
    return 2 if path.suffix.lower() == ".csv" else 1


def read_table(path: Path | str) -> pd.DataFrame:
    """Read a CSV, JSONL/JSON-lines or Parquet file as strings-preserving data frame."""
    path = Path(path)
    if not path.is_file():
        raise InvalidInput(f"file not found: {path}")
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
        if suffix in {".jsonl", ".ndjson", ".json"}:
            return _read_jsonl(path)
        if suffix == ".parquet":
            return pd.read_parquet(path)
    except InvalidInput:
        raise
    except (ValueError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"could not parse {path.name}: {exc}") from exc
    raise InvalidInput(f"unsupported file type {suffix!r}; use .csv, .jsonl or .parquet")


def jsonl_objects(lines: Iterable[str]) -> tuple[list[tuple[int, dict[str, Any]]], list[dict[str, Any]]]:
    """The JSON objects of JSONL lines with their line numbers, and the lines that are not objects."""
    records: list[tuple[int, dict[str, Any]]] = []
    errors: list[dict[str, Any]] = []
    for line_no, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            errors.append({"line": line_no, "error": f"invalid JSON: {exc.msg}"})
            continue
        if not isinstance(record, dict):
            errors.append({"line": line_no, "error": "expected a JSON object"})
            continue
        records.append((line_no, record))
    return records, errors


def _read_jsonl(path: Path) -> pd.DataFrame:
    with path.open(encoding="utf-8") as fh:
        records, errors = jsonl_objects(fh)
    _raise_if(errors, path)
    return pd.DataFrame.from_records([{**record, "__line__": line_no} for line_no, record in records])


def read_jsonl_records(path: Path | str) -> list[dict[str, Any]]:
    """Read a JSONL file as a list of objects; a bad line raises ``InvalidInput`` naming it."""
    frame = _read_jsonl(Path(path))
    out = frame.drop(columns="__line__", errors="ignore").to_dict(orient="records")
    return [{str(k): v for k, v in row.items() if not (isinstance(v, float) and np.isnan(v))} for row in out]


def _raise_if(errors: Sequence[dict[str, Any]], path: Path) -> None:
    if errors:
        raise InvalidInput(
            f"{len(errors)} bad row(s) in {path.name}; first at line {errors[0]['line']}: {errors[0]['error']}",
            details=list(errors[:MAX_REPORTED_ERRORS]),
        )


def line_numbers(frame: pd.DataFrame, path: Path) -> np.ndarray:
    """Source line number of each row of a frame from ``read_table``."""
    if "__line__" in frame.columns:
        return frame["__line__"].to_numpy()
    return np.arange(len(frame)) + _first_line_offset(path)


def _row_errors(mask: pd.Series, lines: np.ndarray, message: str) -> Iterable[dict[str, Any]]:
    for line in lines[mask.to_numpy()][:MAX_REPORTED_ERRORS]:
        yield {"line": int(line), "error": message}


def load_transactions(path: Path | str) -> pd.DataFrame:
    """Read and validate a transactions file (DESIGN.md §4) into a typed frame.

    Raises:
        InvalidInput: listing every bad row (up to 50) with its line number.
    """
    path = Path(path)
    raw = read_table(path)
    lines = line_numbers(raw, path)
    missing = [c for c in ("user_id", "timestamp", "amount") if c not in raw.columns]
    if missing:
        raise InvalidInput(f"{path.name} lacks required column(s): {', '.join(missing)}",
                           details={"missing_columns": missing, "found": list(map(str, raw.columns))})
    frame = validate_transaction_frame(raw, lines, path.name)
    return frame


def validate_transaction_frame(raw: pd.DataFrame, lines: np.ndarray, source: str = "data") -> pd.DataFrame:
    """Vectorised schema check of a transactions frame; returns the typed frame or raises."""
    frame = pd.DataFrame(index=raw.index)
    errors: list[dict[str, Any]] = []
    user = raw["user_id"].astype("string").str.strip()
    errors += _row_errors(user.isna() | (user == ""), lines, "user_id is empty")
    frame["user_id"] = user
    ts = pd.to_datetime(raw["timestamp"], errors="coerce", format="mixed")
    if getattr(ts.dt, "tz", None) is not None:
        ts = ts.dt.tz_convert("Asia/Kolkata").dt.tz_localize(None)
    errors += _row_errors(ts.isna(), lines, "timestamp is not ISO 8601")
    frame["timestamp"] = ts
    amount = pd.to_numeric(raw["amount"], errors="coerce")
    errors += _row_errors(~np.isfinite(amount.fillna(np.nan)) | ~(amount > 0), lines, "amount must be > 0")
    frame["amount"] = amount.astype(float)
    frame["currency"] = _enum_column(raw, "currency", "INR", CURRENCIES, lines, errors, upper=True)
    frame["direction"] = _enum_column(raw, "direction", "debit", DIRECTIONS, lines, errors)
    frame["channel"] = _enum_column(raw, "channel", None, CHANNELS, lines, errors)
    for col in ("transaction_id", "merchant", "category", "description", "city", "country"):
        frame[col] = raw[col].astype("string").str.strip() if col in raw.columns else pd.NA
    for col in ("latitude", "longitude", "is_anomaly"):
        if col in raw.columns:
            frame[col] = pd.to_numeric(raw[col], errors="coerce")
    if "anomaly_kind" in raw.columns:
        frame["anomaly_kind"] = raw["anomaly_kind"].astype("string").fillna("")
    if errors:
        errors.sort(key=lambda e: e["line"])
        _raise_if(errors, Path(source))
    frame["category"] = frame["category"].str.lower()
    return frame.reset_index(drop=True)


def _enum_column(raw: pd.DataFrame, col: str, default: str | None, allowed: Iterable[str],
                 lines: np.ndarray, errors: list[dict[str, Any]], upper: bool = False) -> pd.Series:
    if col not in raw.columns:
        return pd.Series(default, index=raw.index, dtype="string")
    values = raw[col].astype("string").str.strip()
    values = values.str.upper() if upper else values.str.lower()
    values = values.fillna(default) if default is not None else values
    bad = values.notna() & ~values.isin(list(allowed))
    errors += _row_errors(bad, lines, f"{col} must be one of {sorted(allowed)}")
    return values
