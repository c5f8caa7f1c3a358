"""Monthly forecasters behind one interface: seasonal naive, mean and median of 12 months, AutoETS, AutoARIMA,
Prophet.

Each takes a history ``y`` (one value per month, oldest first), the month it starts, exogenous festival
features for history + future rows, and returns point forecasts (non-negative) for ``horizon`` months.
Intervals are not taken from the models: they come from each model's own rolling-origin backtest errors
(see ``selection.py``), which makes them comparable across models and calibratable.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Literal, Protocol

import numpy as np
import pandas as pd

log = logging.getLogger(__name__)
SEASON = 12


class Forecaster(Protocol):
    """A point forecaster of monthly spend."""

    name: ClassVar[str]
    expensive: ClassVar[bool]

    def forecast(self, y: np.ndarray, start: pd.Period, exog: np.ndarray, horizon: int,
                 n_spec: int | None = None) -> np.ndarray:
        """Point forecasts for the ``horizon`` months after ``y``.

        ``n_spec`` is the history length that fixes the model's structure (e.g. whether it is seasonal):
        the shortest backtest origin, so that backtests score the same model as the one finally fitted.
        """
        ...


@dataclass
class SeasonalNaive:
    """Same month last year (last value when there is less than a year)."""

    name: ClassVar[str] = "seasonal_naive"
    expensive: ClassVar[bool] = False

    def forecast(self, y: np.ndarray, start: pd.Period, exog: np.ndarray, horizon: int,
                 n_spec: int | None = None) -> np.ndarray:
        """Point forecasts."""
        n = len(y)
        if n >= SEASON:
            return np.array([y[n - SEASON + (h % SEASON)] for h in range(horizon)], dtype=float)
        return np.full(horizon, float(y[-1]))


@dataclass
class MeanLast12:
    """Mean of the last 12 months (all months when fewer)."""

    name: ClassVar[str] = "mean_12"
    expensive: ClassVar[bool] = False

    def forecast(self, y: np.ndarray, start: pd.Period, exog: np.ndarray, horizon: int,
                 n_spec: int | None = None) -> np.ndarray:
        """Point forecasts."""
        return np.full(horizon, float(np.mean(y[-SEASON:])))


@dataclass
class MedianLevel:
    """Median of the last 12 months (all months when fewer): a level that one-off spikes do not move.

    Lumpy households (a wedding, a hospital bill, a laptop) make the mean of a year chase last year's spike;
    the median ignores it, and sits where a month's absolute (and percentage) error is smallest.
    """

    name: ClassVar[str] = "median_12"
    expensive: ClassVar[bool] = False

    def forecast(self, y: np.ndarray, start: pd.Period, exog: np.ndarray, horizon: int,
                 n_spec: int | None = None) -> np.ndarray:
        """Point forecasts."""
        return np.full(horizon, float(np.median(y[-SEASON:])))


def _quiet_statsforecast() -> None:
    warnings.filterwarnings("ignore", module="statsforecast")
    warnings.filterwarnings("ignore", category=RuntimeWarning)


@dataclass
class AutoETSForecaster:
    """statsforecast AutoETS (seasonal when two years are available)."""

    name: ClassVar[str] = "ets"
    expensive: ClassVar[bool] = False

    def forecast(self, y: np.ndarray, start: pd.Period, exog: np.ndarray, horizon: int,
                 n_spec: int | None = None) -> np.ndarray:
        """Point forecasts."""
        from statsforecast.models import AutoETS

        season = SEASON if (n_spec or len(y)) >= 2 * SEASON else 1
        with warnings.catch_warnings():
            _quiet_statsforecast()
            try:
                fitted = AutoETS(season_length=season).fit(np.asarray(y, dtype=float))
                return np.asarray(fitted.predict(horizon)["mean"], dtype=float)
            except Exception as exc:  # statsforecast raises bare errors on degenerate series
                log.debug("AutoETS failed (%s); using the mean", type(exc).__name__)
                return MeanLast12().forecast(y, start, exog, horizon)


@dataclass
class AutoARIMAForecaster:
    """statsforecast AutoARIMA with small orders (short monthly series)."""

    name: ClassVar[str] = "arima"
    expensive: ClassVar[bool] = True

    def forecast(self, y: np.ndarray, start: pd.Period, exog: np.ndarray, horizon: int,
                 n_spec: int | None = None) -> np.ndarray:
        """Point forecasts."""
        from statsforecast.models import AutoARIMA

        season = SEASON if (n_spec or len(y)) >= SEASON + 6 else 1
        with warnings.catch_warnings():
            _quiet_statsforecast()
            try:
                model = AutoARIMA(season_length=season, max_p=2, max_q=2, max_P=1, max_Q=1)
                fitted = model.fit(np.asarray(y, dtype=float))
                return np.asarray(fitted.predict(horizon)["mean"], dtype=float)
            except Exception as exc:
                log.debug("AutoARIMA failed (%s); using the mean", type(exc).__name__)
                return MeanLast12().forecast(y, start, exog, horizon)


def quiet_prophet() -> None:
    """Silence Prophet's and cmdstanpy's chatty INFO logs (cmdstanpy resets its level on first use)."""
    from cmdstanpy.utils import get_logger

    get_logger().disabled = True
    for name in ("prophet", "prophet.plot"):
        logging.getLogger(name).setLevel(logging.ERROR)


@dataclass
class ProphetMonthly:
    """Prophet on log spend per month, yearly seasonality and festival-window regressors."""

    name: ClassVar[str] = "prophet"
    expensive: ClassVar[bool] = True
    regressors: tuple[str, ...] = ()
    growth: Literal["linear", "flat"] = "flat"  # a trend fitted on two years of monthly data extrapolates badly
    yearly_order: int = 2
    min_months_yearly: int = 24  # yearly seasonality is not identified with less than two years
    seasonality_prior_scale: float = 0.1
    changepoint_prior_scale: float = 0.05
    regressor_prior_scale: float = 0.5
    n_changepoints: int = 5

    def forecast(self, y: np.ndarray, start: pd.Period, exog: np.ndarray, horizon: int,
                 n_spec: int | None = None) -> np.ndarray:
        """Point forecasts (Prophet fit on ``log1p`` spend, so festival effects are multiplicative)."""
        from prophet import Prophet

        quiet_prophet()
        n = len(y)
        ds = pd.period_range(start, periods=n + horizon, freq="M").to_timestamp()
        frame = pd.DataFrame({"ds": ds})
        for j, reg in enumerate(self.regressors):
            frame[reg] = exog[: n + horizon, j]
        yearly = self.yearly_order if (n_spec or n) >= self.min_months_yearly else False
        model = Prophet(growth=self.growth, yearly_seasonality=yearly, weekly_seasonality=False,
                        daily_seasonality=False, uncertainty_samples=0,
                        n_changepoints=min(self.n_changepoints, max(n // 3, 1)),
                        seasonality_prior_scale=self.seasonality_prior_scale,
                        changepoint_prior_scale=self.changepoint_prior_scale)
        hist = frame.iloc[:n].assign(y=np.log1p(np.clip(y, 0, None)))
        for j, reg in enumerate(self.regressors):
            # A regressor constant over the history cannot be fitted (and Prophet rejects it).
            if np.ptp(exog[:n, j]) > 0:
                model.add_regressor(reg, prior_scale=self.regressor_prior_scale, standardize=False)
            else:
                frame = frame.drop(columns=reg)
                hist = hist.drop(columns=reg)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                model.fit(hist)
                pred = model.predict(frame.iloc[n:])["yhat"].to_numpy()
            except Exception as exc:  # Stan optimisation failures on degenerate series
                log.debug("Prophet failed (%s); using the mean", type(exc).__name__)
                return MeanLast12().forecast(y, start, exog, horizon)
        return np.asarray(np.expm1(pred), dtype=float)


ALL_FAMILIES: tuple[str, ...] = ("seasonal_naive", "mean_12", "median_12", "seasonal_index", "ets", "arima", "prophet",
                                 "global")
# Built per series from trained state (a shared profile, the pooled model): see forecast.series_runs.
PER_SERIES: tuple[str, ...] = ("seasonal_index", "global")
BASELINES: tuple[str, ...] = ("seasonal_naive", "mean_12")


def build_forecasters(names: list[str] | tuple[str, ...], prophet_params: Mapping[str, Any],
                      regressors: tuple[str, ...]) -> dict[str, Forecaster]:
    """Forecaster instances by name (Prophet configured from the model's JSON config)."""
    out: dict[str, Forecaster] = {}
    for name in names:
        if name in PER_SERIES:
            continue
        if name == "seasonal_naive":
            out[name] = SeasonalNaive()
        elif name == "mean_12":
            out[name] = MeanLast12()
        elif name == "median_12":
            out[name] = MedianLevel()
        elif name == "ets":
            out[name] = AutoETSForecaster()
        elif name == "arima":
            out[name] = AutoARIMAForecaster()
        elif name == "prophet":
            out[name] = ProphetMonthly(regressors=regressors, **dict(prophet_params))
        else:
            raise ValueError(f"unknown forecaster {name!r}; expected one of {', '.join(ALL_FAMILIES)}")
    return out
