"""Ingestion of transactions into the feature store."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from nivesh_ml.data.schemas import Transaction, UserTransaction
from nivesh_ml.errors import InvalidInput
from nivesh_ml.serving.auth import ApiKeyDep
from nivesh_ml.serving.deps import ServicesDep

router = APIRouter(tags=["transactions"], dependencies=[ApiKeyDep])


class IngestRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    user_id: str = Field(min_length=1, max_length=200)
    transactions: list[UserTransaction] = Field(min_length=1, max_length=20_000)


def owned_transactions(user_id: str, items: list[UserTransaction]) -> list[Transaction]:
    """Inline transactions belong to the request's user; a different ``user_id`` is an error."""
    out = []
    for i, item in enumerate(items):
        if item.user_id not in (None, user_id):
            raise InvalidInput(f"transactions[{i}] belongs to {item.user_id!r}, not {user_id!r}",
                               details={"index": i})
        out.append(Transaction(**{**item.model_dump(), "user_id": user_id}))
    return out


@router.post("/transactions")
def ingest(request: IngestRequest, services: ServicesDep) -> dict[str, Any]:
    """Store a user's transactions and update their profiles, atomically; resending a batch is a no-op.

    Rows are recognised by ``transaction_id``, or by a fingerprint of their content when they have none.
    """
    txns = owned_transactions(request.user_id, request.transactions)
    with services.store_call("ingest"):
        summary = services.transactions.ingest(request.user_id, txns)
    services.cache.invalidate_user(request.user_id)
    return {"user_id": request.user_id, **summary.as_dict()}
