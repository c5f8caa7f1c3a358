"""The real app against a real OpenAI-compatible server process (tests/fakes/openai_server.py).

What leaves the process (system prompt with the answer passages, redacted message and history), timeouts, retries
(5xx, 4xx, 429 with Retry-After), the grounding check and the circuit breaker, each through POST /predict/advice.
The same server answers Gemini's REST API, so the real google-genai client is driven through the same cases.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from nivesh_ml.advisor.retrieval import Retriever, load_retriever
from nivesh_ml.advisor.service import SYSTEM_PROMPT, Advisor, advise
from nivesh_ml.config import Settings
from nivesh_ml.pii import mask_pii
from nivesh_ml.serving.app import create_app

pytestmark = pytest.mark.integration

FAKE_SERVER = Path(__file__).resolve().parents[1] / "fakes" / "openai_server.py"
# The provider's own limit per HTTP call. A fake answer takes 3-60 ms here; 1 s leaves a loaded CI machine (a GC
# pause, a descheduled process) room before an answer that should arrive is cut off as a timeout, and is still
# far below the stalls the timeout tests script (30 s, 40 s of trickle).
TIMEOUT_S = 1.0
DEADLINE_S = 4.0  # the whole turn (room for a 1 s Retry-After on a loaded machine)
MARGIN_S = 5.0  # a loaded machine: "well before a stalled call (30 s or more) would end", not a latency target
BREAKER_FAILURES = 3
# Raw identifiers in the user's message: none may reach the model server.
SECRETS = ["ABCDE1234F", "2345 6789 0124", "234567890124", "4111 1111 1111 1111", "9876543210",
           "a.b@example.com", "rahul@okhdfcbank"]
PII_QUESTION = ("What is the lock-in period of a PPF account? My PAN is ABCDE1234F, aadhaar 2345 6789 0124, "
                "card 4111 1111 1111 1111, phone 9876543210, mail a.b@example.com, upi rahul@okhdfcbank")
PPF_QUESTION = "What is the lock-in period of a PPF account?"
EMI_QUESTION = "What is the EMI on a 30 lakh loan at 8.5% for 20 years?"


class FakeOpenAI:
    """The fake server as a child process: its URL, its script and the requests it received."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen([sys.executable, str(FAKE_SERVER), "--port", "0"], stdout=subprocess.PIPE,
                                     text=True)
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline().split()
        if line[:1] != ["READY"]:
            self.close()
            pytest.fail(f"fake OpenAI server did not start: {line}")
        self.url = f"http://127.0.0.1:{line[1]}"
        self.control = httpx.Client(base_url=self.url, timeout=5)

    def script(self, *steps: dict[str, Any], default: dict[str, Any] | None = None) -> None:
        self.control.post("/_script", json={"steps": list(steps), "default": default or {}}).raise_for_status()

    def requests(self) -> list[dict[str, Any]]:
        response = self.control.get("/_requests")
        response.raise_for_status()
        return list(response.json()["requests"])

    def reset(self) -> None:
        self.control.post("/_reset").raise_for_status()

    def close(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=5)
        if self.proc.stdout is not None:
            self.proc.stdout.close()


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeOpenAI]:
    server = FakeOpenAI()
    try:
        yield server
    finally:
        server.control.close()
        server.close()


@pytest.fixture(scope="module")
def app_client(fake: FakeOpenAI, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    settings = Settings(
        home=tmp_path_factory.mktemp("advice_openai") / "var", llm_base_url=f"{fake.url}/v1",
        llm_api_key="test-key",  # type: ignore[arg-type]
        server={"advice_rate_per_minute": 0},  # type: ignore[arg-type]
        advisor={"provider": "openai", "llm_model": "fake-model", "timeout_s": TIMEOUT_S,  # type: ignore[arg-type]
                 "turn_deadline_s": DEADLINE_S, "max_retries": 1, "breaker_failures": BREAKER_FAILURES,
                 "breaker_reset_s": 60})
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        # Keyword retrieval: building the sentence encoder takes ~45 s on a fresh home and is tested elsewhere;
        # this module is about what reaches the model server and what comes back.
        client.app.state.services.advisor._retriever = load_retriever(settings, semantic=False)  # type: ignore[attr-defined]
        yield client


@pytest.fixture
def client(app_client: TestClient, fake: FakeOpenAI) -> TestClient:
    """The module's app with a closed breaker and a fake with an empty script and no recorded request."""
    fake.reset()
    app_client.app.state.services.advisor.breaker.record_success()  # type: ignore[attr-defined]
    return app_client


def ask(client: TestClient, message: str, session_id: str | None = None) -> dict[str, Any]:
    payload = {"user_id": "u1", "message": message, **({"session_id": session_id} if session_id else {})}
    response = client.post("/predict/advice", json=payload)
    assert response.status_code == 200, response.text
    return dict(response.json())


def timed_ask(client: TestClient, message: str) -> tuple[dict[str, Any], float]:
    start = time.monotonic()
    body = ask(client, message)
    return body, time.monotonic() - start


def fallback_counter(client: TestClient) -> float:
    prefix = 'nivesh_advisor_provider_fallbacks_total{provider="openai"}'
    lines = [ln for ln in client.get("/metrics").text.splitlines() if ln.startswith(prefix)]
    return float(lines[0].rsplit(" ", 1)[1]) if lines else 0.0


def what_left_the_process(entry: dict[str, Any]) -> str:
    """The request as sent (path, headers, body), without the fake server's own ``received_at`` clock."""
    return json.dumps({key: entry[key] for key in ("path", "headers", "body")}, ensure_ascii=False)


def assert_offline(body: dict[str, Any], flag: str) -> None:
    assert body["provider"] == "offline", body
    assert "template answer" in body["reply"] and flag in body["safety"]["flags"]


# (a) what leaves the process


def test_request_carries_the_answer_passages_and_no_pii(client: TestClient, fake: FakeOpenAI) -> None:
    fake.script(default={"content": "A PPF account runs for 15 full financial years (fake model)."})
    first = ask(client, PII_QUESTION)
    assert first["provider"] == "openai" and "fake model" in first["reply"]
    assert {"pii_redacted:pan", "pii_redacted:aadhaar", "pii_redacted:card", "pii_redacted:phone",
            "pii_redacted:email", "pii_redacted:upi_id"} <= set(first["safety"]["flags"])
    second = ask(client, "and can I extend it?", first["session_id"])
    assert second["provider"] == "openai"
    sent = fake.requests()
    assert len(sent) == 2
    request = sent[0]
    assert request["path"] == "/v1/chat/completions"
    assert request["headers"].get("Authorization") == "Bearer test-key"
    body = request["body"]
    assert body["model"] == "fake-model" and {t["function"]["name"] for t in body["tools"]} >= {"emi", "ppf_maturity"}
    system, user = body["messages"][0], body["messages"][-1]
    assert system["role"] == "system" and system["content"].startswith(SYSTEM_PROMPT)
    # the extracted answer passages, with their as-of date and source: the sentence that answers comes first
    assert "Reference passages" in system["content"] and "[1] " in system["content"]
    assert "15 full financial years" in system["content"] and "as of 2025-10-01; source: " in system["content"]
    assert first["sources"][0]["snippet"].rstrip("…") in system["content"]
    assert user["role"] == "user" and "[PAN]" in user["content"] and "lock-in period of a PPF" in user["content"]
    # the follow-up carries the (redacted) conversation
    roles = [m["role"] for m in sent[1]["body"]["messages"]]
    assert roles == ["system", "user", "assistant", "user"]
    assert "[PAN]" in sent[1]["body"]["messages"][1]["content"]
    for entry in sent:
        raw = what_left_the_process(entry)
        assert [s for s in SECRETS if s in raw] == []
        assert mask_pii(raw)[1] == []


def test_model_tool_call_runs_the_calculator_and_its_result_grounds_the_reply(client: TestClient,
                                                                                fake: FakeOpenAI) -> None:
    args = json.dumps({"monthly_investment": 5000, "annual_return_pct": 12, "years": 10})
    fake.script({"tool_calls": [{"id": "call_1", "type": "function",
                                 "function": {"name": "sip_future_value", "arguments": args}}], "content": None},
                {"content": "A SIP of ₹5,000 a month for 10 years at 12% could grow to about ₹11.62 lakh."})
    body = ask(client, "How much will a SIP grow to?")
    assert body["provider"] == "openai" and "₹11.62 lakh" in body["reply"], body
    assert body["tool_calls"][0]["name"] == "sip_future_value"
    sent = fake.requests()
    assert len(sent) == 2
    tool_message = sent[1]["body"]["messages"][-1]
    assert tool_message["role"] == "tool" and tool_message["tool_call_id"] == "call_1"
    assert json.loads(tool_message["content"])["future_value"] == body["tool_calls"][0]["result"]["future_value"]


# (b) timeouts


@pytest.mark.parametrize("step", [{"delay_s": 30}, {"trickle_s": 0.1}], ids=["slow", "trickle"])
def test_a_slow_server_ends_the_turn_offline_within_the_deadline(client: TestClient, fake: FakeOpenAI,
                                                                 step: dict[str, Any]) -> None:
    """``trickle``: every read is quick (headers at once, then a byte each 100 ms), only the whole answer is slow
    (over 40 s): a per-read timeout never fires."""
    fake.script(default={**step, "content": "A slow answer " + "padding " * 40})
    before = fallback_counter(client)
    body, elapsed = timed_ask(client, PPF_QUESTION)
    assert_offline(body, "provider_fallback:openai")
    assert "15 full financial years" in body["reply"]
    assert elapsed < DEADLINE_S + MARGIN_S, elapsed  # functional: the stalled calls were cut, not waited out
    assert 1 <= len(fake.requests()) <= 2  # the first call and at most one bounded retry
    assert fallback_counter(client) == before + 1


# (c) retries


def test_a_server_error_is_retried_once_and_the_provider_answers(client: TestClient, fake: FakeOpenAI) -> None:
    fake.script({"status": 500}, {"content": "Answered on the second try (fake model)."})
    body = ask(client, PPF_QUESTION)
    assert body["provider"] == "openai" and "second try" in body["reply"]
    assert len(fake.requests()) == 2
    assert client.app.state.services.advisor.breaker.consecutive_failures == 0  # type: ignore[attr-defined]


def test_a_malformed_success_is_not_retried(client: TestClient, fake: FakeOpenAI) -> None:
    fake.script({"raw": "<html>gateway</html>"}, {"content": "never asked"})
    assert_offline(ask(client, PPF_QUESTION), "provider_fallback:openai")
    assert len(fake.requests()) == 1


def test_a_client_error_is_not_retried_and_does_not_trip_the_breaker(client: TestClient, fake: FakeOpenAI) -> None:
    fake.script({"status": 400}, {"content": "never asked"})
    assert_offline(ask(client, PPF_QUESTION), "provider_fallback:openai")
    assert len(fake.requests()) == 1
    assert client.app.state.services.advisor.breaker.consecutive_failures == 0  # type: ignore[attr-defined]


def test_429_waits_the_retry_after_it_was_given(client: TestClient, fake: FakeOpenAI) -> None:
    fake.script({"status": 429, "headers": {"Retry-After": "1"}}, {"content": "Answered after the rate limit."})
    body = ask(client, PPF_QUESTION)
    assert body["provider"] == "openai" and "rate limit" in body["reply"]
    sent = fake.requests()
    assert len(sent) == 2
    assert sent[1]["received_at"] - sent[0]["received_at"] >= 1.0  # the server's Retry-After, not our backoff


def test_429_with_a_retry_after_past_the_deadline_falls_back_at_once(client: TestClient, fake: FakeOpenAI) -> None:
    fake.script({"status": 429, "headers": {"Retry-After": "30"}}, {"content": "never asked"})
    body, elapsed = timed_ask(client, PPF_QUESTION)
    assert_offline(body, "provider_fallback:openai")
    assert len(fake.requests()) == 1  # no retry that would have had to start after the deadline
    assert elapsed < DEADLINE_S + MARGIN_S, elapsed


# (d) grounding


def test_an_invented_figure_falls_back_to_the_offline_answer(client: TestClient, fake: FakeOpenAI) -> None:
    fake.script(default={"content": "The PPF lock-in is 21 years."})
    body = ask(client, PPF_QUESTION)
    assert_offline(body, "ungrounded_numbers")
    assert "21 years" not in body["reply"] and "15 full financial years" in body["reply"]


@pytest.mark.parametrize("invented", ["PPF now pays 9.5% a year.", "You can deposit up to ₹2 lakh a year.",
                                      "The lock-in is 15 years and the limit is ₹1.5 crore."])
def test_a_small_invented_rate_or_amount_is_caught(client: TestClient, fake: FakeOpenAI, invented: str) -> None:
    """Rates and lakh/crore amounts are small numbers; they are figures all the same."""
    fake.script(default={"content": invented})
    assert_offline(ask(client, PPF_QUESTION), "ungrounded_numbers")


@pytest.mark.parametrize("grounded", [
    "A PPF account runs for 15 full financial years, and you may deposit ₹500 to ₹1.5 lakh a year.",
    "PPF locks your money in for 15 years; the yearly limit is ₹1,50,000 (the same ₹1.5 lakh).",
])
def test_a_grounded_reply_passes_through(client: TestClient, fake: FakeOpenAI, grounded: str) -> None:
    fake.script(default={"content": grounded})
    body = ask(client, PPF_QUESTION)
    assert body["provider"] == "openai", body
    assert grounded in body["reply"] and "ungrounded_numbers" not in body["safety"]["flags"]


def test_a_figure_from_the_calculator_passes_and_a_different_one_does_not(client: TestClient,
                                                                         fake: FakeOpenAI) -> None:
    fake.script({"content": "Your EMI would be about ₹26,035 a month."},
                {"content": "Your EMI would be about ₹27,500 a month."})
    grounded = ask(client, EMI_QUESTION)
    assert grounded["provider"] == "openai" and "₹26,035" in grounded["reply"]
    invented = ask(client, EMI_QUESTION)
    assert_offline(invented, "ungrounded_numbers")
    assert "₹26,035" in invented["reply"] and "27,500" not in invented["reply"]


# (e) circuit breaker


def test_the_breaker_opens_after_repeated_failures_and_then_skips_the_server(client: TestClient,
                                                                           fake: FakeOpenAI) -> None:
    fake.script(default={"status": 503})
    for _ in range(BREAKER_FAILURES):
        assert_offline(ask(client, PPF_QUESTION), "provider_fallback:openai")
    assert len(fake.requests()) == BREAKER_FAILURES * 2  # each turn: one call and one retry
    assert client.app.state.services.advisor.breaker.state == "open"  # type: ignore[attr-defined]
    fake.script(default={"content": "The server is healthy again."})
    body = ask(client, PPF_QUESTION)
    assert_offline(body, "provider_fallback:openai")
    assert len(fake.requests()) == BREAKER_FAILURES * 2  # the open breaker sent nothing


# Gemini: the same prompt, the same limits


@pytest.fixture(scope="module")
def keyword_retriever() -> Retriever:
    return load_retriever(Settings(home=Path("unused")), semantic=False)


@pytest.fixture
def gemini(fake: FakeOpenAI, tmp_path: Path, keyword_retriever: Retriever) -> Advisor:
    fake.reset()
    settings = Settings(home=tmp_path / "var", gemini_api_key="test-key",  # type: ignore[arg-type]
                        advisor={"provider": "gemini", "gemini_base_url": fake.url,  # type: ignore[arg-type]
                                 "timeout_s": TIMEOUT_S, "turn_deadline_s": DEADLINE_S, "max_retries": 1})
    return Advisor(settings, retriever=keyword_retriever)


def test_gemini_gets_the_same_grounded_prompt_and_no_pii(client: TestClient, fake: FakeOpenAI,
                                                         gemini: Advisor) -> None:
    fake.script(default={"content": "A PPF account runs for 15 full financial years (fake model)."})
    assert ask(client, PII_QUESTION)["provider"] == "openai"
    openai_system = fake.requests()[0]["body"]["messages"][0]["content"]
    fake.reset()
    fake.script(default={"content": "A PPF account runs for 15 full financial years (fake model)."})
    result = advise(gemini, "u1", PII_QUESTION)
    assert result["provider"] == "gemini" and "fake model" in result["reply"]
    sent = fake.requests()
    assert len(sent) == 1 and sent[0]["path"].startswith("/v1beta/models/gemini-2.5-flash:generateContent")
    body = sent[0]["body"]
    assert body["systemInstruction"]["parts"][0]["text"] == openai_system  # the same passages, word for word
    assert "[PAN]" in body["contents"][-1]["parts"][0]["text"]
    raw = what_left_the_process(sent[0])
    assert [s for s in SECRETS if s in raw] == [] and mask_pii(raw)[1] == []


@pytest.mark.parametrize("step", [{"delay_s": 30}, {"trickle_s": 0.1}], ids=["slow", "trickle"])
def test_gemini_slow_server_ends_the_turn_offline_within_the_deadline(fake: FakeOpenAI, gemini: Advisor,
                                                                      step: dict[str, Any]) -> None:
    fake.script(default={**step, "content": "A slow answer " + "padding " * 40})
    start = time.monotonic()
    result = advise(gemini, "u1", PPF_QUESTION)
    elapsed = time.monotonic() - start
    assert result["provider"] == "offline" and "provider_fallback:gemini" in result["safety"]["flags"]
    assert elapsed < DEADLINE_S + MARGIN_S, elapsed
    assert 1 <= len(fake.requests()) <= 2


def test_gemini_429_waits_the_retry_after_it_was_given(fake: FakeOpenAI, gemini: Advisor) -> None:
    fake.script({"status": 429, "headers": {"Retry-After": "1"}}, {"content": "Answered after the rate limit."})
    result = advise(gemini, "u1", PPF_QUESTION)
    assert result["provider"] == "gemini" and "rate limit" in result["reply"]
    sent = fake.requests()
    assert len(sent) == 2 and sent[1]["received_at"] - sent[0]["received_at"] >= 1.0


def test_gemini_invented_figure_falls_back(fake: FakeOpenAI, gemini: Advisor) -> None:
    fake.script(default={"content": "PPF now pays 9.5% a year."})
    result = advise(gemini, "u1", PPF_QUESTION)
    assert result["provider"] == "offline" and "ungrounded_numbers" in result["safety"]["flags"]
