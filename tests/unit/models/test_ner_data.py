"""The NER span checker, loader, split and metrics (no training)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nivesh_ml.data import bundled_path
from nivesh_ml.errors import InvalidInput
from nivesh_ml.models.ner.data import LABELS, labels_of, load_ner_jsonl, split_examples
from nivesh_ml.models.ner.metrics import span_scores
from nivesh_ml.models.ner.pipeline import NerParams


def _write(tmp_path: Path, records: list[object]) -> Path:
    path = tmp_path / "ner.jsonl"
    path.write_text("\n".join(r if isinstance(r, str) else json.dumps(r) for r in records) + "\n")
    return path


def test_bundled_files_pass_the_checker_and_use_the_five_labels() -> None:
    train = load_ner_jsonl(bundled_path("ner.jsonl"))
    holdout = load_ner_jsonl(bundled_path("ner_holdout.jsonl"))
    assert len(train) == 583 and len(holdout) == 145
    assert labels_of(train) == list(LABELS)
    assert not {ex.text for ex in train} & {ex.text for ex in holdout}


@pytest.mark.parametrize(("entity", "message"), [
    ([4, 9, "MONEY"], "token boundaries"),        # "₹5,0" cuts a token
    ([0, 40, "MONEY"], "out of range"),
    ([3, 10, "MONEY"], "whitespace"),             # " ₹5,000" starts with a space
    ([4, 11, "MONEY"], "punctuation"),            # "₹5,000." keeps the full stop
    (["4", 10, "MONEY"], "expected [start, end, LABEL]"),
])
def test_checker_rejects_misaligned_spans_with_line_numbers(tmp_path: Path, entity: list[object],
                                                            message: str) -> None:
    good = {"text": "hi", "entities": []}
    bad = {"text": "pay ₹5,000.", "entities": [entity]}
    with pytest.raises(InvalidInput) as err:
        load_ner_jsonl(_write(tmp_path, [good, bad]))
    assert err.value.details[0]["line"] == 2
    assert message in err.value.details[0]["error"]


def test_checker_rejects_overlaps_bad_json_and_missing_text(tmp_path: Path) -> None:
    overlap = {"text": "paid Swiggy 500 rupees", "entities": [[5, 11, "MERCHANT"], [5, 15, "MONEY"]]}
    with pytest.raises(InvalidInput) as err:
        load_ner_jsonl(_write(tmp_path, ["{not json", {"entities": []}, overlap]))
    lines = [d["line"] for d in err.value.details]
    assert lines == [1, 2, 3]
    assert "overlaps" in err.value.details[2]["error"]


def test_missing_file_and_empty_file_are_invalid_input(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput):
        load_ner_jsonl(tmp_path / "absent.jsonl")
    with pytest.raises(InvalidInput):
        load_ner_jsonl(_write(tmp_path, [""]))


def test_split_is_seeded_and_disjoint() -> None:
    examples = load_ner_jsonl(bundled_path("ner_holdout.jsonl"))
    a_rest, a_out = split_examples(examples, seed=7)
    b_rest, b_out = split_examples(examples, seed=7)
    assert a_out == b_out and a_rest == b_rest
    assert len(a_out) == 29 and not set(a_out) & set(a_rest)


def test_span_scores_exact_match_only() -> None:
    gold = [[(0, 5, "MONEY"), (6, 10, "DATE")]]
    predicted = [[(0, 5, "MONEY"), (6, 9, "DATE"), (11, 15, "MERCHANT")]]
    scores = span_scores(gold, predicted)
    assert scores["per_label"]["MONEY"]["f1"] == 1.0
    assert scores["per_label"]["DATE"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 1}
    assert scores["micro_f1"] == pytest.approx(0.4)


@pytest.mark.parametrize("options", [{"epochs": 0}, {"rules": "sometimes"}, {"dropout": "high"},
                                     {"learning_rate_typo": 1}])
def test_bad_training_options_are_named(options: dict[str, object]) -> None:
    with pytest.raises(InvalidInput) as err:
        NerParams.from_options(options)
    assert next(iter(options)) in err.value.message


def test_trimmer_drops_edge_punctuation_from_predicted_spans() -> None:
    from spacy.tokens import Span

    from nivesh_ml.models.ner.components import trim_entities
    from nivesh_ml.models.ner.tokens import make_blank_nlp

    doc = make_blank_nlp()("NEFT*HDFC0000001*N123456789*GOOGLE INDIA*SALARY")
    doc.ents = [Span(doc, 5, 9, label="MERCHANT"), Span(doc, 1, 2, label="DATE")]  # "*GOOGLE INDIA*", "*"
    assert [(e.text, e.label_) for e in trim_entities(doc).ents] == [("GOOGLE INDIA", "MERCHANT")]
