"""The MONEY/DATE grammar layer and the money grammar's international forms (DESIGN.md §8)."""

from __future__ import annotations

from datetime import date

import pytest
from spacy.tokens import Span

from nivesh_ml.models.ner.grammar import GRAMMAR_COMPONENT, accepts_date, accepts_money, grammar_spans
from nivesh_ml.models.ner.tokens import make_blank_nlp
from nivesh_ml.text import money


def _spans(text: str) -> set[tuple[str, str]]:
    doc = make_blank_nlp().make_doc(text)
    return {(s.text, s.label_) for s in grammar_spans(doc)}


@pytest.mark.parametrize(("text", "expected"), [
    ("I was charged 45 pounds twice", {("45 pounds", "MONEY")}),
    ("why was I charged 12.40£ at the station", {("12.40£", "MONEY")}),
    ("there is a payment of 9.99$ I don't know", {("9.99$", "MONEY")}),
    ("can I transfer 2 thousand dollars", {("2 thousand dollars", "MONEY")}),
    ("my salary of 1.2 million yen", {("1.2 million yen", "MONEY")}),
    ("when did I pay 38.70 at Tesco", {("38.70", "MONEY")}),
    ("cancel the 450 standing order", {("450", "MONEY")}),
    ("I paid thirty pounds for it", {("thirty pounds", "MONEY")}),
    ("we spent 3 grand", {("3 grand", "MONEY")}),
    ("send ₹1,50,000 to mom", {("₹1,50,000", "MONEY")}),
    ("I sent 300 euros 5 days ago", {("300 euros", "MONEY"), ("5 days ago", "DATE")}),
    ("my refund should arrive in 10 days", {("in 10 days", "DATE")}),
    ("it will be taken 14 days from now", {("14 days from now", "DATE")}),
    ("pay rent next week Monday", {("next week Monday", "DATE")}),
    ("save it by the end of this year", {("by the end of this year", "DATE")}),
    ("my balance at the end of the month", {("the end of the month", "DATE")}),
    ("I opened it on March the 3rd 2021", {("March the 3rd 2021", "DATE")}),
    ("remind me tomorrow at half past six", {("tomorrow", "DATE")}),
    ("payments since last Monday", {("since last Monday", "DATE")}),
    ("pichle mahine ka kharcha", {("pichle mahine", "DATE")}),
])
def test_grammar_proposes_whole_expressions(text: str, expected: set[tuple[str, str]]) -> None:
    assert _spans(text) == expected


@pytest.mark.parametrize("text", [
    "it's been 10 days", "call me back at 5 pm", "declined at 10:30", "it's Friday at 2 55",
    "I changed my PIN 3 times", "the 2 payments I made", "I may need help",
])
def test_durations_clock_times_and_counts_are_never_money(text: str) -> None:
    assert not {label for _, label in _spans(text)} & {"MONEY"}


@pytest.mark.parametrize("text", ["₹9₹9₹9₹9 paid", "₹9" * 300, "$5$5$5 ok"])
def test_a_money_match_cut_to_tokens_keeps_its_number(text: str) -> None:
    """Glued symbols and digits ("₹9₹9…", hostile input) tokenise so that a match only aligns by cutting it: what
    is left must still hold a number (no MONEY span "₹")."""
    money_spans = [span for span, label in _spans(text) if label == "MONEY"]
    assert all(any(c.isdigit() for c in span) for span in money_spans), money_spans


def _span(text: str, start: int, end: int, label: str) -> Span:
    doc = make_blank_nlp().make_doc(text)
    return Span(doc, start, end, label=label)


def test_model_fragments_the_grammar_rejects() -> None:
    assert not accepts_money(_span("cancel the 450 standing order", 2, 4, "MONEY"))  # "450 standing"
    assert not accepts_money(_span("it's been 10 days", 3, 5, "MONEY"))  # a duration
    assert not accepts_money(_span("refund $ please", 1, 3, "MONEY"))  # no number
    assert not accepts_money(_span("call me at 5 pm", 3, 4, "MONEY"))  # a clock time
    assert accepts_money(_span("pay 500 rupees now", 1, 3, "MONEY"))
    assert not accepts_date(_span("I was overseas 5 days", 2, 5, "DATE"))  # starts on a noun
    assert not accepts_date(_span("do this definitely before", 1, 4, "DATE"))
    assert not accepts_date(_span("on the 5th", 0, 3, "DATE"))  # starts on a preposition
    assert not accepts_date(_span("tomorrow at half past six", 0, 5, "DATE"))  # holds a clock time
    assert not accepts_date(_span("my transfer last Wednesday of 2,500 euros", 2, 5, "DATE"))  # ends on "of"
    assert not accepts_date(_span("it's 3 am and my card won't work", 3, 4, "DATE"))  # a clock time
    assert accepts_date(_span("last Diwali we spent a lot", 0, 2, "DATE"))


def test_the_layer_replaces_rejected_model_spans() -> None:
    nlp = make_blank_nlp()
    nlp.add_pipe(GRAMMAR_COMPONENT)
    doc = nlp.make_doc("I sent 300 euros to my sister 5 days ago via Revolut")
    doc.ents = [Span(doc, 7, 9, label="MONEY"), Span(doc, 11, 12, label="MERCHANT")]  # "5 days" as MONEY
    doc = nlp.get_pipe(GRAMMAR_COMPONENT)(doc)
    assert [(e.text, e.label_) for e in doc.ents] == [("300 euros", "MONEY"), ("5 days ago", "DATE"),
                                                       ("Revolut", "MERCHANT")]


@pytest.mark.parametrize(("text", "amount", "currency"), [
    ("45 pounds", 45.0, "GBP"), ("12.40£", 12.4, "GBP"), ("9.99$", 9.99, "USD"), ("300 euros", 300.0, "EUR"),
    ("AED 500", 500.0, "AED"), ("2 thousand dollars", 2000.0, "USD"), ("99 cents", 0.99, "USD"),
    ("15 quid", 15.0, "GBP"), ("₹1,20,000", 120000.0, "INR"), ("2 lakh", 200000.0, None),
])
def test_money_values_carry_iso_codes(text: str, amount: float, currency: str | None) -> None:
    found = money.find_money(text)
    assert [(m.amount, m.currency) for m in found] == [(amount, currency)]


def test_spelled_out_and_context_amounts() -> None:
    assert [(m.amount, m.currency) for m in money.find_word_money("I paid thirty five pounds")] == [(35.0, "GBP")]
    assert [m.amount for m in money.find_context_amounts("a 1200 transfer and I paid 38.70")] == [1200.0, 38.7]
    assert money.find_context_amounts("I paid 3 times in 10 days at 5 pm") == []


@pytest.mark.parametrize(("text", "start", "end"), [
    ("5 days ago", "2025-01-10", "2025-01-10"),
    ("3 months ago", "2024-10-15", "2024-10-15"),
    ("in 10 days", "2025-01-25", "2025-01-25"),
    ("14 days from now", "2025-01-29", "2025-01-29"),
    ("by the end of this year", "2025-01-15", "2025-12-31"),
    ("the end of the month", "2025-01-31", "2025-01-31"),
    ("next week Monday", "2025-01-20", "2025-01-20"),
    ("March the 3rd 2021", "2021-03-03", "2021-03-03"),
    ("tomorrow morning", "2025-01-16", "2025-01-16"),
    ("a fortnight ago", "2025-01-01", "2025-01-01"),
    ("since last Monday", "2025-01-13", "2025-01-15"),
])
def test_relative_dates_resolve_against_the_reference(text: str, start: str, end: str) -> None:
    from nivesh_ml.models.ner.dates import resolve_date

    assert resolve_date(text, date(2025, 1, 15)) == {"start": start, "end": end}


def test_grammar_spans_beat_overlapping_model_spans_of_other_labels() -> None:
    nlp = make_blank_nlp()
    nlp.add_pipe(GRAMMAR_COMPONENT)
    doc = nlp.make_doc("paid 45 pounds at Tesco 3 days ago")
    doc.ents = [Span(doc, 4, 6, label="MERCHANT"), Span(doc, 6, 8, label="CATEGORY")]  # "Tesco 3", "days ago"
    doc = nlp.get_pipe(GRAMMAR_COMPONENT)(doc)
    assert [(e.text, e.label_) for e in doc.ents] == [("45 pounds", "MONEY"), ("3 days ago", "DATE")]
