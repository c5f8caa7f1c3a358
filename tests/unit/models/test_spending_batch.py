"""The batch job: every stored user forecast into the store, on a Dask LocalCluster."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from nivesh_ml.config import Settings
from nivesh_ml.data.schemas import Transaction
from nivesh_ml.data.synthetic import generate_transactions
from nivesh_ml.features.factory import create_store
from nivesh_ml.features.repository import TransactionRepository
from nivesh_ml.models.spending import FAMILY
from nivesh_ml.models.spending.batch import FORECAST_NS, BatchOptions, run_batch

pytestmark = pytest.mark.slow


def _ingest(settings: Settings, frame: pd.DataFrame) -> list[str]:
    store = create_store(settings)
    users = []
    for user_id, rows in frame.groupby("user_id"):
        txns = [Transaction(**{str(k): v for k, v in r.items() if pd.notna(v)}) for r in rows.to_dict("records")]
        TransactionRepository(store, [], ttl_s=86400, max_history=5000).ingest(str(user_id), txns)
        users.append(str(user_id))
    store.close()
    return users


def test_batch_forecasts_every_stored_user_on_a_local_cluster(settings: Settings, tmp_path: Path) -> None:
    frame = generate_transactions(3, 14, seed=5)
    users = _ingest(settings, frame)
    trained = FAMILY.train(frame, {"calibration_users": 1, "config": {"eligible": ["seasonal_naive", "mean_12"]}})
    FAMILY.save(trained, tmp_path / "model")
    options = BatchOptions(months=2, partition_size=2, n_workers=1, processes=False)
    summary = run_batch(settings, tmp_path / "model", options=options, model_version="7")
    assert summary["users"] == len(users) and summary["failed"] == 0
    assert summary["partitions"] == 2 and summary["series"] > len(users)
    store = create_store(settings)
    for user_id in users:
        record = store.get(FORECAST_NS, user_id)
        assert record is not None and record["model_version"] == "7"
        assert len(record["total"]) == 2 and record["forecast"]
    store.close()
