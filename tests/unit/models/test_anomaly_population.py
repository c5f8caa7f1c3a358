"""Population rarity, maturity blend and threshold recalibration of the anomaly model (issue 17)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from nivesh_ml.data.schemas import Transaction
from nivesh_ml.data.synthetic import thin_history_transactions
from nivesh_ml.models.anomaly import FAMILY, AnomalyPredictor
from nivesh_ml.models.anomaly.family import load_frame
from nivesh_ml.models.anomaly.features import INDEX, transaction_features, txn_from_record
from nivesh_ml.models.anomaly.model import maturity_weight
from nivesh_ml.models.anomaly.profile import apply_transactions
from nivesh_ml.models.anomaly.threshold import MAX_SHIFT, MIN_RECENT, RecentScores, recalibrated_threshold


@pytest.fixture(scope="module")
def thin_frame() -> pd.DataFrame:
    return load_frame(thin_history_transactions(300, seed=3))


@pytest.fixture(scope="module")
def predictor(thin_frame: pd.DataFrame, tmp_path_factory: pytest.TempPathFactory) -> AnomalyPredictor:
    unlabelled = thin_frame.drop(columns=["is_anomaly", "anomaly_kind"])
    directory = tmp_path_factory.mktemp("anomaly") / "m"
    FAMILY.save(FAMILY.train(unlabelled, {"seed": 3}), directory)
    loaded = FAMILY.load(directory)
    assert isinstance(loaded, AnomalyPredictor)
    return loaded


def txn(hour: int, amount: float, category: str, merchant: str, day: int = 20) -> Transaction:
    return Transaction(user_id="u", timestamp=datetime(2024, 11, day, hour, 12), amount=amount, category=category,
                       merchant=merchant, channel="card", city="Mumbai", country="IN")


def profile_of(history: list[Transaction]) -> dict[str, Any]:
    return apply_transactions(None, [txn_from_record(t) for t in history])


def thin_history() -> list[Transaction]:
    return [txn(9, 450, "groceries", "DMart", 5), txn(13, 320, "food_delivery", "Swiggy", 6),
            txn(19, 1200, "dining", "Cafe Coffee Day", 7)]


def test_population_statistics_are_saved_as_json(predictor: AnomalyPredictor, tmp_path: Path) -> None:
    predictor.detector.save(tmp_path)
    state = json.loads((tmp_path / "detector.json").read_text())
    assert "d:shopping" in state["population"]["pop_q"]
    assert state["population"]["pop_merchant_count"]["Amazon"] > 0
    assert state["maturity_k"] == predictor.detector.maturity_k and state["unsup_cal"]["values"]
    assert state["population_weight"] == predictor.detector.population_weight == 0.25


def test_population_features_rank_rarity(predictor: AnomalyPredictor) -> None:
    pop = predictor.detector.population

    def vector(t: Transaction) -> list[float]:
        return transaction_features(None, txn_from_record(t), pop)

    small, large = vector(txn(14, 900, "shopping", "Amazon")), vector(txn(14, 90_000, "shopping", "Amazon"))
    assert large[INDEX["pop_amount_tail_category"]] > small[INDEX["pop_amount_tail_category"]] + 1
    assert large[INDEX["pop_log_ratio_category_median"]] > 3
    night, day = vector(txn(2, 900, "shopping", "Amazon")), small
    assert night[INDEX["pop_category_hour_rarity"]] > day[INDEX["pop_category_hour_rarity"]]
    unseen = vector(txn(14, 900, "shopping", "Never Seen Traders"))
    assert unseen[INDEX["pop_merchant_rarity"]] > small[INDEX["pop_merchant_rarity"]]


def test_thin_history_night_extreme_amount_is_flagged(predictor: AnomalyPredictor) -> None:
    profile = profile_of(thin_history())
    fraud = predictor.score(txn(2, 45_000, "groceries", "BigBasket"), profile)
    usual = predictor.score(txn(11, 600, "groceries", "BigBasket"), profile)
    assert fraud["is_anomaly"] and fraud["score"] > predictor.threshold
    assert not usual["is_anomaly"]


def test_mature_users_usual_large_rent_is_not_flagged(predictor: AnomalyPredictor) -> None:
    start = datetime(2023, 1, 1, 10, 0)
    history = []
    for month in range(22):
        first = start + timedelta(days=30 * month)
        history.append(Transaction(user_id="u", timestamp=first, amount=85_000, category="rent", merchant="Landlord",
                                   channel="netbanking", city="Mumbai", country="IN"))
        history += [txn(9 + k % 8, 500 + 37 * k, "groceries", "DMart", 1).model_copy(
            update={"timestamp": first + timedelta(days=2 + k)}) for k in range(6)]
    profile = profile_of(history)
    rent = Transaction(user_id="u", timestamp=start + timedelta(days=30 * 22), amount=85_000, category="rent",
                       merchant="Landlord", channel="netbanking", city="Mumbai", country="IN")
    assert not predictor.score(rent, profile)["is_anomaly"]
    # The same rent from a newcomer is scored mostly on population rarity: more suspicious.
    assert predictor.score(rent, None)["score"] > predictor.score(rent, profile)["score"]


def test_maturity_weight_moves_from_population_to_own_history() -> None:
    w = maturity_weight(np.array([0, 5, 45, 1000]), 5.0)
    assert w[0] == 0 and w[1] == pytest.approx(0.5) and w[2] == pytest.approx(0.9)
    assert np.all(np.diff(w) > 0)
    assert np.all(maturity_weight(np.array([0, 3]), 0.0) == 1.0)


def test_recalibration_follows_drift_within_the_guard() -> None:
    rng = np.random.default_rng(0)
    stored = 0.99
    kept, why = recalibrated_threshold(stored, rng.random(100), 0.01)
    assert kept == stored and "kept" in why
    # A new period where 4 % of the scores sit above the stored threshold (target 1 %).
    drifted = np.concatenate([rng.uniform(0, 0.99, 4800), rng.uniform(0.99, 0.998, 200)])
    moved, why = recalibrated_threshold(stored, drifted, 0.01)
    assert moved > stored and "recalibrated" in why
    assert (drifted > moved).mean() == pytest.approx(0.01, abs=0.002)
    flood = np.full(5000, 0.99999)  # a flood of extreme scores cannot push the threshold past the guard
    guarded, why = recalibrated_threshold(stored, flood, 0.01)
    assert "guarded" in why and 1 - guarded == pytest.approx((1 - stored) / MAX_SHIFT)


def test_predictor_tracks_its_flag_rate_and_recalibrates(predictor: AnomalyPredictor) -> None:
    window = RecentScores(window=3)
    for score in (0.1, 0.2, 0.3, 0.4):
        window.observe(score)
    assert list(window.scores) == [0.2, 0.3, 0.4] and window.flag_rate(0.25) == pytest.approx(2 / 3)
    profile = profile_of(thin_history())
    predictor.recent = RecentScores()
    for hour in range(24):
        predictor.score(txn(hour, 500 + 10 * hour, "groceries", "DMart"), profile)
    assert len(predictor.recent.scores) == 24 and 0 <= predictor.flag_rate <= 1
    stored = predictor.threshold
    assert "kept" in predictor.recalibrate()  # 24 scores are too few to move it
    assert predictor.threshold == stored


def test_scheduled_recalibration_every_n_scores_within_the_guard(predictor: AnomalyPredictor) -> None:
    scheduled = AnomalyPredictor(predictor.detector, predictor.metadata, recalibrate_every=MIN_RECENT)
    stored = scheduled.detector.threshold
    rng = np.random.default_rng(1)
    # A later period where 5 % of served scores sit above the stored threshold (target 1 %).
    drifted = np.where(rng.random(3 * MIN_RECENT) < 0.05, rng.uniform(stored, 1.0, 3 * MIN_RECENT),
                       rng.uniform(0.0, stored, 3 * MIN_RECENT))
    for score in drifted[: MIN_RECENT - 1].tolist():
        scheduled.record_served(score)
    assert scheduled.threshold == stored  # not yet due
    scheduled.record_served(float(drifted[MIN_RECENT - 1]))
    assert scheduled.threshold > stored  # due: moved towards the recent 99th percentile
    assert (1 - stored) / (1 - scheduled.threshold) <= MAX_SHIFT + 1e-9
    for score in drifted[MIN_RECENT:].tolist():
        scheduled.record_served(score)
    assert scheduled.flag_rate == pytest.approx(0.01, abs=0.005)
    # A flood of extreme scores moves the threshold only as far as the guard allows, however often it runs.
    for _ in range(3 * MIN_RECENT):
        scheduled.record_served(0.999999)
    assert 1 - scheduled.threshold == pytest.approx((1 - stored) / MAX_SHIFT)
    never = AnomalyPredictor(predictor.detector, predictor.metadata, recalibrate_every=0)
    for score in drifted.tolist():
        never.record_served(score)
    assert never.threshold == stored
