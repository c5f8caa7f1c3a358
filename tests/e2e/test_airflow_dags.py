"""The Airflow DAGs, really run with ``airflow dags test`` in ``.venv-airflow`` against tiny data.

``make airflow-venv`` creates ``.venv-airflow``; the DAG tasks call this project's ``nivesh-ml`` (in ``.venv``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from nivesh_ml.config import Settings
from nivesh_ml.models import available_models
from nivesh_ml.monitoring.prediction_log import PredictionLog
from nivesh_ml.monitoring.reference import has_reference, load_reference
from nivesh_ml.registry import ModelRegistry

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

ROOT = Path(__file__).resolve().parents[2]
AIRFLOW = ROOT / ".venv-airflow" / "bin" / "airflow"
DAGS = ROOT / "deploy" / "airflow" / "dags"
MODEL = "credit"
TINY: dict[str, object] = {"train_params": ["n_applicants=400", "n_trials=1", "max_rounds=100"]}


@pytest.fixture(scope="module")
def airflow_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """An Airflow home (SQLite metadata DB) and a nivesh home, both fresh, with the DAGs parsed."""
    if not AIRFLOW.exists():
        message = ".venv-airflow is missing: run `make airflow-venv`"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    if MODEL not in available_models():
        pytest.skip(f"the {MODEL} model is not in this build")
    home = tmp_path_factory.mktemp("airflow")
    env = {**os.environ, "AIRFLOW_HOME": str(home / "airflow"), "NIVESH_HOME": str(home / "var"),
           "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS), "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
           "NIVESH_ML_BIN": str(Path(sys.executable).with_name("nivesh-ml")), "NIVESH_DAG_RETRIES": "0",
           "HF_HUB_OFFLINE": "1", "NIVESH_LOG_LEVEL": "WARNING"}
    airflow(env, "db", "migrate")
    airflow(env, "dags", "reserialize")
    return env


def airflow(env: dict[str, str], *args: str, timeout: int = 600) -> str:
    proc = subprocess.run([str(AIRFLOW), *args], env=env, capture_output=True, text=True, timeout=timeout,
                          check=False)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output[-6000:]
    return output


def dag_test(env: dict[str, str], dag_id: str, conf: dict[str, object]) -> str:
    output = airflow(env, "dags", "test", dag_id, "-c", json.dumps(conf))
    finished = [line for line in output.splitlines() if "DagRun Finished" in line]
    assert finished and "state=success" in finished[-1], output[-6000:]
    return output


def test_every_dag_parses(airflow_env: dict[str, str]) -> None:
    listed = airflow(airflow_env, "dags", "list")
    expected = ["nivesh_drift_check", *(f"nivesh_retrain_{m}" for m in
                                        ("intent", "ner", "spending", "anomaly", "credit"))]
    for dag_id in expected:
        assert dag_id in listed
    assert "No data found" in airflow(airflow_env, "dags", "list-import-errors")


@pytest.mark.slow
def test_weekly_retrain_then_drift_triggered_retrain(airflow_env: dict[str, str]) -> None:
    settings = Settings(home=Path(airflow_env["NIVESH_HOME"]))
    registry = ModelRegistry(settings)

    dag_test(airflow_env, f"nivesh_retrain_{MODEL}", TINY)
    champion = registry.champion(MODEL)
    assert champion is not None and champion.version == "1"
    runs = list((settings.var_dir / "pipelines").glob(f"*/{MODEL}/reload.json"))
    assert len(runs) == 1 and json.loads(runs[0].read_text())["reloaded"] is True

    calm = dag_test(airflow_env, "nivesh_drift_check", TINY)  # nothing logged yet: every model skipped
    assert calm.count("Skipping task") == 5
    assert len(registry.versions(MODEL)) == 1

    log_shifted_applications(settings, champion.directory)
    drifted = dag_test(airflow_env, "nivesh_drift_check", TINY)
    assert drifted.count("Skipping task") == 4  # every model but the drifted one
    assert len(registry.versions(MODEL)) == 2
    checks = json.loads(next((settings.var_dir / "pipelines").glob("*/_drift/drift.json")).read_text())
    assert checks is not None


def log_shifted_applications(settings: Settings, champion_dir: Path) -> None:
    """Serve-time inputs far from the training data: every numeric feature tripled."""
    assert has_reference(champion_dir)  # the credit model saves its training inputs as the drift reference
    reference = load_reference(champion_dir)
    plog = PredictionLog(settings.var_dir / "predictions.db", 10_000)
    for row in reference.head(200).to_dict(orient="records"):
        shifted = {k: (v * 3 if isinstance(v, int | float) and not isinstance(v, bool) else v)
                   for k, v in row.items()}
        plog.append(MODEL, "1", {"applicant_data": shifted}, {"default_probability": 0.5})
