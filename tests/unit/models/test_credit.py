"""Credit model behaviour: contract, monotonicity, reason codes, schema validation, any CSV."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from nivesh_ml.errors import InvalidInput
from nivesh_ml.models.credit import FAMILY
from nivesh_ml.models.credit.predictor import CreditPredictor
from tests.conftest import shared_data
from tests.model_contract import check_model_contract

pytestmark = pytest.mark.slow

TINY = {"n_trials": 2, "folds": 3, "seed": 7}
APPLICANT: dict[str, Any] = {
    "age": 34, "monthly_income": 60000.0, "employment_type": "salaried", "employment_tenure_years": 5.0,
    "existing_emi": 8000.0, "loan_amount": 500000.0, "loan_tenure_months": 36, "bureau_score": 720,
    "credit_utilisation": 0.3, "recent_enquiries": 1, "past_delinquencies": 0, "city_tier": 1,
    "dependents": 1, "residence": "rented",
}


@pytest.fixture(scope="module")
def default_model(tmp_path_factory: pytest.TempPathFactory) -> CreditPredictor:
    prepared = FAMILY.prepare(None, {"n_applicants": 3000, "seed": 7})
    trained = FAMILY.train(prepared.train, TINY)
    directory = tmp_path_factory.mktemp("credit") / "model"
    FAMILY.save(trained, directory)
    predictor = FAMILY.load(directory)
    assert isinstance(predictor, CreditPredictor)
    return predictor


def test_contract_on_simulated_applicants(tmp_path: Path) -> None:
    prepared = FAMILY.prepare(None, {"n_applicants": 800, "seed": 3})
    inputs = [APPLICANT, {**APPLICANT, "bureau_score": 560, "credit_utilisation": 0.95}]
    predictor = check_model_contract(FAMILY, prepared.train, TINY, inputs, tmp_path)
    out = predictor.predict_one(APPLICANT)
    assert 0 < out["default_probability"] < 1
    assert out["risk_score"] == round(100 * out["default_probability"])
    assert out["risk_category"] in {"low", "medium", "high"}
    assert (tmp_path / "credit-model" / "xgb_model.json").is_file()
    assert (tmp_path / "credit-model" / "calibration.json").is_file()


def test_evaluation_reports_the_contract_metrics(default_model: CreditPredictor) -> None:
    prepared = FAMILY.prepare(None, {"n_applicants": 3000, "seed": 7, "slice": ["employment_type"]})
    metrics = FAMILY.evaluate(default_model, prepared.evaluation)
    for key in ("roc_auc", "pr_auc", "ks", "gini", "brier", "ece"):
        assert isinstance(metrics[key], float)
    assert metrics["roc_auc"] > 0.7
    assert metrics["gini"] == pytest.approx(2 * metrics["roc_auc"] - 1)
    groups = metrics["slices"]["employment_type"]["groups"]
    assert "salaried" in groups and "roc_auc" in groups["salaried"]


def test_higher_bureau_score_never_raises_risk(default_model: CreditPredictor) -> None:
    batch = [{**APPLICANT, "bureau_score": s} for s in range(300, 901, 10)]
    probs = [o["default_probability"] for o in default_model.predict(batch)]
    assert all(b <= a for a, b in itertools.pairwise(probs))
    assert probs[0] > probs[-1]


def test_higher_debt_to_income_never_lowers_risk(default_model: CreditPredictor) -> None:
    batch = [{**APPLICANT, "existing_emi": float(e)} for e in range(0, 60001, 1000)]
    probs = [o["default_probability"] for o in default_model.predict(batch)]
    assert all(b >= a for a, b in itertools.pairwise(probs))
    assert probs[-1] > probs[0]


def test_extreme_utilisation_shows_up_as_a_reason(default_model: CreditPredictor) -> None:
    out = default_model.predict_one({**APPLICANT, "credit_utilisation": 1.6})
    assert any("utilisation" in r.lower() and "160 %" in r for r in out["reason_codes"])
    low_score = default_model.predict_one({**APPLICANT, "bureau_score": 520})
    assert any(r == "Bureau score of 520 is low" for r in low_score["reason_codes"])


def test_a_safe_applicant_is_low_risk_and_a_risky_one_high(default_model: CreditPredictor) -> None:
    safe = {**APPLICANT, "bureau_score": 850, "credit_utilisation": 0.05, "existing_emi": 0.0}
    risky = {**APPLICANT, "bureau_score": 450, "credit_utilisation": 1.2, "past_delinquencies": 4,
             "employment_type": "unemployed", "existing_emi": 30000.0}
    assert default_model.predict_one(safe)["risk_category"] == "low"
    assert default_model.predict_one(risky)["risk_category"] == "high"


@pytest.mark.parametrize(("change", "field"), [
    ({"bureau_score": "high"}, "bureau_score"),
    ({"favourite_colour": "blue"}, "favourite_colour"),
    ({"employment_type": "astronaut"}, "employment_type"),
])
def test_bad_applicant_data_lists_the_expected_schema(default_model: CreditPredictor, change: dict[str, Any],
                                                      field: str) -> None:
    with pytest.raises(InvalidInput) as err:
        default_model.predict_one({**APPLICANT, **change})
    assert field in err.value.message
    assert set(err.value.details["expected"]) == set(APPLICANT)


def test_missing_field_is_named(default_model: CreditPredictor) -> None:
    record = {k: v for k, v in APPLICANT.items() if k != "monthly_income"}
    with pytest.raises(InvalidInput) as err:
        default_model.predict_one(record)
    assert {"field": "monthly_income", "error": "missing field"} in err.value.details["errors"]


def _messy_csv(path: Path, n: int = 400, seed: int = 0) -> Path:
    rng = np.random.default_rng(seed)
    income = rng.lognormal(10, 0.5, n)
    purpose = rng.choice(["car", "home", "education", "travel"], n)
    risk = -0.00003 * income + (purpose == "travel") * 1.2 + rng.normal(0, 1, n)
    frame = pd.DataFrame({
        "customer_id": [f"c{i}" for i in range(n)],
        "income": np.where(rng.random(n) < 0.1, np.nan, income.round()),
        "purpose": np.where(rng.random(n) < 0.1, None, purpose),
        "years_at_job": rng.integers(0, 30, n),
        "status": np.where(risk > np.quantile(risk, 0.7), "bad", "good"),
    })
    frame.to_csv(path, index=False)
    return path


def test_a_csv_with_missing_values_trains_and_validates_its_own_schema(tmp_path: Path) -> None:
    csv = _messy_csv(tmp_path / "loans.csv")
    prepared = FAMILY.prepare(csv, {"target": "status", "positive": "bad", "seed": 1})
    record = {"income": None, "purpose": "travel", "years_at_job": 2}
    predictor = check_model_contract(FAMILY, prepared.train, TINY, [record, {**record, "income": 9000}],
                                     tmp_path)
    assert isinstance(predictor, CreditPredictor)
    assert "customer_id" in predictor.schema.excluded  # an identifier is not a feature
    assert FAMILY.evaluate(predictor, prepared.evaluation)["roc_auc"] > 0.6
    out = predictor.predict_one({**record, "income": 5000})
    assert all(" raises risk" in r or r.endswith("is missing") for r in out["reason_codes"])
    with pytest.raises(InvalidInput) as err:
        predictor.predict_one({"income": "lots", "purpose": "travel"})
    problems = {e["field"]: e["error"] for e in err.value.details["errors"]}
    assert problems == {"income": "expected a number, got str", "years_at_job": "missing field"}
    assert err.value.details["expected"]["purpose"].startswith("string, one of")


def test_a_csv_without_target_or_positive_is_refused_clearly(tmp_path: Path) -> None:
    csv = _messy_csv(tmp_path / "loans.csv")
    with pytest.raises(InvalidInput, match="--target"):
        FAMILY.prepare(csv, {})
    with pytest.raises(InvalidInput, match="--positive"):
        FAMILY.prepare(csv, {"target": "status"})
    with pytest.raises(InvalidInput, match="never occurs"):
        FAMILY.prepare(csv, {"target": "status", "positive": "ugly"})


@pytest.mark.data
def test_german_credit_trains_to_a_useful_model(tmp_path: Path) -> None:
    csv = shared_data("german_credit", "germancredit.csv")
    prepared = FAMILY.prepare(csv, {"target": "creditability", "positive": "bad", "seed": 42})
    trained = FAMILY.train(prepared.train, {"n_trials": 2, "seed": 42})
    FAMILY.save(trained, tmp_path / "m")
    predictor = FAMILY.load(tmp_path / "m")
    metrics = FAMILY.evaluate(predictor, prepared.evaluation)
    assert metrics["roc_auc"] > 0.72
    assert trained.metadata.extra["encoding"] in {"native", "onehot"}


def test_extreme_but_valid_inputs_give_plain_json(default_model: CreditPredictor) -> None:
    import json

    extreme = {**APPLICANT, "monthly_income": 1e-300, "loan_amount": 9e9, "loan_tenure_months": 1}
    out = default_model.predict_one(extreme)
    json.dumps(out, allow_nan=False)  # no NaN or inf reaches a client
    assert out["risk_category"] in {"low", "medium", "high"}
