"""Transaction anomaly detection: per-user streaming profiles, engineered features, IsolationForest."""

from __future__ import annotations

from nivesh_ml.features.builders import PROFILE_UPDATERS
from nivesh_ml.models.anomaly.family import FAMILY, AnomalyFamily, AnomalyPredictor
from nivesh_ml.models.anomaly.profile import PROFILE_NS, update_stored_profile

# Keep the anomaly profile current on every ingest (POST /transactions); registered once per process.
if update_stored_profile not in PROFILE_UPDATERS:
    PROFILE_UPDATERS.append(update_stored_profile)

__all__ = ["FAMILY", "PROFILE_NS", "AnomalyFamily", "AnomalyPredictor"]
