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

Whether a category is scheduled *for a given user* is decided from that user's own history (issue 20): its
lumps (months well above the category's median month) are checked against the same month a year earlier or
later, where the history covers it. A lump matched there by a payment of similar size (a factor of
``AMOUNT_RATIO``, a month either way) recurs; a lump whose other year is visible and empty is a one-off (a
laptop under education). The pooled, per-name rule learned in training is only the prior: it decides when
the user's history has no evidence either way (no lumps, or none with a visible other year). A category not
in the pooled list is scheduled for a user only on clear evidence: recurring lumps and no one-off ones.
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

    @property
    def per_user_recurrence(self) -> bool: ...


SCHEDULED = "scheduled"
# Same month last year must cut the pooled error of the recent level by at least this share (a priori, not tuned).
MIN_GAIN = 0.25
MIN_USERS = 3  # a category must be seen (active) in this many training users' histories
MIN_MONTHS = SEASON + 1  # a year of history before a projection, plus a month to score


LUMP_FACTOR = 2.0  # a lump: a month above this multiple of the category's median month (a priori)
AMOUNT_RATIO = 2.0  # a lump recurs when a month a year away (±1) paid within this factor of it


def recurrence(y: np.ndarray) -> tuple[int, int]:
    """(recurring, one-off) lumps of a monthly series, judged on the same month a year before and after."""
    y = np.asarray(y, dtype=float)
    n = len(y)
    if n == 0:
        return 0, 0
    floor = LUMP_FACTOR * float(np.median(y))
    recurring = one_off = 0
    for t in np.flatnonzero((y > 0) & (y > floor)):
        others = [c for c in (t - SEASON, t + SEASON) if 0 <= c < n]
        if not others:
            continue  # no other year visible: no evidence
        near = np.concatenate([y[max(c - 1, 0):c + 2] for c in others])
        if np.any((near >= y[t] / AMOUNT_RATIO) & (near <= y[t] * AMOUNT_RATIO)):
            recurring += 1
        else:
            one_off += 1
    return recurring, one_off


def is_scheduled(y: np.ndarray, prior: bool) -> bool:
    """A user's category is paid on a yearly calendar: their own lumps decide, the pooled rule is the prior."""
    recurring, one_off = recurrence(y)
    if recurring + one_off == 0:
        return prior
    if prior:
        return recurring >= max(one_off, 1)
    # Without the prior, only clear evidence: a lumpy category whose every judged lump recurred.
    lumpy = float(np.mean(np.asarray(y) > 0)) <= 0.5
    return lumpy and recurring >= 2 and one_off == 0


def user_scheduled(history: SpendHistory, cfg: Scheduled) -> list[str]:
    """The categories scheduled for this user (own history, pooled list as the prior); none under a year.

    With ``cfg.per_user_recurrence`` off (an ablation), the pooled list alone decides.
    """
    if history.n_months < MIN_MONTHS:
        return []
    prior = set(cfg.scheduled)
    if not cfg.per_user_recurrence:
        return [c for c in history.categories if c in prior]
    return [c for c in history.categories
            if is_scheduled(history.amounts[c].to_numpy(float), c in prior)]


def project(known: np.ndarray, t: int, horizon: int) -> np.ndarray:
    """Same month last year of ``known[:t]`` for the ``horizon`` months after ``t`` (under a year: its mean)."""
    if t < SEASON:
        return np.full(horizon, float(np.mean(known[:t])) if t else 0.0)
    return np.array([known[t - SEASON + (h % SEASON)] for h in range(horizon)], dtype=float)


def scheduled_part(history: SpendHistory, cfg: Scheduled) -> np.ndarray | None:
    """Monthly sum of the user's scheduled categories (None when there are none or under a year)."""
    names = user_scheduled(history, cfg)
    if not names:
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
