"""The merchant gazetteer after the statistical NER (issue 16, third pass) and the per-epoch sample of the
generated training sentences."""

from __future__ import annotations

import pytest
from spacy.language import Language

from nivesh_ml.data import bundled_path
from nivesh_ml.errors import InvalidInput
from nivesh_ml.models.ner.components import MERCHANT_GAZETTEER_COMPONENT
from nivesh_ml.models.ner.data import NerExample, load_ner_jsonl
from nivesh_ml.models.ner.grammar import GRAMMAR_COMPONENT
from nivesh_ml.models.ner.pipeline import NerParams, build_nlp, train_pipeline
from nivesh_ml.models.ner.tokens import make_blank_nlp


@pytest.fixture(scope="module")
def nlp() -> Language:
    nlp = make_blank_nlp()
    nlp.add_pipe(GRAMMAR_COMPONENT)
    nlp.add_pipe(MERCHANT_GAZETTEER_COMPONENT)
    return nlp


def _run(nlp: Language, text: str, model: tuple[tuple[str, str], ...] = ()) -> list[tuple[str, str]]:
    """Entities after grammar + gazetteer, the doc preset with ``model`` spans (what the statistical NER found)."""
    doc = nlp.make_doc(text)
    preset = []
    for surface, label in model:
        start = text.index(surface)
        span = doc.char_span(start, start + len(surface), label=label)
        assert span is not None
        preset.append(span)
    doc.ents = preset
    for name in (GRAMMAR_COMPONENT, MERCHANT_GAZETTEER_COMPONENT):
        doc = nlp.get_pipe(name)(doc)
    return [(e.text, e.label_) for e in doc.ents]


def test_a_table_merchant_the_model_missed_in_an_sms_is_proposed(nlp: Language) -> None:
    text = "INR 1,149.00 debited from A/c XX4410 on 03-11-2025 for broadband bill to ACT FIBERNET."
    assert ("ACT FIBERNET", "MERCHANT") in _run(nlp, text, (("A/c XX4410", "ACCOUNT"),))
    assert ("ZEPTO", "MERCHANT") in _run(nlp, "UPI/DR/512345678901/ZEPTO/YESB/zepto@ybl/Groceries")


def test_a_model_fragment_is_extended_to_the_table_name(nlp: Language) -> None:
    found = _run(nlp, "NEFT DR-HDFC0001234-BIGTREE ENTERTAINMENT-TICKETS", (("ENTERTAINMENT", "MERCHANT"),))
    assert found == [("BIGTREE ENTERTAINMENT", "MERCHANT")]


def test_the_model_wins_where_it_found_another_entity_or_a_longer_merchant(nlp: Language) -> None:
    text = "INR 999.00 charged to Amazon Pay ICICI Credit Card XX6612 at NETFLIX on 28-10-24."
    found = _run(nlp, text, (("Amazon Pay ICICI Credit Card XX6612", "ACCOUNT"), ("NETFLIX", "MERCHANT")))
    assert ("Amazon Pay ICICI Credit Card XX6612", "ACCOUNT") in found
    assert ("Amazon Pay", "MERCHANT") not in found and ("NETFLIX", "MERCHANT") in found
    assert _run(nlp, "my Swiggy One renewal", (("Swiggy One", "MERCHANT"),)) == [("Swiggy One", "MERCHANT")]
    assert _run(nlp, "swiggy groceries", (("swiggy groceries", "CATEGORY"),)) == [("swiggy groceries", "CATEGORY")]


def test_money_and_date_fragments_stay_rejected_and_everyday_words_are_not_merchants(nlp: Language) -> None:
    # The gazetteer runs after the grammar: a rejected fragment ("10 days" as MONEY) does not come back.
    found = _run(nlp, "it's been 10 days since I paid Zomato", (("10 days", "MONEY"),))
    assert ("10 days", "MONEY") not in found and ("Zomato", "MERCHANT") in found
    assert _run(nlp, "I took the metro and bought an apple") == []  # ambiguous table aliases are not proposed


def test_hostile_input_is_one_pass() -> None:
    nlp = make_blank_nlp()
    nlp.add_pipe(MERCHANT_GAZETTEER_COMPONENT)
    doc = nlp(" ".join(["swiggy"] * 2000 + ["bigtree entertainment"] * 500))
    assert len(doc.ents) == 2500 and {e.label_ for e in doc.ents} == {"MERCHANT"}


def test_new_pipelines_end_with_the_grammar_then_the_gazetteer() -> None:
    names = build_nlp(["MONEY", "MERCHANT"], NerParams()).pipe_names
    assert names[-2:] == [GRAMMAR_COMPONENT, MERCHANT_GAZETTEER_COMPONENT]


def _examples(n: int, merchant: str, generated: bool) -> list[NerExample]:
    return [NerExample(text=f"paid {merchant} {i}", entities=((5, 5 + len(merchant), "MERCHANT"),),
                       generated=generated) for i in range(n)]


def test_generated_sentences_are_sampled_per_epoch() -> None:
    written, generated = _examples(6, "Swiggy", False), _examples(40, "Tesco", True)
    params = NerParams(epochs=2, width=16, depth=1, embed_size=200, hidden_width=16, dev_fraction=0.0,
                       generated_per_epoch=10)
    _, info = train_pipeline(written, [], params, generated=generated)
    assert (info["n_train"], info["n_generated"], info["generated_per_epoch"]) == (6, 40, 10)
    _, info = train_pipeline(written, [], NerParams(**{**params.as_dict(), "generated_per_epoch": 0}),
                             generated=generated)
    assert info["generated_per_epoch"] == 40  # 0: all of them every epoch
    with pytest.raises(InvalidInput, match="generated_per_epoch"):
        NerParams.from_options({"generated_per_epoch": -1})



def test_a_whole_known_name_found_by_the_model_is_not_stretched(nlp: Language) -> None:
    assert _run(nlp, "Jio recharge of Rs 239 done", (("Jio", "MERCHANT"),))[0] == ("Jio", "MERCHANT")
    assert ("Uber", "MERCHANT") in _run(nlp, "Rs.340 debited for Uber trip on 2024-08-22")  # not "Uber trip"
    assert ("AMAZON", "MERCHANT") in _run(nlp, "03/09/2024 AMAZON IN MUMBAI 1,299.00 Dr")


def test_the_gazetteer_agrees_with_the_hand_written_annotations() -> None:
    """Given the gold entities of the bundled training file, the gazetteer changes almost nothing (two sentences
    name the PhonePe app as the channel, unlabelled)."""
    nlp = make_blank_nlp()
    gazetteer = nlp.add_pipe(MERCHANT_GAZETTEER_COMPONENT)
    changed = []
    for example in load_ner_jsonl(bundled_path("ner.jsonl")):
        doc = nlp.make_doc(example.text)
        spans = [doc.char_span(a, b, label=label) for a, b, label in example.entities]
        doc.ents = [span for span in spans if span is not None]  # the loader checked every span
        gold = [(e.start_char, e.end_char, e.label_) for e in doc.ents]
        if [(e.start_char, e.end_char, e.label_) for e in gazetteer(doc).ents] != gold:
            changed.append(example.text)
    assert len(changed) <= 2, changed
