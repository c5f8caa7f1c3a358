"""API-key auth (DESIGN.md §5): prediction routes need a key when keys are configured."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, Header, Request

from nivesh_ml.config import Settings
from nivesh_ml.errors import Forbidden, Unauthorized


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.services.settings
    return settings


def _matches(given: str, expected: list[str]) -> bool:
    return any(hmac.compare_digest(given.encode(), key.encode()) for key in expected)


def require_api_key(request: Request, x_api_key: Annotated[str | None, Header()] = None) -> None:
    """Prediction and ingestion routes: any configured API key (or the admin key)."""
    settings = _settings(request)
    if not settings.api_keys:
        return
    keys = list(settings.api_keys)
    if settings.admin_api_key:
        keys.append(settings.admin_api_key.get_secret_value())
    if not x_api_key:
        raise Unauthorized("missing X-API-Key header")
    if not _matches(x_api_key, keys):
        raise Forbidden("invalid API key")


def require_admin(request: Request, x_api_key: Annotated[str | None, Header()] = None) -> None:
    """Model management writes: the admin key."""
    settings = _settings(request)
    if settings.admin_api_key is None:
        if settings.api_keys:
            raise Forbidden("model management is disabled: NIVESH_ADMIN_API_KEY is not set")
        return
    if not x_api_key:
        raise Unauthorized("missing X-API-Key header")
    if not _matches(x_api_key, [settings.admin_api_key.get_secret_value()]):
        raise Forbidden("this operation needs the admin API key")


ApiKeyDep = Depends(require_api_key)
AdminDep = Depends(require_admin)
