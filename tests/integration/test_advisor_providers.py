"""The real google-genai client and httpx against loopback stubs: tools, history, fallback, no PII out."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from nivesh_ml.advisor.retrieval import Retriever, load_retriever
from nivesh_ml.advisor.service import Advisor, advise
from nivesh_ml.config import Settings
from nivesh_ml.serving.metrics import Metrics
from tests.unit.advisor.stubs import PII_MESSAGE, StubServer, gemini_responder, openai_responder

pytestmark = pytest.mark.integration
# Per HTTP call: a stub answers in 3-40 ms here; 1 s keeps a loaded CI machine from cutting off an answer that
# should arrive, and is still well below the "slow" stub's 3 s.
CALL_TIMEOUT_S = 1.0


@pytest.fixture(scope="module")
def retriever() -> Retriever:
    return load_retriever(Settings(home=Path("unused")), semantic=False)


@pytest.fixture
def gemini_stub() -> Iterator[StubServer]:
    with StubServer(gemini_responder) as stub:
        yield stub


@pytest.fixture
def openai_stub() -> Iterator[StubServer]:
    with StubServer(openai_responder) as stub:
        yield stub


def _gemini_advisor(tmp_path: Path, stub: StubServer, retriever: Retriever, **advisor: Any) -> Advisor:
    settings = Settings(home=tmp_path / "var", gemini_api_key="test-key",  # type: ignore[arg-type]
                        advisor={"gemini_base_url": stub.url, "timeout_s": CALL_TIMEOUT_S, "max_retries": 1, **advisor})
    return Advisor(settings, retriever=retriever)


def _openai_advisor(tmp_path: Path, stub: StubServer, retriever: Retriever) -> Advisor:
    settings = Settings(home=tmp_path / "var", llm_base_url=f"{stub.url}/v1",
                        advisor={"timeout_s": CALL_TIMEOUT_S, "max_retries": 1, "llm_model": "stub-model"})  # type: ignore[arg-type]
    return Advisor(settings, retriever=retriever)


def test_gemini_function_call_runs_the_calculator(tmp_path: Path, gemini_stub: StubServer,
                                                  retriever: Retriever) -> None:
    advisor = _gemini_advisor(tmp_path, gemini_stub, retriever)
    result = advise(advisor, "u1", "What is the EMI on a 30 lakh loan at 8.5% for 20 years?")
    assert result["provider"] == "gemini"
    assert "Rs 26035" in result["reply"] and result["sources"]
    assert result["tool_calls"][0]["name"] == "emi" and result["tool_calls"][0]["result"]["emi"] == 26035
    assert len(gemini_stub.requests) == 2  # the call, then the functionResponse
    first = gemini_stub.requests[0]
    assert gemini_stub.paths[0].startswith("/v1beta/models/gemini-2.5-flash:generateContent")
    assert "Reference passages" in first["systemInstruction"]["parts"][0]["text"]
    assert {d["name"] for d in first["tools"][0]["functionDeclarations"]} >= {"emi", "sip_future_value"}
    assert first["safetySettings"]
    second_parts = gemini_stub.requests[1]["contents"][-1]["parts"]
    assert second_parts[0]["functionResponse"]["response"]["result"]["emi"] == 26035


def test_gemini_keeps_history_across_turns(tmp_path: Path, gemini_stub: StubServer, retriever: Retriever) -> None:
    advisor = _gemini_advisor(tmp_path, gemini_stub, retriever)
    first = advise(advisor, "u1", "Tell me about PPF")
    advise(advisor, "u1", "And what about ELSS?", first["session_id"])
    contents = gemini_stub.requests[-1]["contents"]
    assert [c["role"] for c in contents] == ["user", "model", "user"]
    assert contents[0]["parts"][0]["text"] == "Tell me about PPF"
    assert contents[1]["parts"][0]["text"].startswith("Stub Gemini saw 1 messages")


def test_no_pii_reaches_gemini(tmp_path: Path, gemini_stub: StubServer, retriever: Retriever) -> None:
    advisor = _gemini_advisor(tmp_path, gemini_stub, retriever)
    first = advise(advisor, "u1", PII_MESSAGE)
    advise(advisor, "u1", "thanks, and for 15 years?", first["session_id"])
    assert len(gemini_stub.requests) >= 3
    assert gemini_stub.pii_violations == []
    assert "pii_redacted:pan" in first["safety"]["flags"]


@pytest.mark.parametrize("mode", ["error", "slow"])
def test_gemini_failure_falls_back_to_offline(tmp_path: Path, gemini_stub: StubServer, retriever: Retriever,
                                              mode: str) -> None:
    gemini_stub.mode = mode
    advisor = _gemini_advisor(tmp_path, gemini_stub, retriever)
    metrics = Metrics()
    result = advise(advisor, "u1", "What is the EMI on a 30 lakh loan at 8.5% for 20 years?", metrics=metrics)
    assert result["provider"] == "offline" and "template answer" in result["reply"] and "₹26,035" in result["reply"]
    assert "provider_fallback:gemini" in result["safety"]["flags"]
    assert len(gemini_stub.requests) == 2  # one try + one bounded retry
    assert metrics.registry.get_sample_value("nivesh_advisor_provider_fallbacks_total", {"provider": "gemini"}) == 1
    assert metrics.registry.get_sample_value("nivesh_advisor_requests_total", {"provider": "offline"}) == 1


def test_open_circuit_skips_the_provider(tmp_path: Path, gemini_stub: StubServer, retriever: Retriever) -> None:
    gemini_stub.mode = "error"
    advisor = _gemini_advisor(tmp_path, gemini_stub, retriever, breaker_failures=2, max_retries=0)
    for _ in range(3):
        assert advise(advisor, "u1", "How do I improve my credit score?")["provider"] == "offline"
    assert len(gemini_stub.requests) == 2 and advisor.breaker.state == "open"


def test_openai_compatible_tool_call_and_history(tmp_path: Path, openai_stub: StubServer,
                                                 retriever: Retriever) -> None:
    advisor = _openai_advisor(tmp_path, openai_stub, retriever)
    first = advise(advisor, "u1", "If I invest 5000 a month in a SIP for 10 years at 12%, what will I have?")
    assert first["provider"] == "openai" and "Rs 1161695" in first["reply"]
    assert first["tool_calls"][0]["name"] == "sip_future_value"
    assert openai_stub.requests[0]["tools"][0]["type"] == "function"
    assert openai_stub.requests[1]["messages"][-1]["role"] == "tool"
    advise(advisor, "u1", "Thanks! What about PPF?", first["session_id"])
    roles = [m["role"] for m in openai_stub.requests[-1]["messages"]]
    assert roles == ["system", "user", "assistant", "user"]


def test_openai_compatible_no_pii_and_fallback(tmp_path: Path, openai_stub: StubServer,
                                               retriever: Retriever) -> None:
    advisor = _openai_advisor(tmp_path, openai_stub, retriever)
    advise(advisor, "u1", PII_MESSAGE)
    assert openai_stub.requests and openai_stub.pii_violations == []
    openai_stub.mode = "slow"
    result = advise(advisor, "u1", "How much should I keep in an emergency fund?")
    assert result["provider"] == "offline" and "provider_fallback:openai" in result["safety"]["flags"]
