"""Transaction anomaly detection: per-user streaming profiles, engineered features, IsolationForest.

The names below load on first use (PEP 562): a process that only keeps profiles (a backfill worker, an ingest)
imports ``profile`` and ``features`` without the model's scikit-learn, skops and XGBoost stack.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from nivesh_ml.models.anomaly.family import FAMILY, AnomalyFamily, AnomalyPredictor
    from nivesh_ml.models.anomaly.profile import PROFILE_NS, AnomalyProfileUpdater

__all__ = ["FAMILY", "PROFILE_NS", "AnomalyFamily", "AnomalyPredictor", "AnomalyProfileUpdater"]

_HOME = {"FAMILY": "family", "AnomalyFamily": "family", "AnomalyPredictor": "family",
         "PROFILE_NS": "profile", "AnomalyProfileUpdater": "profile"}


def __getattr__(name: str) -> Any:
    if name not in _HOME:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_HOME[name]}"), name)
