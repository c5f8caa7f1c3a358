"""Python client for the Nivesh backend: ``NiveshClient("http://127.0.0.1:8000", api_key=...)``."""

from __future__ import annotations

from datetime import date
from types import TracebackType
from typing import Any

import httpx

from nivesh_ml.errors import (
    Forbidden,
    InvalidInput,
    ModelNotReady,
    NiveshError,
    NotFound,
    PayloadTooLarge,
    Unauthorized,
)

_BY_STATUS: dict[int, type[NiveshError]] = {
    401: Unauthorized, 403: Forbidden, 404: NotFound, 413: PayloadTooLarge, 422: InvalidInput, 503: ModelNotReady,
}


class NiveshClient:
    """Thin typed wrapper over the HTTP API; errors come back as the same ``NiveshError`` classes."""

    def __init__(self, base_url: str = "http://127.0.0.1:8000", api_key: str | None = None,
                 timeout_s: float = 30.0, transport: httpx.BaseTransport | None = None) -> None:
        headers = {"X-API-Key": api_key} if api_key else {}
        self._http = httpx.Client(base_url=base_url, headers=headers, timeout=timeout_s, transport=transport)

    def __enter__(self) -> NiveshClient:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        response = self._http.request(method, path, json=body)
        if response.status_code >= 400:
            try:
                err = response.json().get("error", {})
            except ValueError:
                err = {"message": response.text[:300]}
            cls = _BY_STATUS.get(response.status_code, NiveshError)
            raise cls(err.get("message", f"HTTP {response.status_code}"), details=err.get("details"))
        data: dict[str, Any] = response.json()
        return data

    def health(self) -> dict[str, Any]:
        return self._call("GET", "/health")

    def ready(self) -> dict[str, Any]:
        response = self._http.get("/ready")
        data: dict[str, Any] = response.json()
        return data

    def models(self) -> list[dict[str, Any]]:
        models: list[dict[str, Any]] = self._call("GET", "/models")["models"]
        return models

    def reload(self, name: str) -> dict[str, Any]:
        return self._call("POST", f"/models/{name}/reload")

    def intent(self, query: str) -> dict[str, Any]:
        return self._call("POST", "/predict/intent", {"query": query})

    def intents(self, queries: list[str]) -> dict[str, Any]:
        return self._call("POST", "/predict/intent", {"queries": queries})

    def entities(self, text: str, reference_date: date | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"text": text}
        if reference_date:
            body["reference_date"] = reference_date.isoformat()
        return self._call("POST", "/predict/ner", body)

    def spending_forecast(self, user_id: str, months: int = 3, category: str | None = None,
                          transactions: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"user_id": user_id, "months": months}
        if category:
            body["category"] = category
        if transactions is not None:
            body["transactions"] = transactions
        return self._call("POST", "/predict/spending", body)

    def anomaly(self, user_id: str, transaction: dict[str, Any], update_profile: bool = False) -> dict[str, Any]:
        return self._call("POST", "/predict/anomaly",
                          {"user_id": user_id, "transaction": transaction, "update_profile": update_profile})

    def credit_risk(self, applicant_data: dict[str, Any]) -> dict[str, Any]:
        return self._call("POST", "/predict/credit-risk", {"applicant_data": applicant_data})

    def advice(self, user_id: str, message: str, session_id: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"user_id": user_id, "message": message}
        if session_id:
            body["session_id"] = session_id
        return self._call("POST", "/predict/advice", body)

    def ingest(self, user_id: str, transactions: list[dict[str, Any]]) -> dict[str, Any]:
        return self._call("POST", "/transactions", {"user_id": user_id, "transactions": transactions})
