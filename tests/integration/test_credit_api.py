"""POST /predict/credit-risk and `nivesh-ml evaluate credit` against a promoted tiny model (real MLflow)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from nivesh_ml.data.synthetic import generate_applicants
from tests.promoted import app_client, promoted_home

pytestmark = [pytest.mark.integration, pytest.mark.slow]

TINY = {"n_applicants": 1200, "n_trials": 1, "folds": 3}
APPLICANT: dict[str, Any] = {
    "age": 29, "monthly_income": 42000, "employment_type": "gig", "employment_tenure_years": 1.5,
    "existing_emi": 9000, "loan_amount": 300000, "loan_tenure_months": 24, "bureau_score": 640,
    "credit_utilisation": 0.85, "recent_enquiries": 4, "past_delinquencies": 1, "city_tier": 2,
    "dependents": 2, "residence": "rented",
}


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return promoted_home(tmp_path_factory, "credit", TINY)[0]


@pytest.fixture
def client(home: Path) -> Iterator[TestClient]:
    with app_client(home) as client:
        yield client


def test_scores_an_applicant(client: TestClient) -> None:
    response = client.post("/predict/credit-risk", json={"applicant_data": APPLICANT})
    assert response.status_code == 200, response.text
    body = response.json()
    assert 0 < body["default_probability"] < 1
    assert body["risk_score"] == round(100 * body["default_probability"])
    assert body["risk_category"] in {"low", "medium", "high"}
    assert body["reason_codes"] and all(isinstance(r, str) for r in body["reason_codes"])
    assert body["model_version"]
    again = client.post("/predict/credit-risk", json={"applicant_data": APPLICANT}).json()
    assert again == body


@pytest.mark.parametrize(("data", "field", "error"), [
    ({**APPLICANT, "bureau_score": "720"}, "bureau_score", "expected a number, got str"),
    ({**APPLICANT, "bureau_score": 200}, "bureau_score", None),
    ({k: v for k, v in APPLICANT.items() if k != "loan_amount"}, "loan_amount", "missing field"),
    ({**APPLICANT, "pan_number": "ABCDE1234F"}, "pan_number", "unknown field"),
    ({**APPLICANT, "residence": 3}, "residence", None),
])
def test_bad_applicant_data_is_422_with_the_expected_fields(client: TestClient, data: dict[str, Any],
                                                            field: str, error: str | None) -> None:
    response = client.post("/predict/credit-risk", json={"applicant_data": data})
    assert response.status_code == 422
    body = response.json()["error"]
    assert body["code"] == "invalid_input"
    problems = {e["field"]: e["error"] for e in body["details"]["errors"]}
    assert field in problems and (error is None or problems[field] == error)
    assert set(body["details"]["expected"]) == set(APPLICANT)
    assert body["details"]["expected"]["bureau_score"] == "integer (allowed 300 to 900)"


def test_body_without_applicant_data_is_422(client: TestClient) -> None:
    assert client.post("/predict/credit-risk", json={"applicant": APPLICANT}).status_code == 422
    assert client.post("/predict/credit-risk", json={"applicant_data": [1, 2]}).status_code == 422


def test_evaluate_command_prints_metrics_with_slices(home: Path, tmp_path: Path) -> None:
    csv = tmp_path / "applicants.csv"
    generate_applicants(600, seed=99).to_csv(csv, index=False)
    env = {**os.environ, "NIVESH_HOME": str(home), "HF_HUB_OFFLINE": "1"}
    result = subprocess.run([sys.executable, "-m", "nivesh_ml.cli", "evaluate", "credit", "--data", str(csv),
                             "--json", "--slice", "city_tier", "--slice", "age"],
                            capture_output=True, text=True, env=env, timeout=300, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    metrics = json.loads(result.stdout)
    for key in ("roc_auc", "pr_auc", "ks", "gini", "brier", "ece"):
        assert isinstance(metrics[key], float)
    assert set(metrics["slices"]["city_tier"]["groups"]) == {"1", "2", "3"}
    assert len(metrics["slices"]["age"]["groups"]) == 4
