"""Weekly drift check: Evidently drift of every model; models whose drift share reaches the threshold retrain."""

from __future__ import annotations

from datetime import datetime

from airflow.providers.standard.operators.bash import BashOperator
from airflow.sdk import DAG
from nivesh_common import (
    DATA_ARG,
    DEFAULT_ARGS,
    MODELS,
    PARAMS,
    SKIP_EXIT_CODE,
    TRAIN_ARGS,
    USER_FILTERS,
    step_command,
)

with DAG(
    dag_id="nivesh_drift_check",
    description="Weekly drift check; retrains (through the gate) the models that drifted",
    schedule="0 0 * * 6",
    start_date=datetime(2025, 1, 1),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    params=PARAMS,
    user_defined_filters=USER_FILTERS,
    tags=["nivesh-ml", "drift"],
) as dag:
    drift = BashOperator(task_id="drift_check",
                         bash_command=step_command("drift", extra=" --since {{ params.since_days }}"))
    for name in MODELS:
        retrain = BashOperator(
            task_id=f"retrain_{name}",
            bash_command=step_command("retrain-if-drifted", name, DATA_ARG + TRAIN_ARGS),
            skip_on_exit_code=SKIP_EXIT_CODE,
        )
        drift >> retrain
