"""The provider interface: one turn in (system prompt, history, redacted message, context), one reply out."""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from nivesh_ml.advisor.history import Message
from nivesh_ml.advisor.retrieval import Hit, Passage

MAX_TOOL_ROUNDS = 3


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
    """

    def __init__(self, message: str, retryable: bool = True, counts_as_failure: bool = True) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.counts_as_failure = counts_as_failure


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
