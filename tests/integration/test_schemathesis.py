"""Schemathesis over the real app's OpenAPI: every operation, all checks, positive and negative data.

The app runs with every model trained tiny and promoted (MLflow on SQLite under tmp_path). Each operation gets
``EXAMPLES`` generated requests per generation mode; every failed check is collected (not only the first) so a
failure lists all the distinct problems of the run, each with a curl command that reproduces it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.core.failures import FailureGroup

from nivesh_ml.config import Settings
from nivesh_ml.data.synthetic import generate_transactions
from nivesh_ml.pipelines.training import train_model
from nivesh_ml.serving.app import create_app

pytestmark = [pytest.mark.integration, pytest.mark.slow]

EXAMPLES = 50
REQUEST_TIMEOUT_S = 120  # generous: the first advice call loads the retrieval model on a busy 2-core machine
DOCS = Path(__file__).resolve().parents[2] / "docs" / "openapi.json"
TINY: dict[str, tuple[dict[str, Any], bool]] = {  # model -> (training options, needs a transactions file)
    "credit": ({"n_applicants": 1200, "n_trials": 1, "folds": 3}, False),
    "anomaly": ({"users": 40, "months": 3, "seed": 5, "n_estimators": 60}, False),
    "spending": ({"calibration_users": 3, "config": {"eligible": ["seasonal_naive", "mean_12", "ets"]}}, True),
    "ner": ({"epochs": 2, "width": 32, "depth": 2, "embed_size": 500, "hidden_width": 32}, False),
    # 20 steps on 20 examples per intent: only the serving path matters here, not accuracy.
    "intent": ({"epochs": 1, "max_steps": 20, "per_label": 20, "batch_size": 32, "max_length": 32, "threads": 1,
                "calibration_size": 32}, False),
}


def train_every_model(home: Path) -> None:
    """Train each model tiny in ``home`` and promote it to champion."""
    data = home.parent / "transactions.csv"
    data.parent.mkdir(parents=True, exist_ok=True)
    generate_transactions(4, 15, seed=11).to_csv(data, index=False)
    settings = Settings(home=home)
    for name, (options, needs_data) in TINY.items():
        result = train_model(settings, name, data if needs_data else None, options, promote=True)
        assert result.promotion and result.promotion["promoted"], (name, result.promotion)


def fuzz_settings(home: Path) -> Settings:
    # The advice rate limit is tested in test_rate_limits.py; here 100 cases from one client would exceed it.
    return Settings(home=home, server={"advice_rate_per_minute": 0})


def fuzz_operation(schema: Any, method: str, path: str, examples: int = EXAMPLES) -> tuple[int, list[str]]:
    """Run ``examples`` positive and ``examples`` negative cases; return (cases sent, distinct failures)."""
    operation = schema[path][method]
    failures: dict[str, str] = {}
    sent = 0
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
        try:
            sent += _fuzz(operation, mode, examples, failures)
        except Unsatisfiable:  # no parameters and no body: nothing can be negated
            assert mode is GenerationMode.NEGATIVE, f"{method} {path}: no positive case could be generated"
    return sent, list(failures.values())


def _fuzz(operation: Any, mode: GenerationMode, examples: int, failures: dict[str, str]) -> int:
    sent = 0
    label = f"{mode.value} {operation.method.upper()} {operation.path}"

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=examples, derandomize=True, deadline=None, database=None,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    def run(case: Any) -> None:
        nonlocal sent
        sent += 1
        try:
            case.call_and_validate(timeout=REQUEST_TIMEOUT_S)
        except FailureGroup as group:
            for failure in group.exceptions:
                key = f"{label}: {failure.title}"
                failures.setdefault(key, f"{key}\n{failure.message}\n{case.as_curl_command()}")
        except Exception as exc:  # the request itself failed (e.g. timed out)
            key = f"{label}: {type(exc).__name__}"
            failures.setdefault(key, f"{key}: {exc}\n{case.as_curl_command()}")

    run()
    return sent


def operations() -> list[tuple[str, str]]:
    document = json.loads(DOCS.read_text())
    return [(method, path) for path, item in sorted(document["paths"].items()) for method in sorted(item)]


@pytest.fixture(scope="module")
def schema(tmp_path_factory: pytest.TempPathFactory) -> Any:
    home = tmp_path_factory.mktemp("schemathesis") / "var"
    train_every_model(home)
    return schemathesis.openapi.from_asgi("/openapi.json", create_app(fuzz_settings(home)))


@pytest.mark.parametrize(("method", "path"), operations())
def test_operation_conforms_to_its_schema(schema: Any, method: str, path: str) -> None:
    sent, failures = fuzz_operation(schema, method, path)
    assert sent > 0
    assert not failures, "\n\n".join(failures)
