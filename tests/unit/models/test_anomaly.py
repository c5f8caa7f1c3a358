"""Anomaly model behaviour: contract, extreme vs routine, cold start, evaluation, batch scoring CLI."""

from __future__ import annotations

import math
from datetime import timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from typer.testing import CliRunner

from nivesh_ml.cli import app
from nivesh_ml.data.synthetic import generate_transactions
from nivesh_ml.models.anomaly import FAMILY, AnomalyPredictor
from nivesh_ml.models.anomaly.family import load_frame, parse_transaction
from nivesh_ml.models.anomaly.features import txn_from_record
from nivesh_ml.models.anomaly.profile import apply_transactions
from tests.model_contract import check_model_contract

pytestmark = pytest.mark.slow

TINY = {"seed": 3, "n_estimators": 60}


def as_record(row: pd.Series) -> dict[str, Any]:
    """A frame row as a JSON transaction (NaN / NA dropped)."""
    out = {k: v for k, v in row.items() if k in {"transaction_id", "amount", "currency", "direction", "merchant",
                                                 "category", "channel", "city", "country", "latitude", "longitude"}
           and not (v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)))}
    return {**out, "timestamp": row["timestamp"].isoformat()}


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    return load_frame(generate_transactions(40, 3, seed=11))


@pytest.fixture(scope="module")
def model_dir(data: pd.DataFrame, tmp_path_factory: pytest.TempPathFactory) -> Path:
    prepared = FAMILY.prepare(None, {"users": 40, "months": 3, "seed": 11})
    directory = tmp_path_factory.mktemp("anomaly") / "model"
    FAMILY.save(FAMILY.train(prepared.train, TINY), directory)
    return directory


@pytest.fixture(scope="module")
def predictor(model_dir: Path) -> AnomalyPredictor:
    loaded = FAMILY.load(model_dir)
    assert isinstance(loaded, AnomalyPredictor)
    return loaded


def user_case(data: pd.DataFrame) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """(profile of a user, a routine next transaction, a clearly extreme one)."""
    rows = data[(data["user_id"] == data["user_id"].iloc[0]) & (data["is_anomaly"] == 0)]
    rows = rows.sort_values("timestamp", kind="stable")
    txns = [txn_from_record(parse_transaction(as_record(r), str(r["user_id"]))) for _, r in rows.iterrows()]
    profile = apply_transactions(None, txns)
    groceries = rows[rows["category"] == "groceries"]
    typical = groceries.iloc[(groceries["amount"] - groceries["amount"].median()).abs().argsort().iloc[0]]
    next_day = rows["timestamp"].max().normalize() + timedelta(days=1)
    routine = {**as_record(typical), "transaction_id": "routine-1",
               "timestamp": (next_day + timedelta(hours=typical["timestamp"].hour,
                                                  minutes=typical["timestamp"].minute)).isoformat()}
    extreme = {**routine, "transaction_id": "extreme-1", "amount": float(groceries["amount"].median() * 400),
               "timestamp": (next_day + timedelta(hours=3, minutes=12)).isoformat()}
    return profile, routine, extreme


def test_contract(data: pd.DataFrame, tmp_path: Path) -> None:
    profile, routine, extreme = user_case(data)
    inputs = [{"transaction": routine, "profile": profile}, {"transaction": extreme, "profile": profile},
              {"transaction": routine, "profile": None}]
    predictor = check_model_contract(FAMILY, data, TINY, inputs, tmp_path)
    out = predictor.predict(inputs)
    assert all(0.0 <= o["score"] <= 1.0 for o in out)
    assert {"is_anomaly", "score", "threshold", "reasons", "cold_start"} <= set(out[0])
    assert not list((tmp_path / "anomaly-model").glob("*.pkl"))


def test_clearly_extreme_is_flagged_with_reason_routine_is_not(data: pd.DataFrame,
                                                               predictor: AnomalyPredictor) -> None:
    profile, routine, extreme = user_case(data)
    calm, alarm = predictor.predict([{"transaction": routine, "profile": profile},
                                     {"transaction": extreme, "profile": profile}])
    assert alarm["is_anomaly"] and alarm["score"] > calm["score"]
    assert alarm["reasons"], alarm
    assert any("groceries" in r and "×" in r for r in alarm["reasons"]) or any("03:12" in r for r in alarm["reasons"])
    assert any(r.startswith("₹") for r in alarm["reasons"] if "×" in r)
    assert not calm["is_anomaly"], calm
    assert not alarm["cold_start"] and not calm["cold_start"]


def test_cold_start_user_is_scored_and_says_so(data: pd.DataFrame, predictor: AnomalyPredictor) -> None:
    _, routine, extreme = user_case(data)
    out = predictor.predict([{"transaction": routine, "profile": None}, {"transaction": extreme}])
    assert all(o["cold_start"] for o in out)
    assert out[1]["score"] >= out[0]["score"]


def test_threshold_is_stored_in_model_json(model_dir: Path, predictor: AnomalyPredictor) -> None:
    meta = predictor.metadata
    assert meta.extra["threshold"] == pytest.approx(predictor.threshold)
    assert meta.extra["target_fpr"] == pytest.approx(0.01)
    assert (model_dir / "forest.skops").is_file() and (model_dir / "reference.csv").is_file()


def test_evaluate_reports_contract_metrics_and_recall_per_kind(predictor: AnomalyPredictor) -> None:
    evaluation = load_frame(generate_transactions(25, 3, seed=99))
    metrics = FAMILY.evaluate(predictor, evaluation)
    for key in ("roc_auc", "pr_auc", "recall_at_1pct_fpr", "fpr_at_threshold"):
        assert 0.0 <= metrics[key] <= 1.0, key
    assert metrics["roc_auc"] > 0.8
    assert set(metrics["per_kind"]) <= {"amount_spike", "odd_hour", "new_far_merchant", "foreign_country",
                                        "rapid_burst", "card_testing"}
    assert metrics["per_kind"]


def test_score_command_writes_csv(model_dir: Path, tmp_path: Path) -> None:
    source = tmp_path / "txns.csv"
    generate_transactions(5, 2, seed=4).to_csv(source, index=False)
    out = tmp_path / "scored.csv"
    result = CliRunner().invoke(app, ["score", "anomaly", "--data", str(source), "--model", str(model_dir),
                                      "--out", str(out)])
    assert result.exit_code == 0, result.output
    scored = pd.read_csv(out)
    assert list(scored.columns) == ["transaction_id", "score", "is_anomaly", "reasons"]
    assert len(scored) == len(pd.read_csv(source))
    assert scored["score"].between(0, 1).all()
    flagged = scored[scored["is_anomaly"] == 1]
    assert flagged["reasons"].notna().all()


def test_evaluate_command_rejects_unlabelled_file(model_dir: Path, tmp_path: Path) -> None:
    source = tmp_path / "unlabelled.csv"
    generate_transactions(3, 1, seed=4).drop(columns=["is_anomaly", "anomaly_kind"]).to_csv(source, index=False)
    result = CliRunner().invoke(app, ["evaluate", "anomaly", "--data", str(source), "--model", str(model_dir)])
    assert result.exit_code != 0
