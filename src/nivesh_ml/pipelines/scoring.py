"""Batch scoring of files on the batch engine: ``score anomaly``, ``score credit``, ``score intent|ner``.

Each partition runs the same function the in-process path uses (``AnomalyPredictor.score_frame``,
``CreditPredictor.probabilities``), so a file scored on a cluster gives the same numbers as one scored here.
Workers load the model from its directory once per process.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from nivesh_ml.errors import InvalidInput
from nivesh_ml.models.base import Predictor
from nivesh_ml.pipelines.batch import (
    LINE,
    EngineOptions,
    Progress,
    by_user,
    finish_output,
    prepare_output,
    read_rows,
    run_partitions,
    write_part,
)

ANOMALY_COLUMNS = ("transaction_id", "score", "is_anomaly", "reasons")  # DESIGN.md §5
CREDIT_COLUMNS = ("line", "default_probability", "risk_score", "risk_category")


@lru_cache(maxsize=4)
def _model(family: str, directory: str) -> Predictor:
    """A model loaded once per worker process."""
    from nivesh_ml.models import get_family

    return get_family(family).load(Path(directory))


def _in_file_order(part: pd.DataFrame) -> pd.DataFrame:
    # A shuffle keeps a user's rows together but not in file order; ties in time are broken by file order.
    return part.sort_values(LINE, kind="stable").reset_index(drop=True)


def score_anomaly_part(part: pd.DataFrame, number: int, model_dir: str, folder: str, suffix: str,
                      first_line: int = 2) -> dict[str, Any]:
    """Score one partition (whole users) against each user's earlier rows; write its output part.

    Rows without a ``transaction_id`` column are named by their position in the file (0 = first row), as the
    in-process scorer names them.
    """
    from nivesh_ml.data.loaders import validate_transaction_frame
    from nivesh_ml.models.anomaly import AnomalyPredictor

    started = time.process_time()
    if part.empty:
        return {"scored": 0, "flagged": 0, "task_cpu_seconds": 0.0}
    part = _in_file_order(part)
    lines = part[LINE].to_numpy()
    frame = validate_transaction_frame(part.drop(columns=LINE), lines, "data")
    predictor = _model("anomaly", model_dir)
    assert isinstance(predictor, AnomalyPredictor)
    scored = score_transactions(predictor, frame)
    if "transaction_id" not in part.columns:
        scored["transaction_id"] = lines - first_line
    write_part(scored[list(ANOMALY_COLUMNS)], folder, number, suffix)
    return {"scored": len(scored), "flagged": int(scored["is_anomaly"].sum()),
            "task_cpu_seconds": time.process_time() - started}


def score_transactions(predictor: Any, frame: pd.DataFrame) -> pd.DataFrame:
    """``AnomalyPredictor.score_frame`` with the vectorised features (``models.anomaly.batch``): the same
    columns and, up to floating-point rounding, the same scores; reasons are built for flagged rows only."""
    from nivesh_ml.models.anomaly.batch import fast_frame_features
    from nivesh_ml.models.anomaly.features import txns_from_frame
    from nivesh_ml.models.anomaly.reasons import explain

    features, cold = fast_frame_features(frame, predictor.detector.population)
    scores, deviation = predictor.detector.score_matrix(features)
    flagged = scores > predictor.threshold
    reasons = np.full(len(frame), "", dtype=object)
    rows = np.nonzero(flagged)[0]
    if len(rows):
        txns = txns_from_frame(frame.iloc[rows])
        reasons[rows] = ["; ".join(explain(features[i].tolist(), deviation[i].tolist(), txn, True))
                         for i, txn in zip(rows.tolist(), txns, strict=True)]
    ids = frame["transaction_id"].astype(object) if "transaction_id" in frame.columns else None
    return pd.DataFrame({
        "transaction_id": ids if ids is not None else pd.Series(np.arange(len(frame)), dtype=object),
        "score": scores, "is_anomaly": flagged.astype(int), "reasons": reasons, "cold_start": cold.astype(int),
    })


def score_credit_part(part: pd.DataFrame, number: int, model_dir: str, folder: str, suffix: str) -> dict[str, Any]:
    """Default probability, risk score and category of every applicant of one partition; write its part."""
    from nivesh_ml.models.credit.predictor import CreditPredictor, risk_category, risk_score

    if part.empty:
        return {"scored": 0, "high": 0}
    predictor = _model("credit", model_dir)
    assert isinstance(predictor, CreditPredictor)
    probs = predictor.probabilities(part.drop(columns=LINE).reset_index(drop=True))
    out = pd.DataFrame({
        "line": part[LINE].to_numpy(), "default_probability": np.round(probs, 4),
        "risk_score": [risk_score(float(p)) for p in probs],
        "risk_category": [risk_category(float(p), predictor.low_below, predictor.high_from) for p in probs],
    })
    if "applicant_id" in part.columns:
        out.insert(0, "applicant_id", part["applicant_id"].to_numpy())
    write_part(out, folder, number, suffix)
    return {"scored": len(out), "high": int((out["risk_category"] == "high").sum())}


TEXT_MODELS = ("intent", "ner")
TEXT_BATCH = 256
ID_COLUMNS = ("id", "transaction_id", "query_id", "message_id")


def score_text_part(part: pd.DataFrame, number: int, model: str, model_dir: str, column: str, folder: str,
                    suffix: str) -> dict[str, Any]:
    """Intent or entities of every text of one partition, with the served predictor; write its part.

    Blank or missing texts get empty results (``intent`` null, no entities) and are counted, not fatal.
    """
    started = time.process_time()
    predictor = _model(model, model_dir)
    texts = part[column].astype(object).tolist()
    present = [i for i, t in enumerate(texts) if isinstance(t, str) and t.strip()]
    results: list[dict[str, Any] | None] = [None] * len(texts)
    for start in range(0, len(present), TEXT_BATCH):
        chunk = present[start:start + TEXT_BATCH]
        for i, result in zip(chunk, predictor.predict([texts[i] for i in chunk]), strict=True):
            results[i] = result
    out = pd.DataFrame({"line": part[LINE].to_numpy()})
    for name in ID_COLUMNS:
        if name in part.columns:
            out.insert(0, name, part[name].to_numpy())
            break
    if model == "intent":
        out["intent"] = [r["intent"] if r else None for r in results]
        out["confidence"] = [r["confidence"] if r else None for r in results]
        out["fallback"] = [r["fallback"] if r else None for r in results]
        out["top_k"] = [json.dumps(r["top_k"]) if r else "[]" for r in results]
    else:
        out["entities"] = [json.dumps(r["entities"], default=str) if r else "[]" for r in results]
    write_part(out, folder, number, suffix)
    return {"scored": len(present), "blank": len(texts) - len(present),
            "task_cpu_seconds": time.process_time() - started}


def score_file(model: str, data: Path, out: Path, model_dir: Path, options: EngineOptions,
               progress: Progress | None = None, column: str = "text") -> dict[str, Any]:
    """Score every row of ``data`` with ``model`` (anomaly or credit) into ``out`` (Parquet folder or CSV).

    Raises:
        InvalidInput: an unknown model, an unreadable file, missing columns, or rows that fail validation
            (with their line numbers).
    """
    task: Callable[..., dict[str, Any]]
    if model == "anomaly":
        frame = by_user(read_rows(data, options.partition_bytes, ("user_id", "timestamp", "amount")),
                        partition_bytes=options.partition_bytes)
        task = score_anomaly_part
    elif model == "credit":
        frame = read_rows(data, options.partition_bytes)
        task = score_credit_part
    elif model in TEXT_MODELS:
        frame = read_rows(data, options.partition_bytes, (column,))
        task = score_text_part
    else:
        raise InvalidInput(f"batch scoring covers anomaly, credit, intent and ner, not {model!r}")
    folder = prepare_output(out)
    first_line = 2 if Path(data).suffix.lower() == ".csv" else 1
    args: tuple[Any, ...] = (str(model_dir), str(folder), Path(out).suffix.lower())
    if model == "anomaly":
        args = (*args, first_line)
    elif model in TEXT_MODELS:
        args = (model, str(model_dir), column, str(folder), Path(out).suffix.lower())
    summaries, facts = run_partitions(frame, task, args, options, progress)
    finish_output(out)
    totals: dict[str, Any] = {key: sum(s[key] for s in summaries) for key in summaries[0]} if summaries else {}
    if "task_cpu_seconds" in totals:
        totals["task_cpu_seconds"] = round(totals["task_cpu_seconds"], 1)
    rows = totals.get("scored", 0)
    return {**totals, "out": str(out), **facts,
            "rows_per_second": round(rows / facts["seconds"], 1) if facts["seconds"] else None}
