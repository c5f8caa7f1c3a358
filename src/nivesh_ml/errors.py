"""Typed exceptions. Each carries the HTTP status that the server answers with."""

from __future__ import annotations

from typing import Any


class NiveshError(Exception):
    """Base of every error nivesh-ml raises on purpose."""

    status_code: int = 500
    code: str = "internal_error"

    def __init__(self, message: str, details: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details

    def to_body(self) -> dict[str, Any]:
        """The JSON error body of the HTTP contract."""
        return {"error": {"code": self.code, "message": self.message, "details": self.details}}


class InvalidInput(NiveshError):
    """The caller sent data that breaks a schema or a rule."""

    status_code = 422
    code = "invalid_input"


class NotFound(NiveshError):
    """Unknown user, model or resource."""

    status_code = 404
    code = "not_found"


class PayloadTooLarge(NiveshError):
    status_code = 413
    code = "payload_too_large"


class Unauthorized(NiveshError):
    status_code = 401
    code = "unauthorized"


class Forbidden(NiveshError):
    status_code = 403
    code = "forbidden"


class ModelNotReady(NiveshError):
    """No trained model is loaded (yet) for this endpoint."""

    status_code = 503
    code = "model_not_ready"


class UpstreamUnavailable(NiveshError):
    """A dependency (MLflow, Redis, an LLM provider) did not answer."""

    status_code = 503
    code = "upstream_unavailable"


class StoreUnavailable(UpstreamUnavailable):
    """The feature store (SQLite or Redis) failed: connection, timeout or lock wait over its budget."""

    code = "store_unavailable"


class StoreBusy(StoreUnavailable):
    """A SQLite write lock was not granted within the request's lock budget."""

    code = "store_busy"


class DeadlineExceeded(NiveshError):
    """The request's overall time budget ran out (e.g. an advisor turn with slow provider retries)."""

    status_code = 503
    code = "deadline_exceeded"


class ModelLoadFailed(NiveshError):
    """A champion artefact could not be verified or loaded; the model already served stays in place.

    409 as DESIGN §8 fixes it: the request conflicts with the registry's state (a champion that cannot serve).
    """

    status_code = 409
    code = "model_load_failed"


class RateLimited(NiveshError):
    """Too many requests for this key/client, or too many in flight in this worker."""

    status_code = 429
    code = "rate_limited"

    def __init__(self, message: str, retry_after_s: int = 1, details: object = None) -> None:
        super().__init__(message, details=details if details is not None else {"retry_after_s": retry_after_s})
        self.retry_after_s = max(1, int(retry_after_s))


class GateRejected(NiveshError):
    """A candidate model did not pass the promotion gate."""

    status_code = 409
    code = "gate_rejected"
