"""The one money/number grammar shared by advisor routing, NER rules, narration parsing and NER values."""

from __future__ import annotations

import pytest

from nivesh_ml.advisor.routing import rule_amounts
from nivesh_ml.models.ner.narration import parse_narration
from nivesh_ml.models.ner.normalise import parse_money
from nivesh_ml.text import clean_text, find_money
from nivesh_ml.text.money import find_bare_numbers


@pytest.mark.parametrize(("text", "amount", "currency"), [
    ("₹1,50,000", 150_000, "INR"), ("Rs. 500/-", 500, "INR"), ("INR 2,500.50", 2_500.5, "INR"),
    ("5000 rupees", 5_000, "INR"), ("12 LPA", 1_200_000, "INR"), ("1.5 crore", 15_000_000, None),
    ("5k", 5_000, None), ("20 lakh", 2_000_000, None), ("3 lacs", 300_000, None), ("2 cr", 20_000_000, None),
    ("$120", 120, "USD"), ("£40", 40, "GBP"), ("€15.5", 15.5, "EUR"), ("AED 300", 300, "AED"),
    ("2 thousand dollars", 2_000, "USD"), ("1.2 million", 1_200_000, None), ("50 pounds", 50, "GBP"),
    ("150,000 euros", 150_000, "EUR"),
])
def test_amounts_in_every_written_form(text: str, amount: float, currency: str | None) -> None:
    found = find_money(f"about {text} please")
    assert len(found) == 1
    assert found[0].amount == pytest.approx(amount) and found[0].currency == currency
    assert f"about {text} please"[found[0].start:found[0].end] == text


@pytest.mark.parametrize("text", ["5000", "in 2024", "15/08/2024", "version 1.2.3", "9" * 40, "1,2345"])
def test_unmarked_or_malformed_numbers_are_not_money(text: str) -> None:
    assert find_money(text) == []


def test_bare_numbers_skip_percentages_durations_and_tails_of_long_runs() -> None:
    found = find_bare_numbers("save 5000 at 12% for 10 years, 36 months; 1,20,000 ok; " + "9" * 30)
    assert [m.amount for m in found] == [5000, 120_000]


def test_the_four_consumers_agree() -> None:
    text = "Paid ₹1,50,000.50 to Swiggy"
    assert rule_amounts(text) == [150_000.5]
    assert parse_money("₹1,50,000.50") == {"amount": 150_000.5, "currency": "INR"}
    narration = parse_narration("Rs 1,50,000.50 debited from a/c XX1234 to SWIGGY on 05-05-24")
    assert narration.amount == 150_000.5 and narration.currency == "INR"
    assert find_money(text)[0].amount == 150_000.5


def test_narrations_do_not_read_cr_as_crore() -> None:
    narration = parse_narration("INR 5,000.00 Cr to your a/c XX1234")
    assert narration.amount == 5_000.0


def test_clean_text_caps_and_collapses() -> None:
    assert clean_text("a  \t b\n\n  c", 100) == "a b\nc"
    assert clean_text("abcdef", 3) == "abc"
    with pytest.raises(ValueError, match="max_chars"):
        clean_text("a", -1)
