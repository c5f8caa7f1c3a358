"""Spending forecasts: scheduled payments (an annual premium, term fees) are learned and forecast in their month."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from nivesh_ml.models.spending import FAMILY
from nivesh_ml.models.spending.forecast import forecast_user
from nivesh_ml.models.spending.recurring import (
    SCHEDULED,
    is_scheduled,
    learn_scheduled,
    project,
    recurrence,
    user_scheduled,
)
from nivesh_ml.models.spending.selection import ForecastConfig
from nivesh_ml.models.spending.series import spend_history
from nivesh_ml.models.spending.training import scheduled_categories, user_histories
from tests.unit.models.test_spending import toy_user

CHEAP = ["seasonal_naive", "mean_12", "ets"]


def premium_user(user_id: str, due_month: int, premium: float, seed: int) -> list[dict[str, Any]]:
    """The toy user (2023-01 … 2024-12) plus an annual insurance premium on the 10th of ``due_month``."""
    rows = toy_user(user_id, months=24, seed=seed, sparse_category=True)
    for year in (2023, 2024):
        rows.append({"user_id": user_id, "timestamp": f"{year}-{due_month:02d}-10T11:00:00", "amount": premium,
                     "category": "insurance"})
    return rows


def _frame(users: int) -> pd.DataFrame:
    return pd.DataFrame([r for i in range(users) for r in premium_user(f"u{i:02d}", i % 12 + 1, 20000.0 + 500 * i, i)])


def test_same_month_last_year_projection() -> None:
    known = np.array([0.0] * 2 + [9000.0] + [0.0] * 10 + [500.0])
    assert project(known, 13, 3).tolist() == [0.0, 9000.0, 0.0]  # months 13-15 ← 1-3
    assert project(known, 6, 2).tolist() == [1500.0, 1500.0]  # under a year: the average month


def test_training_learns_the_annual_premium_but_not_day_to_day_or_one_off_spending() -> None:
    cfg = ForecastConfig(eligible=CHEAP)
    scheduled, ratios = scheduled_categories(user_histories(_frame(6), cfg), 3, cfg)
    assert scheduled == ["insurance"]
    assert ratios["groceries"] > 1 and ratios["shopping"] > 1
    assert "gifts" not in scheduled  # one purchase two years ago is not a yearly payment
    assert learn_scheduled([("insurance", np.ones(24))] * 2, 3) == ([], {})  # too few users to tell


def test_a_detected_annual_premium_is_forecast_in_its_month_and_in_the_total() -> None:
    history = spend_history(premium_user("me", due_month=3, premium=24000.0, seed=3))
    cfg = ForecastConfig(eligible=CHEAP, scheduled=["insurance"])
    forecast = forecast_user(history, 12, cfg)
    months = [m[-2:] for m in pd.period_range("2025-01", periods=12, freq="M").astype(str)]
    insurance = forecast.categories["insurance"]
    assert insurance.model == SCHEDULED
    assert insurance.point[months.index("03")] == pytest.approx(24000.0)
    assert np.delete(insurance.point, months.index("03")).max() == 0.0
    total = forecast.total.point
    assert total[2] - np.median(total) > 0.8 * 24000.0  # the premium lands in March, not spread over the year
    # Without the pooled prior, the user's own history (the premium paid in March of both years) decides.
    plain = forecast_user(history, 12, ForecastConfig(eligible=["mean_12"]))
    assert plain.categories["insurance"].model == SCHEDULED
    assert plain.total.point[2] - np.median(plain.total.point) > 0.8 * 24000.0


def test_recurrence_is_decided_per_user_from_their_own_lumps() -> None:
    premium = np.array([0.0] * 2 + [24000.0] + [0.0] * 11 + [25000.0] + [0.0] * 9)
    laptop = np.array([0.0] * 17 + [60000.0] + [0.0] * 6)
    assert recurrence(premium) == (2, 0) and recurrence(laptop) == (0, 1)
    assert is_scheduled(premium, prior=True) and is_scheduled(premium, prior=False)
    assert not is_scheduled(laptop, prior=True)  # the pooled rule is only a prior: the other year is visible
    assert is_scheduled(np.full(24, 800.0), prior=True)  # no lumps, no evidence: the prior decides
    assert not is_scheduled(np.full(24, 800.0), prior=False)
    assert is_scheduled(np.array([0.0] * 5 + [9000.0] + [0.0] * 7), prior=True)  # other year not visible yet


def test_a_one_off_laptop_under_a_scheduled_category_is_not_projected_but_a_yearly_premium_is() -> None:
    rows = premium_user("me", due_month=3, premium=24000.0, seed=3)
    rows.append({"user_id": "me", "timestamp": "2024-06-15T11:00:00", "amount": 60000.0, "category": "education"})
    cfg = ForecastConfig(eligible=CHEAP, scheduled=["education", "insurance"])
    history = spend_history(rows)
    assert user_scheduled(history, cfg) == ["insurance"]
    forecast = forecast_user(history, 12, cfg)
    assert forecast.categories["insurance"].model == SCHEDULED
    assert forecast.categories["education"].model != SCHEDULED
    june = forecast.total.point[5]
    assert june - np.median(forecast.total.point) < 0.1 * 60000.0  # the laptop is not bought again next June
    assert forecast.total.point[2] - np.median(forecast.total.point) > 0.8 * 24000.0  # the premium is


@pytest.mark.slow
def test_trained_model_keeps_its_scheduled_categories_after_save_and_load(tmp_path: Path) -> None:
    trained = FAMILY.train(_frame(6), {"calibration_users": 4, "config": {"eligible": CHEAP}})
    assert trained.state.config.scheduled == ["insurance"]
    FAMILY.save(trained, tmp_path)
    predictor = FAMILY.load(tmp_path)
    assert predictor.config.scheduled == ["insurance"]
    out = predictor.predict([{"transactions": premium_user("me", 2, 30000.0, 7), "months": 3}])[0]
    feb = [r for r in out["forecast"] if r["category"] == "insurance" and r["month"] == "2025-02"]
    assert feb and feb[0]["amount"] == pytest.approx(30000.0) and feb[0]["model"] == SCHEDULED
    assert out["total"][1]["amount"] > out["total"][0]["amount"] + 20000.0


def test_without_per_user_recurrence_the_pooled_list_alone_decides_and_the_laptop_is_projected() -> None:
    rows = premium_user("me", due_month=3, premium=24000.0, seed=3)
    rows.append({"user_id": "me", "timestamp": "2024-06-15T11:00:00", "amount": 60000.0, "category": "education"})
    history = spend_history(rows)
    pooled_only = ForecastConfig(eligible=CHEAP, scheduled=["education", "insurance"], per_user_recurrence=False)
    assert user_scheduled(history, pooled_only) == ["education", "insurance"]
    june = forecast_user(history, 12, pooled_only).total.point[5]
    per_user = forecast_user(history, 12, ForecastConfig(eligible=CHEAP, scheduled=["education", "insurance"]))
    assert june > per_user.total.point[5] + 40000.0  # the one-off laptop comes back next June
