"""Online path: score a transaction against the user's profile in the feature store."""

from __future__ import annotations

from typing import Any

from nivesh_ml.data.schemas import Transaction
from nivesh_ml.features.repository import TransactionRepository
from nivesh_ml.models.anomaly.family import AnomalyPredictor
from nivesh_ml.models.anomaly.profile import PROFILE_NS


def read_profile(transactions: TransactionRepository, user_id: str) -> dict[str, Any] | None:
    """The user's stored anomaly profile (``None`` for a user never seen)."""
    return transactions.profile(PROFILE_NS, user_id)


def score_user_transaction(predictor: AnomalyPredictor, transactions: TransactionRepository, user_id: str,
                           transaction: Transaction, update_profile: bool = False) -> dict[str, Any]:
    """Score ``transaction`` against the user's profile; optionally ingest it afterwards.

    Ingesting goes through :meth:`TransactionRepository.ingest`, so history and every profile of the
    repository's updaters (this one included, when the caller built it so) are written in one atomic update,
    as on ``POST /transactions``.
    """
    result = predictor.score(transaction, read_profile(transactions, user_id))
    if update_profile:
        transactions.ingest(user_id, [transaction])
    return result
