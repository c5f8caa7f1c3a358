"""POST /predict/anomaly over the real app (MLflow on SQLite), and profile updates under concurrency."""

from __future__ import annotations

import math
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient

from nivesh_ml.config import Settings
from nivesh_ml.data.schemas import Transaction
from nivesh_ml.data.synthetic import generate_transactions
from nivesh_ml.features.factory import create_store
from nivesh_ml.features.repository import TransactionRepository
from nivesh_ml.features.store import OnlineStore
from nivesh_ml.models.anomaly import PROFILE_NS, AnomalyPredictor, AnomalyProfileUpdater
from nivesh_ml.models.anomaly.family import load_frame
from nivesh_ml.models.anomaly.threshold import MAX_SHIFT, MIN_RECENT, RecentScores
from nivesh_ml.pipelines.training import train_model
from nivesh_ml.serving.app import create_app

pytestmark = pytest.mark.integration

FIELDS = {"transaction_id", "amount", "currency", "direction", "merchant", "category", "channel", "city", "country",
          "latitude", "longitude"}


def as_record(row: pd.Series) -> dict[str, Any]:
    out = {k: v for k, v in row.items() if k in FIELDS
           and not (v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)))}
    return {**out, "timestamp": row["timestamp"].isoformat()}


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, Settings]]:
    settings = Settings(home=tmp_path_factory.mktemp("anomaly-api") / "var")
    train_model(settings, "anomaly", None, {"users": 40, "months": 3, "seed": 5, "n_estimators": 60},
                promote=True)
    with TestClient(create_app(settings)) as client:
        yield client, settings


@pytest.fixture(scope="module")
def history() -> pd.DataFrame:
    frame = load_frame(generate_transactions(3, 3, seed=21))
    user = frame["user_id"].iloc[0]
    return frame[(frame["user_id"] == user) & (frame["is_anomaly"] == 0)].sort_values("timestamp", kind="stable")


def next_transactions(rows: pd.DataFrame) -> tuple[dict[str, Any], dict[str, Any]]:
    """A routine next transaction (a typical grocery payment at its usual time) and a wildly extreme one."""
    groceries = rows[rows["category"] == "groceries"]
    typical = groceries.iloc[(groceries["amount"] - groceries["amount"].median()).abs().argsort().iloc[0]]
    day = rows["timestamp"].max().normalize() + timedelta(days=1)
    at = day + timedelta(hours=typical["timestamp"].hour, minutes=typical["timestamp"].minute)
    routine = {**as_record(typical), "transaction_id": "api-routine", "timestamp": at.isoformat()}
    extreme = {**routine, "transaction_id": "api-extreme", "amount": float(groceries["amount"].median() * 400),
               "timestamp": (day + timedelta(hours=3, minutes=5)).isoformat(), "country": "US"}
    return routine, extreme


@pytest.mark.slow
def test_extreme_flagged_routine_not_after_ingest(served: tuple[TestClient, Settings],
                                                  history: pd.DataFrame) -> None:
    client, _ = served
    user = str(history["user_id"].iloc[0])
    ingested = client.post("/transactions", json={"user_id": user,
                                                   "transactions": [as_record(r) for _, r in history.iterrows()]})
    assert ingested.status_code == 200, ingested.text
    routine, extreme = next_transactions(history)
    calm = client.post("/predict/anomaly", json={"user_id": user, "transaction": routine}).json()
    alarm = client.post("/predict/anomaly", json={"user_id": user, "transaction": extreme}).json()
    for body in (calm, alarm):
        assert {"is_anomaly", "score", "threshold", "reasons", "cold_start", "model_version"} <= set(body)
        assert 0.0 <= body["score"] <= 1.0 and body["model_version"]
    assert alarm["is_anomaly"] and alarm["reasons"] and not alarm["cold_start"]
    assert any("another country (US)" in r or "×" in r for r in alarm["reasons"]), alarm["reasons"]
    assert not calm["is_anomaly"], calm
    metrics = client.get("/metrics").text
    assert "nivesh_anomaly_flagged_total 1.0" in metrics


@pytest.mark.slow
def test_unknown_user_is_cold_start(served: tuple[TestClient, Settings], history: pd.DataFrame) -> None:
    client, _ = served
    routine, _ = next_transactions(history)
    body = client.post("/predict/anomaly", json={"user_id": "never-seen", "transaction": routine}).json()
    assert body["cold_start"] is True and 0.0 <= body["score"] <= 1.0


@pytest.mark.slow
def test_update_profile_ingests_the_scored_transaction(served: tuple[TestClient, Settings],
                                                       history: pd.DataFrame) -> None:
    client, settings = served
    routine, _ = next_transactions(history)
    for i in range(3):
        txn = {**routine, "transaction_id": f"upd-{i}"}
        response = client.post("/predict/anomaly", json={"user_id": "fresh", "transaction": txn,
                                                         "update_profile": True})
        assert response.status_code == 200
    profile = create_store(settings).get(PROFILE_NS, "fresh")
    assert profile is not None and profile["n"] == 3


@pytest.mark.slow
@pytest.mark.parametrize("change", [{"amount": -5}, {"amount": 0}, {"timestamp": "yesterday-ish"},
                                    {"currency": "ABC"}, {"channel": "carrier pigeon"}])
def test_bad_transaction_is_422(served: tuple[TestClient, Settings], history: pd.DataFrame,
                                change: dict[str, Any]) -> None:
    client, _ = served
    routine, _ = next_transactions(history)
    response = client.post("/predict/anomaly", json={"user_id": "u", "transaction": {**routine, **change}})
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_input"


@pytest.mark.slow
def test_missing_fields_are_422(served: tuple[TestClient, Settings]) -> None:
    client, _ = served
    assert client.post("/predict/anomaly", json={"user_id": "u"}).status_code == 422
    assert client.post("/predict/anomaly", json={"transaction": {"amount": 5}}).status_code == 422


@pytest.mark.slow
def test_supervised_head_served_and_recalibrated_on_schedule(served: tuple[TestClient, Settings],
                                                            history: pd.DataFrame) -> None:
    client, _ = served
    predictor = client.app.state.services.models.get("anomaly", AnomalyPredictor).predictor
    assert predictor.metadata.extra["combiner"] == "xgboost"  # the simulator's rows are labelled
    stored, every = predictor.detector.threshold, predictor.recalibrate_every
    routine, extreme = next_transactions(history)
    try:
        # Recent traffic where 5 % of scores sit above the stored threshold (target 1 %): the next
        # recalibration, due on the second request below, raises the threshold the third one reports.
        predictor.recent = RecentScores()
        rng = np.random.default_rng(0)
        for _ in range(MIN_RECENT):
            drifted = rng.uniform(stored, 1.0) if rng.random() < 0.05 else rng.uniform(0.0, stored)
            predictor.recent.observe(float(drifted))
        predictor.recalibrate_every = MIN_RECENT + 2
        bodies = [client.post("/predict/anomaly", json={"user_id": "sched", "transaction": {
            **txn, "transaction_id": f"sched-{i}"}}).json() for i, txn in enumerate((routine, extreme, routine))]
        # Each response reports the threshold its decision used; the recalibration after the second applies next.
        assert bodies[0]["threshold"] == bodies[1]["threshold"] == pytest.approx(stored, abs=1e-6)
        assert bodies[2]["threshold"] > stored and 1 - bodies[2]["threshold"] >= (1 - stored) / MAX_SHIFT - 1e-6
        assert bodies[1]["is_anomaly"] and bodies[1]["reasons"]
        gauge = [line for line in client.get("/metrics").text.splitlines()
                 if line.startswith("nivesh_anomaly_flag_rate ")]
        assert gauge and float(gauge[0].split()[1]) == pytest.approx(predictor.flag_rate)
    finally:
        predictor.recent, predictor.threshold, predictor.recalibrate_every = RecentScores(), stored, every


@pytest.fixture(params=["sqlite", "redis"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[OnlineStore]:
    if request.param == "redis":
        settings = Settings(home=tmp_path / "var", redis_url=request.getfixturevalue("clean_redis"))
    else:
        settings = Settings(home=tmp_path / "var")
    backend = create_store(settings)
    assert backend.backend == request.param
    yield backend
    backend.close()


def test_parallel_ingests_lose_no_profile_update(store: OnlineStore) -> None:
    threads, per_thread = 8, 15
    repo = TransactionRepository(store, [AnomalyProfileUpdater()], ttl_s=3600, max_history=5000)

    def ingest(worker: int) -> None:
        for i in range(per_thread):
            txn = Transaction(user_id="busy", transaction_id=f"t{worker}-{i}", amount=100.0 + i,
                              timestamp=f"2025-03-{1 + i:02d}T1{worker % 10}:00:00", category="groceries",
                              merchant=f"shop {worker}")
            repo.ingest("busy", [txn])

    with ThreadPoolExecutor(max_workers=threads) as pool:
        list(pool.map(ingest, range(threads)))
    profile = repo.profile(PROFILE_NS, "busy")
    assert profile is not None
    assert profile["n"] == threads * per_thread
    assert sum(profile["merch"].values()) == threads * per_thread
    assert len(repo.history("busy")) == threads * per_thread


@pytest.mark.slow
@pytest.mark.parametrize("amount", [5e-324, 1e-300, 2.2250738585072014e-308])
def test_denormal_amount_is_scored_not_blamed_on_the_store(served: tuple[TestClient, Settings],
                                                           history: pd.DataFrame, amount: float) -> None:
    client, _ = served
    user = str(history["user_id"].iloc[0])
    routine, _ = next_transactions(history)
    for currency in ("INR", "IDR"):  # IDR: the amount in rupees rounds to exactly 0
        txn = {**routine, "amount": amount, "currency": currency, "transaction_id": f"tiny-{currency}"}
        response = client.post("/predict/anomaly", json={"user_id": user, "transaction": txn,
                                                         "update_profile": True})
        assert response.status_code == 200, response.text
        assert 0.0 <= response.json()["score"] <= 1.0
    # A profile holding such amounts still scores ordinary and huge ones.
    for value in (120.0, 9.9e10):
        response = client.post("/predict/anomaly", json={"user_id": user,
                                                         "transaction": {**routine, "amount": value}})
        assert response.status_code == 200, response.text


@pytest.mark.slow
def test_resent_batch_without_ids_is_a_no_op(served: tuple[TestClient, Settings]) -> None:
    client, settings = served
    rows = [{"timestamp": f"2025-02-{day:02d}T09:30:00", "amount": 40.0 + day, "merchant": "Chai Point",
             "category": "food", "description": f"UPI/chai {day}"} for day in range(1, 11)]
    rows.append(dict(rows[0]))  # the same tea twice in one batch is two payments
    first = client.post("/transactions", json={"user_id": "no-ids", "transactions": rows})
    again = client.post("/transactions", json={"user_id": "no-ids", "transactions": rows})
    assert first.status_code == again.status_code == 200, again.text
    assert first.json()["added"] == 11 and first.json()["stored"] == 11
    assert again.json()["added"] == 0 and again.json()["stored"] == 11
    profile = create_store(settings).get(PROFILE_NS, "no-ids")
    assert profile is not None and profile["n"] == 11


@pytest.mark.slow
def test_held_sqlite_lock_answers_store_busy(served: tuple[TestClient, Settings],
                                             history: pd.DataFrame) -> None:
    import sqlite3

    _, trained = served
    settings = Settings(home=trained.home, feature_store={"lock_timeout_s": 0.2})
    routine, _ = next_transactions(history)
    with TestClient(create_app(settings)) as client:
        assert client.post("/transactions", json={"user_id": "locked", "transactions": [routine]}).status_code == 200
        holder = sqlite3.connect(settings.sqlite_store_path, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")  # another process holding the write lock
        try:
            ingest = client.post("/transactions", json={"user_id": "locked",
                                                        "transactions": [{**routine, "transaction_id": "x2"}]})
            scored = client.post("/predict/anomaly", json={"user_id": "locked", "transaction": routine,
                                                           "update_profile": True})
            read_only = client.post("/predict/anomaly", json={"user_id": "locked", "transaction": routine})
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        for response in (ingest, scored):
            assert response.status_code == 503, response.text
            assert response.json()["error"]["code"] == "store_busy"
        assert read_only.status_code == 200  # readers are not blocked by a writer (WAL)
        assert 'nivesh_feature_store_errors_total{operation="ingest"} 1.0' in client.get("/metrics").text
        retried = client.post("/transactions", json={"user_id": "locked",
                                                     "transactions": [{**routine, "transaction_id": "x2"}]})
        assert retried.status_code == 200 and retried.json()["added"] == 1
