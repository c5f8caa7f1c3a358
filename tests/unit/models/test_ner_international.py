"""International banking phrasing (issue 16): values, grammar edge cases and the generated training sentences."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from nivesh_ml.data import bundled_path
from nivesh_ml.models.ner.data import load_ner_jsonl
from nivesh_ml.models.ner.dates import resolve_date
from nivesh_ml.models.ner.grammar import grammar_spans
from nivesh_ml.models.ner.normalise import normalise_value
from nivesh_ml.models.ner.synthetic import DEFAULT_N, OUTPUT_FILE, generate
from nivesh_ml.models.ner.tokens import make_blank_nlp
from nivesh_ml.text import money

REF = date(2025, 1, 15)  # a Wednesday
EVAL_DIR = Path(__file__).resolve().parents[3] / "benchmarks" / "data"


def _spans(text: str) -> set[tuple[str, str]]:
    return {(s.text, s.label_) for s in grammar_spans(make_blank_nlp().make_doc(text))}


@pytest.mark.parametrize(("text", "amount", "currency"), [
    ("£45", 45.0, "GBP"), ("45 pounds", 45.0, "GBP"), ("15 quid", 15.0, "GBP"), ("50 GBP", 50.0, "GBP"),
    ("12.40£", 12.4, "GBP"), ("30 pence", 0.3, "GBP"), ("30p", 0.3, "GBP"), ("£5m", 5_000_000.0, "GBP"),
    ("$120", 120.0, "USD"), ("9.99$", 9.99, "USD"), ("200 dollars", 200.0, "USD"), ("USD 45.00", 45.0, "USD"),
    ("50 bucks", 50.0, "USD"), ("$2.3 billion", 2_300_000_000.0, "USD"),
    ("€35", 35.0, "EUR"), ("300 euros", 300.0, "EUR"), ("15€", 15.0, "EUR"), ("7,50€", 7.5, "EUR"),
    ("EUR 89.90", 89.9, "EUR"), ("€ 1.5 million", 1_500_000.0, "EUR"),
    ("AED 500", 500.0, "AED"), ("1000 AED", 1000.0, "AED"), ("500 dirhams", 500.0, "AED"),
    ("CHF 68.78", 68.78, "CHF"), ("CAD 1,000", 1000.0, "CAD"), ("4.5 million won", 4_500_000.0, "KRW"),
    ("2 thousand dollars", 2000.0, "USD"), ("3 grand", 3000.0, "INR"), ("1.2 million yen", 1_200_000.0, "JPY"),
    ("thirty pounds", 30.0, "GBP"), ("seventy-five dollars", 75.0, "USD"), ("a hundred quid", 100.0, "GBP"),
    ("two thousand euros", 2000.0, "EUR"),
    ("₹1,50,000", 150_000.0, "INR"), ("Rs. 590", 590.0, "INR"), ("2.5 lakh rupees", 250_000.0, "INR"),
    ("1.5 crore", 15_000_000.0, "INR"),
])
def test_money_values_have_iso_codes_and_scales(text: str, amount: float, currency: str) -> None:
    assert normalise_value("MONEY", text, REF) == {"amount": amount, "currency": currency}


@pytest.mark.parametrize(("text", "start", "end"), [
    ("5 days ago", "2025-01-10", "2025-01-10"),              # one day
    ("in 10 days", "2025-01-25", "2025-01-25"),              # one day
    ("by the end of this year", "2025-01-15", "2025-12-31"),  # a range: the reference day to Dec 31
    ("14 days from today", "2025-01-29", "2025-01-29"),
    ("two weeks ago", "2025-01-01", "2025-01-01"),
    ("in a fortnight", "2025-01-29", "2025-01-29"),
    ("within 3 working days", "2025-01-15", "2025-01-20"),
    ("since the 10th", "2025-01-10", "2025-01-15"),
    ("the end of the tax year", "2025-03-31", "2025-03-31"),
    ("last tax year", "2023-04-01", "2024-03-31"),
    ("the past fortnight", "2025-01-02", "2025-01-15"),
    ("next fortnight", "2025-01-16", "2025-01-29"),
    ("April the 9th 2022", "2022-04-09", "2022-04-09"),
    ("Thursday the 23rd", "2025-01-23", "2025-01-23"),
    ("1st of next month", "2025-02-01", "2025-02-01"),
])
def test_relative_dates_resolve_against_reference_date(text: str, start: str, end: str) -> None:
    assert resolve_date(text, REF) == {"start": start, "end": end}


@pytest.mark.parametrize(("text", "expected"), [
    # "in" never joins an "ago"/"from now" expression
    ("has my salary come in 3 days ago", {("3 days ago", "DATE")}),
    ("my wages came in six weeks from today", {("six weeks from today", "DATE")}),
    ("the refund comes in 3 days", {("in 3 days", "DATE")}),
    # ordinals of a month, frequency words
    ("my direct debit goes out 1st of next month", {("1st of next month", "DATE")}),
    ("pay it on the 15th of each month", {("15th of each month", "DATE")}),
    ("set up a monthly transfer", {("monthly", "DATE")}),
    # amounts in context
    ("When will the 500 I deposited show up", {("500", "MONEY")}),
    ("can I get cashback of 50 at the till", {("50", "MONEY")}),
    ("I want to deposit a cheque for 350", {("350", "MONEY")}),
    ("I'll receive 4.5 million won from Korea", {("4.5 million won", "MONEY")}),
    ("I won 50 quid", {("50 quid", "MONEY")}),
    ("it cost 30p", {("30p", "MONEY")}),
    ("send CHF 125 to Fatima", {("CHF 125", "MONEY")}),
    ("a £5m house", {("£5m", "MONEY")}),
    # neither MONEY nor DATE
    ("my sort code is 20-45-67", set()),
    ("the transfer I made at 4.30 is pending", set()),
    ("I tried to pay about 3 20 and it failed", set()),
    ("it took 5m to load", set()),
    ("i was on hold for 40 minutes", set()),
])
def test_grammar_edges(text: str, expected: set[tuple[str, str]]) -> None:
    assert _spans(text) == expected


def test_generated_sentences_are_many_valid_and_reproducible() -> None:
    examples = generate()
    assert len(examples) == DEFAULT_N >= 1500
    assert len({ex.text.lower() for ex in examples}) == len(examples)
    labels = {label for ex in examples for _, _, label in ex.entities}
    assert labels == {"MONEY", "DATE", "CATEGORY", "MERCHANT", "ACCOUNT"}
    assert generate(50, 7) == generate(50, 7) != generate(50, 8)
    bundled = load_ner_jsonl(bundled_path(OUTPUT_FILE))  # checks every span; the file is what the module writes
    assert bundled == examples


def test_generated_sentences_never_copy_an_evaluation_sentence() -> None:
    evaluation = {json.loads(line)["text"].lower()
                  for path in sorted(EVAL_DIR.glob("ner_international*.jsonl"))
                  for line in path.read_text(encoding="utf-8").splitlines() if line.strip()}
    evaluation |= {ex.text.lower() for ex in load_ner_jsonl(bundled_path("ner_holdout.jsonl"))}
    assert len(evaluation) > 500
    assert not {ex.text.lower() for ex in generate()} & evaluation


def test_money_grammar_keeps_indian_amounts() -> None:
    found = money.find_money("EMI ₹8,450, bonus 1.5 lakh, fee Rs.590/-")
    assert [(m.amount, m.currency) for m in found] == [(8450.0, "INR"), (150_000.0, None), (590.0, "INR")]
