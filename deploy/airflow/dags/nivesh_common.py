"""Shared bits of the nivesh-ml DAGs. Airflow runs in its own venv: tasks call the project's ``nivesh-ml``
command (BashOperator), which runs ``nivesh_ml.pipelines`` in the project's venv, so Airflow needs none of
nivesh-ml's dependencies and nivesh-ml none of Airflow's.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

from airflow.sdk import Param

# The models the DAGs cover (nivesh_ml.models.MODEL_NAMES; not imported: Airflow's venv lacks nivesh_ml).
MODELS = ("intent", "ner", "spending", "anomaly", "credit")
# Exit code of `nivesh-ml pipeline step retrain-if-drifted` for "no drift": BashOperator marks the task skipped.
SKIP_EXIT_CODE = 99

REPO_ROOT = Path(__file__).resolve().parents[3]
NIVESH_BIN = os.environ.get("NIVESH_ML_BIN", str(REPO_ROOT / ".venv" / "bin" / "nivesh-ml"))

DEFAULT_ARGS = {
    "owner": "nivesh-ml",
    "retries": int(os.environ.get("NIVESH_DAG_RETRIES", "1")),
    "retry_delay": timedelta(minutes=5),
    "execution_timeout": timedelta(hours=2),
}

PARAMS = {
    "data": Param("", type="string", description="training data file; empty = bundled/simulated data"),
    "train_params": Param([], type="array", description="training options as key=value strings"),
    "since_days": Param(7, type="number", description="days of logged predictions the drift check compares"),
}

# Jinja fragments: optional --data and repeated --param from the run's params (or `dags test -c` conf).
DATA_ARG = "{% if params.data %} --data {{ params.data | quote }}{% endif %}"
TRAIN_ARGS = "{% for p in params.train_params %} --param {{ p | quote }}{% endfor %}"


def step_command(step: str, model: str | None = None, extra: str = "") -> str:
    """The shell command of one pipeline step task."""
    target = f" {model}" if model else ""
    return f'"{NIVESH_BIN}" pipeline step {step}{target} --run-id "{{{{ run_id }}}}"{extra}'


def quote(value: object) -> str:
    """Shell-quote a templated value (registered as the ``quote`` Jinja filter)."""
    import shlex

    return shlex.quote(str(value))


USER_FILTERS = {"quote": quote}
