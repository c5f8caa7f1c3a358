"""Routers, one module per resource, and the one list that assembles them.

The error contract is declared once, here: every router is included with the statuses its routes can answer,
each with the one error body (``serving.schemas.ErrorBody``).
"""

from __future__ import annotations

from typing import Final

from fastapi import APIRouter, FastAPI

from nivesh_ml.serving.routes import advice, anomaly, credit, health, intent, models, ner, spending, transactions
from nivesh_ml.serving.schemas import PROTECTED_ERRORS, error_responses

# (router, statuses every route of it can answer besides 200; routes add their own with ``responses=``)
ROUTERS: Final[tuple[tuple[APIRouter, tuple[int, ...]], ...]] = (
    (health.router, ()),
    (models.router, (429,)),
    (transactions.router, PROTECTED_ERRORS),
    (intent.router, PROTECTED_ERRORS),
    (ner.router, PROTECTED_ERRORS),
    (spending.router, PROTECTED_ERRORS),
    (anomaly.router, PROTECTED_ERRORS),
    (credit.router, PROTECTED_ERRORS),
    (advice.router, PROTECTED_ERRORS),
)


def include_routes(app: FastAPI) -> None:
    """Include every router with its error statuses."""
    for router, statuses in ROUTERS:
        app.include_router(router, responses=error_responses(*statuses))
