"""Forecasting a user by id: history from the feature store, or transactions given inline."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from nivesh_ml.data.schemas import Transaction
from nivesh_ml.errors import InvalidInput, NotFound
from nivesh_ml.features.builders import HISTORY_NS
from nivesh_ml.features.store import OnlineStore
from nivesh_ml.models.spending.family import SpendingPredictor
from nivesh_ml.models.spending.forecast import UserForecast
from nivesh_ml.models.spending.series import SpendHistory

FORECAST_NS = "forecast"


def stored_history(predictor: SpendingPredictor, store: OnlineStore, user_id: str) -> SpendHistory:
    """Monthly spend from the user's stored transactions.

    Raises:
        NotFound: the user has no stored history (and sent none inline).
    """
    record = store.get(HISTORY_NS, user_id)
    if not record or not record.get("transactions"):
        raise NotFound(f"unknown user {user_id!r}: no transaction history stored; POST /transactions first "
                       "or send 'transactions' inline with the request")
    return predictor.history(record["transactions"])


def user_history(predictor: SpendingPredictor, store: OnlineStore | None, user_id: str,
                 transactions: Sequence[Transaction] | None = None) -> SpendHistory:
    """Inline transactions when given, else the stored history."""
    if transactions:
        return predictor.history(transactions)
    if store is None:
        raise NotFound(f"unknown user {user_id!r}: no transactions given and no feature store configured")
    return stored_history(predictor, store, user_id)


def forecast_user_id(predictor: SpendingPredictor, store: OnlineStore | None, user_id: str, months: int,
                     category: str | None = None,
                     transactions: Sequence[Transaction] | None = None) -> tuple[SpendHistory, UserForecast]:
    """A user's history and forecast (``months`` ahead; one category or all of them)."""
    history = user_history(predictor, store, user_id, transactions)
    if history.n_months < 1:
        raise InvalidInput("no complete month of spending to forecast from")
    return history, predictor.forecast(history, months, category)


def forecast_response(predictor: SpendingPredictor, store: OnlineStore | None, user_id: str, months: int,
                      category: str | None = None,
                      transactions: Sequence[Transaction] | None = None) -> dict[str, Any]:
    """The HTTP contract's body (without ``model_version``)."""
    history, forecast = forecast_user_id(predictor, store, user_id, months, category, transactions)
    return {"user_id": user_id, "months": months, "currency": history.currency,
            "history_months": history.n_months, **forecast.to_response()}

