"""Intent model: the contract, and behaviour of a model briefly fine-tuned once on the bundled data."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from nivesh_ml.errors import InvalidInput
from nivesh_ml.models.base import Predictor
from nivesh_ml.models.intent import FAMILY
from nivesh_ml.models.intent.data import IntentDataset
from tests.model_contract import check_model_contract

pytestmark = pytest.mark.slow

# One torch thread: on a CPU shared with other jobs two spinning threads are several times slower.

SHORT = {"epochs": 2, "batch_size": 32, "learning_rate": 1.5e-4, "max_length": 32, "threads": 1,
         "calibration_size": 64, "seed": 42}
TINY = {"epochs": 1, "max_steps": 2, "per_label": 3, "threads": 1, "calibration_size": 16, "seed": 42}


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    prepared = FAMILY.prepare(None, {"seed": 42})
    directory = tmp_path_factory.mktemp("intent") / "model"
    FAMILY.save(FAMILY.train(prepared.train, SHORT), directory)
    return directory


@pytest.fixture(scope="module")
def predictor(model_dir: Path) -> Predictor:
    return FAMILY.load(model_dir)


def test_contract_on_labels_without_general_chat(tmp_path: Path) -> None:
    bundled = FAMILY.prepare(None, {"seed": 42}).train
    keep = [i for i, label in enumerate(bundled.labels) if label in {"account_balance", "bill_payment", "fraud_alert"}]
    dataset = bundled.subset(keep)
    inputs = ["mera balance kitna hai", "Pay my BESCOM bill of ₹1,240", "someone used my card!!", "bal"]
    predictor = check_model_contract(FAMILY, dataset, TINY, inputs, tmp_path)
    assert predictor.metadata.extra["fallback_label"] is None  # no general_chat label, no fallback
    assert all(out["intent"] in {"account_balance", "bill_payment", "fraud_alert"} for out in predictor.predict(inputs))


def test_hinglish_balance_question_is_account_balance(predictor: Predictor) -> None:
    assert predictor.predict_one("mera balance kitna hai")["intent"] == "account_balance"


@pytest.mark.parametrize("query", ["what's the capital of France", "who won the cricket match yesterday"])
def test_unrelated_questions_fall_back_to_general_chat(predictor: Predictor, query: str) -> None:
    assert predictor.predict_one(query)["intent"] == "general_chat"


def test_case_and_spacing_do_not_change_the_answer(predictor: Predictor) -> None:
    assert predictor.predict_one("MERA   balance KITNA hai") == predictor.predict_one("mera balance kitna hai")


def test_batch_of_64_matches_one_by_one(predictor: Predictor) -> None:
    holdout: IntentDataset = FAMILY.prepare(None, {"seed": 42}).evaluation
    queries = holdout.texts[:64]
    batch = predictor.predict(queries)
    assert len(batch) == 64
    assert batch == [predictor.predict_one(q) for q in queries]


def test_confidence_is_the_top_score_and_top_k_is_ranked(predictor: Predictor) -> None:
    out: dict[str, Any] = predictor.predict_one("how do I save tax under 80C?")
    scores = [item["score"] for item in out["top_k"]]
    assert len(scores) == 3 and scores == sorted(scores, reverse=True)
    assert out["confidence"] == scores[0] and 0.0 < out["confidence"] <= 1.0 and sum(scores) <= 1.0001
    if not out["fallback"]:
        assert out["intent"] == out["top_k"][0]["intent"]


def test_holdout_metrics_after_a_short_training(predictor: Predictor) -> None:
    metrics = FAMILY.evaluate(predictor, FAMILY.prepare(None, {"seed": 42}).evaluation)
    assert {"accuracy", "macro_f1", "per_class", "confusion_pairs"} <= set(metrics)
    assert len(metrics["per_class"]) == 14
    assert metrics["macro_f1"] > 0.6


def test_model_json_carries_labels_and_calibration(model_dir: Path) -> None:
    meta = json.loads((model_dir / "model.json").read_text())
    extra = meta["extra"]
    assert len(extra["labels"]) == 14 and extra["fallback_label"] == "general_chat"
    assert extra["temperature"] > 0 and 0.0 <= extra["threshold"] <= 0.5
    assert 0.0 <= extra["lexical_weight"] <= 0.9 and extra["blend_temperature"] > 0
    lexical = {"lexical.npz"} if extra["lexical_weight"] > 0 else set()
    assert {p.name for p in model_dir.iterdir()} == {"model.json", "model.onnx", "tokenizer.json", "reference.csv",
                                                      *lexical}


def test_network_alone_is_an_option(tmp_path: Path) -> None:
    prepared = FAMILY.prepare(None, {"seed": 42})
    FAMILY.save(FAMILY.train(prepared.train, {**TINY, "lexical": "false"}), tmp_path)
    assert json.loads((tmp_path / "model.json").read_text())["extra"]["lexical_weight"] == 0.0
    assert not (tmp_path / "lexical.npz").exists()
    assert FAMILY.load(tmp_path).predict_one("mera balance kitna hai")["intent"]


def test_empty_queries_are_rejected(predictor: Predictor) -> None:
    with pytest.raises(InvalidInput):
        predictor.predict(["ok", "   "])
    assert predictor.predict([]) == []


def test_serving_needs_neither_torch_nor_transformers_nor_sklearn(model_dir: Path) -> None:
    code = (
        "import sys\n"
        "sys.modules['torch'] = None\nsys.modules['transformers'] = None\nsys.modules['sklearn'] = None\n"
        "from nivesh_ml.models.intent import FAMILY\n"
        f"print(FAMILY.load({str(model_dir)!r}).predict_one('mera balance kitna hai')['intent'])\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "account_balance"


def test_refit_retrains_on_all_rows_for_the_epochs_early_stopping_chose() -> None:
    bundled = FAMILY.prepare(None, {"seed": 42}).train
    options = {**TINY, "max_steps": 0, "per_label": 4, "epochs": 2, "patience": 1, "refit": True}
    trained = FAMILY.train(bundled, options)
    history = trained.state.history
    first = [r for r in history if "refit" not in r]
    refit = [r for r in history if r.get("refit")]
    best = int(trained.state.validation["best_epoch"])
    assert first and all("val_loss" in r for r in first)  # the first run early-stops on its validation part
    assert len(refit) == best and all("val_loss" not in r for r in refit)  # the refit has no validation part
    assert trained.metadata.params["refit"] is True


def test_int8_model_keeps_only_the_feed_forward_output_projections_in_float(model_dir: Path) -> None:
    import onnx

    graph = onnx.load(str(model_dir / "model.onnx")).graph
    weights = {init.name for init in graph.initializer}
    dequantized = {out for node in graph.node if node.op_type == "DequantizeLinear" for out in node.output}
    float_weight, int8_weight = [], []
    for node in graph.node:
        if node.op_type == "MatMul" and node.input[1] in weights:
            float_weight.append(node.name)
        elif node.op_type == "MatMul" and node.input[1] in dequantized:
            int8_weight.append(node.name)
    assert len(float_weight) == 6 and all("/output/dense/" in n and "/attention/" not in n for n in float_weight)
    assert len(int8_weight) >= 30  # query/key/value, attention output and intermediate projections are int8
