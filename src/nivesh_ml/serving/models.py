"""Loads champion models once per worker and swaps them atomically on reload."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from nivesh_ml.errors import ModelNotReady, NiveshError
from nivesh_ml.models import available_models, get_family
from nivesh_ml.models.base import Predictor
from nivesh_ml.registry import ModelRegistry
from nivesh_ml.serving.metrics import Metrics

log = logging.getLogger(__name__)


@dataclass
class LoadedModel:
    name: str
    version: str
    predictor: Predictor
    directory: Path
    stage: str
    from_cache: bool
    loaded_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))

    def describe(self) -> dict[str, Any]:
        meta = self.predictor.metadata
        return {"name": self.name, "version": self.version, "stage": self.stage, "loaded_at": self.loaded_at,
                "from_cache": self.from_cache, "created_at": meta.created_at,
                "metrics": {k: v for k, v in meta.metrics.items() if isinstance(v, int | float)}}


class ModelManager:
    """The models a worker serves; each is replaced only after its successor has loaded."""

    def __init__(self, registry: ModelRegistry, metrics: Metrics, names: list[str] | None = None) -> None:
        self.registry = registry
        self.metrics = metrics
        self.names = names if names is not None else available_models()
        self._models: dict[str, LoadedModel] = {}
        self._errors: dict[str, str] = {}
        self._lock = threading.Lock()

    def load_all(self) -> dict[str, str]:
        """Load every champion; returns the errors of those that could not load."""
        for name in self.names:
            try:
                self.reload(name)
            except NiveshError as exc:
                self._errors[name] = exc.message
                log.warning("model %s not loaded: %s", name, exc.message)
            except Exception as exc:  # a broken artefact must not stop the other models from serving
                self._errors[name] = f"failed to load: {type(exc).__name__}: {str(exc)[:200]}"
                log.exception("model %s failed to load", name)
        return dict(self._errors)

    def reload(self, name: str) -> LoadedModel:
        """Load the current champion of ``name`` and swap it in (the old one serves until then)."""
        family = get_family(name)
        local = self.registry.champion(name)
        if local is None:
            self.metrics.model_ready.labels(model=name).set(0)
            raise ModelNotReady(f"no champion registered for {name}; run `nivesh-ml bootstrap` "
                                f"or `nivesh-ml train {name} --promote`")
        predictor = family.load(local.directory)
        loaded = LoadedModel(name=name, version=local.version, predictor=predictor,
                             directory=local.directory, stage=local.stage, from_cache=local.from_cache)
        with self._lock:
            old = self._models.get(name)
            self._models[name] = loaded
            self._errors.pop(name, None)
        if old is not None:
            self.metrics.model_info.remove(name, old.version, old.stage)
        self.metrics.model_info.labels(model=name, version=loaded.version, stage=loaded.stage).set(1)
        self.metrics.model_ready.labels(model=name).set(1)
        log.info("loaded %s v%s", name, loaded.version)
        return loaded

    def get(self, name: str) -> LoadedModel:
        model = self._models.get(name)
        if model is None:
            reason = self._errors.get(name, "not loaded")
            raise ModelNotReady(f"model {name} is not ready: {reason}")
        return model

    def missing(self) -> dict[str, str]:
        return {n: self._errors.get(n, "not loaded") for n in self.names if n not in self._models}

    def describe(self) -> list[dict[str, Any]]:
        out = [self._models[n].describe() for n in self.names if n in self._models]
        out += [{"name": n, "version": None, "stage": None, "error": e} for n, e in self.missing().items()]
        return out
