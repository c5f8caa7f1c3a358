"""Answer first, offline: sentence-level retrieval, the extractive composer, 'not covered', FD and tax numbers."""

from __future__ import annotations

import re

import pytest

from nivesh_ml.advisor import calculators as calc
from nivesh_ml.advisor.retrieval import Retriever, expand_query, range_fit, split_sentences, stated_ranges
from nivesh_ml.advisor.routing import calculator_arguments, route_message
from nivesh_ml.advisor.service import Advisor, advise
from nivesh_ml.config import Settings


@pytest.fixture
def advisor(settings: Settings, keyword_retriever: Retriever) -> Advisor:
    return Advisor(settings, retriever=keyword_retriever)


def test_table_rows_carry_their_heading_and_column_names() -> None:
    text = "| Who | Maximum deduction |\n|---|---|\n| Self, spouse | ₹25,000 |\n\n- **Lock-in:** 3 years."
    units = split_sentences(text, "Section 80D")
    assert units[0] == "Section 80D: Who: Self, spouse — Maximum deduction: ₹25,000"
    assert units[1] == "Lock-in: 3 years."


def test_hinglish_words_are_expanded_to_the_guides_words() -> None:
    expanded = expand_query("PPF ka lock-in kitne saal ka hai")
    assert "years" in expanded and "tenure" in expanded


@pytest.mark.parametrize(("question", "fact"), [
    ("What is the lock-in period of a PPF account?", "15 (full financial )?years"),
    ("PPF ka lock-in kitne saal ka hota hai?", "15 (full financial )?years"),
    ("What is the maximum investment allowed in SCSS?", "₹30 lakh"),
    ("What is the lock-in period of ELSS funds?", "3 years"),
])
def test_the_answering_sentence_comes_first(keyword_retriever: Retriever, question: str, fact: str) -> None:
    passages = keyword_retriever.answer_passages(question, keyword_retriever.search(question, k=3))
    assert re.search(fact, passages[0].text)
    assert passages[0].as_of and passages[0].authority


@pytest.mark.parametrize(("question", "row"), [
    ("mera credit score 650 hai, loan milega kya?", "650–699"),   # was the "Below 650" row
])
def test_a_number_in_the_question_picks_the_row_whose_range_holds_it(keyword_retriever: Retriever, question: str,
                                                                     row: str) -> None:
    passages = keyword_retriever.answer_passages(question, keyword_retriever.search(question, k=3))
    assert row in passages[0].text, passages[0].text


def test_range_fit() -> None:
    assert range_fit([650], stated_ranges("Score: 650–699 — Average")) == 1
    assert range_fit([650], stated_ranges("CIBIL score ranges (300–900): Score: Below 650 — Weak")) == -1
    assert range_fit([780], stated_ranges("Score: 750 or above — Excellent")) == 1
    assert range_fit([650], stated_ranges("PPF runs for 15 years")) == 0          # no range: no say
    assert range_fit([12], stated_ranges("₹4–8 lakh at 5%")) == 0                # amounts and their scales are left out


def test_offline_reply_opens_with_the_fact_its_date_and_source(advisor: Advisor) -> None:
    result = advise(advisor, "u1", "What is the lock-in period of a PPF account?")
    first = result["reply"].split("\n")[0]
    assert re.search("PPF.{0,80}15 (full financial )?years", first)
    assert "as of 2025-10-01" in first and "source:" in first
    snippets = " ".join(s["snippet"] for s in result["sources"])
    assert re.search("15 (full financial )?years", snippets)  # the answering sentence, not the chunk


@pytest.mark.parametrize("question", ["What is the weather in Delhi tomorrow?", "Who won the cricket match?"])
def test_questions_outside_the_guides_say_so(advisor: Advisor, question: str) -> None:
    reply = advise(advisor, "u1", question)["reply"]
    assert reply.startswith("I don't have a reliable answer to that in my guides")
    assert "official source" in reply


def test_fd_maturity_compounds_quarterly() -> None:
    result = calc.fd_maturity(100_000, 7, 5)
    assert result["maturity_value"] == round(100_000 * (1 + 0.07 / 4) ** 20) == 141_478
    assert "error" in calc.run_tool("fd_maturity", {"principal": 1000, "annual_rate_pct": 7, "years": 5,
                                                    "compounding_per_year": 3})


def test_fd_question_with_numbers_is_answered_numerically(advisor: Advisor) -> None:
    result = advise(advisor, "u1", "What will a fixed deposit of 1 lakh at 7% for 5 years give me?")
    assert result["tool_calls"][0]["name"] == "fd_maturity"
    assert result["reply"].startswith("A fixed deposit of ₹1.00 lakh at 7% for 5 years")
    assert "₹1.41 lakh" in result["reply"]


def test_a_financial_year_is_not_an_income() -> None:
    route = route_message("Up to what income is there no tax in the new regime for FY 2025-26?")
    assert route.topic == "compare_tax_regimes" and route.amounts == []
    assert calculator_arguments(route) is None
    salary = route_message("How much income tax will I pay on a salary of 15 lakh a year in FY 2025-26?")
    assert calculator_arguments(salary) == {"gross_income": 1_500_000}


def test_tax_question_with_income_compares_both_regimes(advisor: Advisor) -> None:
    reply = advise(advisor, "u1", "How much income tax will I pay on a salary of 15 lakh a year?")["reply"]
    assert "new regime tax ₹97,500" in reply and "old regime tax" in reply
