"""Provider errors classified for the breaker, and per-request timeouts cut to the turn's deadline."""

from __future__ import annotations

import httpx
import pytest

from nivesh_ml.advisor.providers.base import AdviceRequest, Deadline, ProviderError
from nivesh_ml.advisor.providers.openai_compat import OpenAICompatProvider
from nivesh_ml.advisor.retrieval import Retriever
from nivesh_ml.advisor.service import Advisor, advise
from nivesh_ml.config import Settings

ANSWER = {"choices": [{"message": {"role": "assistant", "content": "Keep 6 months of expenses."}}]}


class Endpoint:
    """An OpenAI-compatible endpoint answering a fixed status; records each request's timeout."""

    def __init__(self, status: int) -> None:
        self.status = status
        self.timeouts: list[float] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.timeouts.append(request.extensions["timeout"]["read"])
        body = ANSWER if self.status == 200 else {"error": {"message": "nope"}}
        return httpx.Response(self.status, json=body)


def _provider(endpoint: Endpoint, timeout_s: float = 20.0) -> OpenAICompatProvider:
    return OpenAICompatProvider("http://llm.test/v1", "m", timeout_s, transport=httpx.MockTransport(endpoint))


@pytest.mark.parametrize(("status", "retryable", "counts"), [(400, False, False), (403, False, False),
                                                             (429, True, True), (503, True, True)])
def test_http_status_classification(status: int, retryable: bool, counts: bool) -> None:
    with pytest.raises(ProviderError) as raised:
        _provider(Endpoint(status)).generate(AdviceRequest(system="s", message="hi"))
    assert raised.value.retryable is retryable and raised.value.counts_as_failure is counts


def test_each_request_gets_at_most_what_is_left_of_the_deadline() -> None:
    now = [0.0]
    endpoint = Endpoint(200)
    provider = _provider(endpoint, timeout_s=20.0)
    provider.generate(AdviceRequest(system="s", message="hi"), Deadline(30, lambda: now[0]))
    deadline = Deadline(30, lambda: now[0])
    now[0] += 22.0
    provider.generate(AdviceRequest(system="s", message="hi"), deadline)
    assert endpoint.timeouts == [20.0, pytest.approx(8.0)]


def test_a_4xx_is_not_retried_and_leaves_the_breaker_closed(settings: Settings,
                                                           keyword_retriever: Retriever) -> None:
    endpoint = Endpoint(400)
    tuned = settings.model_copy(update={"advisor": settings.advisor.model_copy(
        update={"max_retries": 3, "breaker_failures": 1})})
    advisor = Advisor(tuned, retriever=keyword_retriever, provider=_provider(endpoint))
    for _ in range(3):
        result = advise(advisor, "u1", "How much should I keep in an emergency fund?")
        assert result["provider"] == "offline" and "provider_fallback:openai" in result["safety"]["flags"]
    assert len(endpoint.timeouts) == 3  # one request per turn: no retries
    assert advisor.breaker.state == "closed" and advisor.breaker.consecutive_failures == 0

    endpoint.status = 503  # a server error does count: with failures=1 the breaker opens after one turn
    advise(advisor, "u1", "How much should I keep in an emergency fund?")
    assert len(endpoint.timeouts) == 3 + 4 and advisor.breaker.state == "open"
