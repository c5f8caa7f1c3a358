"""Routers, one module per resource; ``include_routes`` assembles those present in this build.

The error contract is declared here once: every router is included with the statuses its routes can answer,
each with the one error body ``{"error": {"code", "message", "details"}}``.
"""

from __future__ import annotations

import importlib
from typing import Any, Final

from fastapi import FastAPI
from pydantic import BaseModel, Field


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
_PROTECTED = (401, 403, 413, 422, 429, 503)  # routes behind the API key that take a body and use models/stores

ROUTE_MODULES: Final[tuple[str, ...]] = (
    "health", "models", "transactions",
    "intent", "ner", "spending", "anomaly", "credit", "advice",
)
# Statuses that every route of a module can answer besides 200 (routes add their own with ``responses=``).
MODULE_ERRORS: Final[dict[str, tuple[int, ...]]] = {
    "health": (),
    "models": (429,),
    "transactions": _PROTECTED,
    "intent": _PROTECTED,
    "ner": _PROTECTED,
    "spending": _PROTECTED,
    "anomaly": _PROTECTED,
    "credit": _PROTECTED,
    "advice": _PROTECTED,
}


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` for ``statuses``, each with the error body (and ``Retry-After`` for 429)."""
    out: dict[int | str, dict[str, Any]] = {}
    for status in statuses:
        entry: dict[str, Any] = {"model": ErrorBody, "description": ERROR_DESCRIPTIONS[status]}
        if status == 429:
            entry["headers"] = _RETRY_AFTER
        out[status] = entry
    return out


def include_routes(app: FastAPI) -> None:
    """Include every router module that exists (model routes arrive with their models)."""
    for name in ROUTE_MODULES:
        try:
            module = importlib.import_module(f"nivesh_ml.serving.routes.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"nivesh_ml.serving.routes.{name}":
                continue
            raise
        app.include_router(module.router, responses=error_responses(*MODULE_ERRORS[name]))
