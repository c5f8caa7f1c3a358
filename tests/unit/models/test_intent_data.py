"""Intent data, options, calibration and metrics: fast checks, no training."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from nivesh_ml.data import bundled_path
from nivesh_ml.errors import InvalidInput
from nivesh_ml.models.intent import FAMILY
from nivesh_ml.models.intent.calibration import choose_threshold, fit_temperature, softmax
from nivesh_ml.models.intent.data import IntentDataset, read_labelled_csv, stratified_split
from nivesh_ml.models.intent.evaluation import classification_report
from nivesh_ml.models.intent.params import IntentParams

INTENTS = {"account_balance", "spending_analysis", "budget_planning", "savings_goal", "investment_advice",
           "tax_planning", "loan_affordability", "credit_score", "bill_payment", "transaction_search",
           "fraud_alert", "insurance_advice", "retirement_planning", "general_chat"}


def test_bundled_training_and_holdout_cover_the_14_intents_without_overlap() -> None:
    prepared = FAMILY.prepare(None, {"seed": 42})
    assert set(prepared.train.labels) == INTENTS and set(prepared.evaluation.labels) == INTENTS
    train_texts = {t.lower() for t in prepared.train.texts}
    assert not [t for t in prepared.evaluation.texts if t.lower() in train_texts], "hold-out leaks into training"
    assert prepared.data_hash and "intents_holdout.csv" in prepared.source


def test_user_csv_is_split_80_20_stratified_and_reproducibly(tmp_path: Path) -> None:
    rows = [f"query number {i} about {label}" for label in ("a", "b", "c") for i in range(10)]
    path = tmp_path / "data.csv"
    path.write_text("utterance,category\n" + "".join(f"{r},{r.split()[-1]}\n" for r in rows))
    first = FAMILY.prepare(path, {"seed": 7, "text_col": "utterance", "label_col": "category"})
    again = FAMILY.prepare(path, {"seed": 7, "text_col": "utterance", "label_col": "category"})
    assert first.evaluation.texts == again.evaluation.texts
    assert sorted(first.evaluation.labels) == ["a", "a", "b", "b", "c", "c"]
    assert not set(first.train.texts) & set(first.evaluation.texts)


def test_missing_columns_are_named(tmp_path: Path) -> None:
    path = tmp_path / "data.csv"
    path.write_text("text,category\nhello,greet\n")
    with pytest.raises(InvalidInput, match="label") as err:
        read_labelled_csv(path)
    assert "category" in err.value.message


def test_empty_texts_are_reported_with_their_line_numbers(tmp_path: Path) -> None:
    path = tmp_path / "data.csv"
    path.write_text('text,label\nhello,greet\n"   ",greet\nbye,\nok,greet\n')
    with pytest.raises(InvalidInput) as err:
        read_labelled_csv(path)
    assert "3" in err.value.message and "4" in err.value.message
    assert {"line": 3, "column": "text"} in err.value.details["rows"]


def test_unreadable_or_missing_files_are_invalid_input(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput):
        read_labelled_csv(tmp_path / "absent.csv")
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(InvalidInput):
        read_labelled_csv(empty)


def test_stratified_split_keeps_every_label_on_both_sides() -> None:
    data = IntentDataset([f"t{i}" for i in range(40)], ["x"] * 20 + ["y"] * 15 + ["z"] * 5)
    train, held = stratified_split(data, 0.2, seed=1)
    assert len(train) + len(held) == 40 and set(held.labels) == {"x", "y", "z"}
    assert held.labels.count("x") == 4 and set(train.labels) == {"x", "y", "z"}


def test_bad_training_options_name_the_option() -> None:
    with pytest.raises(InvalidInput, match="epochs"):
        IntentParams.from_options({"epochs": 0})
    with pytest.raises(InvalidInput, match="learning_rate"):
        IntentParams.from_options({"learning_rate": "fast"})
    with pytest.raises(InvalidInput, match="quantization"):
        IntentParams.from_options({"quantization": "fp4"})
    assert IntentParams.from_options({"epochs": "3", "text_col": "x"}).epochs == 3


def test_temperature_scaling_softens_overconfident_logits() -> None:
    rng = np.random.default_rng(0)
    targets = rng.integers(0, 3, 300)
    logits = rng.normal(size=(300, 3)) * 2
    logits[np.arange(300), targets] += 2  # right ~75 % of the time, but logits scaled ×5 below
    temperature = fit_temperature(logits * 5, targets)
    assert temperature > 2
    assert softmax(logits * 5, temperature).max(axis=1).mean() < softmax(logits * 5).max(axis=1).mean()


def test_fallback_threshold_costs_little_validation_accuracy() -> None:
    probs = np.array([[0.9, 0.1], [0.6, 0.4], [0.3, 0.7], [0.55, 0.45]])
    targets = np.array([0, 0, 1, 1])  # label 1 is the fallback (general_chat)
    # Routing below 0.91 would send the confident, correct 0.9 answer to the fallback: never chosen.
    assert choose_threshold(probs, targets, fallback=1, tolerance=0.0, ceiling=0.95) == 0.9
    assert choose_threshold(probs, targets, fallback=1, tolerance=0.0, ceiling=0.5) == 0.5
    assert choose_threshold(probs, targets, fallback=None) == 0.0


def test_report_has_per_class_f1_and_most_frequent_confusions() -> None:
    report = classification_report(["a", "a", "b", "b", "c"], ["a", "b", "b", "b", "a"])
    assert report["accuracy"] == 0.6 and set(report["per_class"]) == {"a", "b", "c"}
    assert report["per_class"]["c"] == 0.0
    assert report["confusion_pairs"][0]["count"] == 1
    assert {(p["true"], p["predicted"]) for p in report["confusion_pairs"]} == {("a", "b"), ("c", "a")}


def test_bundled_files_exist() -> None:
    assert bundled_path("intents.csv").is_file() and bundled_path("intents_holdout.csv").is_file()


def test_yes_no_options_parse_and_bad_ones_are_named() -> None:
    assert IntentParams.from_options({"refit": "true"}).refit is True
    assert IntentParams.from_options({"refit": False}).refit is False
    assert IntentParams.from_options({"bucket_by_length": "0"}).bucket_by_length is False
    with pytest.raises(InvalidInput, match="refit"):
        IntentParams.from_options({"refit": "maybe"})


@pytest.mark.parametrize("bucket", [True, False])
def test_every_row_is_in_exactly_one_batch_per_epoch(bucket: bool) -> None:
    import torch

    from nivesh_ml.models.intent.train import epoch_batches

    lengths = [int(n) for n in np.random.default_rng(0).integers(3, 60, 1000)]
    batches = epoch_batches(lengths, 16, torch.Generator().manual_seed(1), bucket)
    assert sorted(i for b in batches for i in b) == list(range(1000))
    assert all(len(b) <= 16 for b in batches)
    padded = sum(len(b) * max(lengths[i] for i in b) for b in batches)
    if bucket:  # similar lengths share a batch: little padding
        assert padded < 1.1 * sum(lengths)
    else:
        assert padded > 1.5 * sum(lengths)
