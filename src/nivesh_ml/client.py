"""Python client for the Nivesh backend: ``NiveshClient("http://127.0.0.1:8000", api_key=...)``."""

from __future__ import annotations

from datetime import date
from types import TracebackType
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel

from nivesh_ml.errors import (
    DeadlineExceeded,
    Forbidden,
    InvalidInput,
    ModelLoadFailed,
    ModelNotReady,
    NiveshError,
    NotFound,
    PayloadTooLarge,
    RateLimited,
    StoreBusy,
    StoreUnavailable,
    Unauthorized,
    UpstreamUnavailable,
)
from nivesh_ml.serving.schemas import (
    AdviceResult,
    AnomalyResult,
    CreditRiskResult,
    Health,
    IngestSummary,
    IntentBatchResult,
    IntentResult,
    ModelInfo,
    ModelList,
    NerResult,
    Readiness,
    Reloaded,
    SpendingForecast,
)

_BY_STATUS: dict[int, type[NiveshError]] = {
    401: Unauthorized, 403: Forbidden, 404: NotFound, 409: ModelLoadFailed, 413: PayloadTooLarge,
    422: InvalidInput, 503: ModelNotReady,
}
# 503 answers name their cause in ``error.code``.
_BY_CODE: dict[str, type[NiveshError]] = {cls.code: cls for cls in (
    ModelNotReady, UpstreamUnavailable, StoreUnavailable, StoreBusy, DeadlineExceeded, ModelLoadFailed)}
T = TypeVar("T", bound=BaseModel)


class NiveshClient:
    """Thin typed wrapper over the HTTP API: answers are ``serving.schemas`` models, errors the same
    ``NiveshError`` classes (by ``error.code`` where a status has several causes)."""

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
            message = err.get("message", f"HTTP {response.status_code}")
            if response.status_code == 429:
                raise RateLimited(message, int(response.headers.get("Retry-After", "1") or 1), err.get("details"))
            cls = _BY_CODE.get(err.get("code", ""), _BY_STATUS.get(response.status_code, NiveshError))
            raise cls(message, details=err.get("details"))
        data: dict[str, Any] = response.json()
        return data

    def _typed(self, model: type[T], method: str, path: str, body: dict[str, Any] | None = None) -> T:
        return model.model_validate(self._call(method, path, body))

    def health(self) -> Health:
        return self._typed(Health, "GET", "/health")

    def ready(self) -> Readiness:
        """Readiness (200 or 503 alike: the body says what is not ready)."""
        response = self._http.get("/ready")
        return Readiness.model_validate(response.json())

    def models(self) -> list[ModelInfo]:
        return self._typed(ModelList, "GET", "/models").models

    def reload(self, name: str) -> Reloaded:
        return self._typed(Reloaded, "POST", f"/models/{name}/reload")

    def intent(self, query: str) -> IntentResult:
        return self._typed(IntentResult, "POST", "/predict/intent", {"query": query})

    def intents(self, queries: list[str]) -> IntentBatchResult:
        return self._typed(IntentBatchResult, "POST", "/predict/intent", {"queries": queries})

    def entities(self, text: str, reference_date: date | None = None) -> NerResult:
        body: dict[str, Any] = {"text": text}
        if reference_date:
            body["reference_date"] = reference_date.isoformat()
        return self._typed(NerResult, "POST", "/predict/ner", body)

    def spending_forecast(self, user_id: str, months: int = 3, category: str | None = None,
                          transactions: list[dict[str, Any]] | None = None) -> SpendingForecast:
        body: dict[str, Any] = {"user_id": user_id, "months": months}
        if category:
            body["category"] = category
        if transactions is not None:
            body["transactions"] = transactions
        return self._typed(SpendingForecast, "POST", "/predict/spending", body)

    def anomaly(self, user_id: str, transaction: dict[str, Any], update_profile: bool = False) -> AnomalyResult:
        return self._typed(AnomalyResult, "POST", "/predict/anomaly",
                           {"user_id": user_id, "transaction": transaction, "update_profile": update_profile})

    def credit_risk(self, applicant_data: dict[str, Any]) -> CreditRiskResult:
        return self._typed(CreditRiskResult, "POST", "/predict/credit-risk", {"applicant_data": applicant_data})

    def advice(self, user_id: str, message: str, session_id: str | None = None) -> AdviceResult:
        body: dict[str, Any] = {"user_id": user_id, "message": message}
        if session_id:
            body["session_id"] = session_id
        return self._typed(AdviceResult, "POST", "/predict/advice", body)

    def ingest(self, user_id: str, transactions: list[dict[str, Any]]) -> IngestSummary:
        return self._typed(IngestSummary, "POST", "/transactions", {"user_id": user_id, "transactions": transactions})
