"""The provider interface: one turn in (system prompt, history, redacted message, context), one reply out."""

from __future__ import annotations

import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar

from nivesh_ml.advisor.history import Message
from nivesh_ml.advisor.retrieval import Hit, Passage

MAX_TOOL_ROUNDS = 3
# Worker threads per provider for calls a caller stops waiting for at its time limit (see BoundedCalls): as many
# as a worker serves requests at once (server.max_in_flight's default), so healthy calls never queue behind each
# other; the cap only bounds calls abandoned to a server that never finishes.
CALL_WORKERS = 64
T = TypeVar("T")


@dataclass(frozen=True)
class ToolCall:
    """A calculator run during a turn."""

    name: str
    arguments: dict[str, Any]
    result: dict[str, Any]


@dataclass
class AdviceRequest:
    """Everything a provider may use for one turn; every text field is already redacted."""

    system: str
    message: str
    history: list[Message] = field(default_factory=list)
    hits: list[Hit] = field(default_factory=list)
    passages: list[Passage] = field(default_factory=list)  # the sentences answering the question, best first
    topic: str = "general"
    calculation: ToolCall | None = None
    spending: dict[str, float] = field(default_factory=dict)


@dataclass
class ProviderReply:
    """What a provider answered."""

    text: str
    provider: str
    model: str
    tool_calls: list[ToolCall] = field(default_factory=list)


class ProviderError(Exception):
    """A provider call failed.

    ``retryable``: worth another attempt (timeouts, rate limits, server errors). ``counts_as_failure``: a sign
    that the provider is unhealthy, counted by the circuit breaker; an answer the provider chose to give (a 4xx
    for our request, a safety block) or a call our own deadline cut short is neither retried nor counted.
    ``retry_after_s``: how long the provider asked us to wait before trying again (a 429's ``Retry-After``).
    """

    def __init__(self, message: str, retryable: bool = True, counts_as_failure: bool = True,
                 retry_after_s: float | None = None) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.counts_as_failure = counts_as_failure
        self.retry_after_s = retry_after_s


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or an HTTP date); None when absent or bad."""
    if not value:
        return None
    value = value.strip()[:64]
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


class BoundedCalls:
    """Blocking HTTP/SDK calls on a few worker threads, so the caller stops waiting at its time limit.

    An HTTP client's timeout bounds each socket operation, not the whole call: a server that sends its answer a
    byte at a time never trips it. :meth:`run` waits at most ``timeout_s`` for the whole call; a call it stops
    waiting for finishes (or fails on its own timeouts) in the background, and at most ``workers`` of them run
    at once (later calls queue, and time out while queued if the pool is stuck).
    """

    def __init__(self, workers: int = CALL_WORKERS, name: str = "provider") -> None:
        self.workers = workers
        self.name = name
        self._pool: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()

    def _executor(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._pool is None:  # threads start on first use, not at import or construction
                self._pool = ThreadPoolExecutor(self.workers, thread_name_prefix=f"advisor-{self.name}")
            return self._pool

    def run(self, func: Callable[[], T], timeout_s: float) -> T:
        """``func()``'s result, or :class:`TimeoutError` when it has not finished within ``timeout_s``."""
        future = self._executor().submit(func)
        try:
            return future.result(timeout=timeout_s)
        except TimeoutError:
            if future.done():  # the call itself raised TimeoutError (its own socket timeout)
                raise
            future.cancel()  # still queued: never sent; running: left to end on its own timeouts
            raise TimeoutError(f"{self.name}: no complete answer within {timeout_s:.2f} s") from None


class Deadline:
    """The time left of one advisor turn; provider calls take ``timeout(own_limit)`` for each request."""

    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.seconds = seconds
        self.ends_at = clock() + seconds

    def remaining(self) -> float:
        """Seconds left (negative once passed)."""
        return self.ends_at - self.clock()

    def timeout(self, limit_s: float) -> float:
        """``limit_s`` or what is left of the deadline, whichever is smaller (never below a few ms)."""
        return max(0.01, min(limit_s, self.remaining()))

    def cuts(self, limit_s: float) -> bool:
        """Whether the deadline, not ``limit_s``, bounds a call starting now."""
        return self.remaining() < limit_s


class Provider(ABC):
    """Answers one advisor turn."""

    name: str = "provider"
    model: str = ""

    @abstractmethod
    def generate(self, request: AdviceRequest, deadline: Deadline | None = None) -> ProviderReply:
        """Answer the turn (running calculator tools when the model asks for them) within ``deadline``.

        Raises:
            ProviderError: the provider failed or gave no usable answer.
        """
