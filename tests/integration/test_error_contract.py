"""The error contract over the real app: unhandled errors are counted and logged once, 429 carries Retry-After,
unknown fields are a 422 naming the field, and the OpenAPI documents every status with the error body."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from nivesh_ml.config import Settings
from nivesh_ml.errors import RateLimited
from nivesh_ml.logs import JsonFormatter
from nivesh_ml.serving.app import create_app

pytestmark = pytest.mark.integration
CARD = "4111 1111 1111 1111"  # passes Luhn: a card number the masker must hide
TXN = {"timestamp": "2025-01-05T10:00:00", "amount": 450.0, "merchant": "Swiggy"}


def _app(tmp_path: Path) -> TestClient:
    app = create_app(Settings(home=tmp_path / "var"), load_models=False)

    def crash() -> None:
        raise RuntimeError(f"payment with card {CARD} failed")

    def throttled() -> None:
        raise RateLimited("slow down", retry_after_s=7)

    app.add_api_route("/crash", crash)
    app.add_api_route("/throttled", throttled)
    return TestClient(app)


def test_unhandled_error_is_a_counted_500_logged_once_with_masked_traceback(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with _app(tmp_path) as client, caplog.at_level(logging.INFO):
        response = client.get("/crash")
        metrics = client.get("/metrics").text
    assert response.status_code == 500
    assert response.json() == {"error": {"code": "internal_error", "message": "internal error", "details": None}}
    assert CARD not in response.text
    assert 'nivesh_http_requests_total{method="GET",route="/crash",status="500"} 1.0' in metrics
    errors = [r for r in caplog.records if r.exc_info]
    assert len(errors) == 1, [r.getMessage() for r in errors]
    line = json.loads(JsonFormatter().format(errors[0]))
    assert line["exc_type"] == "RuntimeError" and "Traceback" in line["traceback"]
    assert "RuntimeError: payment with card" in line["traceback"] and CARD not in line["traceback"]
    requests = [r for r in caplog.records if r.getMessage() == "request" and getattr(r, "route", "") == "/crash"]
    assert len(requests) == 1 and requests[0].status == 500  # type: ignore[attr-defined]


def test_rate_limited_error_answers_429_with_retry_after(tmp_path: Path) -> None:
    with _app(tmp_path) as client:
        response = client.get("/throttled")
    assert response.status_code == 429 and response.headers["Retry-After"] == "7"
    assert response.json()["error"] == {"code": "rate_limited", "message": "slow down",
                                        "details": {"retry_after_s": 7}}


def test_oversized_body_is_counted(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "var", server={"max_body_bytes": 1024})
    with TestClient(create_app(settings, load_models=False)) as client:
        assert client.post("/transactions", content=b" " * 4096).status_code == 413
        metrics = client.get("/metrics").text
    assert 'nivesh_http_requests_total{method="POST",route="unmatched",status="413"} 1.0' in metrics


@pytest.mark.parametrize(("path", "body", "where"), [
    ("/predict/advice", {"user_id": "u1", "message": "hi", "mood": "x"}, ["body", "mood"]),
    ("/predict/spending", {"user_id": "u1", "horizon": 3}, ["body", "horizon"]),
    ("/predict/credit-risk", {"applicant_data": {}, "bureau": "x"}, ["body", "bureau"]),
    ("/transactions", {"user_id": "u1", "transactions": [TXN], "source": "x"}, ["body", "source"]),
    ("/transactions", {"user_id": "u1", "transactions": [{**TXN, "mcc": "5812"}]},
     ["body", "transactions", 0, "mcc"]),
    ("/predict/anomaly", {"user_id": "u1", "transaction": {**TXN, "mcc": "5812"}}, ["body", "transaction", "mcc"]),
    ("/predict/intent", {"query": "hi", "lang": "en"}, ["body", "lang"]),
    ("/predict/ner", {"text": "paid 500", "locale": "en"}, ["body", "locale"]),
])
def test_unknown_fields_are_a_422_naming_the_field(tmp_path: Path, path: str, body: dict[str, object],
                                                   where: list[object]) -> None:
    with TestClient(create_app(Settings(home=tmp_path / "var"), load_models=False)) as client:
        response = client.post(path, json=body)
    assert response.status_code == 422, response.text
    details = response.json()["error"]["details"]
    assert any(d["loc"] == where and d["type"] == "extra_forbidden" for d in details), details


def test_openapi_documents_every_error_status_with_the_error_body(tmp_path: Path) -> None:
    document = create_app(Settings(home=tmp_path / "var"), load_models=False).openapi()
    assert set(document["components"]["schemas"]["ErrorBody"]["properties"]) == {"error"}
    paths = document["paths"]
    protected = [p for p in paths if p.startswith("/predict/") or p == "/transactions"]
    assert len(protected) == 7
    for path in protected:
        responses = paths[path]["post"]["responses"]
        assert {"401", "403", "413", "422", "429", "503"} <= set(responses), path
        for status in ("401", "403", "413", "422", "429", "503"):
            ref = responses[status]["content"]["application/json"]["schema"]["$ref"]
            assert ref.endswith("/ErrorBody"), (path, status)
        assert "Retry-After" in responses["429"]["headers"]
    assert {"404"} <= set(paths["/predict/spending"]["post"]["responses"])
    assert {"401", "403", "404", "409", "503"} <= set(paths["/models/{name}/reload"]["post"]["responses"])
