"""Rate limits: requests per key per minute on expensive routes, and a cap on requests in flight per worker.

Per-key limits live in the worker's memory (a sliding-window log, thread-safe) unless ``NIVESH_REDIS_URL`` is
set: then one fixed-window counter per key and minute is shared by every worker and replica (``INCR`` and
``EXPIRE`` in one MULTI/EXEC). Without Redis, N workers admit up to N times the limit.
"""

from __future__ import annotations

import hashlib
import logging
import math
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from typing import Annotated, Any, Protocol

from fastapi import Depends, Header, Request
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from nivesh_ml.errors import RateLimited

log = logging.getLogger(__name__)

WINDOW_S = 60.0
MAX_TRACKED_KEYS = 100_000  # in-process memory bound: the least recently seen keys are forgotten first
UNLIMITED_PATHS = frozenset({"/health", "/ready", "/metrics"})


class Limiter(Protocol):
    def hit(self, key: str) -> float | None:
        """Count one request for ``key``; ``None`` when admitted, else seconds until one would be."""


class SlidingWindowLimiter:
    """At most ``limit`` requests per key in any ``window_s`` seconds, in this process."""

    def __init__(self, limit: int, window_s: float = WINDOW_S, clock: Callable[[], float] = time.monotonic,
                 max_keys: int = MAX_TRACKED_KEYS) -> None:
        self.limit = limit
        self.window_s = window_s
        self.clock = clock
        self.max_keys = max_keys
        self._hits: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def hit(self, key: str) -> float | None:
        now = self.clock()
        with self._lock:
            hits = self._hits.pop(key, None) or deque()
            while hits and hits[0] <= now - self.window_s:
                hits.popleft()
            self._hits[key] = hits  # most recently seen last
            if len(hits) >= self.limit:
                return hits[0] + self.window_s - now
            hits.append(now)
            while len(self._hits) > self.max_keys:
                self._hits.popitem(last=False)
            return None


class RedisWindowLimiter:
    """At most ``limit`` requests per key per clock minute, counted in Redis (shared by all workers).

    Falls back to the in-process limiter while Redis does not answer: limits stay on, per worker.
    """

    def __init__(self, url: str, limit: int, scope: str, window_s: float = WINDOW_S,
                 clock: Callable[[], float] = time.time) -> None:
        self.url = url
        self.limit = limit
        self.scope = scope
        self.window_s = window_s
        self.clock = clock
        self.fallback = SlidingWindowLimiter(limit, window_s)

    def hit(self, key: str) -> float | None:
        from nivesh_ml.redis_conn import RedisError, redis_client

        now = self.clock()
        window = math.floor(now / self.window_s)
        digest = hashlib.sha256(key.encode()).hexdigest()
        name = f"nivesh:rl:{self.scope}:{digest}:{window}"
        try:
            pipe = redis_client(self.url).pipeline(transaction=True)
            pipe.incr(name)
            pipe.expire(name, int(self.window_s) + 1)
            count, _ = pipe.execute()
        except (RedisError, OSError) as exc:
            log.warning("rate limit store unavailable, limiting in process: %s", type(exc).__name__)
            return self.fallback.hit(key)
        if int(count) > self.limit:
            return (window + 1) * self.window_s - now
        return None


def create_limiter(limit: int, scope: str, redis_url: str | None) -> Limiter | None:
    """The limiter for ``limit`` requests per minute (``None`` when ``limit`` is 0: no limit)."""
    if limit <= 0:
        return None
    if redis_url:
        return RedisWindowLimiter(redis_url, limit, scope)
    return SlidingWindowLimiter(limit)


def check_rate(limiter: Limiter | None, key: str, what: str) -> None:
    """Raise ``RateLimited`` (429 with Retry-After) when ``key`` is over ``limiter``'s limit."""
    if limiter is None:
        return
    wait = limiter.hit(key)
    if wait is not None:
        raise RateLimited(f"too many {what} requests; retry later", retry_after_s=math.ceil(wait))


class InFlightLimit:
    """ASGI middleware: at most ``max_in_flight`` requests at once in this worker (system routes exempt)."""

    def __init__(self, app: ASGIApp, max_in_flight: int) -> None:
        self.app = app
        self.max_in_flight = max_in_flight
        self._in_flight = 0
        self._lock = threading.Lock()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.max_in_flight <= 0 or scope.get("path") in UNLIMITED_PATHS:
            await self.app(scope, receive, send)
            return
        with self._lock:
            admitted = self._in_flight < self.max_in_flight
            if admitted:
                self._in_flight += 1
        if not admitted:
            err = RateLimited("server busy: too many requests in flight", retry_after_s=1,
                              details={"max_in_flight": self.max_in_flight, "retry_after_s": 1})
            await rate_limited_response(err)(scope, receive, send)
            return
        try:
            await self.app(scope, receive, send)
        finally:
            with self._lock:
                self._in_flight -= 1


def rate_limited_response(err: RateLimited) -> JSONResponse:
    """The 429 answer: the error body and ``Retry-After`` in whole seconds."""
    return JSONResponse(err.to_body(), status_code=err.status_code,
                        headers={"Retry-After": str(err.retry_after_s)})


def client_key(api_key: str | None, client: Any) -> str:
    """Who a limit counts: the API key when keys are in use, else the client address."""
    if api_key:
        return "key:" + api_key
    host = getattr(client, "host", None)
    return "addr:" + (host or "unknown")


def limit_advice(request: Request, x_api_key: Annotated[str | None, Header()] = None) -> None:
    """Per-key rate of ``/predict/advice`` (runs after auth, so a counted key is a valid one)."""
    # Without configured keys a client could rotate made-up keys: count its address instead.
    keyed = x_api_key if request.app.state.services.settings.api_keys else None
    check_rate(getattr(request.app.state, "advice_limiter", None), client_key(keyed, request.client), "advice")


AdviceRateDep = Depends(limit_advice)
