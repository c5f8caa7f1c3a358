"""Credit drift end to end: a promoted tiny model saves its applicants as reference; predictions logged through
the real app are checked by the drift-check pipeline (real MLflow on SQLite, real Evidently)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from nivesh_ml.config import Settings
from nivesh_ml.data.schemas import CreditApplication
from nivesh_ml.data.synthetic import generate_applicants
from nivesh_ml.monitoring.reference import load_reference
from nivesh_ml.pipelines.drift_check import drift_check_and_retrain
from nivesh_ml.registry import ModelRegistry
from nivesh_ml.serving.app import create_app
from tests.promoted import promoted_home

pytestmark = [pytest.mark.integration, pytest.mark.slow]

TINY = {"n_applicants": 400, "n_trials": 1, "max_rounds": 100, "seed": 5}
FIELDS = list(CreditApplication.model_fields)


def applicants(n: int, seed: int) -> list[dict[str, Any]]:
    """Fresh applicants from the same simulator the model was trained on (only the API's fields)."""
    frame = generate_applicants(n, seed=seed)[FIELDS]
    return [{str(k): v.item() if hasattr(v, "item") else v for k, v in row.items()}
            for row in frame.to_dict(orient="records")]


def riskier(row: dict[str, Any]) -> dict[str, Any]:
    """A different population: far bigger loans and EMIs, more enquiries and delinquencies, worse bureau scores."""
    return {**row, "loan_amount": row["loan_amount"] * 8, "existing_emi": row["existing_emi"] * 4 + 25_000,
            "recent_enquiries": row["recent_enquiries"] + 8, "past_delinquencies": row["past_delinquencies"] + 4,
            "bureau_score": max(300, row["bureau_score"] - 250),
            "credit_utilisation": min(2.0, row["credit_utilisation"] + 0.9)}


def score(client: TestClient, rows: list[dict[str, Any]]) -> None:
    for row in rows:
        response = client.post("/predict/credit-risk", json={"applicant_data": row})
        assert response.status_code == 200, response.text


def drift_of_credit(settings: Settings) -> dict[str, Any]:
    result = drift_check_and_retrain(settings, models=["credit"], since_days=1, retrain=False)
    return dict(result["checks"][0])


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A promoted tiny credit model (trained once for the module)."""
    return promoted_home(tmp_path_factory, "credit", TINY)[0]


def test_saved_reference_is_the_applicant_fields_without_target_or_ids(home: Path) -> None:
    champion = ModelRegistry(Settings(home=home)).champion("credit")
    assert champion is not None
    reference = load_reference(champion.directory)
    assert list(reference.columns) == FIELDS  # exactly what the route logs as applicant_data
    assert len(reference) == int(TINY["n_applicants"] * 0.8)  # the training rows, not the held-out ones
    assert not {"applicant_id", "default"} & set(reference.columns)
    assert reference["loan_amount"].dtype.kind == "f" and set(reference["residence"]) <= {"owned", "rented", "family"}


def test_drift_is_flagged_for_a_shifted_population_and_not_for_the_same_one(home: Path) -> None:
    settings = Settings(home=home)
    with TestClient(create_app(settings)) as client:
        score(client, applicants(40, seed=101))
        calm = drift_of_credit(settings)
        assert calm["status"] == "ok", calm
        assert calm["n_current"] == 40 and calm["drift_share"] < 0.3

        score(client, [riskier(row) for row in applicants(200, seed=202)])
        drifted = drift_of_credit(settings)
    assert drifted["status"] == "drift", drifted
    assert drifted["drift_share"] >= 0.3 and drifted["n_current"] == 240
    assert {"loan_amount", "bureau_score", "recent_enquiries"} <= set(drifted["drifted_columns"])
    assert Path(drifted["report"]).is_file()

