"""The FastAPI application factory: lifespan model loading, middleware and the one error handler."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from nivesh_ml import __version__
from nivesh_ml.advisor.service import Advisor
from nivesh_ml.cache.factory import create_safe_cache
from nivesh_ml.config import Settings, get_settings
from nivesh_ml.errors import NiveshError, PayloadTooLarge, RateLimited
from nivesh_ml.features.factory import create_store
from nivesh_ml.monitoring.prediction_log import PredictionLog
from nivesh_ml.pipelines.wiring import transaction_repository
from nivesh_ml.registry import ModelRegistry
from nivesh_ml.serving.champions import ChampionSync
from nivesh_ml.serving.deps import Services
from nivesh_ml.serving.limits import InFlightLimit, create_limiter, rate_limited_response
from nivesh_ml.serving.metrics import Metrics, mark_worker_dead
from nivesh_ml.serving.models import ModelManager
from nivesh_ml.serving.routes import include_routes

log = logging.getLogger("nivesh_ml.server")


class BodySizeLimit:
    """Answers 413 before reading a body larger than the limit (declared or streamed)."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._reject(scope, receive, send)
            return
        # Read the (chunked or undeclared) body up to the limit before the app sees it.
        chunks: list[bytes] = []
        seen = 0
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                await self.app(scope, _replay([message]), send)
                return
            chunk = message.get("body", b"")
            seen += len(chunk)
            if seen > self.max_bytes:
                await self._reject(scope, receive, send)
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        await self.app(scope, _replay([{"type": "http.request", "body": b"".join(chunks),
                                        "more_body": False}], receive), send)

    async def _reject(self, scope: Scope, receive: Receive, send: Send) -> None:
        err = PayloadTooLarge(f"request body exceeds {self.max_bytes} bytes",
                              details={"max_bytes": self.max_bytes})
        await JSONResponse(err.to_body(), status_code=413)(scope, receive, send)


def _replay(messages: list[Message], then: Receive | None = None) -> Receive:
    queue = list(messages)

    async def receive() -> Message:
        if queue:
            return queue.pop(0)
        if then is not None:
            return await then()
        return {"type": "http.disconnect"}

    return receive


def _route_label(scope: Scope) -> str:
    route = scope.get("route")
    return getattr(route, "path", None) or "unmatched"


def _services(scope: Scope) -> Services | None:
    """The worker's services (None before the lifespan has built them)."""
    return getattr(getattr(scope.get("app"), "state", None), "services", None)


INTERNAL_ERROR = {"error": {"code": "internal_error", "message": "internal error", "details": None}}


class Observe:
    """Outermost ASGI middleware: counts and times every request, logs one line, turns a crash into a 500.

    It sits outside every other middleware so that 413s, 429s and unhandled errors are counted too; an
    unhandled exception is logged here once, with its (PII-masked) traceback, and not re-raised.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500
        started = False
        svc = _services(scope)
        in_flight = svc.metrics.in_flight if svc is not None and scope.get("path") != "/metrics" else None
        if in_flight is not None:  # what a drain waits for; a scrape does not count itself
            in_flight.inc()

        async def observed_send(message: Message) -> None:
            nonlocal status, started
            if message["type"] == "http.response.start":
                status, started = int(message["status"]), True
            await send(message)

        try:
            await self.app(scope, receive, observed_send)
        except Exception:
            status = 500
            log.exception("unhandled error on %s %s", scope.get("method"), _route_label(scope),
                          extra={"route": _route_label(scope)})
            if not started:
                await JSONResponse(INTERNAL_ERROR, status_code=500)(scope, receive, send)
        finally:
            if in_flight is not None:
                in_flight.dec()
            self._record(scope, status, time.perf_counter() - start)

    @staticmethod
    def _record(scope: Scope, status: int, elapsed: float) -> None:
        route = _route_label(scope)
        method = scope.get("method", "")
        svc = _services(scope)
        if svc is not None and route != "/metrics":
            svc.metrics.requests.labels(route=route, method=method, status=str(status)).inc()
            svc.metrics.latency.labels(route=route, method=method).observe(elapsed)
        # The raw path too (an unmatched route has no template); the formatter masks personal data in it.
        log.info("request", extra={"route": route, "path": str(scope.get("path", ""))[:512], "method": method,
                                   "status": status, "ms": round(elapsed * 1000, 2)})


def build_services(settings: Settings, model_names: list[str] | None = None) -> Services:
    """Create the long-lived services of a worker (connections open lazily)."""
    metrics = Metrics()
    registry = ModelRegistry(settings)
    store = create_store(settings)
    models = ModelManager(registry, metrics, model_names, settings.server.model_retry_initial_s,
                          settings.server.model_retry_max_s)
    cache = create_safe_cache(settings, metrics.cache_event)
    return Services(
        settings=settings,
        advisor=Advisor(settings),
        registry=registry,
        models=models,
        store=store,
        transactions=transaction_repository(settings, store),
        cache=cache,
        metrics=metrics,
        champions=ChampionSync(settings, registry, models, on_reload=lambda name: cache.invalidate(f"{name}:")),
        cache_per_user=per_user_cache_shared(settings),
        prediction_log=PredictionLog(settings.var_dir / "predictions.db",
                                     settings.monitoring.prediction_log_max_rows,
                                     settings.monitoring.prediction_log_enabled,
                                     settings.monitoring.prediction_log_max_bytes,
                                     settings.feature_store.lock_timeout_s),
    )


def per_user_cache_shared(settings: Settings) -> bool:
    """Whether per-user answers may be cached: not in an in-process cache shared by no other worker."""
    return not (settings.cache_backend == "memory" and settings.server.workers > 1)


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(NiveshError)
    async def _nivesh(_: Request, exc: NiveshError) -> JSONResponse:
        if isinstance(exc, RateLimited):
            return rate_limited_response(exc)
        return JSONResponse(exc.to_body(), status_code=exc.status_code)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        details = [{"loc": list(e.get("loc", ())), "msg": e.get("msg"), "type": e.get("type")}
                   for e in exc.errors()][:50]
        body = {"error": {"code": "invalid_input", "message": "request does not match the schema",
                          "details": details}}
        return JSONResponse(body, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 400:  # FastAPI's answer to a body it cannot decode: bad input like any other
            body = {"error": {"code": "invalid_input", "message": "request body is not valid JSON (UTF-8)",
                              "details": None}}
            return JSONResponse(body, status_code=422)
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        body = {"error": {"code": code, "message": str(exc.detail), "details": None}}
        return JSONResponse(body, status_code=exc.status_code, headers=getattr(exc, "headers", None))
    # Exceptions that are not NiveshError reach ``Observe`` (500 internal_error, counted, logged once).


def create_app(settings: Settings | None = None, services: Services | None = None,
               load_models: bool = True) -> FastAPI:
    """Build the app. Models load once at start-up (lifespan), not per request."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        svc = services or build_services(settings)
        app.state.services = svc
        if load_models:
            errors = svc.models.load_all()
            log.info("models loaded", extra={"not_ready": sorted(errors)})
            svc.models.start_background_retry()
            if svc.champions is not None:
                svc.champions.start()
        yield
        if svc.champions is not None:
            svc.champions.stop()
        svc.models.stop_background_retry()
        svc.store.close()
        mark_worker_dead()

    app = FastAPI(title="nivesh-ml", version=__version__, lifespan=lifespan,
                  description="Machine-learning services of the Nivesh personal-finance assistant.")
    _install_error_handlers(app)
    include_routes(app)

    app.state.advice_limiter = create_limiter(settings.server.advice_rate_per_minute, "advice",
                                              settings.redis_url)
    # add_middleware puts each one outside the previous: the request passes Observe first.
    app.add_middleware(BodySizeLimit, max_bytes=settings.server.max_body_bytes)  # type: ignore[arg-type]
    app.add_middleware(InFlightLimit, max_in_flight=settings.server.max_in_flight)  # type: ignore[arg-type]
    app.add_middleware(Observe)  # type: ignore[arg-type]
    return app
