"""extract → validate → train → evaluate → register → gate → promote, for any model family."""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from nivesh_ml.config import Settings
from nivesh_ml.models import available_models, get_family
from nivesh_ml.models.base import ModelMetadata, current_git_sha
from nivesh_ml.registry import ModelRegistry

log = logging.getLogger(__name__)


@dataclass
class TrainResult:
    model: str
    output_dir: Path
    metrics: dict[str, Any]
    version: str | None = None
    promotion: dict[str, Any] | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0
    primary_metric: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"model": self.model, "output_dir": str(self.output_dir), "metrics": self.metrics,
                "version": self.version, "promotion": self.promotion, "seconds": round(self.seconds, 1)}


class BootstrapObserver(Protocol):
    """Told when each model of a bootstrap starts and ends (the CLI draws its progress display from this)."""

    def started(self, model: str, index: int, total: int) -> None: ...

    def finished(self, result: TrainResult) -> None: ...


def default_output_dir(settings: Settings, model: str) -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
    return settings.models_dir / "runs" / f"{model}-{stamp}"


def train_model(settings: Settings, model: str, data: Path | None = None,
                options: Mapping[str, Any] | None = None, output: Path | None = None,
                register: bool = True, promote: bool = False, force: bool = False) -> TrainResult:
    """Train one model end to end; evaluation is on data never trained on."""
    began = time.monotonic()
    family = get_family(model)
    options = dict(options or {})
    options.setdefault("seed", settings.seed)
    prepare_options, params = family.split_options(options)
    prepared = family.prepare(data, prepare_options)
    trained = family.train(prepared.train, params)
    meta: ModelMetadata = trained.metadata
    meta.data_hash = prepared.data_hash
    meta.seed = int(options["seed"])
    meta.git_sha = current_git_sha()
    meta.params = {**meta.params, **{k: v for k, v in options.items() if v is not None}, "data": prepared.source}
    out = output or default_output_dir(settings, model)
    family.save(trained, out)
    predictor = family.load(out)
    metrics = family.evaluate(predictor, prepared.evaluation)
    meta = ModelMetadata.read(out)
    meta.metrics = {**meta.metrics, **metrics}
    meta.write(out)
    result = TrainResult(model=model, output_dir=out, metrics=metrics, primary_metric=family.primary_metric)
    if register:
        registry = ModelRegistry(settings)
        registered = registry.log_model(family, out, meta)
        result.version = registered.version
        if promote or force:
            result.promotion = registry.promote(family, registered.version, force=force).as_dict()
    result.seconds = time.monotonic() - began
    log.info("trained %s", model, extra={"metrics": _headline(metrics), "version": result.version,
                                         "seconds": round(result.seconds, 1)})
    return result


def _headline(metrics: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in metrics.items() if isinstance(v, int | float)}


def bootstrap(settings: Settings, models: list[str] | None = None, force: bool = False,
              observer: BootstrapObserver | None = None) -> list[TrainResult]:
    """Train every available model on bundled data, register, promote to champion."""
    results = []
    names = list(models or available_models())
    for index, name in enumerate(names, start=1):
        if observer is not None:
            observer.started(name, index, len(names))
        result = train_model(settings, name, promote=True, force=force)
        results.append(result)
        if observer is not None:
            observer.finished(result)
    if not models:  # a full bootstrap (not `--only`): also prepare the advisor
        after_bootstrap(settings)
    return results


def after_bootstrap(settings: Settings) -> None:
    """Build what serving needs besides models (the advisor's ONNX encoder and index); never fails bootstrap."""
    try:
        from nivesh_ml.advisor.retrieval import ensure_index

        ensure_index(settings)
    except Exception as exc:  # the advisor builds it on first use instead
        log.warning("advisor index not built at bootstrap: %s: %s", type(exc).__name__, exc)


def missing_champions(settings: Settings) -> list[str]:
    """Available models that have no champion yet."""
    registry = ModelRegistry(settings)
    return [m for m in available_models() if registry.champion(m) is None]
