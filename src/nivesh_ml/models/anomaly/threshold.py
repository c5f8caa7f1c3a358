"""A threshold that holds on a new period: recalibration from recent scores, within a guard.

The stored threshold is the validation users' ``1 - target_fpr`` quantile of normal scores. When traffic
drifts (new merchants, a sale season, a new user mix), the share of transactions above it drifts too. The
recalibrated threshold is the ``1 - target_fpr`` quantile of the most recent scores, kept within a factor
``MAX_SHIFT`` of the stored threshold's tail level (``1 - threshold``): a fraud wave or an outage that floods
the window cannot move the threshold arbitrarily, and too few recent scores leave it where it is.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Final

import numpy as np

MIN_RECENT: Final = 500  # fewer recent scores: keep the stored threshold
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

    def observe(self, score: float) -> None:
        """Remember one served score."""
        self.scores.append(score)
        if len(self.scores) > self.window:
            self.scores.popleft()

    def flag_rate(self, threshold: float) -> float:
        """Share of the remembered scores above ``threshold`` (0 when none)."""
        if not self.scores:
            return 0.0
        return float((np.fromiter(self.scores, dtype=float) > threshold).mean())

    def as_array(self) -> np.ndarray:
        """The remembered scores, oldest first."""
        return np.fromiter(self.scores, dtype=float, count=len(self.scores))
