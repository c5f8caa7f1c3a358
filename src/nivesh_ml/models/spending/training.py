"""What training learns: eligible forecaster families and interval calibration, from held-out months.

For each training user the last ``horizon`` months are hidden; every family is backtested and forecast on
the rest (the serving procedure), and the hidden months score the outcome. Those cases decide, without
refitting, which expensive families earn their cost and how wide the 80 % intervals must be.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from nivesh_ml.models.spending.forecast import series_runs
from nivesh_ml.models.spending.forecasters import ALL_FAMILIES, SeasonalNaive
from nivesh_ml.models.spending.profiles import fit_profiles
from nivesh_ml.models.spending.recurring import fitted_total, learn_scheduled
from nivesh_ml.models.spending.selection import (
    BLEND,
    CATEGORY_KIND,
    TOTAL_KIND,
    WEIGHTED,
    ForecastConfig,
    SeriesForecast,
    SeriesRun,
    horizon_growth,
    select,
)
from nivesh_ml.models.spending.series import TOTAL, SpendHistory, monthly_spend, truncate

if TYPE_CHECKING:
    from nivesh_ml.models.spending.global_model import GlobalModel

log = logging.getLogger(__name__)
MIN_HISTORY_MONTHS = 12
MIN_CALIBRATION_POINTS = 30
TARGET = (0.1, 0.9)  # quantiles bounding the central 80 %
TOLERANCE = 0.01  # an expensive family must improve held-out error by more than 1 % to stay eligible
REFIT_FOLDS = 4  # cross-fitting folds of the refitted profiles (refit_cases)


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
                 families: list[str] | None = None, global_model: GlobalModel | None = None,
                 served: bool = False) -> HoldoutCase | None:
    """Hide the last ``horizon`` months of a history, run every family (``served``: what serving runs) on the rest."""
    n = history.n_months
    if n < max(MIN_HISTORY_MONTHS, horizon + 3):
        return None
    if set(history.missing_months) & {str(m) for m in history.months[n - horizon:]}:
        return None  # a gap in the data is not a month to score
    past = truncate(history, n - horizon)
    months, runs = series_runs(past, horizon, cfg, families=None if served else families or list(ALL_FAMILIES),
                               global_model=global_model)
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
    return [(str(u), monthly_spend(rows, cfg.max_history_months, cfg.excluded_categories, cfg.hygiene))
            for u, rows in groups]


def holdout_cases(histories: list[tuple[str, SpendHistory]], horizon: int, cfg: ForecastConfig,
                  families: list[str] | None = None,
                  progress: Callable[[int, int], None] | None = None,
                  global_models: Mapping[str, GlobalModel] | GlobalModel | None = None) -> list[HoldoutCase]:
    """Holdout cases of every user with at least 12 months of history.

    ``global_models``: the pooled model, or one per user (cross-fitted: never fitted to that user).
    """
    cases = []
    for i, (user_id, history) in enumerate(histories):
        pooled = global_models.get(user_id) if isinstance(global_models, Mapping) else global_models
        case = holdout_case(user_id, history, horizon, cfg, families, pooled)
        if case is not None:
            cases.append(case)
        if progress:
            progress(i + 1, len(histories))
    return cases


def earlier_windows(histories: list[tuple[str, SpendHistory]], horizon: int, cfg: ForecastConfig, windows: int,
                    global_models: Mapping[str, GlobalModel] | None = None) -> list[HoldoutCase]:
    """Held-out cases of the ``windows - 1`` windows of ``horizon`` months before each user's last one.

    Each is forecast by the served procedure under ``cfg`` (its chosen families only) from the months before
    it: more out-of-sample errors of the served forecasts, for interval calibration and the total shrink.
    Pooled fits saw these months: the shared seasonal profiles (of N users, this user's share is 1/N) and the
    global model (cross-fitted: other users' months only). The family choice did not (it used the last window).
    """
    cases = []
    for user_id, history in histories:
        pooled = (global_models or {}).get(user_id)
        for k in range(1, windows):
            case = holdout_case(user_id, truncate(history, history.n_months - k * horizon), horizon, cfg,
                                global_model=pooled, served=True)
            if case is None:
                break
            cases.append(case)
    return cases


def refit_cases(histories: list[tuple[str, SpendHistory]], users: int, horizon: int, cfg: ForecastConfig,
                global_models: Mapping[str, GlobalModel] | None = None,
                folds: int = REFIT_FOLDS) -> tuple[ForecastConfig, list[HoldoutCase]]:
    """``cfg`` with profiles refitted on every month of the training users, and the last held-out window of the
    first ``users`` users forecast by the served procedure under profiles refitted the same way on the *other*
    users (cross-fitted in ``folds``): the errors serving makes once the profiles have seen every month.
    """
    cases = []
    for k in range(folds):
        others = [h for i, h in enumerate(histories) if i % folds != k]
        fold_cfg = replace(cfg, profiles=shared_profiles(others, 0, cfg))
        for i, (user_id, history) in enumerate(histories[:users]):
            if i % folds == k:
                case = holdout_case(user_id, history, horizon, fold_cfg,
                                    global_model=(global_models or {}).get(user_id), served=True)
                if case is not None:
                    cases.append(case)
    order = {user_id: i for i, (user_id, _) in enumerate(histories)}
    cases.sort(key=lambda c: order[c.user_id])
    return replace(cfg, profiles=shared_profiles(histories, 0, cfg)), cases


def shared_profiles(histories: list[tuple[str, SpendHistory]], horizon: int,
                    cfg: ForecastConfig) -> dict[str, list[float]]:
    """Seasonal profiles from the training users' months before their held-out months."""
    series = []
    for _, history in histories:
        past = truncate(history, history.n_months - horizon)
        series.append((TOTAL, past.start, fitted_total(past, cfg)))
        series += [(c, past.start, past.amounts[c].to_numpy(float)) for c in past.categories]
    return fit_profiles(series, cfg.windows, cfg.wedding_months)


def scheduled_categories(histories: list[tuple[str, SpendHistory]], horizon: int,
                         cfg: ForecastConfig) -> tuple[list[str], dict[str, float]]:
    """Categories on a yearly calendar, from the training users' months before their held-out months."""
    series = []
    for _, history in histories:
        past = truncate(history, history.n_months - horizon)
        series += [(c, past.amounts[c].to_numpy(float)) for c in past.categories if c != TOTAL]
    return learn_scheduled(series, cfg.backtest_horizon)


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


def learn_weights(cases: list[HoldoutCase], kind: str) -> dict[str, float]:
    """Non-negative blend weights (summing to 1) minimising squared error on the training backtests of a kind.

    Only the rolling-origin backtests inside each training user's visible months are used (the hidden
    months stay free to judge the blend), each series scaled by its level so big spenders do not dominate.
    """
    from scipy.optimize import nnls

    runs = [r for c in cases for n, r in c.runs.items() if not r.sparse and not r.scheduled and r.backtests
            and (n == TOTAL) == (kind == TOTAL_KIND)]
    if not runs:
        return {}
    members = sorted(set.intersection(*(set(r.backtests) for r in runs)))
    if len(members) < 2:
        return {}
    x = np.vstack([np.column_stack([r.backtests[m].ravel() for m in members]) / max(r.level, 1.0) for r in runs])
    y = np.concatenate([r.actual_bt.ravel() / max(r.level, 1.0) for r in runs])
    # A heavily weighted extra row makes the weights sum to 1 (a blend, not a rescaling of the forecasts).
    penalty = 100.0 * np.sqrt(len(y))
    coefs, _ = nnls(np.vstack([x, np.full(len(members), penalty)]), np.append(y, penalty))
    if coefs.sum() <= 0:
        return {}
    return {m: round(float(w / coefs.sum()), 4) for m, w in zip(members, coefs, strict=True) if w > 0}


def _kind_cases(cases: list[HoldoutCase], kind: str) -> list[HoldoutCase]:
    keep = (lambda n: n == TOTAL) if kind == TOTAL_KIND else (lambda n: n != TOTAL)
    return [HoldoutCase(c.user_id, {n: r for n, r in c.runs.items() if keep(n)}, c.actual, c.snaive) for c in cases]


def choose_preferred(cases: list[HoldoutCase], cfg: ForecastConfig) -> tuple[dict[str, str], dict[str, float]]:
    """Per series kind, the family (or blend) to use instead of choosing per series from few backtests.

    Scored on the training users' hidden months. With ``prefer_kind`` the best single choice is kept
    unless per-series choice beats it by more than 1 %; otherwise a family must beat per-series choice.
    """
    preferred: dict[str, str] = {}
    report: dict[str, float] = {}
    for kind in (TOTAL_KIND, CATEGORY_KIND):
        kind_cases = _kind_cases(cases, kind)
        base = selection_error(kind_cases, replace(cfg, preferred={}), cfg.eligible)
        report[f"{kind}_per_series"] = base
        candidates = [*cfg.eligible, BLEND] + ([WEIGHTED] if cfg.weights.get(kind) else [])
        errors = {f: selection_error(kind_cases, replace(cfg, preferred={kind: f}), cfg.eligible) for f in candidates}
        report.update({f"{kind}_{f}": e for f, e in errors.items()})
        valid = {f: e for f, e in errors.items() if not np.isnan(e)}
        if not valid or np.isnan(base):
            continue
        best = min(valid, key=lambda f: valid[f])
        keep_single = base >= valid[best] * (1 - TOLERANCE) if cfg.prefer_kind else valid[best] < base * (1 - TOLERANCE)
        if keep_single:
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
            out.setdefault(chosen.group, []).extend(((actual - chosen.point) / np.maximum(width, 1e-9)).tolist())
    return out


def conformal_bounds(z: list[float] | np.ndarray, target: tuple[float, float] = TARGET) -> tuple[float, float]:
    """Split-conformal interval factors from normalised held-out errors: the ⌊(n+1)·q_lo⌋-th and ⌈(n+1)·q_hi⌉-th
    smallest, so that a new exchangeable error falls inside with probability at least ``q_hi − q_lo``."""
    ordered = np.sort(np.asarray(z, dtype=float))
    n = len(ordered)
    lo_rank = int(np.floor((n + 1) * target[0]))
    hi_rank = int(np.ceil((n + 1) * target[1]))
    return float(ordered[max(lo_rank, 1) - 1]), float(ordered[min(hi_rank, n) - 1])


def calibrate(cases: list[HoldoutCase], cfg: ForecastConfig) -> dict[str, list[float]]:
    """Interval factors so that 80 % of held-out months fall inside (defaults where data is thin).

    The factors are split-conformal bounds of the served forecasts' errors on the training users' held-out
    windows, each error divided by its series' own backtest error scale: the scale carries a series' volatility,
    the factors what its few backtests miss (:func:`conformal_bounds`).
    """
    calibration = {k: list(v) for k, v in cfg.calibration.items()}
    for group, z in normalised_errors(cases, cfg).items():
        if len(z) >= MIN_CALIBRATION_POINTS:
            lo, hi = conformal_bounds(z)
            # Keep the interval around the point forecast even when errors are one-sided.
            calibration[group] = [round(float(min(lo, -0.1)), 4), round(float(max(hi, 0.1)), 4)]
    return calibration


def learn_total_shrink(cases: list[HoldoutCase], cfg: ForecastConfig) -> float:
    """The multiplier (0.80-1.00) of the chosen total forecast with the least MAPE on the training users' hidden
    months (1.0 when there are too few of them)."""
    base = replace(cfg, total_shrink=1.0)
    points, actuals = [], []
    for case in cases:
        run = case.runs.get(TOTAL)
        if run is None or run.sparse:
            continue
        actual = case.actual[TOTAL]
        point = select(run, len(actual), base).point
        ok = actual > 0
        points.append(point[ok])
        actuals.append(actual[ok])
    if sum(len(a) for a in actuals) < MIN_CALIBRATION_POINTS:
        return 1.0
    f, a = np.concatenate(points), np.concatenate(actuals)
    grid = np.round(np.arange(0.80, 1.0001, 0.01), 2)
    mape = [float(np.mean(np.abs(a - c * f) / a)) for c in grid]
    return float(grid[int(np.argmin(mape))])


def fit_config(cases: list[HoldoutCase], base: ForecastConfig, blend_weights: bool = True,
               more_cases: Callable[[ForecastConfig], list[HoldoutCase]] | None = None,
               refit: Callable[[ForecastConfig], tuple[ForecastConfig, list[HoldoutCase]]] | None = None,
               ) -> tuple[ForecastConfig, dict[str, float]]:
    """The trained config: eligible families, blend weights and preferred choice on ``cases`` (the last held-out
    window: the history length serving sees, profiles that never saw it). ``refit(cfg)``: the config with
    profiles refitted on every month and the last window's served forecasts under cross-fitted refitted profiles
    (:func:`refit_cases`), which then replace ``cases`` for the total shrink and the calibration. Then the total
    shrink, and interval calibration under that choice on the last window and ``more_cases(cfg)`` (earlier
    windows: tail quantiles need the most data)."""
    eligible, top_k, report = choose_eligible(cases, base)
    cfg = replace(base, eligible=eligible, expensive_top_k=top_k)
    weights = {kind: w for kind in (TOTAL_KIND, CATEGORY_KIND) if blend_weights and (w := learn_weights(cases, kind))}
    cfg = replace(cfg, weights=weights)
    preferred, preferred_report = choose_preferred(cases, cfg)
    cfg = replace(cfg, preferred=preferred)
    report.update(preferred_report)
    if refit is not None:
        cfg, cases = refit(cfg)
    if cfg.learn_total_shrink:
        cfg = replace(cfg, total_shrink=learn_total_shrink(cases, cfg))
        report["total_shrink"] = cfg.total_shrink
    scored = cases + (more_cases(cfg) if more_cases is not None else [])
    report["calibration_cases"] = len(scored)
    cfg = replace(cfg, calibration=calibrate(scored, cfg))
    return cfg, report
