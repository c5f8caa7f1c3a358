"""Transaction anomaly detection: per-user streaming profiles, engineered features, IsolationForest."""

from __future__ import annotations

from nivesh_ml.models.anomaly.family import FAMILY, AnomalyFamily, AnomalyPredictor
from nivesh_ml.models.anomaly.profile import PROFILE_NS, AnomalyProfileUpdater

__all__ = ["FAMILY", "PROFILE_NS", "AnomalyFamily", "AnomalyPredictor", "AnomalyProfileUpdater"]
