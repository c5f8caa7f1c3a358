"""Spending forecasts, issue 20 seventh pass: the total's level (window, geometric mean) and refitted profiles."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from nivesh_ml.errors import InvalidInput
from nivesh_ml.models.spending.holidays import monthly_festival_features
from nivesh_ml.models.spending.profiles import SeasonalIndex, deseasonalised_level
from nivesh_ml.models.spending.selection import ForecastConfig
from nivesh_ml.models.spending.series import TOTAL
from nivesh_ml.models.spending.training import refit_cases, shared_profiles, user_histories
from tests.unit.models.test_spending import CHEAP, toy_user


def test_geometric_level_sits_below_the_mean_by_the_volatility_and_a_spike_moves_it_less() -> None:
    steady = np.full(24, 1000.0)
    assert deseasonalised_level(steady, "geometric") == pytest.approx(1000.0)
    rng = np.random.default_rng(3)
    calm, wild = 1000.0 * rng.lognormal(0, 0.1, 240), 1000.0 * rng.lognormal(0, 0.5, 240)
    # log-normal months: the geometric mean is the median, below the mean by about half the log-variance
    assert deseasonalised_level(calm, "mean") / deseasonalised_level(calm, "geometric") == pytest.approx(
        np.exp(0.1**2 / 2), rel=0.01)
    assert deseasonalised_level(wild, "mean") / deseasonalised_level(wild, "geometric") == pytest.approx(
        np.exp(0.5**2 / 2), rel=0.05)
    spiked = steady.copy()
    spiked[5] = 6000.0  # a wedding month
    assert deseasonalised_level(spiked, "mean") == pytest.approx(1000.0 * 29 / 24)
    assert 1000.0 < deseasonalised_level(spiked, "geometric") < 1000.0 * 1.08
    # an empty month does not send the level to zero (floored at 5 % of the mean)
    empty = steady.copy()
    empty[3] = 0.0
    assert deseasonalised_level(empty, "geometric") > 850.0
    assert deseasonalised_level(np.zeros(12), "geometric") == 0.0


def test_total_seasonal_index_uses_its_configured_level_window() -> None:
    start = pd.Period("2023-01", freq="M")
    y = np.r_[np.full(12, 1000.0), np.full(12, 2000.0)]  # the level doubled a year ago
    exog = monthly_festival_features(pd.period_range(start, periods=27, freq="M"))
    flat = [0.0] * (12 + exog.shape[1])
    assert np.allclose(SeasonalIndex(flat).forecast(y, start, exog, 3), 2000.0)
    assert np.allclose(SeasonalIndex(flat, level_months=24).forecast(y, start, exog, 3), 1500.0)
    geometric = SeasonalIndex(flat, level_months=24, level="geometric").forecast(y, start, exog, 3)
    assert np.allclose(geometric, np.sqrt(1000.0 * 2000.0))


def test_level_settings_are_checked_and_a_model_saved_before_them_keeps_its_level(tmp_path: Path) -> None:
    assert (ForecastConfig().total_level_months, ForecastConfig().total_level) == (24, "geometric")
    with pytest.raises(InvalidInput, match="total_level"):
        ForecastConfig(total_level="mode")
    with pytest.raises(InvalidInput, match="total_level_months"):
        ForecastConfig(total_level_months=2)
    from nivesh_ml.models.base import ModelMetadata
    from nivesh_ml.models.spending import FAMILY
    from nivesh_ml.models.spending.family import CONFIG_FILE

    old = ForecastConfig(eligible=CHEAP).to_dict()
    del old["total_level_months"], old["total_level"], old["refit_profiles"], old["total_level_halflife"]
    (tmp_path / CONFIG_FILE).write_text(json.dumps(old))
    ModelMetadata(name="spending").write(tmp_path)
    loaded = FAMILY.load(tmp_path)
    assert (loaded.config.total_level_months, loaded.config.total_level) == (12, "mean")
    assert loaded.config.total_level_halflife == 0.0  # saved before the recency weighting: a flat level
    assert ForecastConfig().total_level_halflife == 12.0
    with pytest.raises(InvalidInput, match="total_level_halflife"):
        ForecastConfig(total_level_halflife=0.5)


def test_a_recency_weighted_level_follows_a_household_that_drifts() -> None:
    """A household whose spend stepped up 6 months ago (a new EMI) or grows 6 % a year: the flat 24-month level
    lags a year behind, the level with a 12-month half-life much less; on a steady household they agree."""
    steady = np.full(24, 1000.0)
    assert deseasonalised_level(steady, "geometric", 12.0) == pytest.approx(1000.0)
    assert deseasonalised_level(steady, "mean", 12.0) == pytest.approx(1000.0)
    stepped = np.r_[np.full(18, 1000.0), np.full(6, 1300.0)]
    flat, recent = deseasonalised_level(stepped, "geometric"), deseasonalised_level(stepped, "geometric", 12.0)
    assert flat < recent < 1300.0 and recent - flat > 30.0
    growing = 1000.0 * 1.06 ** (np.arange(24) / 12)
    last = growing[-1]
    assert abs(deseasonalised_level(growing, "geometric", 12.0) - last) < abs(
        deseasonalised_level(growing, "geometric") - last)
    # the weight halves every ``halflife`` months back from the last month
    two = np.array([100.0, 400.0])
    assert deseasonalised_level(two, "mean", 1.0) == pytest.approx((0.5 * 100 + 400) / 1.5)


def test_refitted_profiles_see_every_month_and_each_users_held_out_forecast_is_cross_fitted() -> None:
    frame = pd.DataFrame([r for i in range(6) for r in toy_user(f"u{i}", months=24, seed=i, diwali_boost=3.0)])
    cfg = ForecastConfig(eligible=["seasonal_index", "mean_12"], learn_scheduled=False,
                         preferred={"total": "seasonal_index"})
    histories = user_histories(frame, cfg)
    refit, cases = refit_cases(histories, 4, 3, cfg, folds=2)  # 3 users (a profile's minimum) per fold
    assert refit.profiles == shared_profiles(histories, 0, cfg) != shared_profiles(histories, 3, cfg)
    assert [c.user_id for c in cases] == ["u0", "u1", "u2", "u3"]
    # u0's last 3 months tripled: the served profiles change, u0's own held-out forecast does not (its profiles
    # come from the other fold), u1's does (u0 is in the profiles of u1's fold).
    boosted = frame.copy()
    last = pd.to_datetime(boosted["timestamp"]) >= pd.Timestamp("2024-10-01")
    boosted.loc[(boosted["user_id"] == "u0") & last, "amount"] *= 3
    refit2, cases2 = refit_cases(user_histories(boosted, cfg), 4, 3, cfg, folds=2)
    assert refit2.profiles[TOTAL] != refit.profiles[TOTAL]
    own, own2 = cases[0].runs[TOTAL].forecasts, cases2[0].runs[TOTAL].forecasts
    assert np.allclose(own2["seasonal_index"], own["seasonal_index"])
    assert not np.allclose(cases2[1].runs[TOTAL].forecasts["seasonal_index"],
                           cases[1].runs[TOTAL].forecasts["seasonal_index"])
    assert not np.allclose(cases2[0].actual[TOTAL], cases[0].actual[TOTAL])


def test_training_refits_the_profiles_it_serves_unless_switched_off() -> None:
    from nivesh_ml.models.spending import FAMILY

    frame = pd.DataFrame([r for i in range(3) for r in toy_user(f"u{i}", months=24, seed=i)])
    config = {"eligible": [*CHEAP, "seasonal_index"], "learn_scheduled": False}
    histories = user_histories(frame, ForecastConfig(**config))
    trained = FAMILY.train(frame, {"calibration_users": 3, "calibration_windows": 1, "config": config})
    assert trained.state.config.profiles == shared_profiles(histories, 0, trained.state.config)
    assert trained.metadata.extra["calibration_cases"] == 3
    kept = FAMILY.train(frame, {"calibration_users": 3, "calibration_windows": 1,
                                "config": {**config, "refit_profiles": False}})
    assert kept.state.config.profiles == shared_profiles(histories, 3, kept.state.config)
