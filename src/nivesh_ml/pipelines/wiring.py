"""Composition of the domain pieces that entry points (server, CLI) share: the transaction repository.

The profiles kept on ingest are chosen here, explicitly, from settings; no package registers one on import.
"""

from __future__ import annotations

from nivesh_ml.config import Settings
from nivesh_ml.features.repository import ProfileUpdater, TransactionRepository
from nivesh_ml.features.store import OnlineStore


def profile_updaters(settings: Settings) -> list[ProfileUpdater]:
    """The profiles written with every ingest, in the same atomic update as the history."""
    from nivesh_ml.models.anomaly.profile import AnomalyProfileUpdater

    return [AnomalyProfileUpdater(max_categories=settings.anomaly.profile_max_categories)]


def transaction_repository(settings: Settings, store: OnlineStore) -> TransactionRepository:
    """Users' history and profiles in ``store``, with the feature store's TTL and cap and every profile updater."""
    return TransactionRepository.from_settings(store, settings, profile_updaters(settings))
