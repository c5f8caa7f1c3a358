"""Confidence calibration (temperature scaling) and the low-confidence fallback threshold (numpy only)."""

from __future__ import annotations

import itertools

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]
BLEND_GRID = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)


def log_softmax(scores: NDArray[np.floating], temperature: float = 1.0) -> FloatArray:
    """Row-wise log-softmax of ``scores / temperature``."""
    z = np.asarray(scores, dtype=np.float64) / temperature
    z -= z.max(axis=1, keepdims=True)
    out: FloatArray = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    return out


def softmax(logits: NDArray[np.floating], temperature: float = 1.0) -> FloatArray:
    """Row-wise softmax of ``logits / temperature``."""
    out: FloatArray = np.exp(log_softmax(logits, temperature))
    return out


def negative_log_likelihood(logits: NDArray[np.floating], targets: NDArray[np.integer], temperature: float) -> float:
    """Mean cross-entropy of the tempered softmax."""
    probs = softmax(logits, temperature)
    picked = probs[np.arange(len(targets)), targets]
    return float(-np.log(np.clip(picked, 1e-12, None)).mean())


def fit_temperature(logits: NDArray[np.floating], targets: NDArray[np.integer]) -> float:
    """The temperature minimising validation NLL (log-spaced grid, deterministic)."""
    if len(targets) == 0:
        return 1.0
    grid = np.exp(np.linspace(np.log(0.05), np.log(20.0), 300))
    losses = [negative_log_likelihood(logits, targets, float(t)) for t in grid]
    return round(float(grid[int(np.argmin(losses))]), 4)


def blend_scores(logits: NDArray[np.floating], temperature: float, lexical: FloatArray | None,
                 weight: float) -> FloatArray:
    """Log-linear blend of the network's tempered log-probabilities and the lexical model's (weight on lexical)."""
    network = log_softmax(logits, temperature)
    if lexical is None or weight <= 0:
        return network
    out: FloatArray = (1.0 - weight) * network + weight * lexical
    return out


def blend_probabilities(logits: NDArray[np.floating], temperature: float, lexical: FloatArray | None,
                        weight: float, blend_temperature: float) -> FloatArray:
    """The served probabilities: the blended scores under the final temperature."""
    return softmax(blend_scores(logits, temperature, lexical, weight), blend_temperature)


def choose_blend(logits: NDArray[np.floating], temperature: float, lexical: FloatArray | None,
                 targets: NDArray[np.integer], grid: tuple[float, ...] = BLEND_GRID) -> tuple[float, float]:
    """The lexical weight (from ``grid``) and final temperature that minimise validation NLL."""
    if lexical is None or len(targets) == 0:
        return 0.0, 1.0
    best = (np.inf, 0.0, 1.0)
    for weight in grid:
        scores = blend_scores(logits, temperature, lexical, weight)
        final = fit_temperature(scores, targets)
        loss = negative_log_likelihood(scores, targets, final)
        if loss < best[0] - 1e-9:
            best = (loss, float(weight), final)
    return best[1], best[2]


def choose_threshold(probs: FloatArray, targets: NDArray[np.integer], fallback: int | None,
                     tolerance: float = 0.01, ceiling: float = 0.5) -> float:
    """Largest threshold (≤ ``ceiling``) whose fallback costs at most ``tolerance`` validation accuracy.

    Predictions whose calibrated confidence is below the threshold become ``fallback`` (general_chat);
    without a fallback label, or without validation data, there is no threshold (0.0).
    """
    if fallback is None or len(targets) == 0:
        return 0.0
    predicted = probs.argmax(axis=1)
    confidence = probs.max(axis=1)
    base = float((predicted == targets).mean())
    chosen = 0.0
    for threshold in np.round(np.arange(0.0, ceiling + 1e-9, 0.01), 2):
        routed = np.where(confidence < threshold, fallback, predicted)
        if float((routed == targets).mean()) >= base - tolerance - 1e-12:
            chosen = float(threshold)
    return chosen


def expected_calibration_error(confidence: NDArray[np.floating], correct: NDArray[np.bool_], bins: int = 10) -> float:
    """ECE of top-1 confidences against whether the top-1 label was right (equal-width bins)."""
    if len(correct) == 0:
        return 0.0
    edges = np.linspace(0.0, 1.0, bins + 1)
    total = 0.0
    for lo, hi in itertools.pairwise(edges):
        mask = (confidence > lo) & (confidence <= hi)
        if mask.any():
            total += float(mask.mean()) * abs(float(correct[mask].mean()) - float(confidence[mask].mean()))
    return total
