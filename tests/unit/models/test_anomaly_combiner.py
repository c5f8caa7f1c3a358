"""Anomaly combiner: labelled training data → supervised logistic combiner, unlabelled → Fisher blend."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from nivesh_ml.data.splits import split_users
from nivesh_ml.data.synthetic import generate_transactions
from nivesh_ml.errors import InvalidInput
from nivesh_ml.models.anomaly import FAMILY, AnomalyPredictor
from nivesh_ml.models.anomaly.batch import frame_features
from nivesh_ml.models.anomaly.combiner import INPUT_NAMES, MIN_POSITIVES, LogisticCombiner, supervision_plan
from nivesh_ml.models.anomaly.family import load_frame
from nivesh_ml.models.anomaly.model import either_tail

TINY = {"seed": 3, "n_estimators": 40}


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return load_frame(generate_transactions(60, 3, seed=5))


def train_and_load(frame: pd.DataFrame, directory: Path, **params: object) -> AnomalyPredictor:
    FAMILY.save(FAMILY.train(frame, {**TINY, **params}), directory)
    loaded = FAMILY.load(directory)
    assert isinstance(loaded, AnomalyPredictor)
    return loaded


@pytest.mark.slow
def test_labelled_training_uses_the_logistic_combiner_and_scores_agree_online(frame: pd.DataFrame,
                                                                             tmp_path: Path) -> None:
    train, new_users = split_users(frame, 0.2, 0)
    predictor = train_and_load(train, tmp_path / "m")
    assert predictor.metadata.extra["combiner"] == "logistic", predictor.metadata.extra
    assert "labelled anomalies" in predictor.metadata.extra["combiner_reason"]
    saved = json.loads((tmp_path / "m" / "detector.json").read_text())
    assert saved["combiner"]["inputs"] == list(INPUT_NAMES)
    assert saved["combiner_cal"] and saved["blend_cal"]
    assert not list((tmp_path / "m").glob("*.pkl"))
    # The online path (one vector, plain-Python forest walk) gives the batch path's scores on new users.
    sample = new_users.iloc[:400]
    features, _, _ = frame_features(sample, predictor.detector.population)
    batch, _ = predictor.detector.score_matrix(features)
    online = np.array([predictor.detector.score_vector(row.tolist())[0] for row in features])
    np.testing.assert_allclose(online, batch, rtol=1e-9, atol=1e-12)
    assert ((batch >= 0) & (batch <= 1)).all()


@pytest.mark.slow
def test_unlabelled_training_falls_back_to_the_fisher_blend(frame: pd.DataFrame, tmp_path: Path) -> None:
    unlabelled = frame.drop(columns=["is_anomaly", "anomaly_kind"])
    predictor = train_and_load(unlabelled, tmp_path / "m")
    assert predictor.metadata.extra["combiner"] == "fisher"
    assert "no is_anomaly labels" in predictor.metadata.extra["combiner_reason"]
    assert json.loads((tmp_path / "m" / "detector.json").read_text())["combiner"] is None
    scored = predictor.score_frame(unlabelled.iloc[:200], with_reasons=False)
    assert scored["score"].between(0, 1).all()


def test_too_few_labelled_anomalies_fall_back_and_say_why() -> None:
    labels = np.zeros(5000, dtype=int)
    labels[: MIN_POSITIVES - 1] = 1
    combiner, why = supervision_plan(labels, "auto")
    assert combiner == "fisher" and f"only {MIN_POSITIVES - 1} labelled anomalies" in why
    labels[: MIN_POSITIVES] = 1
    assert supervision_plan(labels, "auto")[0] == "logistic"
    assert supervision_plan(labels, "fisher")[0] == "fisher"
    assert supervision_plan(None, "auto")[0] == "fisher"


def test_unknown_combiner_option_is_invalid_input(frame: pd.DataFrame) -> None:
    with pytest.raises(InvalidInput, match="combiner"):
        FAMILY.train(frame, {**TINY, "combiner": "xgboost"})


def test_combiner_is_monotone_in_the_evidence() -> None:
    rng = np.random.default_rng(0)
    n = len(INPUT_NAMES)
    x = np.column_stack([-rng.exponential(1.0, 3000), -rng.exponential(1.0, 3000),
                         rng.exponential(0.3, (3000, n - 2))])
    # Anomalies: one deviation large; one deviation is anti-correlated with the label (noise it must not use).
    y = (x[:, 2] + rng.normal(0, 0.2, 3000) > 1.2).astype(int)
    x[:, 3] = np.where(y == 1, 0.0, x[:, 3] + 0.5)
    model = LogisticCombiner.fit(x, y)
    assert model.coef[0] <= 0 and model.coef[1] <= 0 and min(model.coef[2:]) >= 0
    assert model.coef[3] == pytest.approx(0.0, abs=1e-9)
    more_deviant = x.copy()
    more_deviant[:, 2:] += 1.0
    assert (model.scores(more_deviant) >= model.scores(x)).all()


def test_either_tail_flags_what_only_one_side_finds_unusual() -> None:
    usual, rare = np.log(np.array([0.4])), np.log(np.array([1e-4]))
    assert either_tail(rare, usual)[0] == pytest.approx(either_tail(usual, rare)[0])
    assert either_tail(rare, usual)[0] > 0.999 > either_tail(usual, usual)[0]
    assert 0.0 <= either_tail(np.zeros(1), np.zeros(1))[0] <= 1.0
