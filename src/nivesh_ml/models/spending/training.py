"""What training learns: eligible forecaster families and interval calibration, from held-out months.

For each training user the last ``horizon`` months are hidden; every family is backtested and forecast on
the rest (the serving procedure), and the hidden months score the outcome. Those cases decide, without
refitting, which expensive families earn their cost and how wide the 80 % intervals must be.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from nivesh_ml.models.spending.forecast import series_runs
from nivesh_ml.models.spending.forecasters import ALL_FAMILIES, SeasonalNaive
from nivesh_ml.models.spending.profiles import fit_profiles
from nivesh_ml.models.spending.selection import (
    BLEND,
    CATEGORY_KIND,
    TOTAL_KIND,
    ForecastConfig,
    SeriesForecast,
    SeriesRun,
    horizon_growth,
    select,
)
from nivesh_ml.models.spending.series import TOTAL, SpendHistory, monthly_spend, truncate

log = logging.getLogger(__name__)
MIN_HISTORY_MONTHS = 12
MIN_CALIBRATION_POINTS = 30
TARGET = (0.1, 0.9)  # quantiles bounding the central 80 %
TOLERANCE = 0.01  # an expensive family must improve held-out error by more than 1 % to stay eligible


@dataclass
class EvalSet:
    """Transactions of users never trained on, and the forecast horizon to score."""

    frame: pd.DataFrame
    horizon: int = 3


@dataclass
class HoldoutCase:
    """One user's series run on all but the last ``horizon`` months, with those months' actual spend."""

    user_id: str
    runs: dict[str, SeriesRun]
    actual: dict[str, np.ndarray]
    snaive: dict[str, np.ndarray]
    months: list[str] = field(default_factory=list)


def holdout_case(user_id: str, history: SpendHistory, horizon: int, cfg: ForecastConfig,
                 families: list[str] | None = None) -> HoldoutCase | None:
    """Hide the last ``horizon`` months of a history, run every family on the rest."""
    n = history.n_months
    if n < max(MIN_HISTORY_MONTHS, horizon + 3):
        return None
    past = truncate(history, n - horizon)
    months, runs = series_runs(past, horizon, cfg, families=families or list(ALL_FAMILIES))
    actual, snaive = {}, {}
    for name in runs:
        full = history.total if name == TOTAL else history.amounts[name].to_numpy(float)
        actual[name] = full[n - horizon:]
        snaive[name] = SeasonalNaive().forecast(full[: n - horizon], history.start, np.zeros((0, 0)), horizon)
    return HoldoutCase(user_id, runs, actual, snaive, months)


def user_histories(frame: pd.DataFrame, cfg: ForecastConfig,
                   max_users: int | None = None) -> list[tuple[str, SpendHistory]]:
    """Monthly spend of each user in a transactions frame (sorted by user id)."""
    groups = list(frame.groupby("user_id", sort=True))[: max_users or None]
    return [(str(u), monthly_spend(rows, cfg.max_history_months)) for u, rows in groups]


def holdout_cases(histories: list[tuple[str, SpendHistory]], horizon: int, cfg: ForecastConfig,
                  families: list[str] | None = None,
                  progress: Callable[[int, int], None] | None = None) -> list[HoldoutCase]:
    """Holdout cases of every user with at least 12 months of history."""
    cases = []
    for i, (user_id, history) in enumerate(histories):
        case = holdout_case(user_id, history, horizon, cfg, families)
        if case is not None:
            cases.append(case)
        if progress:
            progress(i + 1, len(histories))
    return cases


def shared_profiles(histories: list[tuple[str, SpendHistory]], horizon: int,
                    cfg: ForecastConfig) -> dict[str, list[float]]:
    """Seasonal profiles from the training users' months before their held-out months."""
    series = []
    for _, history in histories:
        past = truncate(history, history.n_months - horizon)
        series.append((TOTAL, past.start, past.total))
        series += [(c, past.start, past.amounts[c].to_numpy(float)) for c in past.categories]
    return fit_profiles(series, cfg.windows, cfg.wedding_months)


def eligible_for(case: HoldoutCase, name: str, eligible: list[str], top_k: dict[str, int]) -> list[str]:
    """The families a series may use: expensive ones only on the total and the top-k categories."""
    if name == TOTAL:
        return eligible
    ranked = sorted((n for n in case.runs if n != TOTAL), key=lambda n: -case.runs[n].level)
    rank = ranked.index(name)
    return [f for f in eligible if f not in top_k or rank < top_k[f]]


def selection_error(cases: list[HoldoutCase], cfg: ForecastConfig, eligible: list[str],
                    top_k: dict[str, int] | None = None) -> float:
    """Mean relative MAE on the hidden months when choosing among ``eligible`` (no refitting)."""
    top_k = cfg.expensive_top_k if top_k is None else top_k
    errors = []
    for case in cases:
        for name, run in case.runs.items():
            if run.sparse:
                continue
            chosen = select(run, len(case.actual[name]), cfg, eligible_for(case, name, eligible, top_k))
            errors.append(np.mean(np.abs(case.actual[name] - chosen.point)) / max(run.level, 1.0))
    return float(np.mean(errors)) if errors else float("nan")


def choose_eligible(cases: list[HoldoutCase],
                    cfg: ForecastConfig) -> tuple[list[str], dict[str, int], dict[str, float]]:
    """Drop, or restrict to fewer categories, each expensive family that does not earn its cost.

    A family goes when removing it costs at most 1 % of held-out error; else it keeps the fewest
    categories (besides the total) that stay within 1 % of using it on all of them.
    """
    eligible, top_k = list(cfg.eligible), dict(cfg.expensive_top_k)
    report = {"all": selection_error(cases, cfg, eligible, top_k)}
    for family in ("arima", "prophet"):
        if family not in eligible:
            continue
        reference = selection_error(cases, cfg, eligible, top_k)
        without = selection_error(cases, cfg, [f for f in eligible if f != family], top_k)
        report[f"without_{family}"] = without
        if not np.isnan(without) and without <= reference * (1 + TOLERANCE):
            eligible.remove(family)
            continue
        for k in range(top_k.get(family, 0) - 1, -1, -1):
            error = selection_error(cases, cfg, eligible, {**top_k, family: k})
            report[f"{family}_top_{k}"] = error
            if error > reference * (1 + TOLERANCE):
                break
            top_k[family] = k
    return eligible, top_k, report


def choose_preferred(cases: list[HoldoutCase], cfg: ForecastConfig) -> tuple[dict[str, str], dict[str, float]]:
    """Per series kind: keep per-series backtest choice unless one family beats it on held-out months."""
    preferred: dict[str, str] = {}
    report: dict[str, float] = {}
    for kind, subset in ((TOTAL_KIND, lambda n: n == TOTAL), (CATEGORY_KIND, lambda n: n != TOTAL)):
        kind_cases = [HoldoutCase(c.user_id, {n: r for n, r in c.runs.items() if subset(n)}, c.actual, c.snaive)
                      for c in cases]
        base = selection_error(kind_cases, replace(cfg, preferred={}), cfg.eligible)
        report[f"{kind}_per_series"] = base
        best, best_error = None, base
        for family in [*cfg.eligible, BLEND]:
            error = selection_error(kind_cases, replace(cfg, preferred={kind: family}), cfg.eligible)
            report[f"{kind}_{family}"] = error
            if error < best_error * (1 - TOLERANCE):
                best, best_error = family, error
        if best is not None:
            preferred[kind] = best
    return preferred, report


def normalised_errors(cases: list[HoldoutCase], cfg: ForecastConfig) -> dict[str, list[float]]:
    """(actual − forecast) / (error scale × horizon growth) of the chosen model, per interval group."""
    out: dict[str, list[float]] = {TOTAL_KIND: [], "regular": [], "sparse": []}
    for case in cases:
        for name, run in case.runs.items():
            actual = case.actual[name]
            chosen: SeriesForecast = select(run, len(actual), cfg)
            width = chosen.scale * horizon_growth(len(actual), cfg)
            out[chosen.group].extend(((actual - chosen.point) / np.maximum(width, 1e-9)).tolist())
    return out


def calibrate(cases: list[HoldoutCase], cfg: ForecastConfig) -> dict[str, list[float]]:
    """Interval factors so that 80 % of held-out months fall inside (defaults where data is thin)."""
    calibration = {k: list(v) for k, v in cfg.calibration.items()}
    for group, z in normalised_errors(cases, cfg).items():
        if len(z) >= MIN_CALIBRATION_POINTS:
            lo, hi = np.quantile(z, TARGET)
            # Keep the interval around the point forecast even when errors are one-sided.
            calibration[group] = [round(float(min(lo, -0.1)), 4), round(float(max(hi, 0.1)), 4)]
    return calibration


def fit_config(cases: list[HoldoutCase], base: ForecastConfig) -> tuple[ForecastConfig, dict[str, float]]:
    """The trained config: eligible families, then interval calibration under that choice."""
    eligible, top_k, report = choose_eligible(cases, base)
    cfg = replace(base, eligible=eligible, expensive_top_k=top_k)
    preferred, preferred_report = choose_preferred(cases, cfg)
    cfg = replace(cfg, preferred=preferred)
    report.update(preferred_report)
    cfg = replace(cfg, calibration=calibrate(cases, cfg))
    return cfg, report
