"""LLM providers get the extracted answer passages; a reply with figures they were not given is replaced by the
offline answer and flagged ``ungrounded_numbers``."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest

from nivesh_ml.advisor import service
from nivesh_ml.advisor.grounding import numbers, today_sentence, ungrounded_numbers
from nivesh_ml.advisor.providers.base import AdviceRequest, Deadline, Provider, ProviderReply, ToolCall
from nivesh_ml.advisor.retrieval import Retriever
from nivesh_ml.advisor.service import Advisor, advise
from nivesh_ml.config import Settings
from nivesh_ml.serving.metrics import Metrics


class FakeProvider(Provider):
    """Answers with ``reply(request)`` and keeps every request it was sent."""

    name = "fake"
    model = "fake-1"

    def __init__(self, reply: Callable[[AdviceRequest], str]) -> None:
        self.reply = reply
        self.requests: list[AdviceRequest] = []

    def generate(self, request: AdviceRequest, deadline: Deadline | None = None) -> ProviderReply:
        self.requests.append(request)
        return ProviderReply(self.reply(request), self.name, self.model)


def test_figures_are_read_with_indian_grouping_and_decimals() -> None:
    assert numbers("₹1,50,000, 17,356, 7.1% for FY 2025-26") == [150_000, 17_356, 7.1, 2025, 26]


def test_the_provider_receives_the_answer_passages(settings: Settings, keyword_retriever: Retriever) -> None:
    fake = FakeProvider(lambda r: "A PPF account runs for 15 full financial years.")
    result = advise(Advisor(settings, retriever=keyword_retriever, provider=fake), "u1",
                    "What is the lock-in period of a PPF account? My PAN is ABCDE1234F")
    request = fake.requests[0]
    assert "15 full financial years" in " ".join(p.text for p in request.passages)
    assert "Reference passages" in request.system and "15 full financial years" in request.system
    assert "as of 2025-10-01" in request.system
    assert "ABCDE1234F" not in request.system + request.message
    assert result["provider"] == "fake" and "ungrounded_numbers" not in result["safety"]["flags"]


def test_a_reply_with_an_invented_figure_falls_back_offline(settings: Settings,
                                                            keyword_retriever: Retriever) -> None:
    fake = FakeProvider(lambda r: "The PPF lock-in is 21 years and the rate is 9.5%.")
    metrics = Metrics()
    result = advise(Advisor(settings, retriever=keyword_retriever, provider=fake), "u1",
                    "What is the lock-in period of a PPF account?", metrics=metrics)
    assert result["provider"] == "offline"
    assert "ungrounded_numbers" in result["safety"]["flags"]
    assert "15" in result["reply"].split("\n")[0] and "9.5%" not in result["reply"]


def test_figures_from_the_calculator_and_the_question_are_grounded(settings: Settings,
                                                                   keyword_retriever: Retriever) -> None:
    def answer(request: AdviceRequest) -> str:
        emi = request.calculation.result["emi"] if request.calculation else 0
        return f"For ₹30,00,000 at 8.5% over 20 years the EMI is about ₹{emi:,} a month."

    fake = FakeProvider(answer)
    result = advise(Advisor(settings, retriever=keyword_retriever, provider=fake), "u1",
                    "What is the EMI on a 30 lakh home loan at 8.5% for 20 years?")
    assert result["provider"] == "fake" and "26,035" in result["reply"]


def test_rounded_figures_pass_and_tool_results_count() -> None:
    request = AdviceRequest(system="Deposits: ₹40.72 lakh at maturity.", message="PPF?")
    assert ungrounded_numbers("About ₹40.7 lakh.", request) == []
    call = ToolCall("emi", {"principal": 1_000_000}, {"emi": 22_244})
    assert ungrounded_numbers("EMI ₹22,244; 3 steps.", request, [call]) == []
    assert ungrounded_numbers("EMI ₹23,000.", request, [call]) == [23_000]


def test_todays_date_in_the_prompt_grounds_no_figure() -> None:
    """On the 21st, "21 years" is still invented: the date tells the model the day, it is not a figure to use."""
    request = AdviceRequest(system=f"Rules.\n{today_sentence(date(2026, 12, 21))}\nPPF runs 15 years.", message="PPF?")
    assert ungrounded_numbers("The PPF lock-in is 21 years.", request) == [21]
    assert ungrounded_numbers("It was opened in 2026.", request) == [2026]
    assert ungrounded_numbers("The PPF lock-in is 15 years.", request) == []


class _The21st(date):
    @classmethod
    def today(cls) -> date:
        return date(2026, 12, 21)


def test_an_invented_figure_equal_to_todays_day_still_falls_back(settings: Settings, keyword_retriever: Retriever,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(service, "date", _The21st)  # the advisor's clock, pinned to a day that equals the figure
    fake = FakeProvider(lambda r: "The PPF lock-in is 21 years.")
    result = advise(Advisor(settings, retriever=keyword_retriever, provider=fake), "u1",
                    "What is the lock-in period of a PPF account?")
    assert "Today is 2026-12-21." in fake.requests[0].system
    assert result["provider"] == "offline" and "ungrounded_numbers" in result["safety"]["flags"]
