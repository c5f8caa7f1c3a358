"""The batch commands against a real ``dask scheduler`` and two ``dask worker`` processes on loopback."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from nivesh_ml.config import Settings
from nivesh_ml.data.loaders import load_transactions
from nivesh_ml.data.synthetic import generate_transactions
from nivesh_ml.models.anomaly import FAMILY as ANOMALY
from nivesh_ml.models.anomaly import AnomalyPredictor
from nivesh_ml.models.spending import FAMILY as SPENDING
from nivesh_ml.pipelines.backfill import ingest_file
from nivesh_ml.pipelines.batch import EngineOptions
from nivesh_ml.pipelines.forecast_files import forecast_file
from nivesh_ml.pipelines.scoring import score_file
from tests.conftest import free_port
from tests.integration.test_batch import stored_state

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


@pytest.fixture(scope="module")
def scheduler(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    dask = shutil.which("dask", path=str(Path(sys.executable).parent))
    assert dask is not None, "the dask CLI is part of the distributed dependency"
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    workdir = tmp_path_factory.mktemp("dask")
    procs = [subprocess.Popen([dask, "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
                              cwd=workdir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
    procs += [subprocess.Popen([dask, "worker", address, "--nthreads", "1", "--no-dashboard",
                                "--local-directory", str(workdir / f"w{i}")], cwd=workdir,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for i in range(2)]
    try:
        from distributed import Client

        client = Client(address, timeout=60)
        client.wait_for_workers(2, timeout=120)
        client.close()
        yield address
    finally:
        for proc in reversed(procs):
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("batch-e2e") / "txns.csv"
    generate_transactions(12, 14, seed=9).to_csv(path, index=False)
    return path


def test_score_ingest_and_forecast_on_a_cluster_equal_in_process(scheduler: str, data: Path,
                                                                 tmp_path: Path) -> None:
    cluster = EngineOptions(scheduler=scheduler, partition_mb=0.3)
    here = EngineOptions(scheduler="inprocess", partition_mb=0.3)
    frame = load_transactions(data)

    model = tmp_path / "anomaly"
    prepared = ANOMALY.prepare(None, {"users": 20, "months": 3, "seed": 11})
    ANOMALY.save(ANOMALY.train(prepared.train, {"seed": 3, "n_estimators": 40}), model)
    predictor = ANOMALY.load(model)
    assert isinstance(predictor, AnomalyPredictor)
    expected = predictor.score_frame(frame)
    summary = score_file("anomaly", data, tmp_path / "scores.parquet", model, cluster)
    assert summary["workers"] == 2 and summary["partitions"] > 1
    got = expected.merge(pd.read_parquet(tmp_path / "scores.parquet"), on="transaction_id", suffixes=("", "_c"))
    assert len(got) == len(expected)
    assert got["score_c"].to_numpy() == pytest.approx(got["score"].to_numpy(), abs=1e-12)

    homes = Settings(home=tmp_path / "cluster-home"), Settings(home=tmp_path / "here-home")
    on_cluster, in_process = ingest_file(homes[0], data, cluster), ingest_file(homes[1], data, here)
    assert on_cluster["added"] == in_process["added"] == len(frame)
    assert stored_state(homes[0]) == stored_state(homes[1])

    spending = tmp_path / "spending"
    SPENDING.save(SPENDING.train(frame, {"calibration_users": 1,
                                         "config": {"eligible": ["seasonal_naive", "mean_12"]}}), spending)
    forecast_file(data, tmp_path / "f-cluster.parquet", spending, 3, cluster, prophet_categories=None)
    forecast_file(data, tmp_path / "f-here.parquet", spending, 3, here, prophet_categories=None)
    order = ["user_id", "series", "month"]
    a = pd.read_parquet(tmp_path / "f-cluster.parquet").sort_values(order).reset_index(drop=True)
    b = pd.read_parquet(tmp_path / "f-here.parquet").sort_values(order).reset_index(drop=True)
    assert a["user_id"].nunique() == 12
    pd.testing.assert_frame_equal(a, b)
