"""Bounded retries with backoff and the circuit breaker."""

from __future__ import annotations

import threading

import pytest

from nivesh_ml.advisor.breaker import CircuitBreaker, CircuitOpen, DeadlineReached, call_with_retries
from nivesh_ml.advisor.providers.base import Deadline, ProviderError


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


def test_half_open_admits_exactly_one_trial_call() -> None:
    clock = Clock()
    breaker = CircuitBreaker("p", failures=1, reset_s=10, clock=clock)
    breaker.record_failure()
    clock.now = 11
    assert breaker.state == "half_open"
    inside = threading.Event()
    release = threading.Event()
    reached: list[int] = []
    outcomes: list[str] = []
    lock = threading.Lock()

    def provider() -> str:
        with lock:
            reached.append(1)
        inside.set()
        release.wait(30)
        return "ok"

    def caller() -> None:
        start.wait()
        try:
            outcomes.append(call_with_retries(provider, breaker, retries=0))
        except CircuitOpen:
            outcomes.append("open")

    start = threading.Barrier(8)
    threads = [threading.Thread(target=caller) for _ in range(8)]
    for thread in threads:
        thread.start()
    assert inside.wait(30)
    while len(outcomes) < 7 and any(t.is_alive() for t in threads):  # the others are refused without waiting
        threading.Event().wait(0.01)
    assert breaker.state == "open"  # the trial is in flight: nobody else gets through
    release.set()
    for thread in threads:
        thread.join(30)
    assert len(reached) == 1
    assert sorted(outcomes) == ["ok"] + ["open"] * 7
    assert breaker.state == "closed"


def test_retries_inside_one_call_count_as_one_failure() -> None:
    calls: list[int] = []
    breaker = CircuitBreaker("p", failures=3, reset_s=60)
    with pytest.raises(ProviderError):
        call_with_retries(lambda: _failing(calls), breaker, retries=3, sleep=lambda _s: None)
    assert len(calls) == 4 and breaker.consecutive_failures == 1 and breaker.state == "closed"


def test_answers_that_are_not_faults_neither_retry_nor_open_the_breaker() -> None:
    calls: list[int] = []
    breaker = CircuitBreaker("p", failures=1, reset_s=60)

    def bad_request() -> object:
        calls.append(1)
        raise ProviderError("HTTP 400", retryable=False, counts_as_failure=False)

    for _ in range(3):
        with pytest.raises(ProviderError):
            call_with_retries(bad_request, breaker, retries=3, sleep=lambda _s: None)
    assert len(calls) == 3 and breaker.state == "closed" and breaker.consecutive_failures == 0


def test_a_trial_that_gets_a_4xx_frees_the_trial_slot() -> None:
    clock = Clock()
    breaker = CircuitBreaker("p", failures=1, reset_s=10, clock=clock)
    breaker.record_failure()
    clock.now = 11
    with pytest.raises(ProviderError):
        call_with_retries(lambda: _raise(ProviderError("blocked", retryable=False, counts_as_failure=False)),
                          breaker, retries=0)
    assert breaker.state == "half_open"
    assert call_with_retries(lambda: "ok", breaker, retries=0) == "ok" and breaker.state == "closed"


def test_no_retry_starts_when_the_deadline_is_nearly_spent() -> None:
    clock = Clock()
    deadline = Deadline(10, clock)
    calls: list[int] = []

    def slow_failure() -> object:
        calls.append(1)
        clock.now += 9.8  # this attempt used almost all of the turn
        raise ProviderError("timeout")

    breaker = CircuitBreaker("p", failures=5, reset_s=60)
    with pytest.raises(DeadlineReached):
        call_with_retries(slow_failure, breaker, retries=5, sleep=lambda _s: None, deadline=deadline)
    assert len(calls) == 1 and breaker.consecutive_failures == 1
    with pytest.raises(DeadlineReached):  # nothing left: no call at all
        call_with_retries(lambda: "never", breaker, retries=5, deadline=deadline)
    assert breaker.consecutive_failures == 1


def _raise(exc: Exception) -> object:
    raise exc
