"""Credit metrics (DESIGN.md §4): ROC-AUC, PR-AUC, KS, Gini, Brier, ECE, overall and by slice."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import average_precision_score, roc_auc_score, roc_curve

ECE_BINS = 10
MIN_SLICE_ROWS = 10
SLICE_QUANTILES = 4


def expected_calibration_error(y: np.ndarray, p: np.ndarray, bins: int = ECE_BINS) -> float:
    """Weighted mean |observed default rate − mean predicted probability| over equal-width bins."""
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(p, edges[1:-1]), 0, bins - 1)
    total = 0.0
    for b in range(bins):
        mask = which == b
        if mask.any():
            total += mask.sum() * abs(float(y[mask].mean()) - float(p[mask].mean()))
    return float(total / max(len(y), 1))


def credit_metrics(y: np.ndarray, p: np.ndarray) -> dict[str, Any]:
    """Discrimination and calibration of default probabilities ``p`` against labels ``y`` (1 = default)."""
    y = np.asarray(y, dtype=int)
    p = np.asarray(p, dtype=float)
    out: dict[str, Any] = {"n": len(y), "default_rate": float(y.mean()) if len(y) else None,
                           "mean_probability": float(p.mean()) if len(p) else None}
    if len(np.unique(y)) == 2:
        auc = float(roc_auc_score(y, p))
        fpr, tpr, _ = roc_curve(y, p)
        out.update(roc_auc=auc, pr_auc=float(average_precision_score(y, p)), ks=float(np.max(tpr - fpr)),
                   gini=2 * auc - 1)
    else:
        out.update(roc_auc=None, pr_auc=None, ks=None, gini=None)
    out["brier"] = float(np.mean((p - y) ** 2)) if len(y) else None
    out["ece"] = expected_calibration_error(y, p) if len(y) else None
    return out


def slice_values(column: pd.Series) -> pd.Series:
    """Group labels of a slice column: numbers with many values fall into quartile bands."""
    numbers = pd.to_numeric(column, errors="coerce")
    if numbers.notna().all() and numbers.nunique() > 12:
        return pd.qcut(numbers, SLICE_QUANTILES, duplicates="drop").astype(str)
    return column.astype(str).fillna("(missing)")


def sliced_metrics(y: np.ndarray, p: np.ndarray, slices: Mapping[str, pd.Series]) -> dict[str, Any]:
    """Metrics per value of each slice column, with the largest gaps between values (fairness check)."""
    out: dict[str, Any] = {}
    for name, column in slices.items():
        groups = slice_values(column.reset_index(drop=True))
        per: dict[str, Any] = {}
        for value in sorted(groups.unique()):
            mask = (groups == value).to_numpy()
            if mask.sum() >= MIN_SLICE_ROWS:
                per[str(value)] = credit_metrics(y[mask], p[mask])
        gaps = {}
        for key in ("roc_auc", "ece", "default_rate", "mean_probability"):
            vals = [m[key] for m in per.values() if m.get(key) is not None]
            gaps[key] = float(max(vals) - min(vals)) if len(vals) >= 2 else None
        out[name] = {"groups": per, "gaps": gaps}
    return out
