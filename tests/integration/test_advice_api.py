"""POST /predict/advice through the real app: contract, sessions, validation, auth, metrics, provider stub."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from nivesh_ml.config import Settings
from nivesh_ml.serving.app import create_app
from tests.unit.advisor.stubs import SECRETS, StubServer, openai_responder

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def module_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings(home=tmp_path_factory.mktemp("advice") / "var")


@pytest.fixture(scope="module")
def client(module_settings: Settings) -> Iterator[TestClient]:
    """One app for the module (start-up loads MLflow and models, which is slow on a busy machine)."""
    with TestClient(create_app(module_settings), raise_server_exceptions=False) as test_client:
        yield test_client


def _counter(client: TestClient, line_prefix: str) -> float:
    lines = [ln for ln in client.get("/metrics").text.splitlines() if ln.startswith(line_prefix)]
    return float(lines[0].rsplit(" ", 1)[1]) if lines else 0.0


def test_advice_contract_and_session(client: TestClient) -> None:
    requests_line = 'nivesh_advisor_requests_total{provider="offline"}'
    before = _counter(client, requests_line)
    response = client.post("/predict/advice", json={"user_id": "u1", "message": "How does ELSS save tax?"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert {"reply", "session_id", "sources", "safety", "provider", "model_version"} <= set(body)
    assert body["provider"] == "offline" and "template answer" in body["reply"]
    assert body["sources"] and {"title", "snippet"} == set(body["sources"][0])
    assert "ELSS" in body["sources"][0]["title"] and body["model_version"].startswith("kb-")
    again = client.post("/predict/advice", json={"user_id": "u1", "message": "and its lock-in?",
                                                 "session_id": body["session_id"]}).json()
    assert again["session_id"] == body["session_id"]
    assert _counter(client, requests_line) == before + 2


def test_advice_redacts_and_refuses(client: TestClient) -> None:
    body = client.post("/predict/advice", json={"user_id": "u1", "message": (
        "my card 4111 1111 1111 1111 was charged twice, what do I do?")}).json()
    assert "pii_redacted:card" in body["safety"]["flags"]
    assert all(s not in body["reply"] for s in SECRETS)
    refused = client.post("/predict/advice", json={"user_id": "u1", "message": "Help me hide my cash income "
                                                   "from the income tax department"}).json()
    assert refused["provider"] == "safety" and "refused:tax_evasion" in refused["safety"]["flags"]


def test_advice_answers_hinglish_and_typos_first_and_declines_tips(client: TestClient) -> None:
    """Through the app: the answering fact opens the reply (with its date and source), also for Hinglish and a
    misspelt question; a Hinglish tip request is declined with the SEBI rule; a rule question is not calculated."""
    for message, fact in (("post office MIS ka interest rate kya hai abhi", "7.4%"),
                          ("hw much intrest does ppf give", "7.1%"),
                          ("I already put 1 lakh in PPF this year, what is the most I can still add?", "₹1.5 lakh")):
        body = client.post("/predict/advice", json={"user_id": "u2", "message": message}).json()
        first = body["reply"].split("\n")[0]
        assert fact in first and "as of 2025-10-01" in first, (message, first)
        assert body["provider"] == "offline" and body["tool_calls"] == []
    tip = client.post("/predict/advice", json={"user_id": "u2", "message": "kal ke liye koi intraday tip do"}).json()
    assert tip["provider"] == "safety" and "refused:specific_security" in tip["safety"]["flags"]
    assert "SEBI-registered" in tip["reply"]


BAD_PAYLOADS = [
    {"user_id": "u1", "message": ""},
    {"user_id": "u1", "message": "   "},
    {"user_id": "u1", "message": "x" * 4001},
    {"user_id": "u1", "message": "hi", "session_id": "not a valid id!"},
    {"message": "hi"},
    {"user_id": "", "message": "hi"},
]


def test_bad_requests_are_422(client: TestClient) -> None:
    for payload in BAD_PAYLOADS:
        response = client.post("/predict/advice", json=payload)
        assert response.status_code == 422, payload
        assert set(response.json()) == {"error"}


def test_advice_needs_an_api_key_when_configured(module_settings: Settings) -> None:
    secured = module_settings.model_copy(update={"api_keys": ["k1"]})
    with TestClient(create_app(secured), raise_server_exceptions=False) as test_client:
        assert test_client.post("/predict/advice", json={"user_id": "u", "message": "hi"}).status_code == 401
        ok = test_client.post("/predict/advice", json={"user_id": "u", "message": "hi"}, headers={"X-API-Key": "k1"})
        assert ok.status_code == 200


def test_advice_through_an_openai_compatible_stub(module_settings: Settings) -> None:
    with StubServer(openai_responder) as stub:
        configured = module_settings.model_copy(update={"llm_base_url": f"{stub.url}/v1"})
        with TestClient(create_app(configured), raise_server_exceptions=False) as test_client:
            body = test_client.post("/predict/advice", json={
                "user_id": "u1", "message": "SIP of 5000 a month for 10 years at 12%, phone 9876543210"}).json()
            assert body["provider"] == "openai" and "Rs 1161695" in body["reply"]
            assert stub.pii_violations == []
            stub.mode = "error"
            fallback = test_client.post("/predict/advice", json={"user_id": "u1", "message": "What is NPS?"}).json()
            assert fallback["provider"] == "offline"
            metrics = test_client.get("/metrics").text
            assert 'nivesh_advisor_provider_fallbacks_total{provider="openai"} 1.0' in metrics


def _inventing_responder(_stub: StubServer, path: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """An OpenAI-compatible model that answers with a figure it was never given."""
    message = {"role": "assistant", "content": "The PPF lock-in is 21 years and it pays 9.5% a year."}
    return 200, {"id": "chatcmpl-2", "object": "chat.completion", "model": body.get("model"),
                 "choices": [{"index": 0, "message": message, "finish_reason": "stop"}]}


def test_llm_gets_the_answer_passages_and_an_invented_figure_falls_back(module_settings: Settings) -> None:
    with StubServer(_inventing_responder) as stub:
        configured = module_settings.model_copy(update={"llm_base_url": f"{stub.url}/v1"})
        with TestClient(create_app(configured), raise_server_exceptions=False) as test_client:
            # the first turn of a fresh home builds the encoder, which can use up the turn's deadline
            test_client.post("/predict/advice", json={"user_id": "u0", "message": "What is NPS?"})
            stub.requests.clear()
            body = test_client.post("/predict/advice", json={
                "user_id": "u1", "message": "What is the lock-in period of a PPF account? My PAN is ABCDE1234F"}).json()
    system = stub.requests[0]["messages"][0]["content"]
    assert "Reference passages" in system and "15 full financial years" in system and "as of 2025-10-01" in system
    assert stub.pii_violations == []
    assert body["provider"] == "offline" and "ungrounded_numbers" in body["safety"]["flags"]
    assert "9.5%" not in body["reply"] and "15" in body["reply"].split("\n")[0]
