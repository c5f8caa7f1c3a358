"""POST /predict/spending: monthly spend forecasts per category and in total, with 80 % intervals."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from nivesh_ml.data.schemas import UserTransaction
from nivesh_ml.errors import ModelNotReady
from nivesh_ml.models.spending.family import SpendingPredictor
from nivesh_ml.models.spending.service import forecast_response
from nivesh_ml.serving.auth import ApiKeyDep
from nivesh_ml.serving.deps import ServicesDep
from nivesh_ml.serving.routes import error_responses
from nivesh_ml.serving.routes.transactions import owned_transactions

router = APIRouter(tags=["spending"], dependencies=[ApiKeyDep])


class SpendingRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    user_id: str = Field(min_length=1, max_length=200)
    months: int = Field(6, ge=1, le=24, description="months ahead to forecast")
    category: str | None = Field(None, min_length=1, max_length=100, description="forecast only this category")
    transactions: list[UserTransaction] | None = Field(
        None, max_length=20_000, description="the user's history inline (new users); else the stored one")


@router.post("/predict/spending", responses=error_responses(404))
def predict_spending(request: SpendingRequest, services: ServicesDep) -> dict[str, Any]:
    """Forecast a user's monthly spend; each row names the model that produced it."""
    model = services.models.get("spending")
    predictor = model.predictor
    if not isinstance(predictor, SpendingPredictor):
        raise ModelNotReady("the loaded spending model is not a spending predictor")
    txns = owned_transactions(request.user_id, request.transactions) if request.transactions else None
    # Only what the forecast depends on enters the cache key (cheap to hash for a 24-month history).
    payload = {"months": request.months, "category": request.category,
               "transactions": [(t.timestamp.isoformat(), t.amount, t.direction, t.category, t.currency)
                                for t in txns] if txns else None}

    def compute() -> dict[str, Any]:
        return forecast_response(predictor, services.transactions, request.user_id, request.months, request.category,
                                 txns)

    result = services.cached_predict("spending", model, payload, compute, user_id=request.user_id)
    services.record(model, {"user_id": request.user_id, "months": request.months, "category": request.category,
                            "inline_transactions": len(txns or [])},
                    {"total": result.get("total", [])[:1]})
    return {**result, "model_version": model.version}
