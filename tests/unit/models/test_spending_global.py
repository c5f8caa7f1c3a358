"""Spending forecasts: the global model pooled across users (trained, saved without pickle, chosen by backtests)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from nivesh_ml.config import Settings
from nivesh_ml.data.schemas import Transaction
from nivesh_ml.errors import InvalidInput
from nivesh_ml.features.factory import create_store
from nivesh_ml.features.repository import TransactionRepository
from nivesh_ml.models.spending import FAMILY
from nivesh_ml.models.spending.batch import FORECAST_NS, BatchOptions, run_batch
from nivesh_ml.models.spending.family import SpendingPredictor, TrainedState
from nivesh_ml.models.spending.global_model import MODEL_FILE, GlobalModel, train_global
from nivesh_ml.models.spending.selection import ForecastConfig, SeriesRun
from nivesh_ml.models.spending.series import TOTAL, spend_history
from nivesh_ml.models.spending.training import HoldoutCase, choose_preferred, user_histories
from tests.unit.models.test_spending import toy_user

FAST = {"max_iter": 30}  # keep the trees small in tests
WITH_GLOBAL = ["seasonal_naive", "mean_12", "global"]


def _frame(users: int, months: int = 24) -> pd.DataFrame:
    return pd.DataFrame([r for i in range(users) for r in toy_user(f"u{i:02d}", months=months, seed=i)])


@pytest.mark.slow
def test_global_model_is_trained_saved_without_pickle_and_forecasts_the_same_after_loading(tmp_path: Path) -> None:
    frame = _frame(10)
    trained = FAMILY.train(frame, {"calibration_users": 4, "global_params": FAST,
                                   "config": {"eligible": WITH_GLOBAL}})
    assert isinstance(trained.state, TrainedState) and trained.state.global_model is not None
    assert trained.metadata.extra["global_model"]["rows"] > 200
    FAMILY.save(trained, tmp_path)
    saved = {p.name for p in tmp_path.iterdir()}
    assert MODEL_FILE in saved and not any(p.suffix in {".pkl", ".pickle", ".joblib"} for p in tmp_path.iterdir())
    loaded = FAMILY.load(tmp_path)
    assert loaded.global_model is not None
    history = spend_history(toy_user("new", months=20, seed=42))
    before = SpendingPredictor(trained.state.config, trained.metadata, trained.state.global_model)
    run_before = before.forecast(history, 6).to_response()
    assert loaded.forecast(history, 6).to_response() == run_before
    # The pooled model produces a usable forecast for a user it never saw (any horizon up to 24 months).
    runs = loaded.forecast(history, 24).total.point
    assert len(runs) == 24 and np.all(np.isfinite(runs)) and np.all(runs >= 0)


def test_too_few_training_users_means_no_global_model_and_the_other_families_serve(tmp_path: Path) -> None:
    frame = _frame(3, months=16)
    histories = user_histories(frame, ForecastConfig())
    assert train_global(histories, 3, ForecastConfig()) == (None, {})
    trained = FAMILY.train(frame, {"calibration_users": 3, "config": {"eligible": WITH_GLOBAL}})
    assert "global" not in trained.state.config.eligible
    assert trained.metadata.extra["global_model"] is None
    FAMILY.save(trained, tmp_path)
    assert not (tmp_path / MODEL_FILE).exists()
    predictor = FAMILY.load(tmp_path)
    out = predictor.predict([{"transactions": toy_user("a", months=14, seed=9), "months": 3}])
    assert len(out[0]["total"]) == 3 and out[0]["total"][0]["model"] != "global"


class _NotAModel:
    def __init__(self) -> None:
        self.payload = "anything"


def test_a_model_file_holding_other_types_is_refused() -> None:
    import skops.io as sio

    with pytest.raises(InvalidInput, match="outside scikit-learn"):
        GlobalModel.from_payload({"skops": sio.dumps(_NotAModel()), "categories": {}})


def _case(i: int, global_error: float, rng: np.random.Generator) -> HoldoutCase:
    """A total whose hidden months the global model forecasts with ``global_error`` (mean_12 is off by 300)."""
    actual_bt = 1000.0 + rng.normal(0, 30, (3, 3))
    hidden = 1000.0 + rng.normal(0, 30, 3)
    run = SeriesRun(TOTAL, sparse=False, level=1000.0, spread=30.0, actual_bt=actual_bt,
                    backtests={"global": actual_bt + global_error, "mean_12": actual_bt + 300.0},
                    forecasts={"global": hidden + global_error, "mean_12": hidden + 300.0})
    return HoldoutCase(f"u{i}", {TOTAL: run}, {TOTAL: hidden}, {TOTAL: hidden + 100.0})


@pytest.mark.parametrize(("global_error", "chosen"), [(5.0, True), (900.0, False)])
def test_global_is_preferred_only_when_training_users_backtests_say_so(global_error: float, chosen: bool) -> None:
    rng = np.random.default_rng(0)
    cases = [_case(i, global_error, rng) for i in range(12)]
    cfg = ForecastConfig(eligible=["mean_12", "global"], blend=False)
    preferred, report = choose_preferred(cases, cfg)
    assert (preferred.get("total") == "global") is chosen
    assert (report["total_global"] < report["total_mean_12"]) is chosen


@pytest.mark.slow
def test_batch_workers_receive_the_global_model_and_use_it(settings: Settings, tmp_path: Path) -> None:
    frame = _frame(10)
    trained = FAMILY.train(frame, {"calibration_users": 4, "global_params": FAST,
                                   "config": {"eligible": ["mean_12", "global"]}})
    # Force the pooled model on the total (what training does when backtests favour it) to see it served.
    trained.state.config.preferred = {"total": "global"}
    FAMILY.save(trained, tmp_path / "model")
    store = create_store(settings)
    rows = toy_user("stored", months=20, seed=77)
    txns = [Transaction(**r, transaction_id=f"t{i}") for i, r in enumerate(rows)]
    TransactionRepository(store, [], ttl_s=86400, max_history=5000).ingest("stored", txns)
    store.close()
    options = BatchOptions(months=3, partition_size=1, n_workers=1, processes=False)
    summary = run_batch(settings, tmp_path / "model", options=options, model_version="3")
    assert summary["users"] == 1 and summary["failed"] == 0
    store = create_store(settings)
    record = store.get(FORECAST_NS, "stored")
    store.close()
    assert record is not None and [r["model"] for r in record["total"]] == ["global"] * 3
