"""Liveness, readiness and Prometheus exposition."""

from __future__ import annotations

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST

from nivesh_ml import __version__
from nivesh_ml.monitoring.state import refresh_drift_gauge
from nivesh_ml.serving.deps import ServicesDep
from nivesh_ml.serving.metrics import exposition
from nivesh_ml.serving.schemas import Health, Readiness

router = APIRouter(tags=["system"])


@router.get("/health", response_model=Health)
def health() -> Health:
    """Liveness: the process answers."""
    return Health(status="ok", version=__version__)


@router.get("/ready", response_model=Readiness,
            responses={503: {"model": Readiness, "description": "some model or dependency is not ready"}})
def ready(services: ServicesDep) -> JSONResponse:
    """200 only when every model is loaded at its champion version and the feature store answers."""
    missing = services.models.missing()
    if services.champions is not None:  # serving another version than the champion for over a poll interval
        missing = {**services.champions.stale(), **missing}
    store_ok = services.store.ping()
    body = Readiness(**{
        "ready": not missing and store_ok,
        "models": {m["name"]: m.get("version") for m in services.models.describe()},
        "not_ready": missing,
        "retry_in_s": services.models.retry_in(),  # next background load attempt of each model not served
        "feature_store": {"backend": services.store.backend, "ok": store_ok},
        "cache": services.cache.name,
    })
    return JSONResponse(body.model_dump(mode="json"), status_code=200 if body.ready else 503)


@router.get("/metrics", include_in_schema=False)
def metrics(services: ServicesDep) -> Response:
    """Prometheus exposition format (in multiprocess mode: summed over this server's workers)."""
    refresh_drift_gauge(services.metrics.drift_share, services.settings)  # last `drift check` result
    return Response(exposition(services.metrics.registry), media_type=CONTENT_TYPE_LATEST)
