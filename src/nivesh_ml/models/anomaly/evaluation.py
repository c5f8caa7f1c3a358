"""Detection metrics: ROC-AUC, PR-AUC, recall at 1 % FPR, FPR at the model's threshold, recall per kind."""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.metrics import average_precision_score, roc_auc_score


def threshold_for_fpr(normal_scores: np.ndarray, target_fpr: float) -> float:
    """The score above which at most ``target_fpr`` of normal scores lie."""
    if len(normal_scores) == 0:
        raise ValueError("no normal transactions to set a threshold on")
    return float(np.quantile(normal_scores, 1.0 - target_fpr, method="higher"))


def detection_metrics(scores: np.ndarray, labels: np.ndarray | None, threshold: float,
                      kinds: np.ndarray | None = None) -> dict[str, Any]:
    """Metrics of anomaly scores against 0/1 labels (only the flag rate without labels)."""
    flagged = scores > threshold
    out: dict[str, Any] = {"n": len(scores), "flag_rate": float(flagged.mean()) if len(scores) else 0.0,
                           "threshold": threshold}
    if labels is None:
        return out
    y = labels.astype(bool)
    if y.all() or not y.any():
        return {**out, "n_anomalies": int(y.sum())}
    at_1pct = threshold_for_fpr(scores[~y], 0.01)
    out.update({
        "n_anomalies": int(y.sum()),
        "roc_auc": float(roc_auc_score(y, scores)),
        "pr_auc": float(average_precision_score(y, scores)),
        "recall_at_1pct_fpr": float((scores[y] > at_1pct).mean()),
        "fpr_at_threshold": float(flagged[~y].mean()),
        "recall_at_threshold": float(flagged[y].mean()),
        "precision_at_threshold": float(y[flagged].mean()) if flagged.any() else 0.0,
    })
    if kinds is not None:
        per_kind = {}
        for kind in sorted({str(k) for k in kinds[y] if str(k)}):
            mask = y & (kinds.astype(str) == kind)
            per_kind[kind] = {"n": int(mask.sum()), "recall_at_threshold": float(flagged[mask].mean()),
                              "recall_at_1pct_fpr": float((scores[mask] > at_1pct).mean())}
        out["per_kind"] = per_kind
    return out
