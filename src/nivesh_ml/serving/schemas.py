"""The HTTP contract's bodies: every 200 answer (typed) and the one error body with the statuses that use it.

The 200 shapes are those the routes answered before they were typed (DESIGN §5): no field is renamed. Models
allow extra fields so that a model family adding an output field does not break serving; the OpenAPI schema lists
the fields every answer carries. ``nivesh_ml.client`` returns these models.
"""

from __future__ import annotations

from typing import Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field


class ErrorDetail(BaseModel):
    code: str = Field(description="machine-readable cause, e.g. invalid_input, model_not_ready, rate_limited")
    message: str = Field(description="what went wrong, in words")
    details: Any = Field(None, description="structured context: failing fields, limits, expected values")


class ErrorBody(BaseModel):
    """The body of every 4xx/5xx answer."""

    error: ErrorDetail


ERROR_DESCRIPTIONS: Final[dict[int, str]] = {
    401: "unauthorized: `X-API-Key` missing while API keys are configured",
    403: "forbidden: the key is not valid for this route",
    404: "not_found: unknown user, model or resource",
    409: "model_load_failed: the champion could not be verified or loaded; the served model is unchanged",
    413: "payload_too_large: the body exceeds `NIVESH_SERVER__MAX_BODY_BYTES`",
    422: "invalid_input: the request breaks the schema (unknown fields included) or the model cannot use it",
    429: "rate_limited: over the per-key rate or the worker's in-flight cap; see `Retry-After`",
    503: "model_not_ready, store_unavailable, store_busy, upstream_unavailable, deadline_exceeded or "
         "model_load_failed: a model or dependency is not available now",
}

_RETRY_AFTER = {"Retry-After": {"description": "seconds to wait before retrying", "schema": {"type": "integer"}}}
# Routes behind the API key that take a body and use models or stores.
PROTECTED_ERRORS: Final[tuple[int, ...]] = (401, 403, 413, 422, 429, 503)


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` for ``statuses``, each with the error body (and ``Retry-After`` for 429)."""
    out: dict[int | str, dict[str, Any]] = {}
    for status in statuses:
        entry: dict[str, Any] = {"model": ErrorBody, "description": ERROR_DESCRIPTIONS[status]}
        if status == 429:
            entry["headers"] = _RETRY_AFTER
        out[status] = entry
    return out


class Response(BaseModel):
    """Base of every response body. ``body["field"]`` reads like the JSON it came from."""

    model_config = ConfigDict(extra="allow")

    def __getitem__(self, key: str) -> Any:
        try:
            return getattr(self, key)
        except AttributeError:
            raise KeyError(key) from None


class Health(Response):
    status: Literal["ok"]
    version: str


class StoreStatus(Response):
    backend: str
    ok: bool


class Readiness(Response):
    ready: bool
    models: dict[str, str | None] = Field(description="version served per model (null: not loaded)")
    not_ready: dict[str, str] = Field(description="model → why it is not serving")
    retry_in_s: dict[str, float] = Field({}, description="model → seconds to its next background load attempt")
    feature_store: StoreStatus
    cache: str


class ModelInfo(Response):
    name: str
    version: str | None
    stage: str | None
    loaded_at: str | None = None
    from_cache: bool | None = None
    created_at: str | None = None
    verified: bool | None = Field(None, description="false: saved before artefact manifests, loaded unverified")
    metrics: dict[str, int | float] = {}
    error: str | None = None


class ModelList(Response):
    models: list[ModelInfo]
    pid: int | None = Field(None, description="process id of the worker that answered (each serves its own copy)")


class Reloaded(Response):
    reloaded: ModelInfo


class IntentScore(Response):
    intent: str
    score: float


class IntentResult(Response):
    intent: str
    confidence: float
    top_k: list[IntentScore]
    fallback: bool
    model_version: str


class IntentBatchResult(Response):
    intent: list[str]
    confidence: list[float]
    top_k: list[list[IntentScore]]
    fallback: list[bool]
    model_version: str


class Entity(Response):
    text: str
    label: Literal["MONEY", "DATE", "CATEGORY", "MERCHANT", "ACCOUNT"]
    start: int
    end: int
    value: dict[str, Any] | None = Field(
        description="MONEY {amount, currency}; DATE {start, end}; ACCOUNT {institution, type, last4}; "
                    "MERCHANT {name, category}; CATEGORY {category}")


class NerResult(Response):
    entities: list[Entity]
    reference_date: str
    model_version: str


class ForecastRow(Response):
    month: str
    amount: float
    lower: float
    upper: float
    model: str


class CategoryForecastRow(ForecastRow):
    category: str


class SpendingForecast(Response):
    user_id: str
    months: int
    currency: str
    history_months: int
    forecast: list[CategoryForecastRow]
    total: list[ForecastRow]
    model_version: str


class AnomalyResult(Response):
    is_anomaly: bool
    score: float = Field(ge=0, le=1)
    threshold: float
    reasons: list[str]
    cold_start: bool
    model_version: str


class CreditFactor(Response):
    feature: str
    value: Any
    impact: float


class CreditRiskResult(Response):
    default_probability: float = Field(ge=0, le=1)
    risk_score: int = Field(ge=0, le=100)
    risk_category: Literal["low", "medium", "high"]
    reason_codes: list[str]
    factors: list[CreditFactor]
    model_version: str


class Source(Response):
    title: str
    snippet: str


class Safety(Response):
    flags: list[str]


class ToolCallOut(Response):
    name: str
    arguments: dict[str, Any]
    result: dict[str, Any]


class AdviceResult(Response):
    reply: str
    session_id: str
    sources: list[Source]
    safety: Safety
    provider: str
    model: str | None = None
    topic: str | None = None
    tool_calls: list[ToolCallOut] = []
    model_version: str


class IngestSummary(Response):
    user_id: str
    received: int
    added: int
    stored: int
