"""Transaction anomaly detection: per-user streaming profiles, engineered features, IsolationForest."""

from __future__ import annotations

from nivesh_ml.features.builders import PROFILE_UPDATERS
from nivesh_ml.models.anomaly.family import FAMILY, AnomalyFamily, AnomalyPredictor
from nivesh_ml.models.anomaly.profile import PROFILE_NS, AnomalyProfileUpdater

# Callers that pass no updaters to ingest_transactions (CLI, tests) keep the anomaly profile current with
# the default cap; the server passes its own, built from settings (serving/deps.py).
if not any(isinstance(u, AnomalyProfileUpdater) for u in PROFILE_UPDATERS):
    PROFILE_UPDATERS.append(AnomalyProfileUpdater())

__all__ = ["FAMILY", "PROFILE_NS", "AnomalyFamily", "AnomalyPredictor", "AnomalyProfileUpdater"]
