"""The provider interface: one turn in (system prompt, history, redacted message, context), one reply out."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any

from nivesh_ml.advisor.history import Message
from nivesh_ml.advisor.retrieval import Hit

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
    """A provider call failed; ``retryable`` for timeouts, rate limits and server errors."""

    def __init__(self, message: str, retryable: bool = True) -> None:
        super().__init__(message)
        self.retryable = retryable


class Provider(ABC):
    """Answers one advisor turn."""

    name: str = "provider"
    model: str = ""

    @abstractmethod
    def generate(self, request: AdviceRequest) -> ProviderReply:
        """Answer the turn (running calculator tools when the model asks for them).

        Raises:
            ProviderError: the provider failed or gave no usable answer.
        """
