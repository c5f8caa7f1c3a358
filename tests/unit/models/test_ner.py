"""NER model: the contract suite, then behaviour a user would notice (money forms, Hinglish dates, SMS)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from nivesh_ml.data import bundled_path
from nivesh_ml.errors import InvalidInput
from nivesh_ml.models.base import Predictor
from nivesh_ml.models.ner import FAMILY
from nivesh_ml.models.ner.data import load_ner_jsonl
from nivesh_ml.models.ner.synthetic import generate
from tests.model_contract import check_model_contract

TINY = {"epochs": 2, "width": 32, "depth": 2, "embed_size": 500, "hidden_width": 32, "seed": 3}
REF = "2025-01-15"


def _entities(predictor: Predictor, text: str) -> list[dict[str, Any]]:
    entities: list[dict[str, Any]] = predictor.predict_one({"text": text, "reference_date": REF})["entities"]
    return entities


def _by_text(predictor: Predictor, text: str) -> dict[str, dict[str, Any]]:
    return {e["text"]: e for e in _entities(predictor, text)}


@pytest.mark.slow
def test_contract(tmp_path: Path) -> None:
    dataset = load_ner_jsonl(bundled_path("ner.jsonl"))[:60]
    inputs = ["Paid ₹500 to Swiggy yesterday", {"text": "Rs.2,500.00 debited from A/c XX7788", "reference_date": REF},
              "hi"]
    predictor = check_model_contract(FAMILY, dataset, TINY, inputs, tmp_path)
    out = predictor.predict(inputs)
    for result in out:
        for ent in result["entities"]:
            assert set(ent) == {"text", "label", "start", "end", "value"}
    assert FAMILY.evaluate(predictor, dataset[:10])["micro_f1"] >= 0.0


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Predictor:
    """A model trained on the hand-written bundled file plus 200 generated international sentences (few epochs:
    enough for the behaviours below; the full bundled set, 2,283 sentences, is the benchmark's job)."""
    train = [*load_ner_jsonl(bundled_path("ner.jsonl")), *generate(200)]
    trained = FAMILY.train(train, {"epochs": 12, "patience": 4, "seed": 42})
    directory = tmp_path_factory.mktemp("ner") / "model"
    FAMILY.save(trained, directory)
    return FAMILY.load(directory)


@pytest.mark.slow
@pytest.mark.parametrize(("text", "span", "amount"), [
    ("Transfer ₹1,20,000 to my HDFC savings account", "₹1,20,000", 120000.0),
    ("Pay my Airtel postpaid bill of Rs. 599", "Rs. 599", 599.0),
    ("Rs.2,500.00 debited from A/c XX7788 on 15/08/2024", "Rs.2,500.00", 2500.0),
    ("I want a home loan of 40 lakh", "40 lakh", 4000000.0),
    ("Can I buy a flat worth 1.5 crore?", "1.5 crore", 15000000.0),
])
def test_rupee_forms_and_indian_multipliers_are_money(trained: Predictor, text: str, span: str,
                                                      amount: float) -> None:
    ents = _by_text(trained, text)
    assert ents[span]["label"] == "MONEY"
    assert ents[span]["value"] == {"amount": amount, "currency": "INR"}


@pytest.mark.slow
def test_hinglish_dates_resolve_against_the_reference_date(trained: Predictor) -> None:
    ents = _by_text(trained, "kal Swiggy pe 450 rupay gaye")
    assert ents["kal"]["label"] == "DATE" and ents["kal"]["value"] == {"start": "2025-01-14", "end": "2025-01-14"}
    assert ents["450 rupay"]["value"] == {"amount": 450.0, "currency": "INR"}
    ents = _by_text(trained, "pichle mahine bijli ka bill kitna tha?")
    assert ents["pichle mahine"]["value"] == {"start": "2024-12-01", "end": "2024-12-31"}


@pytest.mark.slow
def test_sms_narration_entities(trained: Predictor) -> None:
    text = "Rs.1,200.00 debited from HDFC Bank A/c XX7788 to ZOMATO on 14-08-24. Avl Bal Rs 8,204.30"
    labels = {(e["text"], e["label"]) for e in _entities(trained, text)}
    assert ("ZOMATO", "MERCHANT") in labels and ("14-08-24", "DATE") in labels
    account = _by_text(trained, text)["HDFC Bank A/c XX7788"]
    assert account["value"] == {"institution": "HDFC Bank", "type": "account", "last4": "7788"}
    assert _by_text(trained, text)["ZOMATO"]["value"]["name"] == "Zomato"


@pytest.mark.slow
def test_offsets_point_into_the_text_and_batch_equals_single(trained: Predictor) -> None:
    texts = ["Did I pay Zomato ₹1,240 yesterday?", "hi", "Netflix ka ₹649 har mahine katta hai"]
    batch = trained.predict([{"text": t, "reference_date": REF} for t in texts])
    for text, result in zip(texts, batch, strict=True):
        assert result == trained.predict_one({"text": text, "reference_date": REF})
        for ent in result["entities"]:
            assert text[ent["start"]:ent["end"]] == ent["text"]


@pytest.mark.slow
@pytest.mark.parametrize("item", ["", "   ", "x" * 5001, "bad \x00\x01 bytes",
                                  {"text": "ok", "reference_date": "2025-13-45"},
                                  {"text": "ok", "reference_date": "0001-01-01"}, {"no_text": 1}, 42])
def test_bad_inputs_are_invalid_input(trained: Predictor, item: Any) -> None:
    with pytest.raises(InvalidInput):
        trained.predict([item])


@pytest.mark.slow
def test_evaluate_reports_per_label_scores(trained: Predictor) -> None:
    holdout = load_ner_jsonl(bundled_path("ner_holdout.jsonl"))
    metrics = FAMILY.evaluate(trained, holdout)
    assert set(metrics["per_label"]) == {"MONEY", "DATE", "CATEGORY", "MERCHANT", "ACCOUNT"}
    assert metrics["micro_f1"] > 0.7


@pytest.mark.slow
def test_train_on_a_user_file_splits_80_20(tmp_path: Path) -> None:
    from nivesh_ml.config import Settings
    from nivesh_ml.pipelines.training import train_model

    data = tmp_path / "mine.jsonl"
    data.write_text("\n".join(bundled_path("ner.jsonl").read_text().splitlines()[:50]) + "\n")
    result = train_model(Settings(home=tmp_path / "var"), "ner", data, TINY, output=tmp_path / "out",
                         register=False)
    assert result.metrics["n_sentences"] == 10
    assert (tmp_path / "out" / "pipeline" / "meta.json").is_file()


def test_a_misaligned_user_file_is_rejected_before_training(tmp_path: Path) -> None:
    data = tmp_path / "bad.jsonl"
    data.write_text('{"text": "paid Swiggy 500", "entities": [[5, 9, "MERCHANT"]]}\n')
    with pytest.raises(InvalidInput) as err:
        FAMILY.prepare(data, {"seed": 1})
    assert err.value.details[0]["line"] == 1


@pytest.mark.slow
def test_loaded_pipeline_multiplies_with_numpy_blas_and_finds_the_same_entities(trained: Predictor) -> None:
    """The served pipeline's models compute through NumPy's BLAS (models/ner/ops.py); thinc's BLIS path gives the
    same entities on the hold-out texts (only the rounding order differs)."""
    from thinc.api import NumpyOps

    from nivesh_ml.models.ner.ops import use_numpy_blas
    from nivesh_ml.models.ner.predictor import NerPredictor

    assert isinstance(trained, NerPredictor)
    found: list[Any] = [getattr(c, "model", None) for _, c in trained.nlp.pipeline]
    models = [m for m in found if hasattr(m, "walk")]
    assert models and all(not getattr(n.ops, "use_blis", True) for m in models for n in m.walk())
    texts = [ex.text for ex in load_ner_jsonl(bundled_path("ner_holdout.jsonl"))]
    with_numpy = trained.spans(texts)
    blis = NumpyOps()
    for model in models:
        for node in model.walk():
            node.ops = blis
    with_blis = trained.spans(texts)
    use_numpy_blas(trained.nlp)  # the module's model back as served
    assert with_blis == with_numpy
