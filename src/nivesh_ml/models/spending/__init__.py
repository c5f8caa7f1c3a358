"""Spending forecasts: monthly spend per user and category with Prophet, baselines and backtests."""

from nivesh_ml.models.spending.family import SpendingFamily, SpendingPredictor

FAMILY = SpendingFamily()

__all__ = ["FAMILY", "SpendingFamily", "SpendingPredictor"]
