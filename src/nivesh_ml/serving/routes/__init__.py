"""Routers, one module per resource; ``include_routes`` assembles those present in this build."""

from __future__ import annotations

import importlib
from typing import Final

from fastapi import FastAPI

ROUTE_MODULES: Final[tuple[str, ...]] = (
    "health", "models", "transactions",
    "intent", "ner", "spending", "anomaly", "credit", "advice",
)


def include_routes(app: FastAPI) -> None:
    """Include every router module that exists (model routes arrive with their models)."""
    for name in ROUTE_MODULES:
        try:
            module = importlib.import_module(f"nivesh_ml.serving.routes.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"nivesh_ml.serving.routes.{name}":
                continue
            raise
        app.include_router(module.router)
