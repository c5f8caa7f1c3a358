"""A user's forecast: every category and the total, each series with its chosen model and interval."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from nivesh_ml.errors import InvalidInput, NotFound
from nivesh_ml.models.spending.forecasters import build_forecasters
from nivesh_ml.models.spending.holidays import monthly_festival_features
from nivesh_ml.models.spending.profiles import SeasonalIndex
from nivesh_ml.models.spending.recurring import scheduled_part, user_scheduled
from nivesh_ml.models.spending.selection import (
    ForecastConfig,
    SeriesForecast,
    SeriesRun,
    needed_families,
    run_series,
    scheduled_run,
    select,
)
from nivesh_ml.models.spending.series import TOTAL, SpendHistory

if TYPE_CHECKING:
    from nivesh_ml.models.spending.global_model import GlobalModel

MAX_MONTHS = 24


@dataclass
class UserForecast:
    """Forecasts of one user's categories and total for the months after their history."""

    months: list[str]
    categories: dict[str, SeriesForecast]
    total: SeriesForecast
    runs: dict[str, SeriesRun] = field(default_factory=dict)

    def to_response(self) -> dict[str, Any]:
        """The HTTP contract's ``forecast`` and ``total`` lists."""
        forecast = [_row(month, f, i) | {"category": name}
                    for name, f in self.categories.items() for i, month in enumerate(self.months)]
        total = [_row(month, self.total, i) for i, month in enumerate(self.months)]
        return {"forecast": forecast, "total": total}


def _row(month: str, f: SeriesForecast, i: int) -> dict[str, Any]:
    return {"month": month, "amount": round(float(f.point[i]), 2), "lower": round(float(f.lower[i]), 2),
            "upper": round(float(f.upper[i]), 2), "model": f.model}


def major_categories(history: SpendHistory, k: int) -> list[str]:
    """The ``k`` categories with the most spend over the last 12 months."""
    recent = history.amounts.iloc[-12:].sum(axis=0).sort_values(ascending=False)
    return [str(c) for c in recent.index[:k] if recent[c] > 0]


def active_categories(history: SpendHistory) -> list[str]:
    """Categories with spend in the last 12 months (older ones are considered ended)."""
    recent = history.amounts.iloc[-12:].sum(axis=0)
    return [str(c) for c in history.amounts.columns if recent[c] > 0]


def series_runs(history: SpendHistory, horizon: int, cfg: ForecastConfig, category: str | None = None,
                families: list[str] | None = None,
                global_model: GlobalModel | None = None) -> tuple[list[str], dict[str, SeriesRun]]:
    """Run the candidate forecasters on the total and each (or one) category of a user's history."""
    if not 1 <= horizon <= MAX_MONTHS:
        raise InvalidInput(f"months must be between 1 and {MAX_MONTHS}, got {horizon}")
    categories = active_categories(history)
    if category is not None:
        wanted = category.strip().lower()
        if wanted in cfg.excluded_categories:
            raise NotFound(f"{category!r} is money moved (transfers, investments…), not spending: it is not forecast",
                           details={"categories": categories})
        if wanted not in categories:
            raise NotFound(f"no spending in category {category!r} in the last 12 months of this user's history",
                           details={"categories": categories})
        categories = [wanted]
    future = pd.period_range(history.months[-1] + 1, periods=horizon, freq="M")
    all_months = pd.PeriodIndex(history.months.append(future))
    exog = monthly_festival_features(all_months, cfg.windows, cfg.wedding_months)
    names = cfg.eligible if families is None else families
    everything = build_forecasters(names, cfg.prophet, cfg.regressors)
    ranked = major_categories(history, max(cfg.expensive_top_k.values(), default=0))
    runs: dict[str, SeriesRun] = {}
    known = scheduled_part(history, cfg)
    scheduled = set(user_scheduled(history, cfg))
    series = [(TOTAL, history.total, history.total_counts)]
    series += [(c, history.amounts[c].to_numpy(float), history.counts[c].to_numpy(float)) for c in categories]
    for name, y, counts in series:
        if name in scheduled:
            runs[name] = scheduled_run(name, y, horizon, cfg)
            continue
        # Expensive families only model the total and the biggest categories (latency budget).
        models = {k: m for k, m in everything.items()
                  if not m.expensive or name == TOTAL or name in ranked[: cfg.expensive_top_k.get(k, 0)]}
        if "seasonal_index" in names and name in cfg.profiles:
            models["seasonal_index"] = (SeasonalIndex(cfg.profiles[name], cfg.total_level_months, cfg.total_level,
                                                      cfg.total_level_halflife)
                                        if name == TOTAL else SeasonalIndex(cfg.profiles[name]))
        if "global" in names and global_model is not None:
            models["global"] = global_model.forecaster(name, TOTAL)
        needed = needed_families(name, cfg) if families is None else None
        if needed is not None and needed & set(models):
            # Training fixed this kind's choice: only its members need fitting.
            models = {k: m for k, m in models.items() if k in needed}
        runs[name] = run_series(name, y, counts, history.start, exog, horizon, models, cfg,
                                known if name == TOTAL else None)
    return [str(m) for m in future], runs


def forecast_user(history: SpendHistory, horizon: int, cfg: ForecastConfig, category: str | None = None,
                  keep_runs: bool = False, global_model: GlobalModel | None = None) -> UserForecast:
    """Forecast a user's total and categories ``horizon`` months ahead with per-series model choice."""
    months, runs = series_runs(history, horizon, cfg, category, global_model=global_model)
    chosen = {name: select(run, horizon, cfg) for name, run in runs.items()}
    total = chosen.pop(TOTAL)
    return UserForecast(months=months, categories=chosen, total=total, runs=runs if keep_runs else {})


def history_rows(history: SpendHistory) -> list[dict[str, Any]]:
    """Monthly totals of the history (for charts and batch output)."""
    return [{"month": str(m), "amount": round(float(v), 2)} for m, v in zip(history.months, history.total,
                                                                             strict=True)]


def as_float_list(values: np.ndarray) -> list[float]:
    """Rounded floats for JSON."""
    return [round(float(v), 2) for v in values]
