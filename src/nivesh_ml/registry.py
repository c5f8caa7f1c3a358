"""MLflow model registry: log runs, register versions, gate promotion, load champions (with a local cache).

This is the only module that imports ``mlflow``.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nivesh_ml.config import Settings
from nivesh_ml.errors import GateRejected, ModelLoadFailed, NotFound, UpstreamUnavailable
from nivesh_ml.models.base import ModelFamily, ModelMetadata, verify_artefacts

log = logging.getLogger(__name__)


def registered_name(model: str) -> str:
    """Registry name of a model family: ``nivesh-<model>``."""
    return f"nivesh-{model}"


@dataclass
class RegisteredVersion:
    name: str
    version: str
    run_id: str


@dataclass
class PromotionDecision:
    promoted: bool
    version: str
    reason: str
    candidate_metric: float | None
    champion_metric: float | None
    previous_champion: str | None

    def as_dict(self) -> dict[str, Any]:
        return dict(vars(self))


@dataclass
class LocalModel:
    """A registered model version materialised on local disk."""

    model: str
    version: str
    directory: Path
    stage: str
    from_cache: bool = False


class ModelRegistry:
    """The MLflow registry seen through nivesh-ml's conventions."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.cache_dir = settings.models_dir / "registry-cache"
        self._client_obj: Any = None
        self._experiment_id: str | None = None

    # -- plumbing -------------------------------------------------------------------------------
    def _client(self) -> Any:
        if self._client_obj is None:
            # Fail fast when a remote tracking server is down: the server must still start from cache.
            os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", str(self.settings.registry.max_retries))
            os.environ.setdefault("MLFLOW_HTTP_REQUEST_TIMEOUT", str(self.settings.registry.request_timeout_s))
            os.environ.setdefault("MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR", "1")
            # Its download progress bar writes to stderr around logging: unstructured lines in JSON logs.
            os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
            import mlflow
            from mlflow.tracking import MlflowClient

            self.settings.var_dir.mkdir(parents=True, exist_ok=True)
            mlflow.set_tracking_uri(self.settings.tracking_uri)
            self._client_obj = MlflowClient(tracking_uri=self.settings.tracking_uri)
        return self._client_obj

    def _experiment(self) -> str:
        if self._experiment_id is None:
            client = self._client()
            name = self.settings.registry.experiment
            exp = client.get_experiment_by_name(name)
            if exp is None:
                location = None
                if self.settings.tracking_uri.startswith("sqlite:"):
                    self.settings.artifact_root.mkdir(parents=True, exist_ok=True)
                    location = self.settings.artifact_root.as_uri()
                self._experiment_id = client.create_experiment(name, artifact_location=location)
            else:
                self._experiment_id = exp.experiment_id
        return self._experiment_id

    # -- writing --------------------------------------------------------------------------------
    def log_model(self, family: ModelFamily, model_dir: Path, metadata: ModelMetadata) -> RegisteredVersion:
        """Log a run (params, metrics, data hash, git SHA, artifacts) and register it as a new version."""
        import mlflow

        client = self._client()
        name = registered_name(family.name)
        with mlflow.start_run(experiment_id=self._experiment(), run_name=f"train-{family.name}") as run:
            mlflow.log_params({k: _param(v) for k, v in metadata.params.items()})
            mlflow.log_metrics(_numeric_metrics(metadata.metrics))
            mlflow.set_tags({"model": family.name, "data_hash": metadata.data_hash,
                             "git_sha": metadata.git_sha or "unknown", "seed": str(metadata.seed)})
            mlflow.log_artifacts(str(model_dir), artifact_path="model")
            source = mlflow.get_artifact_uri("model")
        try:
            client.get_registered_model(name)
        except Exception as exc:
            if not _is_missing(exc):
                raise
            client.create_registered_model(name, description=f"nivesh-ml {family.name} model")
        mv = client.create_model_version(name, source=source, run_id=run.info.run_id,
                                         tags={"primary_metric": family.primary_metric})
        log.info("registered %s version %s", name, mv.version)
        return RegisteredVersion(name=name, version=str(mv.version), run_id=run.info.run_id)

    def promote(self, family: ModelFamily, version: str, force: bool = False) -> PromotionDecision:
        """Make ``version`` the champion if it is at least as good as the current one (or ``force``)."""
        client = self._client()
        name = registered_name(family.name)
        alias = self.settings.registry.champion_alias
        candidate = self._version_metrics(name, version)
        current = self._alias_version(name, alias)
        champion = self._version_metrics(name, current) if current else {}
        cand_v = _as_float(candidate.get(family.primary_metric))
        champ_v = _as_float(champion.get(family.primary_metric))
        better = family.is_better(candidate, champion)
        if current == version:
            reason = "already champion"
        elif force:
            reason = "forced"
        elif better:
            reason = f"{family.primary_metric} {cand_v} vs champion {champ_v}" if current else "first champion"
        else:
            reason = f"{family.primary_metric} {cand_v} is worse than champion {champ_v}"
        promoted = force or better or current == version
        if promoted and current != version:
            client.set_registered_model_alias(name, alias, version)
            log.info("promoted %s v%s to %s (%s)", name, version, alias, reason)
            publish_champion(self.settings, family.name, version)
        return PromotionDecision(promoted, version, reason, cand_v, champ_v, current)

    def promote_or_raise(self, family: ModelFamily, version: str, force: bool = False) -> PromotionDecision:
        decision = self.promote(family, version, force)
        if not decision.promoted:
            raise GateRejected(decision.reason, details=decision.as_dict())
        return decision

    def set_champion(self, model: str, version: str) -> None:
        """Point the champion alias at ``version`` (roll back or forward by hand)."""
        name = registered_name(model)
        try:
            self._client().get_model_version(name, version)
        except Exception as exc:
            raise NotFound(f"{name} has no version {version}") from exc
        self._client().set_registered_model_alias(name, self.settings.registry.champion_alias, version)
        publish_champion(self.settings, model, version)

    # -- reading --------------------------------------------------------------------------------
    def champion_version(self, model: str) -> str | None:
        """The version the champion alias names (one registry call, nothing downloaded; None: no champion).

        Raises whatever the registry client raises when it is unreachable.
        """
        return self._alias_version(registered_name(model), self.settings.registry.champion_alias)

    def _alias_version(self, name: str, alias: str) -> str | None:
        try:
            return str(self._client().get_model_version_by_alias(name, alias).version)
        except Exception as exc:
            if _is_missing(exc):
                return None
            raise

    def _version_metrics(self, name: str, version: str) -> dict[str, float]:
        client = self._client()
        mv = client.get_model_version(name, version)
        return dict(client.get_run(mv.run_id).data.metrics) if mv.run_id else {}

    def versions(self, model: str) -> list[dict[str, Any]]:
        """Every registered version of a model with its metrics and whether it is champion."""
        client = self._client()
        name = registered_name(model)
        champion = self._alias_version(name, self.settings.registry.champion_alias)
        out = []
        for mv in client.search_model_versions(f"name='{name}'"):
            out.append({"version": str(mv.version), "champion": str(mv.version) == champion,
                        "metrics": self._version_metrics(name, str(mv.version)),
                        "created": mv.creation_timestamp})
        return sorted(out, key=lambda v: int(v["version"]))

    def champion(self, model: str, remember: bool = True) -> LocalModel | None:
        """The champion of ``model`` on local disk; the cached one when the tracking server is down.

        A download is verified against its artefact manifest before it is cached. ``remember`` moves the local
        champion pointer (what a restart uses while the tracking server is down) to this version; the server
        passes ``False`` and calls :meth:`remember_champion` only once the model has loaded.

        Raises:
            ModelLoadFailed: the downloaded artefacts fail verification (nothing is cached).
            UpstreamUnavailable: the tracking server is down and nothing is cached.
        """
        name = registered_name(model)
        try:
            version = self._alias_version(name, self.settings.registry.champion_alias)
            if version is None:
                return None
            local = self._materialise(model, version)
        except ModelLoadFailed:
            raise
        except Exception as exc:
            cached = self._cached_champion(model)
            if cached is None:
                raise UpstreamUnavailable(f"model registry unreachable and no cached {model} champion",
                                          details={"error": str(exc)[:300]}) from exc
            log.warning("registry unreachable (%s); serving cached %s v%s", type(exc).__name__,
                        model, cached.version)
            return cached
        if remember:
            self.remember_champion(local)
        return local

    def _materialise(self, model: str, version: str) -> LocalModel:
        """Download ``version`` into the cache (once per home) unless it is there."""
        target = self.cache_dir / registered_name(model) / f"v{version}"
        if not (target / "model.json").is_file():
            with self._download_lock(model, version):  # every worker of a home wants it at once: fetch it once
                if not (target / "model.json").is_file():
                    self._download(model, version, target)
        return LocalModel(model=model, version=version, directory=target, stage="champion")

    @contextmanager
    def _download_lock(self, model: str, version: str) -> Iterator[None]:
        """Held while one process of this home downloads ``version``; the others wait, then use its copy."""
        locks = self.cache_dir / ".locks"
        locks.mkdir(parents=True, exist_ok=True)
        with (locks / f"{registered_name(model)}-v{version}.lock").open("a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _download(self, model: str, version: str, target: Path) -> None:
        """Download into a temporary directory, verify, then rename into place."""
        import mlflow

        mv = self._client().get_model_version(registered_name(model), version)
        tmp = target.with_name(f"{target.name}.partial-{os.getpid()}-{uuid.uuid4().hex[:8]}")
        tmp.mkdir(parents=True)
        try:
            mlflow.artifacts.download_artifacts(artifact_uri=mv.source, dst_path=str(tmp))
            inner = tmp / "model" if (tmp / "model" / "model.json").is_file() else tmp
            try:
                verify_artefacts(inner)
            except ModelLoadFailed as exc:
                exc.details = {"model": model, "version": version, **(exc.details or {})}
                log.error("%s v%s failed verification after download: %s", model, version, exc.message)
                raise
            meta = ModelMetadata.read(inner)
            meta.version = version
            meta.write(inner, refresh_manifest=False)
            if target.exists() and not (target / "model.json").is_file():
                shutil.rmtree(target, ignore_errors=True)  # a broken leftover; never a complete copy that
                # another worker may be loading right now (several workers download the same champion)
            try:
                inner.rename(target)
            except OSError:
                if not (target / "model.json").is_file():  # not another worker winning the same download
                    raise
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def remember_champion(self, local: LocalModel) -> None:
        """Point the local champion cache at ``local`` (written atomically)."""
        pointer = self.cache_dir / registered_name(local.model) / "champion.json"
        pointer.parent.mkdir(parents=True, exist_ok=True)
        tmp = pointer.with_name(f"champion.json.{os.getpid()}-{uuid.uuid4().hex[:8]}.tmp")
        tmp.write_text(json.dumps({"version": local.version, "directory": str(local.directory)}))
        os.replace(tmp, pointer)

    def cached_champion_version(self, model: str) -> str | None:
        """The version the local champion pointer names (None when there is none)."""
        cached = self._cached_champion(model)
        return cached.version if cached else None

    def discard(self, local: LocalModel) -> None:
        """Delete a cached download that failed to load, so that no restart reuses it."""
        directory = local.directory.resolve()
        if directory.parent.parent != self.cache_dir.resolve():
            return  # not ours (a directory outside the registry cache)
        shutil.rmtree(directory, ignore_errors=True)
        log.warning("deleted cached %s v%s (%s) after it failed to load", local.model, local.version, directory)

    def _cached_champion(self, model: str) -> LocalModel | None:
        pointer = self.cache_dir / registered_name(model) / "champion.json"
        if not pointer.is_file():
            return None
        try:
            data = json.loads(pointer.read_text())
            directory = Path(data["directory"])
            version = str(data["version"])
        except (OSError, ValueError, KeyError, TypeError):
            log.warning("unreadable local champion pointer %s", pointer)
            return None
        if not (directory / "model.json").is_file():
            return None
        return LocalModel(model=model, version=version, directory=directory,
                          stage="champion", from_cache=True)


def publish_champion(settings: Settings, model: str, version: str | None) -> bool:
    """Tell every running server (all workers, all replicas) that ``model``'s champion may have changed.

    Published on the Redis channel ``server.champion_channel`` when Redis is configured; the servers then check
    the alias and reload. Without Redis (or when Redis is down) nothing is sent and each server finds the new
    champion at its next poll (``server.champion_poll_s``). Returns whether the message was sent; never raises.
    """
    if not settings.redis_url:
        return False
    try:
        from nivesh_ml.redis_conn import redis_client

        redis_client(settings.redis_url).publish(settings.server.champion_channel,
                                                 json.dumps({"model": model, "version": version}))
    except Exception as exc:  # a promotion must not fail because the notification could not be sent
        log.warning("could not publish the new %s champion on %s: %s", model, settings.server.champion_channel,
                    type(exc).__name__)
        return False
    return True


# What MLflow answers (local store and REST alike, as ``MlflowException.error_code``) for a registered model or
# version that does not exist, and for an alias that is not set (MLflow 3 uses INVALID_PARAMETER_VALUE there).
_MISSING_CODES = frozenset({"RESOURCE_DOES_NOT_EXIST", "INVALID_PARAMETER_VALUE"})


def _is_missing(exc: Exception) -> bool:
    from mlflow.exceptions import MlflowException

    return isinstance(exc, MlflowException) and exc.error_code in _MISSING_CODES


def _param(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return text[:500]


def _numeric_metrics(metrics: dict[str, Any]) -> dict[str, float]:
    return {k: float(v) for k, v in metrics.items()
            if isinstance(v, int | float) and not isinstance(v, bool) and v == v}


def _as_float(value: Any) -> float | None:
    return None if value is None else float(value)
