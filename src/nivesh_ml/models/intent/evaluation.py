"""Classification metrics of the intent model: accuracy, macro-F1, per-class F1, confusion pairs."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn.metrics import accuracy_score, f1_score

from nivesh_ml.models.intent.calibration import expected_calibration_error

TOP_CONFUSIONS = 15


def classification_report(truth: Sequence[str], predicted: Sequence[str]) -> dict[str, Any]:
    """Accuracy, macro-F1, per-class F1 and the most frequent (true, predicted) confusions."""
    labels = sorted(set(truth) | set(predicted))
    per_class = f1_score(truth, predicted, labels=labels, average=None, zero_division=0)
    pairs = Counter((t, p) for t, p in zip(truth, predicted, strict=True) if t != p)
    return {
        "accuracy": round(float(accuracy_score(truth, predicted)), 4),
        "macro_f1": round(float(f1_score(truth, predicted, labels=sorted(set(truth)), average="macro",
                                         zero_division=0)), 4),
        "per_class": {label: round(float(f), 4) for label, f in zip(labels, per_class, strict=True)},
        "confusion_pairs": [{"true": t, "predicted": p, "count": n}
                            for (t, p), n in sorted(pairs.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_CONFUSIONS]],
        "n_examples": len(truth),
    }


def evaluate_outputs(truth: Sequence[str], outputs: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Metrics of predictor outputs against the true labels (after the low-confidence fallback)."""
    predicted = [o["intent"] for o in outputs]
    report = classification_report(truth, predicted)
    if not outputs:
        return report
    top1 = np.array([o["top_k"][0]["intent"] == t for o, t in zip(outputs, truth, strict=True)])
    confidence = np.array([o["confidence"] for o in outputs], dtype=float)
    report["fallback_rate"] = round(float(np.mean([o.get("fallback", False) for o in outputs])), 4)
    report["top1_accuracy_before_fallback"] = round(float(top1.mean()), 4)
    report["ece"] = round(expected_calibration_error(confidence, top1), 4)
    return report
