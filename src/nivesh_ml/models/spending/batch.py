"""Batch forecasts of every stored user on Dask (a LocalCluster by default, or a cluster's scheduler).

The job is partitioned by user. Workers get plain data only (store settings, the model's JSON config) and
import this module, so the same code runs on a multi-node cluster; there every worker must reach the same
store (Redis: ``NIVESH_REDIS_URL``), since an embedded SQLite file is local to one machine. At most
``max_in_flight`` partitions are queued at a time and workers return counts, never forecasts, so memory stays
bounded whatever the number of users.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from nivesh_ml.config import Settings
from nivesh_ml.errors import NiveshError, NotFound
from nivesh_ml.features.factory import create_store
from nivesh_ml.features.repository import TransactionRepository
from nivesh_ml.models.base import ModelMetadata

log = logging.getLogger(__name__)
FORECAST_NS = "forecast"


@dataclass
class BatchOptions:
    """How to run the job (plain values: they travel to workers)."""

    months: int = 6
    partition_size: int = 25
    n_workers: int = 2
    max_in_flight: int = 0  # 0: twice the number of workers
    processes: bool = True
    ttl_days: int = 35
    # Categories per user Prophet may model in batch. Default 0: Prophet on the total only, which keeps
    # 10,000 users within 30 minutes on 2 cores; None: as trained (the serving setting).
    prophet_categories: int | None = 0


def store_settings(settings: Settings) -> dict[str, Any]:
    """The part of the settings a worker needs to open the same store (no secrets)."""
    return {"home": str(settings.var_dir), "redis_url": settings.redis_url,
            "feature_store": settings.feature_store.model_dump(mode="json")}


def forecast_partition(user_ids: list[str], store_data: dict[str, Any], config_data: dict[str, Any],
                       model_version: str, months: int, ttl_s: int,
                       global_payload: dict[str, Any] | None = None) -> dict[str, float]:
    """Forecast a partition of users into the store; returns counts (runs on a worker)."""
    from nivesh_ml.models.spending.family import SpendingPredictor
    from nivesh_ml.models.spending.global_model import from_payload_cached
    from nivesh_ml.models.spending.selection import ForecastConfig

    cpu_started = time.process_time()
    store = create_store(Settings(**store_data))
    predictor = SpendingPredictor(ForecastConfig.from_dict(config_data), ModelMetadata(name="spending"),
                                  from_payload_cached(global_payload))
    counts: dict[str, float] = {"users": 0, "series": 0, "failed": 0}
    histories = TransactionRepository(store, updaters=()).histories(user_ids)  # read only: no profiles
    for user_id in user_ids:
        transactions = histories[user_id]
        try:
            if not transactions:
                raise NotFound("no history")
            forecast = predictor.forecast(predictor.history(transactions), months)
        except (NiveshError, ValueError) as exc:
            log.warning("batch forecast failed for a user: %s", type(exc).__name__)
            counts["failed"] += 1
            continue
        body = forecast.to_response()
        store.put(FORECAST_NS, user_id, {**body, "model_version": model_version, "months": months,
                                         "generated_at": datetime.now(UTC).isoformat(timespec="seconds")},
                  ttl_s=ttl_s)
        counts["users"] += 1
        counts["series"] += 1 + len(forecast.categories)
    store.close()
    # CPU time (not wall time) lets throughput be projected to a machine not shared with other work.
    counts["cpu_seconds"] = time.process_time() - cpu_started
    return counts


def partitions(user_ids: list[str], size: int) -> Iterator[list[str]]:
    """Consecutive chunks of ``size`` users."""
    for start in range(0, len(user_ids), size):
        yield user_ids[start:start + size]


def _client(scheduler: str | None, options: BatchOptions) -> Any:
    from distributed import Client, LocalCluster

    logging.getLogger("distributed").setLevel(logging.WARNING)  # its INFO lines drown the CLI's output
    if scheduler:
        return Client(scheduler)
    cluster = LocalCluster(n_workers=options.n_workers, threads_per_worker=1, processes=options.processes,
                           dashboard_address=None, silence_logs=logging.WARNING)
    return Client(cluster)


def run_batch(settings: Settings, model_dir: Path, scheduler: str | None = None,
              options: BatchOptions | None = None, model_version: str | None = None,
              progress: Callable[[int, int], None] | None = None) -> dict[str, Any]:
    """Forecast every user with a stored history into the store's ``forecast`` namespace."""
    from distributed import as_completed

    from nivesh_ml.models.spending.family import SpendingFamily

    options = options or BatchOptions()
    predictor = SpendingFamily().load(model_dir)
    version = model_version or predictor.metadata.version
    store = create_store(settings)
    user_ids = sorted(TransactionRepository(store, updaters=()).users())
    store.close()
    chunks = list(partitions(user_ids, options.partition_size))
    config = predictor.config.to_dict()
    if options.prophet_categories is not None:
        config["expensive_top_k"] = {**config["expensive_top_k"], "prophet": options.prophet_categories}
    payload = predictor.global_model.to_payload() if predictor.global_model is not None else None
    totals: dict[str, float] = {"users": 0, "series": 0, "failed": 0, "cpu_seconds": 0.0}
    started = time.perf_counter()
    client = _client(scheduler, options)
    try:
        # The pooled model (plain bytes, skops) goes to every worker once, not with each partition.
        shared = client.scatter([payload], broadcast=True)[0] if payload is not None else None
        args = (store_settings(settings), config, version, options.months, options.ttl_days * 86400, shared)
        workers = max(1, len(client.scheduler_info().get("workers", {})))
        limit = options.max_in_flight or 2 * workers
        pending = iter(chunks)
        queue = as_completed([client.submit(forecast_partition, c, *args, pure=False)
                              for c in _take(pending, limit)])
        for done, future in enumerate(queue, start=1):
            for key, value in future.result().items():
                totals[key] += value
            future.release()
            if progress:
                progress(done, len(chunks))
            for chunk in _take(pending, 1):
                queue.add(client.submit(forecast_partition, chunk, *args, pure=False))
    finally:
        cluster = getattr(client, "cluster", None)
        client.close()
        if cluster is not None and not scheduler:
            cluster.close()
    seconds = time.perf_counter() - started
    cpu = totals.pop("cpu_seconds")
    return {**{k: int(v) for k, v in totals.items()}, "partitions": len(chunks), "workers": workers,
            "seconds": round(seconds, 2), "cpu_seconds": round(cpu, 2),
            "series_per_second": round(totals["series"] / seconds, 2) if seconds > 0 else None,
            "series_per_cpu_second": round(totals["series"] / cpu, 2) if cpu > 0 else None,
            "model_version": version, "scheduler": scheduler or "LocalCluster"}


def _take(iterator: Iterator[list[str]], n: int) -> list[list[str]]:
    out = []
    for _ in range(n):
        try:
            out.append(next(iterator))
        except StopIteration:
            break
    return out
