"""Model listing and atomic reload of champions."""

from __future__ import annotations

import os

from fastapi import APIRouter

from nivesh_ml.errors import NotFound
from nivesh_ml.models import MODEL_NAMES
from nivesh_ml.registry import publish_champion
from nivesh_ml.serving.auth import AdminDep
from nivesh_ml.serving.deps import ServicesDep
from nivesh_ml.serving.schemas import ModelInfo, ModelList, Reloaded, error_responses

router = APIRouter(prefix="/models", tags=["models"])


@router.get("", response_model=ModelList, response_model_exclude_unset=True)
def list_models(services: ServicesDep) -> ModelList:
    """Name, version, stage, metrics and load time of each model."""
    return ModelList(models=[ModelInfo(**m) for m in services.models.describe()], pid=os.getpid())


@router.post("/{name}/reload", dependencies=[AdminDep], response_model=Reloaded,
             response_model_exclude_unset=True,
             responses=error_responses(401, 403, 404, 409, 422, 503))
def reload_model(name: str, services: ServicesDep) -> Reloaded:
    """Load the current champion; the old version serves until the new one is ready."""
    if name not in MODEL_NAMES or name not in services.models.names:
        raise NotFound(f"unknown model {name!r}", details={"models": services.models.names})
    loaded = services.models.reload(name)
    services.cache.invalidate(f"{name}:")
    publish_champion(services.settings, name, loaded.version)  # the other workers and replicas follow
    return Reloaded(reloaded=ModelInfo(**loaded.describe()))
