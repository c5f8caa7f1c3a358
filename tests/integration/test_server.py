"""The real HTTP app: system routes, auth, limits, error shape, ingestion, client and OpenAPI."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from nivesh_ml.client import NiveshClient
from nivesh_ml.config import Settings
from nivesh_ml.errors import InvalidInput, Unauthorized
from nivesh_ml.serving.app import create_app
from nivesh_ml.serving.openapi import render

pytestmark = pytest.mark.integration
DOCS = Path(__file__).resolve().parents[2] / "docs" / "openapi.json"
TXN = {"timestamp": "2025-01-05T10:00:00", "amount": 450.0, "merchant": "Swiggy", "category": "food_delivery"}


def _client(settings: Settings) -> TestClient:
    return TestClient(create_app(settings), raise_server_exceptions=False)


def _error_shape(body: dict) -> None:  # type: ignore[type-arg]
    assert set(body) == {"error"} and {"code", "message", "details"} <= set(body["error"])


def test_health_ready_models_metrics(settings: Settings) -> None:
    with _client(settings) as client:
        assert client.get("/health").json()["status"] == "ok"
        ready = client.get("/ready")
        assert ready.status_code in (200, 503)
        assert "not_ready" in ready.json()
        assert isinstance(client.get("/models").json()["models"], list)
        text = client.get("/metrics").text
        assert 'nivesh_http_requests_total{method="GET",route="/health",status="200"} 1.0' in text
        assert "nivesh_http_request_duration_seconds_bucket" in text


def test_auth_401_403_and_admin(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "var", api_keys=["user-key"], admin_api_key="admin-key")
    body = {"user_id": "u1", "transactions": [TXN]}
    with _client(settings) as client:
        missing = client.post("/transactions", json=body)
        assert missing.status_code == 401
        _error_shape(missing.json())
        assert client.post("/transactions", json=body, headers={"X-API-Key": "wrong"}).status_code == 403
        assert client.post("/transactions", json=body, headers={"X-API-Key": "user-key"}).status_code == 200
        assert client.get("/health").status_code == 200  # liveness stays open
        assert client.post("/models/credit/reload", headers={"X-API-Key": "user-key"}).status_code == 403
        assert client.post("/models/credit/reload").status_code == 401
        admin = client.post("/models/nonexistent/reload", headers={"X-API-Key": "admin-key"})
        assert admin.status_code == 404


def test_body_limit_413(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "var", server={"max_body_bytes": 2048})
    with _client(settings) as client:
        big = {"user_id": "u1", "transactions": [TXN] * 100}
        response = client.post("/transactions", json=big)
        assert response.status_code == 413
        assert response.json()["error"]["code"] == "payload_too_large"

        def chunks():  # type: ignore[no-untyped-def]
            for _ in range(10):
                yield b" " * 1024

        streamed = client.post("/transactions", content=chunks(), headers={"content-type": "application/json"})
        assert streamed.status_code == 413


@pytest.mark.parametrize("payload", [b"{not json", b"[]", b'{"user_id": 5}', "\x00\xff".encode("latin-1"), b""])
def test_malformed_bodies_get_422_in_error_shape(settings: Settings, payload: bytes) -> None:
    with _client(settings) as client:
        response = client.post("/transactions", content=payload, headers={"content-type": "application/json"})
        assert response.status_code == 422
        _error_shape(response.json())


def test_unknown_route_and_method(settings: Settings) -> None:
    with _client(settings) as client:
        assert client.get("/nope").status_code == 404
        assert client.get("/transactions").status_code == 405


def test_ingest_is_idempotent_and_validates(settings: Settings) -> None:
    with _client(settings) as client:
        txn = {**TXN, "transaction_id": "t1"}
        first = client.post("/transactions", json={"user_id": "u1", "transactions": [txn]}).json()
        again = client.post("/transactions", json={"user_id": "u1", "transactions": [txn]}).json()
        assert first["added"] == 1 and again["added"] == 0 and again["stored"] == 1
        other = client.post("/transactions", json={"user_id": "u1", "transactions": [{**TXN, "user_id": "u2"}]})
        assert other.status_code == 422
        bad = client.post("/transactions", json={"user_id": "u1", "transactions": [
            {**TXN, "amount": -3}, {**TXN, "timestamp": "yesterday-ish"}, {**TXN, "currency": "ABC"}]})
        assert bad.status_code == 422
        locs = [d["loc"][-1] for d in bad.json()["error"]["details"]]
        assert {"amount", "timestamp", "currency"} <= set(locs)


def test_python_client_maps_errors(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "var", api_keys=["k"])
    with _client(settings) as test_client:
        transport = httpx.MockTransport(lambda request: _forward(test_client, request))
        with NiveshClient("http://testserver", api_key="k", transport=transport) as client:
            assert client.health()["status"] == "ok"
            assert client.ingest("u1", [TXN])["added"] == 1
            with pytest.raises(InvalidInput):
                client.ingest("u1", [{**TXN, "amount": 0}])
        with NiveshClient("http://testserver", transport=transport) as anonymous, pytest.raises(Unauthorized):
            anonymous.ingest("u1", [TXN])


def _forward(client: TestClient, request: httpx.Request) -> httpx.Response:
    response = client.request(request.method, request.url.path, content=request.content,
                              headers=dict(request.headers))
    return httpx.Response(response.status_code, content=response.content, headers=response.headers)


def test_openapi_document_is_current() -> None:
    assert DOCS.is_file(), "run `make openapi` to write docs/openapi.json"
    assert DOCS.read_text() == render(), "docs/openapi.json is stale: run `make openapi`"
