"""Weekly retraining, one DAG per model: validate → train (+evaluate, register) → gate/promote → reload servers."""

from __future__ import annotations

from datetime import datetime

from airflow.providers.standard.operators.bash import BashOperator
from airflow.sdk import DAG
from nivesh_common import DATA_ARG, DEFAULT_ARGS, MODELS, PARAMS, TRAIN_ARGS, USER_FILTERS, step_command


def retrain_dag(model: str, hour: int) -> DAG:
    """The weekly retraining DAG of one model (staggered start hours so trainings do not overlap)."""
    with DAG(
        dag_id=f"nivesh_retrain_{model}",
        description=f"Weekly retraining of the {model} model through the promotion gate",
        schedule=f"0 {hour} * * 0",
        start_date=datetime(2025, 1, 1),
        catchup=False,
        max_active_runs=1,
        default_args=DEFAULT_ARGS,
        params=PARAMS,
        user_defined_filters=USER_FILTERS,
        tags=["nivesh-ml", "retrain", model],
    ) as dag:
        validate = BashOperator(task_id="validate", bash_command=step_command("validate", model, DATA_ARG))
        train = BashOperator(task_id="train", bash_command=step_command("train", model, TRAIN_ARGS))
        promote = BashOperator(task_id="promote", bash_command=step_command("promote", model))
        reload = BashOperator(task_id="reload", bash_command=step_command("reload", model))
        validate >> train >> promote >> reload
    return dag


for index, name in enumerate(MODELS):
    globals()[f"nivesh_retrain_{name}"] = retrain_dag(name, hour=1 + index)
