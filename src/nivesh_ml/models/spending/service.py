"""Forecasting a user by id: history from the feature store, or transactions given inline."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from nivesh_ml.data.schemas import Transaction
from nivesh_ml.errors import InvalidInput, NotFound
from nivesh_ml.features.repository import TransactionRepository
from nivesh_ml.models.spending.family import SpendingPredictor
from nivesh_ml.models.spending.forecast import UserForecast
from nivesh_ml.models.spending.series import SpendHistory

FORECAST_NS = "forecast"


def forecast_history(predictor: SpendingPredictor, repository: TransactionRepository | None, user_id: str,
                     transactions: Sequence[Transaction] | None = None) -> SpendHistory:
    """Monthly spend from inline transactions when given, else from the user's stored history.

    Raises:
        NotFound: no transactions given and none stored (or no feature store configured).
    """
    if transactions:
        return predictor.history(transactions)
    if repository is None:
        raise NotFound(f"unknown user {user_id!r}: no transactions given and no feature store configured")
    return predictor.history(repository.history(user_id))


def forecast_user_id(predictor: SpendingPredictor, repository: TransactionRepository | None, user_id: str, months: int,
                     category: str | None = None,
                     transactions: Sequence[Transaction] | None = None) -> tuple[SpendHistory, UserForecast]:
    """A user's history and forecast (``months`` ahead; one category or all of them)."""
    history = forecast_history(predictor, repository, user_id, transactions)
    if history.n_months < 1:
        raise InvalidInput("no complete month of spending to forecast from")
    return history, predictor.forecast(history, months, category)


def forecast_cache_payload(months: int, category: str | None,
                           transactions: Sequence[Transaction] | None) -> dict[str, Any]:
    """What a forecast depends on besides the model and the stored history: the cache key's input.

    Only the fields a forecast reads enter it (cheap to hash for a 24-month inline history).
    """
    rows = [(t.timestamp.isoformat(), t.amount, t.direction, t.category, t.currency, t.merchant, t.description)
            for t in transactions] if transactions else None
    return {"months": months, "category": category, "transactions": rows}


def forecast_response(predictor: SpendingPredictor, repository: TransactionRepository | None, user_id: str, months: int,
                      category: str | None = None,
                      transactions: Sequence[Transaction] | None = None) -> dict[str, Any]:
    """The HTTP contract's body (without ``model_version``)."""
    history, forecast = forecast_user_id(predictor, repository, user_id, months, category, transactions)
    return {"user_id": user_id, "months": months, "currency": history.currency,
            "history_months": history.n_months, **forecast.to_response()}

