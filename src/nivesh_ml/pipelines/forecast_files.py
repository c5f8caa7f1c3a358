"""``forecast batch --data FILE``: forecasts of every user of a transactions file, without a feature store.

The file is shuffled so that each user's rows sit in one partition; each partition builds every user's monthly
history and forecast with the same functions as ``forecast USER_ID --data FILE`` and writes one row per user,
series (``total`` or a category) and month. A cluster job therefore needs only shared storage.
"""

from __future__ import annotations

import logging
from collections.abc import Hashable, Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd

from nivesh_ml.errors import NiveshError
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

log = logging.getLogger(__name__)
FORECAST_COLUMNS = ("user_id", "series", "month", "amount", "lower", "upper", "model")


@lru_cache(maxsize=4)
def _predictor(model_dir: str, prophet_categories: int | None) -> Any:
    """The spending model, loaded once per worker process (Prophet limited to the batch budget)."""
    from nivesh_ml.models.spending import FAMILY
    from nivesh_ml.models.spending.family import SpendingPredictor
    from nivesh_ml.models.spending.selection import ForecastConfig

    loaded = FAMILY.load(Path(model_dir))
    assert isinstance(loaded, SpendingPredictor)
    if prophet_categories is None:
        return loaded
    config = loaded.config.to_dict()
    config["expensive_top_k"] = {**config["expensive_top_k"], "prophet": prophet_categories}
    return SpendingPredictor(ForecastConfig.from_dict(config), loaded.metadata, loaded.global_model)


def forecast_rows(predictor: Any, user_id: str, records: Sequence[Mapping[Hashable, Any]],
                  months: int) -> list[dict[str, Any]]:
    """One user's forecast as flat rows (the same numbers as ``forecast USER_ID --data``)."""
    body = predictor.forecast(predictor.history(records), months).to_response()
    rows = [{"user_id": user_id, "series": "total", **row} for row in body["total"]]
    rows += [{"user_id": user_id, "series": row.pop("category"), **row} for row in body["forecast"]]
    return rows


def forecast_part(part: pd.DataFrame, number: int, model_dir: str, months: int, prophet_categories: int | None,
                  folder: str, suffix: str) -> dict[str, Any]:
    """Forecast every user of one partition; write its output part."""
    from nivesh_ml.data.loaders import validate_transaction_frame

    if part.empty:
        return {"users": 0, "series": 0, "failed": 0}
    part = part.sort_values(LINE, kind="stable")
    frame = validate_transaction_frame(part.drop(columns=LINE), part[LINE].to_numpy(), "data")
    predictor = _predictor(model_dir, prophet_categories)
    rows: list[dict[str, Any]] = []
    counts = {"users": 0, "series": 0, "failed": 0}
    for user_id, group in frame.groupby("user_id", sort=True):
        try:
            user_rows = forecast_rows(predictor, str(user_id), group.to_dict(orient="records"), months)
        except (NiveshError, ValueError) as exc:
            log.warning("batch forecast failed for a user: %s", type(exc).__name__)
            counts["failed"] += 1
            continue
        rows += user_rows
        counts["users"] += 1
        counts["series"] += len({r["series"] for r in user_rows})
    write_part(pd.DataFrame(rows, columns=list(FORECAST_COLUMNS)), folder, number, suffix)
    return counts


def forecast_file(data: Path, out: Path, model_dir: Path, months: int, options: EngineOptions,
                  prophet_categories: int | None = 0, progress: Progress | None = None) -> dict[str, Any]:
    """Forecast every user of ``data`` into ``out`` (Parquet folder or CSV); the run's summary.

    Raises:
        InvalidInput: the file is unreadable, lacks columns, or has rows that fail validation (by line).
    """
    frame = by_user(read_rows(data, options.partition_bytes, ("user_id", "timestamp", "amount")),
                    partition_bytes=options.partition_bytes)
    folder = prepare_output(out)
    summaries, facts = run_partitions(frame, forecast_part, (str(model_dir), months, prophet_categories,
                                                             str(folder), Path(out).suffix.lower()),
                                      options, progress)
    finish_output(out)
    totals = {key: sum(s[key] for s in summaries) for key in ("users", "series", "failed")}
    seconds = facts["seconds"]
    return {**totals, "out": str(out), "months": months, **facts,
            "series_per_second": round(totals["series"] / seconds, 2) if seconds else None}
