"""A provider call bounded as a whole, Retry-After honoured, figures read with their units."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import httpx
import pytest
from google.genai import errors

from nivesh_ml.advisor.breaker import MAX_RETRY_AFTER_S, CircuitBreaker, DeadlineReached, call_with_retries
from nivesh_ml.advisor.grounding import figures, ungrounded_numbers
from nivesh_ml.advisor.providers.base import AdviceRequest, BoundedCalls, Deadline, ProviderError, parse_retry_after
from nivesh_ml.advisor.providers.gemini import retry_after
from nivesh_ml.advisor.providers.openai_compat import MAX_RESPONSE_BYTES, OpenAICompatProvider


@pytest.mark.parametrize(("header", "seconds"), [("3", 3.0), (" 1.5 ", 1.5), ("-4", 0.0), ("", None), (None, None),
                                                 ("soon", None), ("Thu, 03 Dec 2026 10:00:30 GMT", 30.0)])
def test_retry_after_header(header: str | None, seconds: float | None) -> None:
    now = datetime(2026, 12, 3, 10, 0, 0, tzinfo=UTC)
    assert parse_retry_after(header, now) == seconds


def test_bounded_calls_return_raise_and_stop_waiting() -> None:
    calls = BoundedCalls(workers=2, name="t")
    assert calls.run(lambda: 42, 5) == 42
    with pytest.raises(ValueError, match="bad"):
        calls.run(lambda: (_ for _ in ()).throw(ValueError("bad")), 5)
    release = threading.Event()
    with pytest.raises(TimeoutError, match="no complete answer"):
        calls.run(lambda: release.wait(30), 0.05)
    release.set()


def _rate_limited(calls: list[int], wait_s: float) -> object:
    calls.append(1)
    raise ProviderError("HTTP 429", retry_after_s=wait_s)


def test_a_retry_waits_at_least_the_retry_after() -> None:
    calls: list[int] = []
    slept: list[float] = []
    breaker = CircuitBreaker("p", failures=5, reset_s=60)
    with pytest.raises(ProviderError):
        call_with_retries(lambda: _rate_limited(calls, 3.0), breaker, retries=1, sleep=slept.append)
    assert len(calls) == 2 and slept and slept[0] >= 3.0


def test_a_retry_after_too_long_or_past_the_deadline_ends_the_call_at_once() -> None:
    calls: list[int] = []
    slept: list[float] = []
    breaker = CircuitBreaker("p", failures=5, reset_s=60)
    with pytest.raises(ProviderError):
        call_with_retries(lambda: _rate_limited(calls, MAX_RETRY_AFTER_S + 1), breaker, retries=3,
                          sleep=slept.append)
    assert len(calls) == 1 and slept == [] and breaker.consecutive_failures == 1
    now = [0.0]
    with pytest.raises(DeadlineReached):
        call_with_retries(lambda: _rate_limited(calls, 5.0), breaker, retries=3, sleep=slept.append,
                          deadline=Deadline(4.0, lambda: now[0]))
    assert len(calls) == 2 and slept == [] and breaker.consecutive_failures == 2


def test_openai_rate_limit_carries_retry_after_and_an_oversized_body_is_refused() -> None:
    def endpoint(request: httpx.Request) -> httpx.Response:
        if b"big" in request.content:
            return httpx.Response(200, content=b" " * (MAX_RESPONSE_BYTES + 1))
        return httpx.Response(429, headers={"Retry-After": "2"}, json={"error": {"message": "slow down"}})

    provider = OpenAICompatProvider("http://llm.test/v1", "m", 5.0, transport=httpx.MockTransport(endpoint))
    with pytest.raises(ProviderError) as limited:
        provider.generate(AdviceRequest(system="s", message="hi"))
    assert limited.value.retryable and limited.value.retry_after_s == 2.0
    with pytest.raises(ProviderError, match="response over") as big:
        provider.generate(AdviceRequest(system="s", message="big"))
    assert not big.value.retryable


def test_gemini_retry_delay_from_the_error_details() -> None:
    details = {"error": {"code": 429, "status": "RESOURCE_EXHAUSTED", "details": [
        {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "7s"}]}}
    assert retry_after(errors.APIError(429, details)) == 7.0
    assert retry_after(errors.APIError(503, {"error": {"code": 503}})) is None


def test_figures_carry_their_units() -> None:
    found = [(f.written, f.value, f.checked) for f in figures("₹1.5L, Rs.500, 9.5 per cent, ₹2 lakh, 1.2 crore, "
                                                              "50k, 3 steps, 7%")]
    assert found == [(1.5, 150_000, True), (500, 500, True), (9.5, 9.5, True), (2, 200_000, True),
                     (1.2, 12_000_000, True), (50, 50_000, True), (3, 3, False), (7, 7, True)]


def test_small_rates_and_amounts_are_checked_and_units_may_change() -> None:
    request = AdviceRequest(system="PPF: 7.1% a year; deposit up to ₹1.5 lakh a year; 15 years.", message="PPF?")
    assert ungrounded_numbers("PPF pays 7.1%, up to ₹1,50,000 a year, for 15 years, in 3 steps.", request) == []
    assert ungrounded_numbers("PPF pays 8%.", request) == [8]
    assert ungrounded_numbers("Deposit up to ₹2 lakh.", request) == [200_000]
    assert ungrounded_numbers("Deposit up to ₹1.5 crore.", request) == [15_000_000]
