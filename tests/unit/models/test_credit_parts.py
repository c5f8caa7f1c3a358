"""Credit building blocks: calibration, metrics, reason phrasing, schema detection, score mapping."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from nivesh_ml.errors import InvalidInput
from nivesh_ml.models.credit.calibration import Calibrator, choose_calibrator, fit_calibrator
from nivesh_ml.models.credit.features import Encoder, emi
from nivesh_ml.models.credit.metrics import credit_metrics, expected_calibration_error, sliced_metrics
from nivesh_ml.models.credit.params import parse_monotone
from nivesh_ml.models.credit.predictor import risk_category, risk_score
from nivesh_ml.models.credit.reasons import inr, phrase
from nivesh_ml.models.credit.schema import application_schema, detect_schema


def _logistic_sample(n: int = 4000, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    margin = rng.normal(-1.5, 1.5, n)
    y = (rng.random(n) < 1 / (1 + np.exp(-(0.7 * margin + 0.3)))).astype(int)
    return margin, y


@pytest.mark.parametrize("method", ["platt", "isotonic"])
def test_calibrators_survive_json_and_keep_order(method: str) -> None:
    margin, y = _logistic_sample()
    cal = fit_calibrator(method, margin, y)  # type: ignore[arg-type]
    again = Calibrator.from_dict(json.loads(json.dumps(cal.to_dict())))
    grid = np.linspace(-8, 8, 200)
    assert np.array_equal(cal(grid), again(grid))
    assert np.all(np.diff(again(grid)) >= 0)
    assert expected_calibration_error(y, cal(margin)) < 0.03


def test_calibration_choice_is_recorded_with_scores() -> None:
    margin, y = _logistic_sample()
    cal, scores = choose_calibrator(margin, y)
    assert set(scores) == {"platt", "isotonic"}
    assert cal.method == min(scores, key=lambda k: scores[k])


def test_metrics_of_a_perfect_and_a_useless_ranker() -> None:
    y = np.array([0, 0, 1, 1] * 25)
    perfect = credit_metrics(y, np.where(y == 1, 0.9, 0.1))
    assert perfect["roc_auc"] == 1.0 and perfect["ks"] == 1.0 and perfect["gini"] == 1.0
    flat = credit_metrics(y, np.full(len(y), 0.5))
    assert flat["roc_auc"] == 0.5 and flat["ece"] == pytest.approx(0.0)
    assert credit_metrics(np.zeros(10, int), np.full(10, 0.1))["roc_auc"] is None


def test_slices_report_each_group_and_the_gap() -> None:
    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, 400)
    p = np.clip(y * 0.6 + rng.random(400) * 0.4, 0, 1)
    out = sliced_metrics(y, p, {"gender": pd.Series(rng.choice(["f", "m"], 400)),
                                "age": pd.Series(rng.integers(18, 80, 400))})
    assert set(out["gender"]["groups"]) == {"f", "m"}
    assert len(out["age"]["groups"]) == 4  # many numbers: quartile bands
    assert out["gender"]["gaps"]["roc_auc"] >= 0


def test_score_mapping_and_cutoffs() -> None:
    assert [risk_score(p) for p in (0.0, 0.044, 0.5, 1.0)] == [0, 4, 50, 100]
    assert [risk_category(p) for p in (0.05, 0.1, 0.29, 0.3)] == ["low", "medium", "medium", "high"]


def test_phrases_read_like_sentences() -> None:
    assert phrase("credit_utilisation", 0.82, 0.3, applicant=True) == "Credit utilisation of 82 % is high"
    assert phrase("bureau_score", 610.0, 715.0, applicant=True) == "Bureau score of 610 is low"
    assert phrase("existing_emi", 120000.0, 5000.0, applicant=True) == "Existing EMIs of ₹1,20,000 a month are high"
    assert phrase("status", "A11", None, applicant=False) == "status = A11 raises risk"
    assert phrase("duration", 48.0, 18.0, applicant=False) == "duration = 48 (high) raises risk"
    assert phrase("duration", None, 18.0, applicant=False) == "duration is missing"
    assert inr(12345678) == "₹1,23,45,678"


def test_emi_matches_the_textbook_formula() -> None:
    assert float(emi(np.array([100000.0]), np.array([12]))[0]) == pytest.approx(8884.88, abs=0.01)


def test_detected_schema_types_and_onehot_columns() -> None:
    frame = pd.DataFrame({"a": ["1", "2", None, "4"], "b": ["x", "y", "x", None], "t": ["0", "1", "0", "1"]})
    schema = detect_schema(frame, "t", "1")
    kinds = {f.name: f.kind for f in schema.fields}
    assert kinds == {"a": "numeric", "b": "categorical"}
    encoder = Encoder(schema, "onehot")
    assert encoder.columns == ["a", "b=x", "b=y"]
    x = encoder.matrix(encoder.feature_columns([{"a": 3.0, "b": "y"}, {"a": None, "b": "zzz"}]))
    assert x[0].tolist() == [3.0, 0.0, 1.0]
    assert np.isnan(x[1, 0]) and x[1, 1:].tolist() == [0.0, 0.0]


def test_default_schema_is_the_credit_application() -> None:
    schema = application_schema()
    assert schema.applicant and "bureau_score" in schema.names
    assert Encoder(schema).monotone({"bureau_score": -1}).count("-1") == 1
    with pytest.raises(InvalidInput):
        schema.validate(["not", "an", "object"])


def test_monotone_option_parses_and_rejects_nonsense() -> None:
    assert parse_monotone("duration:1, amount:-1") == {"duration": 1, "amount": -1}
    with pytest.raises(InvalidInput):
        parse_monotone({"duration": 5})
