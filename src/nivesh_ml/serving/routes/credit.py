"""POST /predict/credit-risk: one applicant → default probability, 0–100 risk score, category, reasons."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema

from nivesh_ml.data.schemas import CreditApplication
from nivesh_ml.models.credit.predictor import CreditPredictor
from nivesh_ml.serving.auth import ApiKeyDep
from nivesh_ml.serving.deps import ServicesDep
from nivesh_ml.serving.schemas import CreditRiskResult

router = APIRouter(tags=["credit"], dependencies=[ApiKeyDep])

MAX_FIELDS = 500


class CreditRiskRequest(BaseModel):
    """The applicant's fields; the loaded model's schema validates them (422 lists what it expects)."""

    model_config = ConfigDict(extra="forbid")

    # Validated against the served model's feature schema (GET /models); documented as the bundled model's.
    applicant_data: Annotated[dict[str, Any], WithJsonSchema({
        **CreditApplication.model_json_schema(),
        "description": "The applicant as the bundled credit model reads it. A model trained on your own data "
                       "(`nivesh-ml train credit --data`) expects its own columns instead; a 422 lists them."},
    )] = Field(max_length=MAX_FIELDS)


@router.post("/predict/credit-risk", response_model=CreditRiskResult)
def predict_credit_risk(request: CreditRiskRequest, services: ServicesDep) -> CreditRiskResult:
    """Score one applicant with the champion credit model."""
    model = services.models.get("credit", CreditPredictor)
    applicant = request.applicant_data
    result = services.cached_predict("credit", model, applicant, lambda: model.predictor.predict_one(applicant))
    services.metrics.confidence.labels(model="credit").observe(float(result["default_probability"]))
    response = CreditRiskResult(**result, model_version=model.version)
    services.record(model, {"applicant_data": applicant}, response.model_dump(exclude={"factors"}))
    return response
