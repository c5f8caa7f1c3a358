"""Resilience around LLM providers: one deadline per turn, bounded retries with backoff, a circuit breaker."""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from typing import TypeVar

from nivesh_ml.advisor.providers.base import Deadline, ProviderError

log = logging.getLogger(__name__)
T = TypeVar("T")
# No attempt (first or retry) starts with less than this left of the turn's deadline: it could not finish.
MIN_ATTEMPT_S = 0.5
# A provider asking us to come back later than this (429 Retry-After) is not waited for: answer offline now.
MAX_RETRY_AFTER_S = 10.0


class CircuitOpen(ProviderError):
    """The breaker is open: the provider is skipped until the reset time has passed."""

    def __init__(self, name: str) -> None:
        super().__init__(f"circuit open for {name}", retryable=False, counts_as_failure=False)


class DeadlineReached(ProviderError):
    """Too little of the turn's deadline is left to start (or retry) a provider call."""

    def __init__(self, name: str, remaining_s: float) -> None:
        super().__init__(f"turn deadline reached for {name} ({max(remaining_s, 0.0):.2f} s left)",
                         retryable=False, counts_as_failure=False)


class CircuitBreaker:
    """Opens after ``failures`` consecutive failed calls; after ``reset_s`` lets exactly one trial call through.

    Callers :meth:`acquire` a slot before calling the provider and report the outcome with
    :meth:`record_success` or :meth:`record_failure`. While the trial call of a half-open breaker is in flight,
    every other caller is refused as if the breaker were open.
    """

    def __init__(self, name: str, failures: int, reset_s: float,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.name = name
        self.failures = failures
        self.reset_s = reset_s
        self.clock = clock
        self._consecutive = 0
        self._opened_at: float | None = None
        self._trial_in_flight = False
        self._lock = threading.Lock()

    @property
    def state(self) -> str:
        """``closed``, ``open`` or ``half_open`` (reset time passed, the trial slot not yet taken)."""
        with self._lock:
            return self._state()

    def _state(self) -> str:
        if self._opened_at is None:
            return "closed"
        if self._trial_in_flight or self.clock() - self._opened_at < self.reset_s:
            return "open"
        return "half_open"

    @property
    def consecutive_failures(self) -> int:
        return self._consecutive

    def acquire(self) -> bool:
        """Whether a call may go to the provider now; in half-open state only the first caller gets True."""
        with self._lock:
            state = self._state()
            if state == "half_open":
                self._trial_in_flight = True
                return True
            return state == "closed"

    def record_success(self) -> None:
        """The provider answered: close the breaker."""
        with self._lock:
            self._consecutive = 0
            self._opened_at = None
            self._trial_in_flight = False

    def record_failure(self) -> None:
        """One call failed (however many attempts it made); a failed trial re-opens the breaker."""
        with self._lock:
            self._consecutive += 1
            if self._opened_at is not None or self._consecutive >= self.failures:
                if self._opened_at is None:
                    log.warning("advisor provider %s: circuit opened after %d failures", self.name,
                                self._consecutive)
                self._opened_at = self.clock()
            self._trial_in_flight = False

    def release(self) -> None:
        """The call ended without counting as a failure (a 4xx, a safety block, our deadline): free the slot."""
        with self._lock:
            self._trial_in_flight = False


def backoff_delay(attempt: int, base_s: float = 0.2, cap_s: float = 2.0) -> float:
    """Exponential backoff with full jitter for retry ``attempt`` (1-based)."""
    return random.uniform(0, min(cap_s, base_s * 2 ** (attempt - 1)))


def call_with_retries(func: Callable[[], T], breaker: CircuitBreaker, retries: int, base_delay_s: float = 0.2,
                      sleep: Callable[[float], None] = time.sleep, deadline: Deadline | None = None,
                      min_attempt_s: float = MIN_ATTEMPT_S) -> T:
    """One call through ``breaker``: retryable :class:`ProviderError` retried up to ``retries`` times.

    The retries of one call count as one failure. An error that does not count as a failure (a provider's
    4xx or safety block) ends the call without retry and without opening the breaker. A retry waits the
    jittered backoff or the provider's ``retry_after_s``, whichever is longer; a wait over
    ``MAX_RETRY_AFTER_S`` ends the call at once. With ``deadline``, no attempt starts with less than
    ``min_attempt_s`` left and no wait sleeps past it (the call ends at once instead).

    Raises:
        ProviderError: the breaker is open, the deadline is reached, or the last attempt failed.
    """
    if deadline is not None and deadline.remaining() < min_attempt_s:
        raise DeadlineReached(breaker.name, deadline.remaining())
    if not breaker.acquire():
        raise CircuitOpen(breaker.name)
    attempt = 0
    faulted = False  # an attempt of this call failed in a way that counts against the provider
    while True:
        try:
            result = func()
        except ProviderError as exc:
            attempt += 1
            if not exc.counts_as_failure:
                if faulted:  # an earlier attempt of this call did fail
                    breaker.record_failure()
                else:
                    breaker.release()
                raise
            faulted = True
            if not exc.retryable or attempt > retries:
                breaker.record_failure()
                raise
            delay = backoff_delay(attempt, base_delay_s)
            if exc.retry_after_s is not None:
                if exc.retry_after_s > MAX_RETRY_AFTER_S:
                    breaker.record_failure()
                    raise
                delay = max(delay, exc.retry_after_s)
            if deadline is not None and deadline.remaining() - delay < min_attempt_s:
                breaker.record_failure()
                raise DeadlineReached(breaker.name, deadline.remaining()) from exc
            log.info("advisor provider %s failed (%s); retry %d/%d", breaker.name, exc, attempt, retries)
            sleep(delay)
            continue
        except BaseException:
            breaker.release()
            raise
        breaker.record_success()
        return result

