"""Exact-span precision, recall and F1 per label (DESIGN.md §4 keys: ``per_label``, ``micro_f1``)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

Span = tuple[int, int, str]


def _prf(tp: int, fp: int, fn: int) -> dict[str, float]:
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4)}


def span_scores(gold: Sequence[Iterable[Span]], predicted: Sequence[Iterable[Span]]) -> dict[str, Any]:
    """Per-label and micro-averaged scores; a span counts only when start, end and label all match."""
    if len(gold) != len(predicted):
        raise ValueError("gold and predicted must have one entry per sentence")
    tp: Counter[str] = Counter()
    fp: Counter[str] = Counter()
    fn: Counter[str] = Counter()
    for gold_spans, pred_spans in zip(gold, predicted, strict=True):
        g, p = set(gold_spans), set(pred_spans)
        for _, _, label in g & p:
            tp[label] += 1
        for _, _, label in p - g:
            fp[label] += 1
        for _, _, label in g - p:
            fn[label] += 1
    labels = sorted(set(tp) | set(fp) | set(fn))
    per_label = {label: {**_prf(tp[label], fp[label], fn[label]), "support": tp[label] + fn[label]}
                 for label in labels}
    micro = _prf(sum(tp.values()), sum(fp.values()), sum(fn.values()))
    return {"per_label": per_label, "micro_f1": micro["f1"], "micro_precision": micro["precision"],
            "micro_recall": micro["recall"], "n_sentences": len(gold)}
