"""Services shared by the routes, injected through ``Annotated`` aliases."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request

from nivesh_ml.advisor.service import Advisor
from nivesh_ml.cache.base import SafeCache
from nivesh_ml.config import Settings
from nivesh_ml.errors import ModelNotReady, StoreUnavailable
from nivesh_ml.features.repository import TransactionRepository
from nivesh_ml.features.store import OnlineStore
from nivesh_ml.models.base import Predictor
from nivesh_ml.monitoring.prediction_log import PredictionLog
from nivesh_ml.registry import ModelRegistry
from nivesh_ml.serving.champions import ChampionSync
from nivesh_ml.serving.metrics import Metrics
from nivesh_ml.serving.models import LoadedModel, ModelManager

log = logging.getLogger(__name__)


@dataclass
class Services:
    """Everything a worker holds for its lifetime (built once in the app's lifespan)."""

    settings: Settings
    advisor: Advisor  # retriever, chat history, providers and breaker of this worker
    registry: ModelRegistry
    models: ModelManager
    store: OnlineStore
    transactions: TransactionRepository  # history and profiles in ``store`` (its updaters chosen by the app)
    cache: SafeCache
    metrics: Metrics
    prediction_log: PredictionLog
    champions: ChampionSync | None = None  # keeps this worker on the registry's champions (lifespan starts it)
    # False when the cache is in-process and there are several workers: an ingest in one worker could not
    # invalidate another's copy, so per-user answers (forecasts) are computed each time instead of going stale.
    cache_per_user: bool = True

    def cached_predict(self, kind: str, model: LoadedModel, payload: Any,
                       compute: Callable[[], dict[str, Any]], user_id: str | None = None) -> dict[str, Any]:
        """Serve from cache (keyed by model version + normalised input) or compute and remember.

        Per-user results (``user_id`` given) are dropped by :meth:`SafeCache.invalidate_user` on ingest.
        """
        if user_id is not None and not self.cache_per_user:
            return compute()
        key = self.cache.key(kind, model.version, payload, user_id)
        if key is None:
            return compute()
        hit = self.cache.get(kind, key)
        if hit is not None:
            return dict(hit)
        result = compute()
        self.cache.set(kind, key, result)
        return result

    @contextmanager
    def store_call(self, operation: str) -> Iterator[None]:
        """Count a feature-store failure; it still answers 503 ``store_unavailable``/``store_busy``.

        Only what the store raises for its dependency (connection, timeout, lock wait) is counted; any other
        error passes through untouched and reports its own cause.
        """
        try:
            yield
        except StoreUnavailable as exc:
            self.metrics.store_errors.labels(operation=operation).inc()
            log.warning("feature store %s failed: %s (%s)", operation, exc.code, exc.message)
            raise

    def user_changed(self, user_id: str) -> None:
        """A user's stored transactions changed: their cached per-user answers (forecasts) are stale."""
        self.cache.invalidate_user(user_id)

    def model_lookup(self, name: str) -> Predictor | None:
        """The served predictor ``name``, or None when it is not ready (for optional helpers such as the advisor)."""
        try:
            return self.models.get(name).predictor
        except ModelNotReady:
            return None

    def record(self, model: LoadedModel, inputs: dict[str, Any], outputs: dict[str, Any]) -> None:
        """Count and log a prediction; logging never fails the request."""
        self.metrics.predictions.labels(model=model.name).inc()
        try:
            self.prediction_log.append(model.name, model.version, inputs, outputs)
        except Exception as exc:
            log.warning("prediction log write failed: %s", type(exc).__name__)


def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]
