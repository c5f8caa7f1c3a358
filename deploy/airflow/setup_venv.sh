#!/usr/bin/env bash
# Create .venv-airflow: Apache Airflow in its own venv (it pins libraries that conflict with our FastAPI pin).
# DAG tasks run nivesh_ml in the project's .venv (BashOperator), so this venv needs none of our dependencies.
set -euo pipefail
cd "$(dirname "$0")/../.."
PYTHON="${PYTHON:-python3.11}"
VENV="${AIRFLOW_VENV:-.venv-airflow}"
LOCK="deploy/airflow/requirements.lock"
REQS="deploy/airflow/requirements.txt"
test -x "$VENV/bin/python" || "$PYTHON" -m venv "$VENV"
"$VENV/bin/python" -m pip install -q --upgrade pip
if [ -f "$LOCK" ]; then
  "$VENV/bin/python" -m pip install -q -r "$LOCK"
else
  "$VENV/bin/python" -m pip install -q -r "$REQS"
fi
touch "$VENV/.installed"
