"""Intent drift: save() writes the training texts as a PII-masked ``query`` reference; logged queries (single or
batched, as the route logs them) are compared with it through their length and word count."""

from __future__ import annotations

from pathlib import Path

import pytest

from nivesh_ml.config import Settings
from nivesh_ml.models.intent import FAMILY
from nivesh_ml.models.intent.data import IntentDataset, stratified_split
from nivesh_ml.monitoring.prediction_log import PredictionLog
from nivesh_ml.monitoring.reference import load_reference
from nivesh_ml.pii import mask_pii
from nivesh_ml.pipelines.drift_check import check_model_drift

pytestmark = pytest.mark.slow

# The smallest training test_intent.py uses: a couple of optimiser steps on 3 examples per label.
TINY = {"epochs": 1, "max_steps": 2, "per_label": 3, "threads": 1, "calibration_size": 16, "seed": 42}
LABELS = {"account_balance", "bill_payment", "fraud_alert"}
WITH_PII = [("what is the balance of account 123456789012", "account_balance"),
            ("send the bill receipt to priya.sharma@example.com", "bill_payment"),
            ("someone called me from 9876543210 asking for my OTP", "fraud_alert")]


@pytest.fixture(scope="module")
def split() -> tuple[IntentDataset, IntentDataset]:
    """Three intents of the bundled training file: 75 % to train on, the rest as "live" queries like them."""
    bundled = FAMILY.prepare(None, {"seed": 42}).train
    subset = bundled.subset([i for i, label in enumerate(bundled.labels) if label in LABELS])
    return stratified_split(subset, 0.25, seed=1)


@pytest.fixture(scope="module")
def training(split: tuple[IntentDataset, IntentDataset]) -> IntentDataset:
    train = split[0]
    return IntentDataset(train.texts + [t for t, _ in WITH_PII], train.labels + [lab for _, lab in WITH_PII])


@pytest.fixture(scope="module")
def model_dir(training: IntentDataset, tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("intent-ref") / "model"
    FAMILY.save(FAMILY.train(training, TINY), directory)
    return directory


def test_reference_is_every_training_text_as_query_with_pii_masked(model_dir: Path, training: IntentDataset) -> None:
    reference = load_reference(model_dir)
    assert list(reference.columns) == ["query"]
    assert len(reference) == len(training)  # all training texts, not only the few the tiny run trained on
    texts = reference["query"].astype(str).tolist()
    assert all(not mask_pii(text)[1] for text in texts)
    body = (model_dir / "reference.csv").read_text()
    assert "9876543210" not in body and "priya.sharma@example.com" not in body and "123456789012" not in body
    assert "someone called me from [PHONE] asking for my OTP" in texts


def test_same_kind_of_queries_do_not_drift_and_long_ones_do(model_dir: Path, split: tuple[IntentDataset, IntentDataset],
                                                           tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "var")
    plog = PredictionLog(settings.var_dir / "predictions.db", 10_000)
    holdout = split[1].texts
    assert len(holdout) >= 30
    for text in holdout[:20]:  # as the route logs one query ...
        plog.append("intent", "1", {"query": text}, {"intent": "account_balance"})
    plog.append("intent", "1", {"queries": holdout[20:]}, {"intent": ["x"] * len(holdout[20:])})  # ... and a batch
    calm = check_model_drift(settings, "intent", since_days=1, model_dir=model_dir)
    assert not calm.drift_detected and calm.n_current == len(holdout)
    assert {c.column for c in calm.columns} == {"query.length", "query.words"}

    for text in holdout * 3:
        plog.append("intent", "1", {"query": f"{text} and also please explain in detail why, step by step"}, {})
    drifted = check_model_drift(settings, "intent", since_days=1, model_dir=model_dir)
    assert drifted.drift_detected and set(drifted.drifted_columns) == {"query.length", "query.words"}

