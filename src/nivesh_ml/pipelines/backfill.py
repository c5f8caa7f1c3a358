"""``data ingest``: bulk, idempotent backfill of the feature store from a transactions file, on the batch engine.

The file is shuffled so that each user's rows sit in one partition; each partition validates its rows one by
one (a bad row is reported with its line and reason and skipped, never fatal), sorts each user's rows by time
and writes users in chunks through :meth:`TransactionRepository.ingest_many` (one store transaction or
pipeline per chunk). Rows already stored are recognised by id or content fingerprint, so running the same
file twice leaves the same stored state.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
from pydantic import ValidationError

from nivesh_ml.config import Settings
from nivesh_ml.data.schemas import Transaction
from nivesh_ml.errors import StoreBusy
from nivesh_ml.features.factory import create_store
from nivesh_ml.models.spending.batch import store_settings
from nivesh_ml.pipelines.batch import LINE, EngineOptions, Progress, by_user, read_rows, run_partitions
from nivesh_ml.pipelines.wiring import transaction_repository

log = logging.getLogger(__name__)
MAX_REPORTED = 50
USERS_PER_WRITE = 200
BUSY_RETRIES = 8


def _row_error(exc: ValidationError) -> str:
    first = exc.errors()[0]
    field = ".".join(map(str, first["loc"])) or "row"
    return f"{field}: {first['msg']}"


def valid_transactions(part: pd.DataFrame) -> tuple[list[tuple[int, Transaction]], list[dict[str, Any]]]:
    """Each row as a :class:`Transaction` with its line, and the rows that are not, with line and reason."""
    good: list[tuple[int, Transaction]] = []
    bad: list[dict[str, Any]] = []
    columns = [c for c in part.columns if c != LINE]
    for line, *values in part[[LINE, *columns]].itertuples(index=False, name=None):
        row = {k: v for k, v in zip(columns, values, strict=True)
               if not (v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)))}
        try:
            good.append((int(line), Transaction.model_validate(row)))
        except ValidationError as exc:
            bad.append({"line": int(line), "error": _row_error(exc)})
    return good, bad


def _by_user(good: list[tuple[int, Transaction]]) -> dict[str, list[Transaction]]:
    ordered = sorted(good, key=lambda item: (item[1].user_id, item[1].timestamp, item[0]))
    out: dict[str, list[Transaction]] = {}
    for _, txn in ordered:
        out.setdefault(txn.user_id, []).append(txn)
    return out


def _chunks(users: dict[str, list[Transaction]], size: int) -> Iterator[dict[str, list[Transaction]]]:
    names = list(users)
    for start in range(0, len(names), size):
        yield {name: users[name] for name in names[start:start + size]}


def ingest_part(part: pd.DataFrame, number: int, store_data: dict[str, Any]) -> dict[str, Any]:
    """Validate and write one partition (whole users) into the store; returns counts and rejected rows."""
    good, bad = valid_transactions(part)
    users = _by_user(good)
    settings = Settings(**store_data)
    store = create_store(settings)
    repository = transaction_repository(settings, store)
    added = 0
    try:
        for chunk in _chunks(users, USERS_PER_WRITE):
            for attempt in range(BUSY_RETRIES):
                try:
                    added += sum(s.added for s in repository.ingest_many(chunk).values())
                    break
                except StoreBusy:  # another worker holds SQLite's write lock: wait our turn
                    if attempt == BUSY_RETRIES - 1:
                        raise
                    time.sleep(0.1 * 2 ** attempt)
    finally:
        store.close()
    return {"users": len(users), "transactions": len(good), "added": added, "rejected": len(bad),
            "rejected_rows": bad[:MAX_REPORTED]}


def ingest_file(settings: Settings, data: Path, options: EngineOptions,
                progress: Progress | None = None) -> dict[str, Any]:
    """Backfill every user of ``data`` into the feature store of ``settings``; the run's summary.

    Raises:
        InvalidInput: the file is missing, unreadable or lacks user_id, timestamp or amount.
    """
    frame = by_user(read_rows(data, options.partition_bytes, ("user_id", "timestamp", "amount")))
    worker_settings = {**store_settings(settings), "anomaly": settings.anomaly.model_dump(mode="json")}
    summaries, facts = run_partitions(frame, ingest_part, (worker_settings,), options, progress)
    rejected_rows = sorted((row for s in summaries for row in s["rejected_rows"]), key=lambda r: r["line"])
    totals = {key: sum(s[key] for s in summaries) for key in ("users", "transactions", "added", "rejected")}
    seconds = facts["seconds"]
    store = create_store(settings)
    backend = store.backend
    store.close()
    return {**totals, "rejected_rows": rejected_rows[:MAX_REPORTED], "store": backend,
            **facts, "transactions_per_second": round(totals["transactions"] / seconds, 1) if seconds else None}
