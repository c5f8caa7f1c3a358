"""Seasonal profiles shared across users: month-of-year and festival factors per category, learned in training.

One user's two years cannot separate seasonality from noise; hundreds of users can. Training regresses
each regular series' monthly spend, relative to its own mean, on month-of-year dummies and the festival
window features (ridge, shrunk towards "no seasonality"). The ``seasonal_index`` forecaster then scales a
user's deseasonalised 12-month level by the profile of the target month. Learned on the training users'
months before their held-out months only; categories unseen in training simply have no profile.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from nivesh_ml.models.spending.holidays import monthly_festival_features

RIDGE = 5.0  # prior strength, in "months of evidence", pulling every factor towards 1
MIN_ACTIVE_SHARE = 0.5
MIN_SERIES = 3


def month_dummies(start: pd.Period, n: int) -> np.ndarray:
    """One-hot calendar month of ``n`` consecutive months from ``start``."""
    months = (np.arange(n) + start.month - 1) % 12
    out = np.zeros((n, 12))
    out[np.arange(n), months] = 1.0
    return out


def design(start: pd.Period, exog: np.ndarray) -> np.ndarray:
    """Month dummies next to the festival features (one row per month of ``exog``)."""
    return np.hstack([month_dummies(start, len(exog)), exog])


def fit_profiles(series: Sequence[tuple[str, pd.Period, np.ndarray]], windows: Mapping[str, Sequence[Any]],
                 wedding_months: Sequence[int]) -> dict[str, list[float]]:
    """Ridge fit of (spend / series mean − 1) on month and festival features, pooled per series name."""
    pooled: dict[str, list[tuple[np.ndarray, np.ndarray]]] = {}
    for name, start, y in series:
        if len(y) < 12 or np.mean(y > 0) < MIN_ACTIVE_SHARE or y.mean() <= 0:
            continue
        months = pd.period_range(start, periods=len(y), freq="M")
        x = design(start, monthly_festival_features(months, windows, wedding_months))
        pooled.setdefault(name, []).append((x, y / y.mean() - 1.0))
    profiles = {}
    for name, parts in pooled.items():
        if len(parts) < MIN_SERIES:
            continue
        x = np.vstack([p[0] for p in parts])
        r = np.concatenate([p[1] for p in parts])
        beta = np.linalg.solve(x.T @ x + RIDGE * np.eye(x.shape[1]), x.T @ r)
        profiles[name] = [round(float(b), 5) for b in beta]
    return profiles


LEVELS = ("mean", "geometric")
GEOMETRIC_FLOOR = 0.05  # deseasonalised months below this share of their mean count as this (a log needs > 0)


def deseasonalised_level(ratios: np.ndarray, level: str, halflife: float = 0.0) -> float:
    """The level of deseasonalised months (oldest first): their mean, or their geometric mean (the median of a
    log-normal); with ``halflife`` > 0 a month's weight halves every ``halflife`` months back from the last.

    A month's spend is right-skewed: the geometric mean sits below the mean by about half the log-variance of
    the series, i.e. more for a volatile household than for a steady one, where absolute and percentage errors
    are smaller than at the mean; one spike moves it less.
    """
    n = len(ratios)
    weights = 0.5 ** (np.arange(n)[::-1] / halflife) if halflife > 0 else np.ones(n)
    mean = float(np.average(ratios, weights=weights)) if n else 0.0
    if level == "geometric":
        if mean <= 0:
            return 0.0
        return float(np.exp(np.average(np.log(np.maximum(ratios, GEOMETRIC_FLOOR * mean)), weights=weights)))
    return mean


@dataclass
class SeasonalIndex:
    """Deseasonalised level of the last ``level_months`` months × the shared profile of each target month.

    ``level``: "mean" (the arithmetic mean of the deseasonalised months) or "geometric" (their geometric mean).
    """

    name: ClassVar[str] = "seasonal_index"
    expensive: ClassVar[bool] = False
    coefficients: list[float] = field(default_factory=list)
    level_months: int = 12
    level: str = "mean"
    halflife: float = 0.0

    def forecast(self, y: np.ndarray, start: pd.Period, exog: np.ndarray, horizon: int,
                 n_spec: int | None = None) -> np.ndarray:
        """Point forecasts."""
        n = len(y)
        factors = np.clip(1.0 + design(start, exog[: n + horizon]) @ np.asarray(self.coefficients), 0.2, 5.0)
        recent = slice(max(0, n - self.level_months), n)
        level = deseasonalised_level(y[recent] / factors[recent], self.level, self.halflife)
        return np.asarray(level * factors[n: n + horizon], dtype=float)
