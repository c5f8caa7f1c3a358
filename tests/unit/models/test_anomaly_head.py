"""Supervised XGBoost head: labelled training data → head.json beside the detector, unlabelled → unsupervised."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from nivesh_ml.data.splits import split_users
from nivesh_ml.data.synthetic import generate_transactions
from nivesh_ml.errors import InvalidInput, ModelNotReady
from nivesh_ml.models.anomaly import FAMILY, AnomalyPredictor
from nivesh_ml.models.anomaly.batch import frame_features
from nivesh_ml.models.anomaly.family import load_frame
from nivesh_ml.models.anomaly.head import (
    EVIDENCE,
    HEAD_FILE,
    INPUT_NAMES,
    MIN_POSITIVES,
    MONOTONE,
    SupervisedHead,
    supervision_plan,
)
from nivesh_ml.models.anomaly.model import STATE_FILE, Detector

TINY = {"seed": 3, "n_estimators": 40}


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return load_frame(generate_transactions(60, 3, seed=5))


@pytest.fixture(scope="module")
def labelled(frame: pd.DataFrame, tmp_path_factory: pytest.TempPathFactory) -> tuple[AnomalyPredictor, Path]:
    train, _ = split_users(frame, 0.2, 0)
    directory = tmp_path_factory.mktemp("head") / "m"
    FAMILY.save(FAMILY.train(train, TINY), directory)
    loaded = FAMILY.load(directory)
    assert isinstance(loaded, AnomalyPredictor)
    return loaded, directory


@pytest.mark.slow
def test_labelled_training_saves_an_xgboost_head_as_json(labelled: tuple[AnomalyPredictor, Path]) -> None:
    predictor, directory = labelled
    assert predictor.metadata.extra["combiner"] == "xgboost", predictor.metadata.extra
    assert "labelled anomalies" in predictor.metadata.extra["combiner_reason"]
    booster = json.loads((directory / HEAD_FILE).read_text())  # XGBoost's own JSON, no pickle
    assert "learner" in booster
    state = json.loads((directory / STATE_FILE).read_text())
    assert state["head"] == {"file": HEAD_FILE, "inputs": list(INPUT_NAMES)} and state["head_cal"]["values"]


@pytest.mark.slow
def test_head_round_trip_and_online_score_equal_batch(frame: pd.DataFrame, labelled: tuple[AnomalyPredictor, Path],
                                                      tmp_path: Path) -> None:
    predictor, _ = labelled
    _, new_users = split_users(frame, 0.2, 0)
    before = predictor.score_frame(new_users)
    predictor.detector.save(tmp_path / "again")
    reloaded = Detector.load(tmp_path / "again")
    raw, _, _ = frame_features(new_users, predictor.detector.population)
    np.testing.assert_array_equal(reloaded.score_matrix(raw)[0], before["score"].to_numpy())
    # The online path (one vector, plain-Python forest walk, one inplace_predict) agrees with batch scoring.
    for i in [*np.argsort(-before["score"].to_numpy())[:3].tolist(), 0, 1, 2]:
        assert predictor.detector.score_vector(raw[i].tolist())[0] == pytest.approx(before["score"].iloc[i],
                                                                                   abs=1e-9)
    flagged = before[before["is_anomaly"] == 1]
    assert len(flagged) and (flagged["reasons"].str.len() > 0).all()  # reasons still produced
    labels = new_users["is_anomaly"].to_numpy()
    assert before["score"][labels == 1].mean() > before["score"][labels == 0].mean()


@pytest.mark.slow
def test_unlabelled_training_stays_unsupervised(frame: pd.DataFrame, tmp_path: Path) -> None:
    FAMILY.save(FAMILY.train(frame.drop(columns=["is_anomaly", "anomaly_kind"]), TINY), tmp_path / "m")
    predictor = FAMILY.load(tmp_path / "m")
    assert isinstance(predictor, AnomalyPredictor)
    assert predictor.metadata.extra["combiner"] == "unsupervised"
    assert "no is_anomaly labels" in predictor.metadata.extra["combiner_reason"]
    assert not (tmp_path / "m" / HEAD_FILE).exists() and predictor.detector.head is None


def test_few_labels_or_fisher_request_keep_the_unsupervised_score() -> None:
    labels = np.zeros(500, dtype=int)
    labels[: MIN_POSITIVES - 1] = 1
    plan, why = supervision_plan(labels, "auto")
    assert plan == "unsupervised" and f"only {MIN_POSITIVES - 1} labelled anomalies" in why
    labels[: MIN_POSITIVES] = 1
    assert supervision_plan(labels, "auto")[0] == "xgboost"
    assert supervision_plan(labels, "fisher")[0] == "unsupervised"
    assert supervision_plan(None, "auto")[0] == "unsupervised"


def test_unknown_combiner_option_is_invalid_input(frame: pd.DataFrame) -> None:
    with pytest.raises(InvalidInput, match="combiner"):
        FAMILY.train(frame, {**TINY, "combiner": "xgboost"})


def test_head_is_monotone_in_deviations_and_evidence(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    n = 3000
    x = rng.exponential(0.3, (n, len(INPUT_NAMES))).astype(np.float32)
    # Anomalies: one deviation large; another deviation anti-correlated with the label (a quirk it must not learn).
    y = (x[:, 0] + rng.normal(0, 0.2, n) > 1.0).astype(int)
    x[:, 1] = np.where(y == 1, 0.0, x[:, 1] + 0.5)
    head = SupervisedHead.fit(x, y, seed=0)
    base = head.scores(x)
    up = np.array(MONOTONE) > 0
    for col in (0, 1, len(INPUT_NAMES) - len(EVIDENCE)):
        assert up[col]
        more = x.copy()
        more[:, col] += 2.0
        assert (head.scores(more) >= base - 1e-7).all(), INPUT_NAMES[col]
    assert base[y == 1].mean() > base[y == 0].mean() + 0.3
    head.save(tmp_path)
    again = SupervisedHead.load(tmp_path, list(INPUT_NAMES))
    np.testing.assert_array_equal(again.scores(x), base)
    one_by_one = np.array([again.scores(x[i:i + 1])[0] for i in range(0, n, 10)])  # as served: one row a call
    np.testing.assert_array_equal(one_by_one, base[::10])


@pytest.mark.slow
def test_head_built_for_other_inputs_is_refused(labelled: tuple[AnomalyPredictor, Path], tmp_path: Path) -> None:
    predictor, _ = labelled
    predictor.detector.save(tmp_path)
    state = json.loads((tmp_path / STATE_FILE).read_text())
    state["head"]["inputs"] = state["head"]["inputs"][:-1]
    (tmp_path / STATE_FILE).write_text(json.dumps(state))
    with pytest.raises(ModelNotReady, match="other inputs"):
        Detector.load(tmp_path)


@pytest.mark.slow
def test_model_saved_by_the_retired_combiner_code_is_refused(labelled: tuple[AnomalyPredictor, Path],
                                                             tmp_path: Path) -> None:
    predictor, _ = labelled
    predictor.detector.save(tmp_path)
    state = json.loads((tmp_path / STATE_FILE).read_text())
    del state["directions"]  # what the earlier code wrote: no directions, maybe a logistic combiner
    (tmp_path / STATE_FILE).write_text(json.dumps({**state, "combiner": {"coef": [0.1]}}))
    with pytest.raises(ModelNotReady, match="retrain"):
        Detector.load(tmp_path)
