"""A threshold that holds on a new period: recalibration from recent scores, within a guard.

The stored threshold is the validation users' ``1 - target_fpr`` quantile of normal scores. When traffic
drifts (new merchants, a sale season, a new user mix), the share of transactions above it drifts too. The
recalibrated threshold is the ``1 - target_fpr`` quantile of the most recent scores, kept within a factor
``MAX_SHIFT`` of the stored threshold's tail level (``1 - threshold``): a fraud wave or an outage that floods
the window cannot move the threshold arbitrarily, and too few recent scores leave it where it is.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass, field
from typing import Final

import numpy as np

MIN_RECENT: Final = 1000  # fewer recent scores: keep the stored threshold (≈ 10 above it at a 1 % target)
MAX_SHIFT: Final = 4.0  # the tail level 1 - threshold moves at most this factor either way
RECENT_WINDOW: Final = 20_000  # scores remembered for the flag rate and recalibration


def recalibrated_threshold(stored: float, recent: np.ndarray, target_fpr: float, min_recent: int = MIN_RECENT,
                           max_shift: float = MAX_SHIFT) -> tuple[float, str]:
    """The ``1 - target_fpr`` quantile of ``recent`` scores, guarded; returns the threshold and why."""
    if len(recent) < min_recent:
        return stored, f"kept: {len(recent)} recent scores (need {min_recent})"
    proposed = float(np.quantile(recent, 1.0 - target_fpr, method="higher"))
    stored_tail = max(1.0 - stored, 1e-12)
    tail = min(max(1.0 - proposed, stored_tail / max_shift), stored_tail * max_shift)
    if tail != 1.0 - proposed:
        return 1.0 - tail, f"guarded: recent quantile {proposed:.6f} is beyond {max_shift:g}x the stored tail level"
    return proposed, f"recalibrated on {len(recent)} recent scores"


@dataclass
class RecentScores:
    """The last ``window`` scores served (bounded; appending is O(1))."""

    window: int = RECENT_WINDOW
    scores: deque[float] = field(default_factory=deque)
    # How many remembered scores lie above ``_counted_for``: kept up to date on every observe, so the flag rate
    # read after each request is O(1); a different threshold (after recalibration) recounts once.
    _counted_for: float | None = None
    _above: int = 0
    observed: int = 0  # scores seen since start (not only those remembered)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def observe(self, score: float) -> int:
        """Remember one served score (request threads call this concurrently); returns how many were seen."""
        with self._lock:
            self.observed += 1
            self.scores.append(score)
            if self._counted_for is not None and score > self._counted_for:
                self._above += 1
            if len(self.scores) > self.window:
                dropped = self.scores.popleft()
                if self._counted_for is not None and dropped > self._counted_for:
                    self._above -= 1
            return self.observed

    def flag_rate(self, threshold: float) -> float:
        """Share of the remembered scores above ``threshold`` (0 when none)."""
        with self._lock:
            if not self.scores:
                return 0.0
            if threshold != self._counted_for:
                self._counted_for = threshold
                self._above = int((np.fromiter(self.scores, dtype=float) > threshold).sum())
            return self._above / len(self.scores)

    def as_array(self) -> np.ndarray:
        """The remembered scores, oldest first."""
        with self._lock:
            return np.fromiter(self.scores, dtype=float, count=len(self.scores))
