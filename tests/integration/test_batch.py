"""The batch engine (Dask): files scored, ingested and forecast in partitions give the in-process results."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from nivesh_ml.config import Settings
from nivesh_ml.data.loaders import load_transactions, read_table
from nivesh_ml.data.schemas import Transaction
from nivesh_ml.data.synthetic import generate_transactions
from nivesh_ml.data.synthetic_credit import generate_applicants
from nivesh_ml.errors import InvalidInput
from nivesh_ml.features.factory import create_store
from nivesh_ml.models.anomaly import FAMILY as ANOMALY
from nivesh_ml.models.anomaly import PROFILE_NS, AnomalyPredictor
from nivesh_ml.models.credit import FAMILY as CREDIT
from nivesh_ml.models.credit.predictor import CreditPredictor
from nivesh_ml.models.spending import FAMILY as SPENDING
from nivesh_ml.pipelines.backfill import ingest_file
from nivesh_ml.pipelines.batch import EngineOptions
from nivesh_ml.pipelines.forecast_files import forecast_file
from nivesh_ml.pipelines.scoring import score_file
from nivesh_ml.pipelines.wiring import transaction_repository

pytestmark = [pytest.mark.integration, pytest.mark.slow]

# Small partitions: the ~0.7 MB test file is scored in several partitions, so users are really shuffled.
SMALL = EngineOptions(scheduler="inprocess", partition_mb=0.15)
SMALL_INGEST = EngineOptions(scheduler="inprocess", partition_mb=0.05)


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("batch-data")
    raw = generate_transactions(30, 3, seed=11)
    raw.to_csv(folder / "txns.csv", index=False)
    raw.to_parquet(folder / "txns.parquet", index=False, row_group_size=1000)
    applicants = generate_applicants(600, seed=5)
    applicants.to_csv(folder / "applicants.csv", index=False)
    applicants.to_parquet(folder / "applicants.parquet", index=False)
    return {"csv": folder / "txns.csv", "parquet": folder / "txns.parquet",
            "applicants.csv": folder / "applicants.csv", "applicants.parquet": folder / "applicants.parquet"}


@pytest.fixture(scope="module")
def anomaly_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    prepared = ANOMALY.prepare(None, {"users": 30, "months": 3, "seed": 11})
    directory = tmp_path_factory.mktemp("anomaly") / "model"
    ANOMALY.save(ANOMALY.train(prepared.train, {"seed": 3, "n_estimators": 60}), directory)
    return directory


@pytest.fixture(scope="module")
def credit_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    prepared = CREDIT.prepare(None, {"n_applicants": 1500, "seed": 7})
    directory = tmp_path_factory.mktemp("credit") / "model"
    CREDIT.save(CREDIT.train(prepared.train, {"n_trials": 1, "folds": 3, "seed": 7}), directory)
    return directory


def read_output(path: Path) -> pd.DataFrame:
    return pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path, keep_default_na=False)


@pytest.mark.parametrize("source", ["csv", "parquet"])
@pytest.mark.parametrize("suffix", [".parquet", ".csv"])
def test_anomaly_scores_in_partitions_equal_the_in_process_scores(files: dict[str, Path], anomaly_dir: Path,
                                                                  tmp_path: Path, source: str,
                                                                  suffix: str) -> None:
    predictor = ANOMALY.load(anomaly_dir)
    assert isinstance(predictor, AnomalyPredictor)
    expected = predictor.score_frame(load_transactions(files["csv"]))
    out = tmp_path / f"scores{suffix}"
    summary = score_file("anomaly", files[source], out, anomaly_dir, SMALL)
    got = read_output(out)
    assert summary["scored"] == len(got) == len(expected)
    assert summary["flagged"] == int(expected["is_anomaly"].sum()) > 0
    assert summary["partitions"] > 1
    assert list(got.columns) == ["transaction_id", "score", "is_anomaly", "reasons"]
    both = expected.merge(got, on="transaction_id", suffixes=("", "_batch"), validate="one_to_one")
    assert len(both) == len(expected)
    assert both["score_batch"].to_numpy() == pytest.approx(both["score"].to_numpy(), abs=1e-12)
    assert (both["is_anomaly_batch"] == both["is_anomaly"]).all()
    assert (both["reasons_batch"].fillna("") == both["reasons"].fillna("")).all()


def test_rows_without_ids_are_named_by_their_position_in_the_file(files: dict[str, Path], anomaly_dir: Path,
                                                                  tmp_path: Path) -> None:
    source = tmp_path / "no-ids.csv"
    pd.read_csv(files["csv"], dtype=str).drop(columns="transaction_id").to_csv(source, index=False)
    predictor = ANOMALY.load(anomaly_dir)
    assert isinstance(predictor, AnomalyPredictor)
    expected = predictor.score_frame(load_transactions(source))
    score_file("anomaly", source, tmp_path / "out.parquet", anomaly_dir, SMALL)
    got = pd.read_parquet(tmp_path / "out.parquet").sort_values("transaction_id").reset_index(drop=True)
    assert got["transaction_id"].tolist() == list(range(len(expected)))
    assert got["score"].to_numpy() == pytest.approx(expected["score"].to_numpy(), abs=1e-12)


def test_a_bad_row_is_named_by_its_line(files: dict[str, Path], anomaly_dir: Path, tmp_path: Path) -> None:
    rows = pd.read_csv(files["csv"], dtype=str)
    rows.loc[1000, "amount"] = "-5"
    source = tmp_path / "bad.csv"
    rows.to_csv(source, index=False)
    with pytest.raises(InvalidInput) as caught:
        score_file("anomaly", source, tmp_path / "out.parquet", anomaly_dir, SMALL)
    assert caught.value.details[0] == {"line": 1002, "error": "amount must be > 0"}


@pytest.mark.parametrize("source", ["applicants.csv", "applicants.parquet"])
def test_credit_scores_in_partitions_equal_the_in_process_probabilities(files: dict[str, Path], credit_dir: Path,
                                                                        tmp_path: Path, source: str) -> None:
    predictor = CREDIT.load(credit_dir)
    assert isinstance(predictor, CreditPredictor)
    frame = read_table(files["applicants.csv"])
    expected = [r["default_probability"] for r in predictor.predict(
        [predictor.schema.validate({k: row[k] for k in predictor.schema.names})
         for row in generate_applicants(600, seed=5).to_dict(orient="records")])]
    out = tmp_path / "credit.csv"
    summary = score_file("credit", files[source], out, credit_dir, EngineOptions(scheduler="inprocess",
                                                                                 partition_mb=0.02))
    got = pd.read_csv(out).sort_values("line")
    assert summary["scored"] == len(got) == len(frame)
    assert got["default_probability"].to_numpy() == pytest.approx(expected, abs=1e-4)
    assert set(got["risk_category"]) <= {"low", "medium", "high"}


@pytest.fixture(params=["sqlite", "redis"])
def store_settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    if request.param == "redis":
        return Settings(home=tmp_path / "var", redis_url=request.getfixturevalue("clean_redis"))
    return Settings(home=tmp_path / "var")


def stored_state(settings: Settings) -> dict[str, Any]:
    """Every user's stored history (without its write time) and anomaly profile."""
    store = create_store(settings)
    repository = transaction_repository(settings, store)
    try:
        users = sorted(repository.users())
        histories = repository.histories(users)
        return {user: {"history": [t.model_dump() for t in histories[user]],
                       "profile": repository.profile(PROFILE_NS, user)} for user in users}
    finally:
        store.close()


def small_ingest_file(folder: Path, users: int = 12) -> tuple[Path, pd.DataFrame]:
    rows = generate_transactions(users, 2, seed=21).drop(columns=["is_anomaly", "anomaly_kind"])
    rows.loc[rows.index[::7], "transaction_id"] = None  # rows without ids: deduplicated by fingerprint
    path = folder / "txns.csv"
    rows.to_csv(path, index=False)
    return path, rows


def test_ingest_twice_leaves_the_same_stored_state(store_settings: Settings, tmp_path: Path) -> None:
    path, rows = small_ingest_file(tmp_path)
    first = ingest_file(store_settings, path, SMALL_INGEST)
    assert first["partitions"] > 1
    assert first["users"] == rows["user_id"].nunique() == 12
    assert first["transactions"] == first["added"] == len(rows)
    assert first["rejected"] == 0 and first["rejected_rows"] == []
    state = stored_state(store_settings)
    assert sum(len(s["history"]) for s in state.values()) == len(rows)
    again = ingest_file(store_settings, path, SMALL_INGEST)
    assert again["transactions"] == len(rows) and again["added"] == 0
    assert stored_state(store_settings) == state


def test_bulk_ingest_stores_what_per_user_ingest_stores(store_settings: Settings, tmp_path: Path) -> None:
    path, _ = small_ingest_file(tmp_path, users=4)
    ingest_file(store_settings, path, SMALL_INGEST)
    bulk = stored_state(store_settings)
    one_by_one = Settings(home=tmp_path / "one-by-one")
    store = create_store(one_by_one)
    repository = transaction_repository(one_by_one, store)
    for user, group in load_transactions(path).groupby("user_id"):
        ordered = group.sort_values("timestamp", kind="stable")
        repository.ingest(str(user), [Transaction.model_validate({k: v for k, v in r.items() if pd.notna(v)})
                                      for r in ordered.to_dict(orient="records")])
    store.close()
    assert stored_state(one_by_one) == bulk


def test_bad_rows_are_reported_by_line_and_the_rest_ingested(store_settings: Settings, tmp_path: Path) -> None:
    path, rows = small_ingest_file(tmp_path)
    rows = pd.read_csv(path, dtype=str)
    rows.loc[3, "amount"] = "-12"
    rows.loc[250, "timestamp"] = "yesterday-ish"
    rows.loc[400, "currency"] = "XYZ"
    rows.to_csv(path, index=False)
    summary = ingest_file(store_settings, path, SMALL_INGEST)
    assert summary["rejected"] == 3
    assert [r["line"] for r in summary["rejected_rows"]] == [5, 252, 402]
    reasons = [r["error"] for r in summary["rejected_rows"]]
    assert reasons[0].startswith("amount:") and reasons[1].startswith("timestamp:")
    assert reasons[2].startswith("currency:") and "XYZ" in reasons[2]
    assert summary["transactions"] == summary["added"] == len(rows) - 3
    assert sum(len(s["history"]) for s in stored_state(store_settings).values()) == len(rows) - 3


@pytest.fixture(scope="module")
def spending(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("spending")
    frame = generate_transactions(6, 14, seed=5)
    frame.to_parquet(folder / "txns.parquet", index=False, row_group_size=500)  # several partitions
    trained = SPENDING.train(frame, {"calibration_users": 1,
                                     "config": {"eligible": ["seasonal_naive", "mean_12"]}})
    SPENDING.save(trained, folder / "model")
    return folder / "txns.parquet", folder / "model"


@pytest.mark.parametrize("suffix", [".parquet", ".csv"])
def test_forecasts_from_a_file_equal_the_one_user_forecasts(spending: tuple[Path, Path], tmp_path: Path,
                                                            suffix: str) -> None:
    data, model_dir = spending
    out = tmp_path / f"forecasts{suffix}"
    options = EngineOptions(scheduler="inprocess", partition_mb=0.1)
    summary = forecast_file(data, out, model_dir, 3, options, prophet_categories=None)
    frame = load_transactions(data)
    assert summary["users"] == frame["user_id"].nunique() == 6 and summary["failed"] == 0
    assert summary["partitions"] > 1
    got = read_output(out)
    predictor = SPENDING.load(model_dir)
    for user_id, rows in frame.groupby("user_id"):
        expected = predictor.forecast(predictor.history(rows.to_dict(orient="records")), 3).to_response()
        mine = got[got["user_id"] == user_id]
        total = mine[mine["series"] == "total"].sort_values("month")
        assert total["amount"].tolist() == pytest.approx([r["amount"] for r in expected["total"]])
        assert total["month"].tolist() == [r["month"] for r in expected["total"]]
        assert len(mine) == len(expected["total"]) + len(expected["forecast"])
