"""Bounded retries with backoff and the circuit breaker."""

from __future__ import annotations

import pytest

from nivesh_ml.advisor.breaker import CircuitBreaker, CircuitOpen, call_with_retries
from nivesh_ml.advisor.providers.base import ProviderError


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _failing(calls: list[int], retryable: bool = True) -> object:
    calls.append(1)
    raise ProviderError("boom", retryable=retryable)


def test_retryable_errors_are_retried_a_bounded_number_of_times() -> None:
    calls: list[int] = []
    breaker = CircuitBreaker("p", failures=10, reset_s=60)
    with pytest.raises(ProviderError):
        call_with_retries(lambda: _failing(calls), breaker, retries=2, sleep=lambda _s: None)
    assert len(calls) == 3


def test_non_retryable_errors_are_not_retried() -> None:
    calls: list[int] = []
    with pytest.raises(ProviderError):
        call_with_retries(lambda: _failing(calls, retryable=False), CircuitBreaker("p", 10, 60), retries=3,
                          sleep=lambda _s: None)
    assert len(calls) == 1


def test_breaker_opens_then_lets_a_trial_through_after_reset() -> None:
    clock = Clock()
    breaker = CircuitBreaker("p", failures=2, reset_s=30, clock=clock)
    calls: list[int] = []
    for _ in range(2):
        with pytest.raises(ProviderError):
            call_with_retries(lambda: _failing(calls), breaker, retries=0)
    assert breaker.state == "open"
    with pytest.raises(CircuitOpen):
        call_with_retries(lambda: "never", breaker, retries=0)
    clock.now = 31
    assert breaker.state == "half_open"
    assert call_with_retries(lambda: "ok", breaker, retries=0) == "ok"
    assert breaker.state == "closed"


def test_a_failed_trial_reopens_the_breaker() -> None:
    clock = Clock()
    breaker = CircuitBreaker("p", failures=1, reset_s=10, clock=clock)
    breaker.record_failure()
    clock.now = 11
    breaker.record_failure()
    assert breaker.state == "open"
