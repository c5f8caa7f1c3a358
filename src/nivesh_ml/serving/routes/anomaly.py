"""POST /predict/anomaly: score one transaction against the user's profile → is_anomaly, score, reasons."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from nivesh_ml.data.schemas import UserTransaction, owned_transactions
from nivesh_ml.models.anomaly import AnomalyPredictor
from nivesh_ml.models.anomaly.online import score_user_transaction
from nivesh_ml.serving.auth import ApiKeyDep
from nivesh_ml.serving.deps import ServicesDep
from nivesh_ml.serving.schemas import AnomalyResult

router = APIRouter(tags=["anomaly"], dependencies=[ApiKeyDep])


class AnomalyRequest(BaseModel):
    """A transaction of ``user_id``; ``update_profile`` also ingests it (like ``POST /transactions``)."""

    model_config = ConfigDict(extra="forbid")

    user_id: str = Field(min_length=1, max_length=200)
    transaction: UserTransaction
    update_profile: bool = False


@router.post("/predict/anomaly", response_model=AnomalyResult)
def predict_anomaly(request: AnomalyRequest, services: ServicesDep) -> AnomalyResult:
    """Is this transaction unusual for this user? Score 0-1, the threshold, reasons in words."""
    model = services.models.get("anomaly", AnomalyPredictor)
    txn = owned_transactions(request.user_id, [request.transaction])[0]
    with services.store_call("anomaly"):
        result = score_user_transaction(model.predictor, services.transactions, request.user_id, txn,
                                        update_profile=request.update_profile)
    if request.update_profile:
        services.user_changed(request.user_id)
    services.metrics.confidence.labels(model="anomaly").observe(float(result["score"]))
    if result["is_anomaly"]:
        services.metrics.anomalies.inc()
    services.metrics.anomaly_flag_rate.set(model.predictor.flag_rate)
    response = AnomalyResult(**result, model_version=model.version)
    logged = request.transaction.model_dump(mode="json", exclude={"description", "user_id"})  # narration: PII
    services.record(model, {"user_id": request.user_id, "transaction": logged},
                    response.model_dump(exclude={"reasons"}))
    return response
