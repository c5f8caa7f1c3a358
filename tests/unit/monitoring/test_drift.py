"""Drift: flagged on a shifted sample, not on an unshifted one; logged inputs flattened and matched."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from prometheus_client import CollectorRegistry, Gauge, generate_latest

from nivesh_ml.config import Settings
from nivesh_ml.errors import InvalidInput, NotFound
from nivesh_ml.monitoring.drift import align_columns, compute_drift, flatten_inputs
from nivesh_ml.monitoring.prediction_log import PredictionLog
from nivesh_ml.monitoring.reference import load_reference, save_reference
from nivesh_ml.monitoring.state import read_drift_state, refresh_drift_gauge
from nivesh_ml.pipelines.drift_check import check_model_drift

CATEGORIES = ["groceries", "fuel", "rent", "dining", "shopping"]


def transactions(n: int, seed: int, shift: bool = False) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    weights = [0.05, 0.05, 0.05, 0.05, 0.8] if shift else [0.2] * 5
    return pd.DataFrame({
        "amount": rng.lognormal(8.5 if shift else 6.5, 0.8, n).round(2),
        "hour": rng.integers(0, 24, n),
        "category": rng.choice(CATEGORIES, n, p=weights),
        "channel": rng.choice(["upi", "card", "netbanking"], n),
    })


def log_transactions(settings: Settings, frame: pd.DataFrame) -> None:
    plog = PredictionLog(settings.var_dir / "predictions.db", 10_000)
    for record in frame.to_dict(orient="records"):
        plog.append("anomaly", "1", {"user_id": "u1", "transaction": record}, {"score": 0.1})


def test_unshifted_sample_is_not_flagged() -> None:
    result = compute_drift(transactions(800, 1), transactions(400, 2), threshold=0.3)
    assert not result.drift_detected
    assert result.drift_share < 0.3
    assert {c.column for c in result.columns} == {"amount", "hour", "category", "channel"}


def test_shifted_sample_is_flagged_with_the_drifted_columns(tmp_path: Path) -> None:
    report = tmp_path / "drift.html"
    result = compute_drift(transactions(800, 1), transactions(400, 2, shift=True), threshold=0.3,
                           report_path=report)
    assert result.drift_detected
    assert set(result.drifted_columns) >= {"amount", "category"}
    assert result.drift_share == pytest.approx(0.5)
    assert report.is_file() and "<html" in report.read_text(errors="ignore")[:5000].lower()


def test_large_samples_use_distance_tests_and_the_verdicts_agree() -> None:
    # Over 1000 rows Evidently picks distance tests (Wasserstein, Jensen-Shannon): drift is a large score there.
    result = compute_drift(transactions(3000, 1), transactions(1500, 2, shift=True), threshold=0.3)
    methods = {c.column: c.method for c in result.columns}
    assert "p_value" not in methods["amount"] and "p_value" not in methods["category"]
    assert set(result.drifted_columns) >= {"amount", "category"}
    assert result.drift_share == pytest.approx(len(result.drifted_columns) / len(result.columns), abs=1e-4)
    assert result.drift_detected


def test_free_text_is_compared_by_length_and_words() -> None:
    rng = np.random.default_rng(0)
    words = ["how", "much", "did", "i", "spend", "on", "food", "last", "month", "budget", "save", "tax"]
    short = pd.DataFrame({"query": [" ".join(rng.choice(words, rng.integers(3, 7))) for _ in range(300)]})
    long = pd.DataFrame({"query": [" ".join(rng.choice(words, rng.integers(15, 25))) for _ in range(300)]})
    assert compute_drift(short, long, threshold=0.3).drift_detected
    same = compute_drift(short.iloc[:150], short.iloc[150:], threshold=0.3)
    assert not same.drift_detected
    assert {c.column for c in same.columns} == {"query.length", "query.words"}


def test_logged_nested_inputs_match_reference_columns_by_name() -> None:
    frame = flatten_inputs([{"user_id": "u", "transaction": {"amount": 10.0, "tags": ["x"]}}])
    assert list(frame.columns) == ["user_id", "transaction.amount"]
    ref, cur = align_columns(pd.DataFrame({"amount": [1.0], "unknown": [2]}), frame)
    assert list(ref.columns) == list(cur.columns) == ["amount"]
    with pytest.raises(InvalidInput, match="no column"):
        align_columns(pd.DataFrame({"x": [1]}), frame)


def test_logged_batches_count_one_row_per_item() -> None:
    frame = flatten_inputs([{"query": "hi there"}, {"queries": ["how much tax", "my balance"]}])
    assert len(frame) == 3
    _, current = align_columns(pd.DataFrame({"query": ["a", "b"]}), frame)
    assert current["query"].tolist() == ["hi there", "how much tax", "my balance"]


def test_too_few_logged_predictions_is_a_clear_error() -> None:
    with pytest.raises(InvalidInput, match="at least"):
        compute_drift(transactions(100, 1), transactions(5, 2), threshold=0.3)


def test_model_without_reference_data_says_how_to_add_it(tmp_path: Path) -> None:
    with pytest.raises(NotFound, match="save_reference"):
        load_reference(tmp_path)


def test_reference_round_trip_masks_personal_identifiers(tmp_path: Path) -> None:
    frame = pd.DataFrame({"description": ["UPI to 9876543210", "rent"], "amount": [1.0, 2.0]})
    save_reference(tmp_path, frame)
    loaded = load_reference(tmp_path)
    assert "9876543210" not in loaded.to_csv()
    assert loaded["amount"].tolist() == [1.0, 2.0]


def test_check_from_the_prediction_log_records_state_and_gauge(settings: Settings, tmp_path: Path) -> None:
    model_dir = tmp_path / "model"
    save_reference(model_dir, transactions(600, 1))
    log_transactions(settings, transactions(200, 3, shift=True))
    result = check_model_drift(settings, "anomaly", since_days=7, model_dir=model_dir)
    assert result.drift_detected and result.report and Path(result.report).is_file()
    state = read_drift_state(settings)
    assert state["anomaly"]["drift_share"] == result.drift_share
    assert "amount" in state["anomaly"]["drifted_columns"]

    registry = CollectorRegistry()
    gauge = Gauge("nivesh_drift_share", "drift", ["model"], registry=registry)
    refresh_drift_gauge(gauge, settings)
    assert f'nivesh_drift_share{{model="anomaly"}} {result.drift_share}' in generate_latest(registry).decode()


def test_check_without_a_champion_is_not_found(settings: Settings) -> None:
    with pytest.raises(NotFound, match="no champion"):
        check_model_drift(settings, "credit")


def test_check_of_a_model_saved_without_reference_is_a_clear_error(settings: Settings, tmp_path: Path) -> None:
    log_transactions(settings, transactions(50, 3))
    with pytest.raises(NotFound, match="saved without reference data"):
        check_model_drift(settings, "anomaly", model_dir=tmp_path)
