"""Spending forecasts: what counts as spending, outlier clipping, the learned blend per series kind."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from nivesh_ml.errors import InvalidInput, NotFound
from nivesh_ml.models.spending.forecast import forecast_user
from nivesh_ml.models.spending.selection import WEIGHTED, ForecastConfig, SeriesRun, select, winsorise
from nivesh_ml.models.spending.series import TOTAL, spend_history
from nivesh_ml.models.spending.training import HoldoutCase, learn_weights
from tests.unit.models.test_spending import CHEAP, toy_user


def _with_money_moved(months: int = 14) -> list[dict[str, object]]:
    rows = toy_user(months=months)
    for m in range(1, months + 1):
        month = f"2023-{m:02d}" if m <= 12 else f"2024-{m - 12:02d}"
        rows.append({"user_id": "u1", "timestamp": f"{month}-05T10:00:00", "amount": 20000.0,
                     "category": "Investments"})
        rows.append({"user_id": "u1", "timestamp": f"{month}-06T10:00:00", "amount": 3000.0, "category": "transfers"})
    return rows


def test_transfers_and_investments_are_not_spending() -> None:
    rows = _with_money_moved()
    history = spend_history(rows)
    assert "investments" not in history.categories and "transfers" not in history.categories
    plain = spend_history(toy_user(months=14))
    assert np.allclose(history.total, plain.total)
    # Counting every debit is still possible when asked for explicitly.
    everything = spend_history(rows, exclude=())
    assert np.allclose(everything.total - plain.total, 23000.0)


def test_asking_for_a_money_moved_category_says_why_it_is_not_forecast() -> None:
    history = spend_history(_with_money_moved())
    with pytest.raises(NotFound, match="not spending"):
        forecast_user(history, 3, ForecastConfig(eligible=CHEAP), category="Transfers")


def test_winsorise_clips_a_one_off_spike_but_keeps_ordinary_months() -> None:
    y = np.array([100.0, 110, 95, 105, 100, 5000, 98, 102, 107, 93])
    clipped = winsorise(y, 3.0)
    assert clipped[5] < 200
    assert np.array_equal(np.delete(clipped, 5), np.delete(y, 5))
    assert np.array_equal(winsorise(y, 0.0), y)
    assert np.array_equal(winsorise(np.array([0.0] * 8 + [500.0, 0.0]), 3.0), [0.0] * 8 + [500.0, 0.0])


def _run(name: str, level: float, good: str, bad: str, rng: np.random.Generator) -> SeriesRun:
    actual = level + rng.normal(0, 5, (3, 3))
    return SeriesRun(name=name, sparse=False, level=level, spread=5.0, actual_bt=actual,
                     backtests={good: actual + rng.normal(0, 1, (3, 3)), bad: actual + 50.0},
                     forecasts={good: np.full(3, level), bad: np.full(3, level + 50)})


def test_learned_weights_favour_the_family_that_backtests_well_and_drive_the_weighted_choice() -> None:
    rng = np.random.default_rng(0)
    cases = [HoldoutCase(f"u{i}", {TOTAL: _run(TOTAL, 1000.0, "ets", "mean_12", rng)}, {}, {}) for i in range(10)]
    weights = learn_weights(cases, "total")
    assert weights["ets"] > 0.9 and weights.get("mean_12", 0.0) < 0.1
    cfg = ForecastConfig(eligible=CHEAP, weights={"total": weights}, preferred={"total": WEIGHTED})
    chosen = select(cases[0].runs[TOTAL], 3, cfg)
    assert chosen.model == WEIGHTED
    assert np.allclose(chosen.point, 1000.0, atol=10.0)
    assert np.all(chosen.lower <= chosen.point) and np.all(chosen.point <= chosen.upper)


def test_median_level_ignores_a_one_off_spike_and_is_chosen_by_the_backtest_on_a_lumpy_household() -> None:
    from nivesh_ml.models.spending.forecasters import MeanLast12, MedianLevel
    from nivesh_ml.models.spending.selection import run_series

    rng = np.random.default_rng(4)
    y = 30000.0 + rng.normal(0, 600.0, 24)
    y[[5, 11, 17, 20]] += [60000.0, 45000.0, 80000.0, 50000.0]  # a lumpy household: one-off bills
    start = pd.Period("2023-01", "M")
    exog = np.zeros((27, 0))
    assert abs(MedianLevel().forecast(y, start, exog, 3)[0] - 30000.0) < 1000.0
    assert MeanLast12().forecast(y, start, exog, 3)[0] > 40000.0
    cfg = ForecastConfig(eligible=["mean_12", "median_12"], blend=False, winsorise=0.0)
    run = run_series(TOTAL, y, np.full(24, 30.0), start, exog, 3,
                     {"mean_12": MeanLast12(), "median_12": MedianLevel()}, cfg)
    assert select(run, 3, cfg).model == "median_12"


def test_total_shrink_is_learned_below_one_for_right_skewed_months_and_scales_the_total() -> None:
    from nivesh_ml.models.spending.training import learn_total_shrink

    rng = np.random.default_rng(7)
    cases = []
    for i in range(20):
        run = _run(TOTAL, 1000.0, "mean_12", "ets", rng)
        actual = 1000.0 * rng.lognormal(0.0, 0.5, 3)  # skewed months around a forecast at their mean level
        run.forecasts = {"mean_12": np.full(3, 1000.0 * np.exp(0.125)), "ets": np.full(3, 5000.0)}
        cases.append(HoldoutCase(f"u{i}", {TOTAL: run}, {TOTAL: actual}, {}))
    cfg = ForecastConfig(eligible=["mean_12"], blend=False)
    shrink = learn_total_shrink(cases, cfg)
    assert 0.8 <= shrink < 0.95
    scaled = select(cases[0].runs[TOTAL], 3, ForecastConfig(eligible=["mean_12"], blend=False, total_shrink=shrink))
    assert np.allclose(scaled.point, shrink * 1000.0 * np.exp(0.125))
    assert learn_total_shrink(cases[:5], cfg) == 1.0  # too few held-out months to learn from
    with pytest.raises(InvalidInput):
        ForecastConfig(total_shrink=0.1)


def test_conformal_interval_factors_cover_at_least_80_percent_of_new_errors_even_from_few_points() -> None:
    from nivesh_ml.models.spending.training import conformal_bounds

    rng = np.random.default_rng(11)
    covered = []
    for _ in range(400):  # heavy-tailed normalised errors, 60 held-out months per training run
        lo, hi = conformal_bounds(rng.standard_t(4, size=60))
        new = rng.standard_t(4, size=200)
        covered.append(np.mean((new >= lo) & (new <= hi)))
    # Plain 10 %/90 % quantiles of 60 points cover about 0.8 × 59/61 ≈ 77 % on average: too narrow.
    assert 0.79 <= float(np.mean(covered)) <= 0.83
    assert conformal_bounds(np.arange(100.0)) == (9.0, 90.0)  # the 10th and the 91st of 100
    assert conformal_bounds([0.5, -0.5]) == (-0.5, 0.5)  # too few: the extremes


def test_intervals_are_calibrated_on_earlier_windows_of_the_training_users_too() -> None:
    from nivesh_ml.models.spending import FAMILY

    frame = pd.DataFrame([r for i in range(3) for r in toy_user(f"u{i}", months=24, seed=i)])
    config = {"eligible": CHEAP, "learn_scheduled": False}
    three = FAMILY.train(frame, {"calibration_users": 3, "calibration_windows": 3, "config": config})
    assert three.metadata.extra["choice_cases"] == 3  # the last window chooses the families
    assert three.metadata.extra["calibration_cases"] == 9  # 3 users × 3 windows calibrate the intervals
    one = FAMILY.train(frame, {"calibration_users": 3, "calibration_windows": 1, "config": config})
    assert one.metadata.extra["calibration_cases"] == 3
    with pytest.raises(InvalidInput, match="calibration_windows"):
        FAMILY.train(frame, {"calibration_windows": 0})
