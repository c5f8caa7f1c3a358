"""Scheduled payments: categories paid on a yearly calendar (annual premiums, term fees), projected forward.

A household's month is lumpy partly because of payments that fall in known months: an annual insurance
premium, school fees each term, a yearly subscription or tax. Smoothing forecasters (a level, ETS, a
seasonal index) spread such a payment over the year and miss it in its month; the same month last year
places it exactly. Training learns, per category and pooled over the training users, whether the same month
last year forecasts that category clearly better than its recent level (rolling origins inside the visible
months only). For those *scheduled* categories:

- the category itself is forecast by its own same-month-last-year projection (model ``scheduled``), and
- the total is forecast as (total − scheduled categories), by the usual candidates, plus that projection,
  so the smoothing models see the discretionary part only and the lumps land in their months.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Protocol

import numpy as np

from nivesh_ml.models.spending.forecasters import SEASON
from nivesh_ml.models.spending.series import SpendHistory


class Scheduled(Protocol):
    """What the scheduled split needs of a forecast configuration (``selection.ForecastConfig`` has it)."""

    @property
    def scheduled(self) -> Collection[str]: ...


SCHEDULED = "scheduled"
# Same month last year must cut the pooled error of the recent level by at least this share (a priori, not tuned).
MIN_GAIN = 0.25
MIN_USERS = 3  # a category must be seen (active) in this many training users' histories
MIN_MONTHS = SEASON + 1  # a year of history before a projection, plus a month to score


def project(known: np.ndarray, t: int, horizon: int) -> np.ndarray:
    """Same month last year of ``known[:t]`` for the ``horizon`` months after ``t`` (under a year: its mean)."""
    if t < SEASON:
        return np.full(horizon, float(np.mean(known[:t])) if t else 0.0)
    return np.array([known[t - SEASON + (h % SEASON)] for h in range(horizon)], dtype=float)


def scheduled_part(history: SpendHistory, cfg: Scheduled) -> np.ndarray | None:
    """Monthly sum of the history's scheduled categories (None when there are none or under a year)."""
    names = [c for c in history.categories if c in cfg.scheduled]
    if not names or history.n_months < MIN_MONTHS:
        return None
    part = history.amounts[names].to_numpy(float).sum(axis=1)
    return part if part.any() else None


def fitted_total(history: SpendHistory, cfg: Scheduled) -> np.ndarray:
    """The total the forecasters model: the total less its scheduled part."""
    part = scheduled_part(history, cfg)
    return history.total if part is None else history.total - part


def _pooled_errors(y: np.ndarray, horizon: int) -> tuple[float, float]:
    """(same month last year, mean of the last 12 months) absolute errors over every rolling origin."""
    snaive = level = 0.0
    for t in range(SEASON, len(y) - horizon + 1):
        actual = y[t:t + horizon]
        snaive += float(np.abs(actual - project(y, t, horizon)).sum())
        level += float(np.abs(actual - y[t - SEASON:t].mean()).sum())
    return snaive, level


def learn_scheduled(series: Sequence[tuple[str, np.ndarray]], horizon: int) -> tuple[list[str], dict[str, float]]:
    """Categories whose same month last year beats their 12-month level by ``MIN_GAIN`` (pooled, level-scaled).

    ``series``: (category, monthly spend) of the training users' visible months (their held-out months are
    not used). Returns the scheduled categories and, per category, the error ratio (same month / level).
    """
    sums: dict[str, list[float]] = {}
    for name, y in series:
        y = np.asarray(y, dtype=float)
        if len(y) < SEASON + horizon or not y.any():
            continue
        scale = max(float(y.mean()), 1e-9)
        snaive, level = _pooled_errors(y, horizon)
        acc = sums.setdefault(name, [0.0, 0.0, 0.0])
        acc[0] += snaive / scale
        acc[1] += level / scale
        acc[2] += 1
    ratios = {name: round(s / lv, 4) for name, (s, lv, users) in sums.items() if users >= MIN_USERS and lv > 0}
    chosen = sorted(name for name, r in ratios.items() if r <= 1 - MIN_GAIN)
    return chosen, ratios
