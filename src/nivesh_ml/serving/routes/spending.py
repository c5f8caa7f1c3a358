"""POST /predict/spending: monthly spend forecasts per category and in total, with 80 % intervals."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from nivesh_ml.data.schemas import UserTransaction, owned_transactions
from nivesh_ml.models.spending.family import SpendingPredictor
from nivesh_ml.models.spending.service import forecast_cache_payload, forecast_response
from nivesh_ml.serving.auth import ApiKeyDep
from nivesh_ml.serving.deps import ServicesDep
from nivesh_ml.serving.schemas import SpendingForecast, error_responses

router = APIRouter(tags=["spending"], dependencies=[ApiKeyDep])


class SpendingRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    user_id: str = Field(min_length=1, max_length=200)
    months: int = Field(6, ge=1, le=24, description="months ahead to forecast")
    category: str | None = Field(None, min_length=1, max_length=100, description="forecast only this category")
    transactions: list[UserTransaction] | None = Field(
        None, max_length=20_000, description="the user's history inline (new users); else the stored one")


@router.post("/predict/spending", responses=error_responses(404), response_model=SpendingForecast)
def predict_spending(request: SpendingRequest, services: ServicesDep) -> SpendingForecast:
    """Forecast a user's monthly spend; each row names the model that produced it."""
    model = services.models.get("spending", SpendingPredictor)
    txns = owned_transactions(request.user_id, request.transactions) if request.transactions else None

    def compute() -> dict[str, Any]:
        return forecast_response(model.predictor, services.transactions, request.user_id, request.months,
                                 request.category, txns)

    payload = forecast_cache_payload(request.months, request.category, txns)
    with services.store_call("spending"):
        result = services.cached_predict("spending", model, payload, compute, user_id=request.user_id)
    response = SpendingForecast(**result, model_version=model.version)
    services.record(model, {"user_id": request.user_id, "months": request.months, "category": request.category,
                            "inline_transactions": len(txns or [])},
                    {"total": result.get("total", [])[:1]})
    return response
