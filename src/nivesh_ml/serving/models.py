"""Loads champion models once per worker and swaps them atomically on reload."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Generic, TypeVar, overload

from nivesh_ml.errors import ModelLoadFailed, ModelNotReady, NiveshError
from nivesh_ml.models import available_models, get_family
from nivesh_ml.models.base import Predictor, verify_artefacts
from nivesh_ml.registry import ModelRegistry
from nivesh_ml.serving.metrics import Metrics

log = logging.getLogger(__name__)

P = TypeVar("P", bound=Predictor)


@dataclass
class LoadedModel(Generic[P]):
    """A champion served by this worker: its predictor and where it came from."""

    name: str
    version: str
    predictor: P
    directory: Path
    stage: str
    from_cache: bool
    verified: bool = True  # False: saved before artefact manifests, loaded unverified
    loaded_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))

    def describe(self) -> dict[str, Any]:
        meta = self.predictor.metadata
        return {"name": self.name, "version": self.version, "stage": self.stage, "loaded_at": self.loaded_at,
                "from_cache": self.from_cache, "verified": self.verified, "created_at": meta.created_at,
                "metrics": {k: v for k, v in meta.metrics.items() if isinstance(v, int | float)}}


@dataclass
class _Retry:
    """A model that is not served, waiting for its next background load attempt."""

    delay_s: float
    due: float
    attempts: int = 0


class ModelManager:
    """The models a worker serves; each is replaced only after its successor has verified and loaded.

    A failed load changes nothing: the served model, the local champion pointer and the registry alias stay as
    they were, and a download that failed is deleted. Models that are not served are retried in the background
    (exponential backoff) once :meth:`start_background_retry` has been called.
    """

    def __init__(self, registry: ModelRegistry, metrics: Metrics, names: list[str] | None = None,
                 retry_initial_s: float = 5.0, retry_max_s: float = 300.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.registry = registry
        self.metrics = metrics
        self.names = names if names is not None else available_models()
        self.retry_initial_s = retry_initial_s
        self.retry_max_s = max(retry_max_s, retry_initial_s)
        self.clock = clock
        self._models: dict[str, LoadedModel] = {}
        self._errors: dict[str, str] = {}
        self._retries: dict[str, _Retry] = {}
        self._lock = threading.Lock()
        self._reload_lock = threading.Lock()  # one load at a time: a reload and the retry thread never race
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def load_all(self) -> dict[str, str]:
        """Load every champion; returns the errors of those that could not load (they are retried later)."""
        for name in self.names:
            try:
                self.reload(name)
            except NiveshError as exc:
                log.warning("model %s not loaded: %s", name, exc.message)
        return dict(self._errors)

    def reload(self, name: str) -> LoadedModel:
        """Verify and load the current champion of ``name``, then swap it in (the old one serves until then).

        Raises:
            ModelNotReady: no champion is registered.
            ModelLoadFailed: the champion failed verification or loading (nothing changed).
            UpstreamUnavailable: the registry is unreachable and nothing is cached.
        """
        with self._reload_lock:
            try:
                loaded = self._load(name)
            except NiveshError as exc:
                self._failed(name, exc)
                raise
            except Exception as exc:  # a registry or family bug must still leave a clear, retryable state
                failure = ModelLoadFailed(f"{name} failed to load",
                                          details={"model": name, "reason": f"{type(exc).__name__}: "
                                                                            f"{str(exc)[:300]}"})
                self._failed(name, failure)
                raise failure from exc
        with self._lock:
            old = self._models.get(name)
            self._models[name] = loaded
            self._errors.pop(name, None)
            self._retries.pop(name, None)
        if old is not None and (old.version, old.stage) != (loaded.version, loaded.stage):
            # Zero first: in multiprocess mode the value lives on in the shared file after remove().
            self.metrics.model_info.labels(model=name, version=old.version, stage=old.stage).set(0)
            self.metrics.model_info.remove(name, old.version, old.stage)
        self.metrics.model_info.labels(model=name, version=loaded.version, stage=loaded.stage).set(1)
        self.metrics.model_ready.labels(model=name).set(1)
        log.info("loaded %s v%s", name, loaded.version)
        return loaded

    def _load(self, name: str) -> LoadedModel:
        family = get_family(name)
        local = self.registry.champion(name, remember=False)
        if local is None:
            raise ModelNotReady(f"no champion registered for {name}; run `nivesh-ml bootstrap` "
                                f"or `nivesh-ml train {name} --promote`")
        try:
            verified = verify_artefacts(local.directory)
            predictor = family.load(local.directory)
        except Exception as exc:  # any failure to load an artefact is a failed load, reported with its cause
            failure = exc if isinstance(exc, ModelLoadFailed) else ModelLoadFailed(
                f"{name} v{local.version} failed to load",
                details={"reason": f"{type(exc).__name__}: {str(exc)[:300]}"})
            failure.details = {"model": name, "version": local.version, **(failure.details or {})}
            served = self._models.get(name)
            if served is None or served.directory != local.directory:
                self.registry.discard(local)
            log.error("model %s v%s not loaded: %s (%s)", name, local.version, failure.message,
                      failure.details.get("reason"))
            raise failure from exc
        if not local.from_cache:
            self.registry.remember_champion(local)
        return LoadedModel(name=name, version=local.version, predictor=predictor, directory=local.directory,
                           stage=local.stage, from_cache=local.from_cache, verified=verified)

    def _failed(self, name: str, exc: NiveshError) -> None:
        with self._lock:
            if name in self._models:
                return  # the previous version keeps serving; nothing to retry
            self._errors[name] = exc.message
            reason = (exc.details or {}).get("reason") if isinstance(exc.details, dict) else None
            if reason:
                self._errors[name] = f"{exc.message}: {reason}"
            retry = self._retries.get(name)
            if retry is None:
                retry = _Retry(delay_s=self.retry_initial_s, due=0.0)
            else:
                retry.delay_s = min(retry.delay_s * 2, self.retry_max_s)
            retry.attempts += 1
            retry.due = self.clock() + retry.delay_s
            self._retries[name] = retry
        self.metrics.model_ready.labels(model=name).set(0)
        self._wake.set()

    # -- background retry ---------------------------------------------------------------------------
    def start_background_retry(self) -> None:
        """Start the daemon thread that retries models that are not served (idempotent)."""
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._retry_loop, name="model-retry", daemon=True)
        self._thread.start()

    def stop_background_retry(self, timeout_s: float = 5.0) -> None:
        """Stop the retry thread (waits for a load in progress up to ``timeout_s``)."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout_s)
            self._thread = None

    def retry_due(self) -> list[str]:
        """Retry now every model whose backoff has elapsed; returns the names that loaded."""
        now = self.clock()
        with self._lock:
            due = [n for n, r in self._retries.items() if r.due <= now and n not in self._models]
        loaded = []
        for name in due:
            if self._stop.is_set():
                break
            try:
                self.reload(name)
                loaded.append(name)
            except NiveshError as exc:
                log.warning("model %s retry failed: %s", name, exc.message)
            except Exception:  # the retry thread must survive anything
                log.exception("model %s retry failed", name)
        return loaded

    def _retry_loop(self) -> None:
        while not self._stop.is_set():
            self._wake.clear()  # before looking, so that a failure recorded meanwhile wakes the next wait
            self.retry_due()
            with self._lock:
                pending = [r.due for n, r in self._retries.items() if n not in self._models]
            wait = max(0.0, min(pending) - self.clock()) if pending else None
            self._wake.wait(wait)

    def retry_in(self) -> dict[str, float]:
        """Seconds until the next background load attempt of each model that is not served."""
        now = self.clock()
        with self._lock:
            return {n: round(max(0.0, r.due - now), 1) for n, r in self._retries.items() if n not in self._models}

    @overload
    def get(self, name: str) -> LoadedModel[Predictor]: ...

    @overload
    def get(self, name: str, kind: type[P]) -> LoadedModel[P]: ...

    def get(self, name: str, kind: type[Predictor] | None = None) -> LoadedModel[Any]:
        """The served model ``name``; with ``kind``, checked to be that predictor type (else 503, not ready)."""
        model = self._models.get(name)
        if model is None:
            reason = self._errors.get(name, "not loaded")
            raise ModelNotReady(f"model {name} is not ready: {reason}")
        if kind is not None and not isinstance(model.predictor, kind):
            raise ModelNotReady(f"the loaded {name} model is a {type(model.predictor).__name__}, "
                                f"not a {kind.__name__}")
        return model

    def served_version(self, name: str) -> str | None:
        """The version of ``name`` this worker serves (None when it serves none)."""
        model = self._models.get(name)
        return model.version if model is not None else None

    def missing(self) -> dict[str, str]:
        return {n: self._errors.get(n, "not loaded") for n in self.names if n not in self._models}

    def describe(self) -> list[dict[str, Any]]:
        out = [self._models[n].describe() for n in self.names if n in self._models]
        out += [{"name": n, "version": None, "stage": None, "error": e} for n, e in self.missing().items()]
        return out
