"""Online path: score a transaction against the user's profile in the feature store."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from nivesh_ml.data.schemas import Transaction
from nivesh_ml.features.builders import ProfileUpdater, ingest_transactions
from nivesh_ml.features.store import OnlineStore
from nivesh_ml.models.anomaly.family import AnomalyPredictor
from nivesh_ml.models.anomaly.profile import PROFILE_NS


def read_profile(store: OnlineStore, user_id: str) -> dict[str, Any] | None:
    """The user's stored anomaly profile (``None`` for a user never seen)."""
    return store.get(PROFILE_NS, user_id)


def score_user_transaction(predictor: AnomalyPredictor, store: OnlineStore, user_id: str,
                           transaction: Transaction, update_profile: bool = False, ttl_s: int | None = None,
                           max_history: int = 5000,
                           updaters: Sequence[ProfileUpdater] | None = None) -> dict[str, Any]:
    """Score ``transaction`` against the user's profile; optionally ingest it afterwards.

    Ingesting goes through :func:`ingest_transactions`, so history and every profile (this one
    included) are written in one atomic update, as on ``POST /transactions``.
    """
    result = predictor.score(transaction, read_profile(store, user_id))
    if update_profile:
        ingest_transactions(store, user_id, [transaction], ttl_s or 0, max_history, updaters)
    return result
