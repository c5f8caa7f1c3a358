"""Issue 18, offline: the guides' labelled key facts, the sentence that names the scheme asked about, Hinglish
normalisation, looking past the top documents, and calculator inputs in Hinglish."""

from __future__ import annotations

import re

import pytest

from nivesh_ml.advisor.knowledge import bundled_documents
from nivesh_ml.advisor.retrieval import Retriever, asked_entities, expand_query
from nivesh_ml.advisor.routing import calculator_arguments, route_message
from nivesh_ml.advisor.service import Advisor, advise
from nivesh_ml.config import Settings

# every small-savings scheme the issue lists, with the words its limit and lock-in facts are labelled by
SCHEMES = {"PPF": "PPF", "SSY": "SSY", "SCSS": "SCSS", "NSC": "NSC", "KVP": "KVP", "POMIS": "POMIS",
           "MSSC": "MSSC", "RD": "RD", "Time deposit": "Time deposit"}


@pytest.fixture
def advisor(settings: Settings, keyword_retriever: Retriever) -> Advisor:
    return Advisor(settings, retriever=keyword_retriever)


def _first(retriever: Retriever, question: str) -> str:
    passages = retriever.answer_passages(question, retriever.search(question, k=3))
    assert passages, f"no answer for {question!r}"
    return passages[0].text


def test_every_small_savings_scheme_has_labelled_limit_and_term_facts() -> None:
    facts = "\n".join(d.body for d in bundled_documents())
    for label in SCHEMES.values():
        assert re.search(rf"\*\*{label} [^*]{{0,30}}(limit|limits)[^*]{{0,10}}:\*\*", facts), label
        assert re.search(rf"\*\*{label} [^*]{{0,30}}(lock-in|tenure|maturity|deposit period|rates?|80C):\*\*",
                         facts), label


def test_key_fact_sections_carry_the_guides_date_and_source() -> None:
    with_facts = [d for d in bundled_documents() if "## Key facts" in d.body]
    assert len(with_facts) >= 13
    assert all(d.as_of.startswith("20") and d.authority for d in with_facts)
    itr = next(d for d in bundled_documents() if d.slug == "itr-filing-and-advance-tax")
    assert "234F" in itr.authority and "₹5,000" in itr.body


@pytest.mark.parametrize(("question", "names"), [
    ("section 80 C limit", {"80c"}),
    ("Sukanya Samriddhi max deposit", {"sukanya", "ssy"}),
    ("post office MIS ka rate", {"pomi"}),  # "POMIS" as the tokenizer stems it
    ("holding period for property to be long term", set()),  # an everyday phrase, not a question about LTCG
])
def test_the_schemes_a_question_names(question: str, names: set[str]) -> None:
    assert names <= asked_entities(question)
    if not names:
        assert not asked_entities(question)


@pytest.mark.parametrize(("question", "fact"), [
    ("current EPF interest rate", r"8\.25%"),  # not PPF's 7.1% from the next guide
    ("post office MIS ka interest rate kya hai abhi", r"7\.4%"),  # the POMIS row, not the savings-account row
    ("what is health and education cess", r"\b4%"),  # the tax-regime guide is not among the top three
    ("shares 6 mahine mein beche toh kitna tax lagega", r"\b20%"),  # under 12 months is short-term
    ("SSY mein kitne saal tak paise jama karne padte hai", r"15 years"),
    ("penalty for filing itr late", r"₹5,000"),
    ("Who can open an SCSS account? my father is 58 and took VRS", r"\b55\b"),
])
def test_the_sentence_that_answers_comes_first(keyword_retriever: Retriever, question: str, fact: str) -> None:
    assert re.search(fact, _first(keyword_retriever, question))


def test_hinglish_and_everyday_words_reach_the_guides_words() -> None:
    assert "stcg" in expand_query("shares 6 mahine mein beche")
    assert "ltcg" in expand_query("share 1 saal ke baad becha")
    assert "stcg" in expand_query("tax on selling shares within 1 year")
    assert {"maximum", "deposit"} <= set(expand_query("max I can put in PPF").split())
    assert "80C" in expand_query("section 80 C")


def test_a_question_outside_the_guides_still_says_so(advisor: Advisor) -> None:
    for question in ("how to cook biryani", "who won the ipl final"):
        assert advise(advisor, "u1", question)["reply"].startswith("I don't have a reliable answer")


def test_hinglish_loan_tenure_is_not_read_as_an_age() -> None:
    route = route_message("home loan 50 lakh 8.5% 20 saal ka emi kitna hoga")
    assert route.topic == "emi" and route.age is None and route.years == [20.0]
    assert calculator_arguments(route) == {"principal": 5_000_000.0, "annual_rate_pct": 8.5, "years": 20.0}
    assert route_message("main 30 saal ka hoon, retirement corpus kitna").age == 30


def test_the_hinglish_emi_question_is_answered_with_the_number(advisor: Advisor) -> None:
    reply = advise(advisor, "u1", "home loan 50 lakh 8.5% 20 saal ka emi kitna hoga")["reply"]
    assert re.search(r"₹43,39[0-9] a month", reply)


def test_misspelt_words_are_corrected_to_the_guides_words(keyword_retriever: Retriever) -> None:
    assert keyword_retriever.correct("hw much intrest does ppf give") == "hw much interest does ppf give"
    assert keyword_retriever.correct("sukanya samridhi") == "sukanya samriddhi"
    assert keyword_retriever.correct("kitna byaj milega") == "kitna byaj milega"  # Hinglish is not "corrected"
    long_word = "intrest" * 500  # 3,500 letters: left alone, not edited letter by letter
    assert keyword_retriever.correct(long_word) == long_word
    assert re.search(r"7\.1%", _first(keyword_retriever, "hw much intrest does ppf give"))


def test_a_rule_question_with_an_amount_is_not_sent_to_a_growth_calculator(advisor: Advisor) -> None:
    question = "I already put 1 lakh in PPF this year, what is the most I can still add this financial year?"
    assert calculator_arguments(route_message(question), text=question) is None
    reply = advise(advisor, "u1", question)
    assert reply["tool_calls"] == [] and "₹1.5 lakh" in reply["reply"].split("\n")[0]
    growth = "if I deposit 1.5 lakh in PPF every year what will I get at maturity"
    assert calculator_arguments(route_message(growth), text=growth) == {"yearly_deposit": 150_000.0, "years": 15}
