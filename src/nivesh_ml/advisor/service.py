"""One advisor turn: screen → route → retrieve → personal context → provider (with fallback) → filter → history."""

from __future__ import annotations

import logging
import re
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import asdict
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from nivesh_ml.advisor.breaker import MIN_ATTEMPT_S, CircuitBreaker, DeadlineReached, call_with_retries
from nivesh_ml.advisor.calculators import run_tool
from nivesh_ml.advisor.grounding import today_sentence, ungrounded_numbers
from nivesh_ml.advisor.history import ChatHistory, Message, create_history
from nivesh_ml.advisor.providers.base import (
    AdviceRequest,
    Deadline,
    Provider,
    ProviderError,
    ProviderReply,
    ToolCall,
)
from nivesh_ml.advisor.providers.offline import OfflineProvider, describe_calculation, describe_spending
from nivesh_ml.advisor.retrieval import Hit, Passage, Retriever, load_retriever
from nivesh_ml.advisor.routing import ModelLookup, calculator_arguments, route_message
from nivesh_ml.advisor.safety import DISCLAIMER, filter_output, redact, screen_input
from nivesh_ml.config import Settings
from nivesh_ml.errors import InvalidInput, NiveshError

if TYPE_CHECKING:
    from nivesh_ml.features.repository import TransactionRepository

log = logging.getLogger(__name__)

SESSION_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
MAX_MESSAGE_CHARS = 4000
FOLLOW_UP_WORDS = 6
PASSAGES_PER_TURN = 5
# "[PAN]" with the word naming it ("PAN is [PAN]", "phone [PHONE]"): the identifier, not the question
PLACEHOLDER_RE = re.compile(r"(?:\b[A-Za-z]{1,12}+ (?:is |number |no\.? |: ?)?)?\[[A-Z_]{2,20}+\]")
SYSTEM_PROMPT = (
    "You are Nivesh, a careful personal-finance assistant for people in India. Answer briefly and clearly, in "
    "the user's language (English or Hinglish). Ground your answer in the reference passages below and say so "
    "when they do not cover the question. Use the calculator tools for numbers (EMI, loan affordability, SIP, "
    "lump sum, PPF, income tax, retirement corpus, emergency fund) instead of doing arithmetic yourself. Never "
    "promise or guarantee returns, never recommend buying or selling a specific stock or security, and never help "
    "evade tax. Personal identifiers were replaced by placeholders such as [PAN]; never ask for them.")


class LabelledCounter(Protocol):
    """A Prometheus-style counter with labels (``counter.labels(provider="x").inc()``)."""

    def labels(self, *values: Any, **labels: Any) -> Any: ...


class AdvisorMetrics(Protocol):
    """The counters an advice turn updates; the server passes its metrics object (the advisor never imports it)."""

    @property
    def advisor_requests(self) -> LabelledCounter: ...

    @property
    def provider_fallbacks(self) -> LabelledCounter: ...


def select_provider(settings: Settings) -> Provider | None:
    """The configured LLM provider (``auto``: Gemini, else OpenAI-compatible, else none = offline)."""
    cfg = settings.advisor
    choice = cfg.provider
    if choice == "auto":
        choice = "gemini" if settings.gemini_api_key else "openai" if settings.llm_base_url else "offline"
    if choice == "gemini":
        if settings.gemini_api_key is None:
            raise InvalidInput("advisor provider 'gemini' needs NIVESH_GEMINI_API_KEY")
        from nivesh_ml.advisor.providers.gemini import GeminiProvider

        return GeminiProvider(settings.gemini_api_key.get_secret_value(), cfg.gemini_model, cfg.timeout_s,
                              cfg.gemini_base_url)
    if choice == "openai":
        if not settings.llm_base_url:
            raise InvalidInput("advisor provider 'openai' needs NIVESH_LLM_BASE_URL")
        from nivesh_ml.advisor.providers.openai_compat import OpenAICompatProvider

        key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else None
        return OpenAICompatProvider(settings.llm_base_url, cfg.llm_model, cfg.timeout_s, key)
    return None


class Advisor:
    """What a worker keeps between turns: retriever, history, providers and the circuit breaker."""

    def __init__(self, settings: Settings, retriever: Retriever | None = None, history: ChatHistory | None = None,
                 provider: Provider | None = None, semantic: bool = True,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.settings = settings
        self.clock = clock  # the turn deadline's clock
        self._retriever = retriever
        self._semantic = semantic
        self._lock = threading.Lock()
        self.history = history or create_history(settings)
        self.provider = provider if provider is not None else select_provider(settings)
        self.offline = OfflineProvider()
        cfg = settings.advisor
        self.breaker = CircuitBreaker(self.provider.name if self.provider else "offline", cfg.breaker_failures,
                                      cfg.breaker_reset_s)

    @property
    def retriever(self) -> Retriever:
        """Loaded on first use (exports the encoder and builds the index when missing)."""
        if self._retriever is None:
            with self._lock:
                if self._retriever is None:
                    self._retriever = load_retriever(self.settings, semantic=self._semantic)
        return self._retriever


def monthly_spending(transactions: TransactionRepository | None, user_id: str,
                     months: int = 3) -> dict[str, float]:
    """Average monthly debit spend by category over the user's last ``months`` months (empty when unknown)."""
    if transactions is None:
        return {}
    try:
        history = transactions.history(user_id)
    except NiveshError:
        return {}
    except Exception as exc:  # the store being down must not fail advice
        log.warning("advisor could not read history: %s", type(exc).__name__)
        return {}
    debits = [t for t in history if t.direction == "debit"]
    if not debits:
        return {}
    end = max(t.timestamp for t in debits)
    start = (end.date() if hasattr(end, "date") else end) - timedelta(days=30 * months)
    totals: dict[str, float] = defaultdict(float)
    for txn in debits:
        day = txn.timestamp.date() if hasattr(txn.timestamp, "date") else txn.timestamp
        if isinstance(day, date) and day > start:
            totals[(txn.category or "other").lower()] += txn.amount / months
    return {cat: round(amount) for cat, amount in totals.items()}


def retrieval_query(message: str, history: list[Message]) -> str:
    """A short follow-up ("and for 15 years?") is searched together with the previous question; redaction
    placeholders ("[PAN]") are left out, or "my PAN is ..." would pull in the KYC passages."""
    previous = next((m.content for m in reversed(history) if m.role == "user"), None)
    if previous and len(message.split()) <= FOLLOW_UP_WORDS:
        message = f"{previous} {message}"
    return PLACEHOLDER_RE.sub(" ", message)


def _sources(hits: list[Hit], passages: list[Passage]) -> list[dict[str, str]]:
    """One entry per retrieved guide; its snippet is the sentence of that guide that answered, when one did."""
    best: dict[str, str] = {}
    for passage in passages:
        best.setdefault(passage.slug, passage.text)
    return [{"title": h.title, "snippet": best.get(h.slug, h.snippet)} for h in hits]


def _system_prompt(passages: list[Passage], spending: dict[str, float], calculation: ToolCall | None) -> str:
    """The LLM's instructions and the extracted answer passages (the same sentences the offline answer uses)."""
    parts = [SYSTEM_PROMPT, today_sentence(date.today())]
    if passages:
        parts.append("Reference passages (most relevant first; use only figures that appear here or in a "
                     "calculator result):")
    else:
        parts.append("No reference passage covers this question: say so plainly and point the user to the "
                     "official source (Income Tax Department, RBI, SEBI, PFRDA, India Post) instead of guessing.")
    for i, passage in enumerate(passages, 1):
        parts.append(f"[{i}] {passage.title}, {passage.heading} (as of {passage.as_of}; source: "
                     f"{passage.authority}): {passage.text}")
    if spending:
        parts.append("The user's own data: " + describe_spending(spending))
    if calculation is not None:
        parts.append("Calculator result for the user's numbers: " + describe_calculation(calculation))
    return redact("\n".join(parts))[0]


def _generate(advisor: Advisor, request: AdviceRequest, metrics: AdvisorMetrics | None,
              deadline: Deadline) -> tuple[ProviderReply, list[str]]:
    """The provider's answer within the turn's deadline; the offline answer when it fails or time runs out."""
    provider = advisor.provider
    if provider is None:
        return advisor.offline.generate(request), []
    try:
        retries = advisor.settings.advisor.max_retries
        if deadline.remaining() < MIN_ATTEMPT_S:  # the turn's own steps used the budget up
            raise DeadlineReached(provider.name, deadline.remaining())
        answer = call_with_retries(lambda: provider.generate(request, deadline), advisor.breaker, retries,
                                   deadline=deadline)
    except ProviderError as exc:
        log.warning("advisor provider %s failed, answering offline: %s", provider.name, exc)
        if metrics is not None:
            metrics.provider_fallbacks.labels(provider=provider.name).inc()
        return advisor.offline.generate(request), [f"provider_fallback:{provider.name}"]
    invented = ungrounded_numbers(answer.text, request, answer.tool_calls)
    if invented:  # a figure the model was not given: answer from the passages instead
        log.warning("advisor provider %s gave %d ungrounded figure(s); answering offline", provider.name,
                    len(invented))
        if metrics is not None:
            metrics.provider_fallbacks.labels(provider=provider.name).inc()
        return advisor.offline.generate(request), ["ungrounded_numbers"]
    return answer, []


def advise(advisor: Advisor, user_id: str, message: str, session_id: str | None = None, *,
           transactions: TransactionRepository | None = None, model_lookup: ModelLookup | None = None,
           metrics: AdvisorMetrics | None = None) -> dict[str, Any]:
    """Answer one chat turn with sources, safety flags and the provider actually used.

    The turn has one deadline (``advisor.turn_deadline_s``) that provider calls and their retries live inside;
    past it the turn answers offline, so a slow provider never stalls the request beyond the deadline.

    Raises:
        InvalidInput: empty or too long message, or a malformed session id.
    """
    if not message.strip() or len(message) > MAX_MESSAGE_CHARS:
        raise InvalidInput(f"message must be 1..{MAX_MESSAGE_CHARS} characters of text")
    if session_id is not None and not SESSION_RE.match(session_id):
        raise InvalidInput("session_id must be 1-64 letters, digits, '-' or '_'")
    session_id = session_id or uuid.uuid4().hex
    deadline = Deadline(advisor.settings.advisor.turn_deadline_s, advisor.clock)
    screen = screen_input(message)
    if screen.refusal is not None:
        reply, flags = filter_output(screen.refusal)
        if metrics is not None:
            metrics.advisor_requests.labels(provider="safety").inc()
        return {"reply": reply, "session_id": session_id, "sources": [], "safety": {"flags": screen.flags + flags},
                "provider": "safety", "tool_calls": [], "model_version": advisor.retriever.version}
    route = route_message(screen.text, model_lookup)
    spending = monthly_spending(transactions, user_id)
    arguments = calculator_arguments(route, sum(spending.values()) or None, screen.text)
    calculation = ToolCall(route.topic, arguments, run_tool(route.topic, arguments)) if arguments else None
    history = advisor.history.get(user_id, session_id)
    query = retrieval_query(screen.text, history)
    hits = advisor.retriever.search(query, k=3)
    passages = advisor.retriever.answer_passages(query, hits, k=PASSAGES_PER_TURN)
    # The offline composer needs no prompt; building (and redacting) one is only for LLM providers.
    system = _system_prompt(passages, spending, calculation) if advisor.provider else ""
    request = AdviceRequest(system=system,
                            message=screen.text, history=history, hits=hits, passages=passages, topic=route.topic,
                            calculation=calculation, spending=spending)
    answer, fallback_flags = _generate(advisor, request, metrics, deadline)
    reply, output_flags = filter_output(answer.text)
    stored_reply = reply.replace(DISCLAIMER, "").strip()
    advisor.history.append(user_id, session_id, Message("user", screen.text), Message("assistant", stored_reply))
    if metrics is not None:
        metrics.advisor_requests.labels(provider=answer.provider).inc()
    return {"reply": reply, "session_id": session_id, "sources": _sources(hits, passages),
            "safety": {"flags": screen.flags + fallback_flags + output_flags}, "provider": answer.provider,
            "model": answer.model, "topic": route.topic, "tool_calls": [asdict(c) for c in answer.tool_calls],
            "model_version": advisor.retriever.version}
