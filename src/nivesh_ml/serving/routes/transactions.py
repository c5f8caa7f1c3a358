"""Ingestion of transactions into the feature store."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from nivesh_ml.data.schemas import UserTransaction, owned_transactions
from nivesh_ml.serving.auth import ApiKeyDep
from nivesh_ml.serving.deps import ServicesDep
from nivesh_ml.serving.schemas import IngestSummary

router = APIRouter(tags=["transactions"], dependencies=[ApiKeyDep])


class IngestRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    user_id: str = Field(min_length=1, max_length=200)
    transactions: list[UserTransaction] = Field(min_length=1, max_length=20_000)


@router.post("/transactions", response_model=IngestSummary)
def ingest(request: IngestRequest, services: ServicesDep) -> IngestSummary:
    """Store a user's transactions and update their profiles, atomically; resending a batch is a no-op.

    Rows are recognised by ``transaction_id``, or by a fingerprint of their content when they have none.
    """
    txns = owned_transactions(request.user_id, request.transactions)
    with services.store_call("ingest"):
        summary = services.transactions.ingest(request.user_id, txns)
    services.user_changed(request.user_id)
    return IngestSummary(user_id=request.user_id, **summary.as_dict())
