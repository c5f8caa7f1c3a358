"""Anomaly features and profiles: offline == online, idempotent ingestion, cold start, formatting."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import IsolationForest

from nivesh_ml.data.schemas import Transaction
from nivesh_ml.data.synthetic import generate_transactions
from nivesh_ml.errors import InvalidInput
from nivesh_ml.features.repository import TransactionRepository
from nivesh_ml.features.sqlite_store import SQLiteStore
from nivesh_ml.models.anomaly import PROFILE_NS, AnomalyProfileUpdater
from nivesh_ml.models.anomaly.batch import frame_features
from nivesh_ml.models.anomaly.family import load_frame, parse_transaction
from nivesh_ml.models.anomaly.features import FEATURE_NAMES, transaction_features, txn_from_record
from nivesh_ml.models.anomaly.model import TreeWalker
from nivesh_ml.models.anomaly.population import fit_population
from nivesh_ml.models.anomaly.profile import apply_transactions, is_cold
from nivesh_ml.models.anomaly.reasons import explain, format_money, indian_grouping


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return load_frame(generate_transactions(8, 2, seed=5))


@pytest.fixture(scope="module")
def population(frame: pd.DataFrame) -> dict[str, Any]:
    return fit_population(frame)


def as_transaction(row: pd.Series) -> Transaction:
    """A frame row as the API would receive it (NaN / NA → absent)."""
    fields = {k: (None if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)) else v)
              for k, v in row.items() if k in Transaction.model_fields}
    fields["timestamp"] = row["timestamp"].isoformat()
    return Transaction.model_validate(fields)


def test_there_are_at_least_20_features() -> None:
    assert len(FEATURE_NAMES) >= 20
    assert len(set(FEATURE_NAMES)) == len(FEATURE_NAMES)


def test_online_vector_from_stored_profile_equals_offline_vector(frame: pd.DataFrame, population: dict[str, Any],
                                                                 tmp_path: Path) -> None:
    offline, _, _ = frame_features(frame, population)
    store = SQLiteStore(tmp_path / "fs.db")
    repo = TransactionRepository(store, [AnomalyProfileUpdater()], ttl_s=3600, max_history=5000)
    for user in frame["user_id"].unique()[:3]:
        rows = frame[frame["user_id"] == user].sort_values("timestamp", kind="stable")
        history, last = rows.iloc[:-1], rows.iloc[-1]
        txns = [as_transaction(r) for _, r in history.iterrows()]
        # Ingest in uneven batches, as POST /transactions would; the profile updater runs on each.
        for start in range(0, len(txns), 37):
            repo.ingest(user, txns[start:start + 37])
        profile = repo.profile(PROFILE_NS, user)
        assert profile is not None and profile["n"] == len(txns)
        online = transaction_features(profile, txn_from_record(as_transaction(last)), population)
        assert np.array_equal(np.asarray(online), offline[last.name]), user
    store.close()


def test_reingesting_the_same_transactions_changes_nothing(frame: pd.DataFrame, tmp_path: Path) -> None:
    user = frame["user_id"].iloc[0]
    txns = [as_transaction(r) for _, r in frame[frame["user_id"] == user].head(30).iterrows()]
    store = SQLiteStore(tmp_path / "fs.db")
    repo = TransactionRepository(store, [AnomalyProfileUpdater()], ttl_s=3600, max_history=5000)
    repo.ingest(user, txns)
    first = repo.profile(PROFILE_NS, user)
    repo.ingest(user, txns[:10])
    assert repo.profile(PROFILE_NS, user) == first
    store.close()


def test_cold_start_features_are_finite(frame: pd.DataFrame, population: dict[str, Any]) -> None:
    txn = txn_from_record(as_transaction(frame.iloc[0]))
    vector = transaction_features(None, txn, population)
    assert len(vector) == len(FEATURE_NAMES)
    assert all(math.isfinite(v) for v in vector)
    assert is_cold(None) and is_cold(apply_transactions(None, [txn]))


def test_missing_merchant_city_and_foreign_currency_are_tolerated(frame: pd.DataFrame,
                                                                  population: dict[str, Any]) -> None:
    rows = frame[frame["user_id"] == frame["user_id"].iloc[0]]
    profile = apply_transactions(None, [txn_from_record(as_transaction(r)) for _, r in rows.iterrows()])
    bare = Transaction(user_id="x", timestamp="2025-01-05T10:00:00", amount=25.0, currency="EUR")
    vector = transaction_features(profile, txn_from_record(bare), population)
    assert all(math.isfinite(v) for v in vector)
    assert vector[FEATURE_NAMES.index("is_foreign_currency")] == 1.0


def test_tree_walker_matches_scikit_learn() -> None:
    rng = np.random.default_rng(0)
    features = rng.normal(size=(2000, 6))
    forest = IsolationForest(n_estimators=30, max_samples=256, random_state=0).fit(features.astype(np.float32))
    walker = TreeWalker.from_forest(forest)
    probe = rng.normal(size=(50, 6)) * 2
    expected = -forest.score_samples(probe.astype(np.float32))
    got = np.array([walker.score(row.tolist()) for row in probe])
    np.testing.assert_allclose(got, expected, rtol=1e-9)


@pytest.mark.parametrize("bad", [
    {"timestamp": "2025-01-05T10:00:00", "amount": -10},
    {"timestamp": "not a date", "amount": 10},
    {"timestamp": "2025-01-05T10:00:00", "amount": 10, "currency": "XYZ"},
    "just a string",
])
def test_bad_transactions_are_invalid_input(bad: Any) -> None:
    with pytest.raises(InvalidInput):
        parse_transaction(bad, "u1")


def test_indian_money_formatting() -> None:
    assert indian_grouping(48000) == "48,000"
    assert indian_grouping(120000) == "1,20,000"
    assert indian_grouping(12345678) == "1,23,45,678"
    assert indian_grouping(999) == "999"
    assert format_money(48000) == "₹48,000"
    assert format_money(1200, "USD") == "$1,200"
    assert format_money(350, "AED") == "AED 350"


def test_an_hour_never_seen_in_training_is_rare_not_impossible(frame: pd.DataFrame) -> None:
    daytime = frame[frame["timestamp"].dt.hour.between(9, 17)]
    population = fit_population(daytime)
    night = Transaction(user_id="x", timestamp="2025-01-05T03:30:00", amount=500.0)
    vector = transaction_features(None, txn_from_record(night), population)
    assert math.isfinite(vector[FEATURE_NAMES.index("hour_surprise")])


def _payments(merchant: str, category: str, amounts: list[float], hour: int = 11) -> list[Transaction]:
    return [Transaction(user_id="u", transaction_id=f"{merchant}-{i}", amount=a, merchant=merchant, category=category,
                        timestamp=f"2025-01-{i + 1:02d}T{hour:02d}:15:00") for i, a in enumerate(amounts)]


def test_amount_is_compared_with_the_users_usual_at_that_merchant(population: dict[str, Any]) -> None:
    history = _payments("Corner Kirana", "groceries", [400.0] * 12) + _payments("Big Mart", "groceries", [2000.0] * 12)
    profile = apply_transactions(None, [txn_from_record(t) for t in history])
    ten_times = Transaction(user_id="u", timestamp="2025-01-20T11:00:00", amount=4000.0, merchant="Corner Kirana",
                            category="groceries")
    usual_big = ten_times.model_copy(update={"amount": 2000.0, "merchant": "Big Mart"})
    ratio = FEATURE_NAMES.index("log_ratio_merchant")
    assert transaction_features(profile, txn_from_record(ten_times), population)[ratio] == pytest.approx(
        math.log(4001 / 401))
    assert transaction_features(profile, txn_from_record(usual_big), population)[ratio] == pytest.approx(0.0)
    vector = transaction_features(profile, txn_from_record(ten_times), population)
    deviation = [0.0] * len(FEATURE_NAMES)
    deviation[ratio] = 5.0
    assert explain(vector, deviation, txn_from_record(ten_times), True)[0].startswith(
        "₹4,000 is 10.0× what you usually pay Corner Kirana")
    new_payee = txn_from_record(ten_times.model_copy(update={"merchant": "Fresh Mart"}))
    assert "Fresh Mart" not in explain(transaction_features(profile, new_payee, population), deviation, new_payee,
                                       True)[0]


def test_a_category_paid_at_an_unusual_hour_is_more_surprising(population: dict[str, Any]) -> None:
    history = _payments("Corner Kirana", "groceries", [400.0] * 20, hour=11)
    history += _payments("ATM", "cash_withdrawal", [2000.0] * 20, hour=3)
    profile = apply_transactions(None, [txn_from_record(t) for t in history])
    surprise = FEATURE_NAMES.index("category_hour_surprise")
    night_groceries = Transaction(user_id="u", timestamp="2025-01-25T03:10:00", amount=400.0,
                                  merchant="Corner Kirana", category="groceries")
    night_cash = night_groceries.model_copy(update={"merchant": "ATM", "category": "cash_withdrawal", "amount": 2000.0})
    groceries = transaction_features(profile, txn_from_record(night_groceries), population)[surprise]
    cash = transaction_features(profile, txn_from_record(night_cash), population)[surprise]
    assert groceries > cash + 2.0


@pytest.mark.parametrize(("paid", "now", "foreign"), [
    (["INR", "USD"], "INR", 0.0),          # a thin, mixed history: neither currency is unusual (a tie)
    (["INR", "USD"], "USD", 0.0),
    (["INR", "USD"], "EUR", 1.0),          # never used: foreign
    (["INR", "INR", "USD"], "USD", 1.0),   # less used than the usual INR
    (["USD", "USD", "INR"], "INR", 1.0),   # a user abroad: rupees are the unusual one
    ([], "USD", 1.0),                      # no history: the population's home currency decides
    ([], "INR", 0.0),
])
def test_foreign_currency_on_a_thin_history_online_and_in_batch(population: dict[str, Any], paid: list[str],
                                                               now: str, foreign: float) -> None:
    rows = [Transaction(user_id="u", transaction_id=f"t{i}", amount=100.0, currency=c, merchant="Shop",
                        timestamp=f"2025-01-{i + 1:02d}T11:00:00") for i, c in enumerate([*paid, now])]
    index = FEATURE_NAMES.index("is_foreign_currency")
    profile = apply_transactions(None, [txn_from_record(t) for t in rows[:-1]]) if paid else None
    assert transaction_features(profile, txn_from_record(rows[-1]), population)[index] == foreign
    batch, _, _ = frame_features(load_frame(pd.DataFrame([t.model_dump(mode="json") for t in rows])), population)
    assert batch[len(rows) - 1][index] == foreign
