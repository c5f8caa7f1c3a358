"""Forecast accuracy on hidden months: MAPE, sMAPE, relative MAE (vs seasonal naive) and 80 % coverage.

``rel_mae`` is the forecast's MAE divided by the seasonal-naive forecast's MAE *on the same hidden months*
(a "relative measure" in Hyndman & Koehler 2006). It is not MASE, whose scale is the in-sample seasonal-naive MAE;
the metric was called ``mase`` before and was renamed for that reason (docs/training.md).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from nivesh_ml.models.spending.selection import ForecastConfig, SeriesForecast, candidate_forecasts, select
from nivesh_ml.models.spending.series import TOTAL
from nivesh_ml.models.spending.training import HoldoutCase

CHOSEN = "chosen"


@dataclass
class Accumulator:
    """Pooled error terms of many forecast points."""

    abs_err: list[float] = field(default_factory=list)
    snaive_abs_err: list[float] = field(default_factory=list)
    ape: list[float] = field(default_factory=list)
    sape: list[float] = field(default_factory=list)
    covered: list[bool] = field(default_factory=list)
    series: int = 0

    def add(self, actual: np.ndarray, f: SeriesForecast, snaive: np.ndarray) -> None:
        """Add one series' hidden months."""
        err = np.abs(actual - f.point)
        self.abs_err += err.tolist()
        self.snaive_abs_err += np.abs(actual - snaive).tolist()
        positive = actual > 0
        self.ape += (err[positive] / actual[positive]).tolist()
        denom = np.abs(actual) + np.abs(f.point)
        self.sape += np.where(denom > 0, 2 * err / np.maximum(denom, 1e-9), 0.0).tolist()
        self.covered += ((actual >= f.lower) & (actual <= f.upper)).tolist()
        self.series += 1

    def summary(self) -> dict[str, float]:
        """mape, smape (fractions), rel_mae (MAE / seasonal-naive MAE on the same months), coverage_80."""
        snaive = float(np.sum(self.snaive_abs_err))
        return {
            "mape": float(np.mean(self.ape)) if self.ape else float("nan"),
            "smape": float(np.mean(self.sape)) if self.sape else float("nan"),
            "rel_mae": float(np.sum(self.abs_err)) / snaive if snaive > 0 else float("nan"),
            "coverage_80": float(np.mean(self.covered)) if self.covered else float("nan"),
            "n_series": self.series,
        }


def evaluate_cases(cases: list[HoldoutCase], cfg: ForecastConfig) -> dict[str, Any]:
    """Headline metrics (chosen model, total spend), per model (total spend) and per category."""
    total_by_model: dict[str, Accumulator] = defaultdict(Accumulator)
    by_category: dict[str, Accumulator] = defaultdict(Accumulator)
    all_categories = Accumulator()
    shares: Counter[str] = Counter()
    for case in cases:
        for name, run in case.runs.items():
            actual, snaive = case.actual[name], case.snaive[name]
            chosen = select(run, len(actual), cfg)
            shares[chosen.model] += 1
            if name == TOTAL:
                total_by_model[CHOSEN].add(actual, chosen, snaive)
                for model, f in candidate_forecasts(run, len(actual), cfg).items():
                    total_by_model[model].add(actual, f, snaive)
            else:
                by_category[name].add(actual, chosen, snaive)
                all_categories.add(actual, chosen, snaive)
    headline = total_by_model[CHOSEN].summary() if cases else {}
    return {
        **{k: v for k, v in headline.items() if k != "n_series"},
        "n_users": len(cases),
        "horizon": len(next(iter(cases[0].actual.values()))) if cases else 0,
        "per_model": {m: acc.summary() for m, acc in sorted(total_by_model.items())},
        "per_category": {c: acc.summary() for c, acc in sorted(by_category.items())},
        "categories": all_categories.summary(),
        "chosen_models": dict(shares.most_common()),
        "eligible": list(cfg.eligible),
    }
