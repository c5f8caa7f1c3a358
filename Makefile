# nivesh-ml — `make run` serves, `make test` proves it. Everything lands in .venv and var/.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export HF_HUB_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: install run bootstrap serve test lint unit services bench openapi airflow-venv load clean

$(STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	# torch first: the local CPU build (any other spec pulls a CUDA build of several GB)
	$(BIN)/python -m pip install -q torch==2.13.0
	$(BIN)/python -m pip install -q -r requirements.lock
	$(BIN)/python -m pip install -q --no-deps -e .
	touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/nivesh-ml serve

bootstrap: install
	$(BIN)/nivesh-ml bootstrap

# Real services the tests use: Redis (started per test session on a free loopback port) and Prometheus.
services:
	@command -v redis-server >/dev/null && command -v prometheus >/dev/null && command -v promtool >/dev/null \
	  && command -v docker-compose >/dev/null \
	  || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server prometheus docker-compose)

# Airflow conflicts with our FastAPI pin: it gets its own venv; its DAG tasks call .venv/bin/nivesh-ml.
AIRFLOW_VENV := .venv-airflow
$(AIRFLOW_VENV)/.installed: deploy/airflow/requirements.lock deploy/airflow/setup_venv.sh
	PYTHON=$(PYTHON) bash deploy/airflow/setup_venv.sh

airflow-venv: $(AIRFLOW_VENV)/.installed

lint: install
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/mypy
	$(BIN)/lint-imports

test: install services airflow-venv lint
	$(BIN)/python -m pytest -q

unit: install
	$(BIN)/python -m pytest -q tests/unit

bench: install
	set -e; for script in benchmarks/bench_*.py; do echo "== $$script"; $(BIN)/python $$script; done

load: install
	$(BIN)/python benchmarks/load.py

openapi: install
	$(BIN)/python -m nivesh_ml.serving.openapi docs/openapi.json

clean:
	rm -rf var .pytest_cache .mypy_cache .ruff_cache
