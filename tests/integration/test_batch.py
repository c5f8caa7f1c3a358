"""The batch engine (Dask): files scored, ingested and forecast in partitions give the in-process results."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from nivesh_ml.data.loaders import load_transactions, read_table
from nivesh_ml.data.synthetic import generate_transactions
from nivesh_ml.data.synthetic_credit import generate_applicants
from nivesh_ml.errors import InvalidInput
from nivesh_ml.models.anomaly import FAMILY as ANOMALY
from nivesh_ml.models.anomaly import AnomalyPredictor
from nivesh_ml.models.credit import FAMILY as CREDIT
from nivesh_ml.models.credit.predictor import CreditPredictor
from nivesh_ml.pipelines.batch import EngineOptions
from nivesh_ml.pipelines.scoring import score_file

pytestmark = [pytest.mark.integration, pytest.mark.slow]

# Small partitions: the ~0.7 MB test file is scored in several partitions, so users are really shuffled.
SMALL = EngineOptions(scheduler="inprocess", partition_mb=0.15)


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("batch-data")
    raw = generate_transactions(30, 3, seed=11)
    raw.to_csv(folder / "txns.csv", index=False)
    raw.to_parquet(folder / "txns.parquet", index=False)
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
    if source == "csv":
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
