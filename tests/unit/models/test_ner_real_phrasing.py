"""Error classes seen on real banking-assistant phrasing (BANKING77 train-split utterances read by hand, session 7):
one unit of a currency ("an extra pound"), vague past dates ("the other day", "a couple days ago"), the modal
"may", counts of attempts, generic-word fragments, and a bare amount's currency taken from the text."""

from __future__ import annotations

from datetime import date

import pytest
from spacy.tokens import Span

from nivesh_ml.models.ner.components import trim_entities
from nivesh_ml.models.ner.dates import resolve_date
from nivesh_ml.models.ner.grammar import accepts_date, accepts_money, grammar_spans
from nivesh_ml.models.ner.normalise import normalise_entities, parse_money
from nivesh_ml.models.ner.tokens import make_blank_nlp

REF = date(2026, 12, 3)


def _spans(text: str) -> set[tuple[str, str]]:
    return {(s.text, s.label_) for s in grammar_spans(make_blank_nlp().make_doc(text))}


@pytest.mark.parametrize(("text", "expected"), [
    ("There must have been a mistake, why was I charged an extra pound?", {("an extra pound", "MONEY")}),
    ("I had to pay a pound more than I anticipated!", {("a pound", "MONEY")}),
    ("I was overcharged one extra pound!", {("one extra pound", "MONEY")}),
    ("there is a dollar that has been charged to my account", {("a dollar", "MONEY")}),
    ("can I open a euro account", set()),                     # the currency as a kind of account
    ("is a pound coin accepted", set()),
    ("I've tried to make a transfer 5 different times", set()),  # a count of attempts
    ("I bought something online a couple days ago", {("a couple days ago", "DATE")}),
    ("I put some money in my account the other day", {("the other day", "DATE")}),
    ("I ordered something online a while ago", {("a while ago", "DATE")}),
    ("a refund I asked for a long time ago", {("a long time ago", "DATE")}),
    ("a purchase I made not long ago", {("not long ago", "DATE")}),
    ("I had done this a couple days previously", {("a couple days previously", "DATE")}),
    # second pass, from the errors on the annotated BANKING77 train-split sample
    ("I ordered online weeks ago", {("weeks ago", "DATE")}),
    ("I bought it one or two weeks ago", {("one or two weeks ago", "DATE")}),
    ("a week or two ago I topped up", {("a week or two ago", "DATE")}),
    ("my card was declined earlier today", {("earlier today", "DATE")}),
    ("a restaurant visit earlier this week", {("earlier this week", "DATE")}),
    ("it worked a couple days before.", {("a couple days before", "DATE")}),
    ("you must be at least 18 years old", set()),             # an age
    ("I only have 1 other", set()),                           # a count, not an amount
    # third pass, from the errors on the blind sample (seed 2027) after it was measured
    ("the ATM gave me zero dollars", {("zero dollars", "MONEY")}),
    ("can I top up on weekends", {("weekends", "DATE")}),
    ("Yesterdays payment failed", {("Yesterdays", "DATE")}),
    ("will it arrive within the week", {("within the week", "DATE")}),
    # the other amount of a comparison, when the text names a currency
    ("it gave me 10 pounds instead of the 30", {("10 pounds", "MONEY"), ("30", "MONEY")}),
    ("I tried to withdraw 40 pounds but only 20 came out", {("40 pounds", "MONEY"), ("20", "MONEY")}),
    ("only 20 came out", set()),                              # no currency anywhere: not enough context
    ("I only have 5 cards", set()),
])
def test_grammar_reads_real_phrasing(text: str, expected: set[tuple[str, str]]) -> None:
    assert _spans(text) == expected


@pytest.mark.parametrize(("text", "amount", "currency"), [
    ("an extra pound", 1.0, "GBP"), ("a dollar", 1.0, "USD"), ("one additional euro", 1.0, "EUR"),
    ("a cent", 0.01, "USD"),
])
def test_one_unit_of_a_currency(text: str, amount: float, currency: str) -> None:
    assert parse_money(text) == {"amount": amount, "currency": currency}


@pytest.mark.parametrize(("text", "start", "end"), [
    ("a couple days ago", "2026-12-01", "2026-12-01"),
    ("the other day", "2026-11-26", "2026-12-02"),   # a few days back, not today
    ("a while ago", "2026-09-04", "2026-11-26"),
    ("not long ago", "2026-11-03", "2026-12-03"),    # like "recently"
    ("a long time ago", "2025-12-03", "2026-11-03"),
    ("a couple days previously", "2026-12-01", "2026-12-01"),
    ("one or two weeks ago", "2026-11-19", "2026-11-26"),
    ("a week or two ago", "2026-11-19", "2026-11-26"),
    ("weeks ago", "2026-10-08", "2026-11-19"),
    ("earlier today", "2026-12-03", "2026-12-03"),
    ("earlier this week", "2026-11-30", "2026-12-03"),       # Monday to today
    ("later this month", "2026-12-03", "2026-12-31"),
])
def test_vague_past_dates_resolve_to_ranges(text: str, start: str, end: str) -> None:
    assert resolve_date(text, REF) == {"start": start, "end": end}


def _span(text: str, start: int, end: int, label: str) -> Span:
    return Span(make_blank_nlp().make_doc(text), start, end, label=label)


def test_may_is_a_month_only_where_one_is_introduced() -> None:
    assert not accepts_date(_span("someone may have cloned my card", 1, 2, "DATE"))
    assert not accepts_date(_span("May I get a refund", 0, 1, "DATE"))
    assert accepts_date(_span("I paid it in May", 4, 5, "DATE"))
    assert accepts_date(_span("statements since may", 2, 3, "DATE"))


def test_a_year_or_an_age_the_model_marks_is_no_amount() -> None:
    assert not accepts_money(_span("It's 2018 not 1818", 2, 3, "MONEY"))
    assert not accepts_money(_span("you need to be 18 to open one", 4, 5, "MONEY"))
    assert not accepts_money(_span("cards for children under 18", 4, 5, "MONEY"))
    assert accepts_money(_span("only 20 came out", 1, 2, "MONEY"))  # the model may still read a bare amount


def test_an_age_is_no_date() -> None:
    assert not accepts_date(_span("you must be 18 years old", 3, 5, "DATE"))
    assert not accepts_date(_span("18 years of age or older", 0, 2, "DATE"))
    assert accepts_date(_span("I have saved for 18 years", 4, 6, "DATE"))


def test_generic_word_fragments_are_dropped_before_the_grammar() -> None:
    doc = make_blank_nlp().make_doc("I was charged extra , move it to the right account of my HDFC card")
    doc.ents = [Span(doc, 3, 4, label="MERCHANT"), Span(doc, 8, 11, label="ACCOUNT"),
                Span(doc, 13, 15, label="ACCOUNT")]
    assert [(e.text, e.label_) for e in trim_entities(doc).ents] == [("HDFC card", "ACCOUNT")]
    doc = make_blank_nlp().make_doc("This is a basic transfer to Swiggy")
    doc.ents = [Span(doc, 0, 1, label="MERCHANT"), Span(doc, 6, 7, label="MERCHANT")]
    assert [(e.text, e.label_) for e in trim_entities(doc).ents] == [("Swiggy", "MERCHANT")]

@pytest.mark.parametrize(("entities", "currencies"), [
    ([("MONEY", "10 pounds"), ("MONEY", "30")], ["GBP", "GBP"]),           # the text's one currency
    ([("MONEY", "$100"), ("MONEY", "20")], ["USD", "USD"]),
    ([("MONEY", "$5"), ("MONEY", "£3"), ("MONEY", "30")], ["USD", "GBP", "INR"]),  # two currencies: rupees
    ([("MONEY", "450")], ["INR"]),                                          # none named: rupees
    ([("MONEY", "$20"), ("MONEY", "1.5 lakh")], ["USD", "INR"]),            # lakh is always rupees
])
def test_a_bare_amount_takes_the_currency_the_text_names(entities: list[tuple[str, str]],
                                                         currencies: list[str]) -> None:
    values = normalise_entities(entities, REF)
    assert [v["currency"] for v in values if v is not None] == currencies
