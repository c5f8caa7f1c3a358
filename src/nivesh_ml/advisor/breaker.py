"""Resilience around LLM providers: bounded retries with backoff and a circuit breaker."""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from typing import TypeVar

from nivesh_ml.advisor.providers.base import ProviderError

log = logging.getLogger(__name__)
T = TypeVar("T")


class CircuitOpen(ProviderError):
    """The breaker is open: the provider is skipped until the reset time has passed."""

    def __init__(self, name: str) -> None:
        super().__init__(f"circuit open for {name}", retryable=False)


class CircuitBreaker:
    """Opens after ``failures`` consecutive failures; lets one trial call through after ``reset_s``."""

    def __init__(self, name: str, failures: int, reset_s: float,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.name = name
        self.failures = failures
        self.reset_s = reset_s
        self.clock = clock
        self._consecutive = 0
        self._opened_at: float | None = None
        self._lock = threading.Lock()

    @property
    def state(self) -> str:
        """``closed``, ``open`` or ``half_open``."""
        if self._opened_at is None:
            return "closed"
        return "half_open" if self.clock() - self._opened_at >= self.reset_s else "open"

    def allow(self) -> bool:
        """Whether a call may go to the provider now."""
        return self.state != "open"

    def record_success(self) -> None:
        with self._lock:
            self._consecutive = 0
            self._opened_at = None

    def record_failure(self) -> None:
        with self._lock:
            self._consecutive += 1
            if self._opened_at is not None or self._consecutive >= self.failures:
                if self._opened_at is None:
                    log.warning("advisor provider %s: circuit opened after %d failures", self.name,
                                self._consecutive)
                self._opened_at = self.clock()


def backoff_delay(attempt: int, base_s: float = 0.2, cap_s: float = 2.0) -> float:
    """Exponential backoff with full jitter for retry ``attempt`` (1-based)."""
    return random.uniform(0, min(cap_s, base_s * 2 ** (attempt - 1)))


def call_with_retries(func: Callable[[], T], breaker: CircuitBreaker, retries: int, base_delay_s: float = 0.2,
                      sleep: Callable[[float], None] = time.sleep) -> T:
    """Call ``func`` through ``breaker``, retrying retryable :class:`ProviderError` up to ``retries`` times.

    Raises:
        ProviderError: the breaker is open, or the last attempt failed.
    """
    attempt = 0
    while True:
        if not breaker.allow():
            raise CircuitOpen(breaker.name)
        try:
            result = func()
        except ProviderError as exc:
            breaker.record_failure()
            attempt += 1
            if not exc.retryable or attempt > retries:
                raise
            log.info("advisor provider %s failed (%s); retry %d/%d", breaker.name, exc, attempt, retries)
            sleep(backoff_delay(attempt, base_delay_s))
            continue
        breaker.record_success()
        return result
