"""Offline path: features of a whole transactions file, each row against its user's earlier rows."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from nivesh_ml.models.anomaly.features import FEATURE_NAMES, Txn, transaction_features, txns_from_frame
from nivesh_ml.models.anomaly.profile import COLD_START_MIN, new_profile, update_profile


def frame_features(frame: pd.DataFrame, population: dict[str, Any]) -> tuple[np.ndarray, list[Txn], np.ndarray]:
    """Feature matrix (rows in frame order), the parsed transactions and a cold-start flag per row.

    Each user's rows are replayed oldest first (ties keep file order) through the same streaming
    profile the online store keeps, starting from an empty profile.
    """
    txns = txns_from_frame(frame)
    users = frame["user_id"].astype(str).to_numpy()
    secs = np.fromiter((t.ts for t in txns), dtype=np.int64, count=len(txns))
    order = np.lexsort((np.arange(len(txns)), secs, users))
    out = np.empty((len(txns), len(FEATURE_NAMES)), dtype=float)
    cold = np.zeros(len(txns), dtype=bool)
    current_user: str | None = None
    profile: dict[str, Any] = new_profile()
    for idx in order.tolist():
        user = users[idx]
        if user != current_user:
            current_user = user
            profile = new_profile()
        t = txns[idx]
        out[idx] = transaction_features(profile, t, population)
        cold[idx] = profile["n"] < COLD_START_MIN
        update_profile(profile, t)
    return out, txns, cold
