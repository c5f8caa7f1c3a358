"""Spending forecasts: series, festival calendar, model choice, intervals, the model contract."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from nivesh_ml.errors import InvalidInput, NotFound
from nivesh_ml.models.spending import FAMILY
from nivesh_ml.models.spending.forecast import forecast_user
from nivesh_ml.models.spending.forecasters import ProphetMonthly
from nivesh_ml.models.spending.holidays import (
    DEFAULT_WINDOWS,
    festival_day,
    festival_feature_names,
    monthly_festival_features,
)
from nivesh_ml.models.spending.profiles import SeasonalIndex, fit_profiles
from nivesh_ml.models.spending.selection import SPARSE_FALLBACK, ForecastConfig
from nivesh_ml.models.spending.series import spend_history
from tests.model_contract import check_model_contract

CHEAP = ["seasonal_naive", "mean_12", "ets"]
DIWALI = festival_feature_names(DEFAULT_WINDOWS).index("diwali")


def toy_user(user_id: str = "u1", months: int = 24, seed: int = 0, diwali_boost: float = 1.0,
             start: date = date(2023, 1, 1), sparse_category: bool = False) -> list[dict[str, Any]]:
    """Daily groceries and shopping, monthly rent; shopping multiplied inside the Diwali window."""
    rng = np.random.default_rng(seed)
    end = (pd.Period(start, "M") + months).start_time.date()
    rows: list[dict[str, Any]] = []
    day = start
    while day < end:
        diwali = festival_day("Diwali", day.year)
        boost = diwali_boost if diwali and -21 <= (day - diwali).days <= 1 else 1.0
        for category, rate, median in (("groceries", 0.5, 400.0), ("shopping", 0.2 * boost, 1200.0)):
            for _ in range(rng.poisson(rate)):
                rows.append({"user_id": user_id, "timestamp": f"{day}T12:00:00", "category": category,
                             "amount": round(median * float(rng.lognormal(0, 0.3)), 2)})
        if day.day == 1:
            rows.append({"user_id": user_id, "timestamp": f"{day}T09:00:00", "amount": 15000.0,
                         "category": "rent"})
            rows.append({"user_id": user_id, "timestamp": f"{day}T09:00:00", "amount": 60000.0,
                         "category": "salary", "direction": "credit"})
        day += timedelta(days=1)
    if sparse_category:
        rows.append({"user_id": user_id, "timestamp": f"{start}T10:00:00", "amount": 5000.0, "category": "gifts"})
    return rows


def test_monthly_spend_counts_debits_only_and_drops_a_partial_last_month() -> None:
    rows = toy_user(months=6)
    rows.append({"user_id": "u1", "timestamp": "2023-07-03T10:00:00", "amount": 999.0, "category": "groceries"})
    history = spend_history(rows)
    assert [str(m) for m in history.months] == ["2023-01", "2023-02", "2023-03", "2023-04", "2023-05", "2023-06"]
    assert history.dropped_partial_month == "2023-07"
    assert "salary" not in history.categories
    assert history.amounts["rent"].tolist() == [15000.0] * 6


def test_festival_regressor_follows_diwali_between_october_and_november() -> None:
    months = pd.period_range("2023-09", "2025-12", freq="M")
    diwali = dict(zip((str(m) for m in months), monthly_festival_features(months)[:, DIWALI].tolist(), strict=True))
    # Diwali: 12 Nov 2023, 31 Oct 2024, 20 Oct 2025; the shopping window runs three weeks before.
    assert diwali["2023-11"] > diwali["2023-10"] > 0
    assert diwali["2024-10"] > 0.9
    assert diwali["2025-10"] > diwali["2025-11"]
    assert diwali["2024-06"] == 0


def test_holiday_effect_is_detected_on_simulated_diwali_spikes() -> None:
    history = spend_history(toy_user(months=36, diwali_boost=4.0, seed=3))
    y = history.amounts["shopping"].to_numpy()
    future = pd.period_range(history.months[-1] + 1, periods=12, freq="M")
    months = pd.PeriodIndex(history.months.append(future))
    exog = monthly_festival_features(months)
    cfg = ForecastConfig()
    with_festivals = ProphetMonthly(regressors=cfg.regressors).forecast(y, history.start, exog, 12)
    without = ProphetMonthly(regressors=()).forecast(y, history.start, exog, 12)
    diwali_month = int(np.argmax(exog[len(y):, DIWALI]))  # October 2026 (Diwali on 8 Nov: window mostly October)
    others = np.delete(with_festivals, diwali_month)
    assert with_festivals[diwali_month] > 1.5 * np.median(others)
    assert with_festivals[diwali_month] > without[diwali_month]


def test_sparse_history_falls_back_to_a_robust_baseline_with_a_wide_interval() -> None:
    cfg = ForecastConfig(eligible=CHEAP)
    short = forecast_user(spend_history(toy_user(months=5)), 3, cfg)
    assert short.total.model == SPARSE_FALLBACK
    assert {f.model for f in short.categories.values()} == {SPARSE_FALLBACK}
    long = forecast_user(spend_history(toy_user(months=24, sparse_category=True)), 3, cfg)
    assert long.total.model != SPARSE_FALLBACK
    assert "gifts" not in long.categories  # nothing in the last 12 months: ended
    rare = toy_user(months=24)
    rare += [{"user_id": "u1", "timestamp": "2024-10-05", "amount": 3000.0, "category": "gifts"}]
    regular = forecast_user(spend_history(rare), 3, cfg)
    assert regular.categories["gifts"].model == SPARSE_FALLBACK
    assert regular.categories["groceries"].model != SPARSE_FALLBACK
    gifts, groceries = regular.categories["gifts"], regular.categories["groceries"]
    assert (gifts.upper - gifts.lower)[0] / max(gifts.point[0], 1) > (
        (groceries.upper - groceries.lower)[0] / groceries.point[0])


def test_forecast_rows_follow_the_history_and_intervals_bracket_the_point() -> None:
    result = forecast_user(spend_history(toy_user(months=20)), 4, ForecastConfig(eligible=CHEAP))
    body = result.to_response()
    assert [r["month"] for r in body["total"]] == ["2024-09", "2024-10", "2024-11", "2024-12"]
    assert {r["category"] for r in body["forecast"]} == {"groceries", "shopping", "rent"}
    for row in body["forecast"] + body["total"]:
        assert 0 <= row["lower"] <= row["amount"] <= row["upper"]
        assert row["model"]
    rent = [r for r in body["forecast"] if r["category"] == "rent"]
    assert all(abs(r["amount"] - 15000) < 1 for r in rent)


@pytest.mark.parametrize("months", [0, 25])
def test_months_out_of_range_is_invalid(months: int) -> None:
    with pytest.raises(InvalidInput):
        forecast_user(spend_history(toy_user(months=6)), months, ForecastConfig(eligible=CHEAP))


def test_unknown_category_is_not_found_and_config_rejects_unknown_keys() -> None:
    with pytest.raises(NotFound):
        forecast_user(spend_history(toy_user(months=6)), 3, ForecastConfig(eligible=CHEAP), category="yachts")
    with pytest.raises(InvalidInput, match="bogus"):
        ForecastConfig.from_dict({"bogus": 1})
    with pytest.raises(InvalidInput, match="eligible"):
        ForecastConfig(eligible=["crystal_ball"])
    with pytest.raises(InvalidInput, match="preferred"):
        ForecastConfig(preferred={"total": "crystal_ball"})


def test_shared_profiles_learn_a_month_effect_common_to_users() -> None:
    rng = np.random.default_rng(1)
    start = pd.Period("2023-01", freq="M")
    series = []
    for _ in range(20):
        y = 10_000 * (1 + rng.normal(0, 0.1, 24))
        y[[11, 23]] *= 1.6  # every December
        series.append(("total", start, y))
    profile = fit_profiles(series, {}, ())["total"]
    december, june = 1 + profile[11], 1 + profile[5]
    assert december > 1.3 and 0.85 < june < 1.1
    seasonal = SeasonalIndex(profile).forecast(series[0][2], start, np.zeros((36, 1)), 12)
    assert seasonal[11] > 1.3 * np.median(seasonal)


@pytest.mark.slow
def test_spending_model_contract(tmp_path: Path) -> None:
    frame = pd.DataFrame([r for i in range(3) for r in toy_user(f"u{i}", months=16, seed=i)])
    params = {"calibration_users": 3, "config": {"eligible": CHEAP}}
    inputs = [{"transactions": toy_user("a", months=14, seed=9), "months": 3},
              {"transactions": toy_user("b", months=8, seed=8), "months": 2, "category": "rent"}]
    predictor = check_model_contract(FAMILY, frame, params, inputs, tmp_path)
    out = predictor.predict(inputs)
    assert len(out[0]["total"]) == 3 and len(out[1]["total"]) == 2
    assert {r["category"] for r in out[1]["forecast"]} == {"rent"}
    metrics = FAMILY.evaluate(predictor, frame)
    assert {"mape", "smape", "rel_mae", "coverage_80", "per_model", "per_category"} <= set(metrics)
    assert {"seasonal_naive", "mean_12", "ets", "chosen"} <= set(metrics["per_model"])
