"""A chart of a user's monthly spend history, forecast and 80 % interval (matplotlib, Agg backend)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display; safe in servers and workers
import matplotlib.pyplot as plt
import numpy as np

from nivesh_ml.models.spending.forecast import UserForecast
from nivesh_ml.models.spending.series import SpendHistory

TOP_CATEGORIES = 5


def _rupees(value: float, _: object = None) -> str:
    return f"₹{value / 1000:,.0f}k" if abs(value) >= 1000 else f"₹{value:,.0f}"


def plot_forecast(history: SpendHistory, forecast: UserForecast, path: Path, title: str = "") -> Path:
    """Write a PNG: total spend (history, forecast, interval) above the biggest categories' forecasts."""
    from matplotlib.ticker import FuncFormatter

    hist_x = np.arange(history.n_months)
    fut_x = np.arange(history.n_months, history.n_months + len(forecast.months))
    labels = [str(m) for m in history.months] + forecast.months
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(11, 8), sharex=True, height_ratios=(3, 2))
    total = forecast.total
    top.plot(hist_x, history.total, "o-", color="#1f4e79", label="spent")
    top.plot(np.r_[hist_x[-1], fut_x], np.r_[history.total[-1], total.point], "o--", color="#d9822b",
             label=f"forecast ({total.model})")
    top.fill_between(fut_x, total.lower, total.upper, color="#d9822b", alpha=0.25, label="80 % interval")
    top.set_title(title or "Monthly spending: history and forecast")
    top.set_ylabel("total spend per month")
    top.legend(loc="upper left")
    recent = {str(c): float(v) for c, v in history.amounts.iloc[-12:].sum(axis=0).items()}
    names = sorted(forecast.categories, key=lambda c: -recent.get(c, 0.0))[:TOP_CATEGORIES]
    colors = plt.get_cmap("tab10")
    for i, name in enumerate(names):
        f = forecast.categories[name]
        if name in history.amounts:
            bottom.plot(hist_x, history.amounts[name].to_numpy(), "-", color=colors(i), alpha=0.8)
        bottom.plot(fut_x, f.point, "o--", color=colors(i), label=f"{name} ({f.model})")
        bottom.fill_between(fut_x, f.lower, f.upper, color=colors(i), alpha=0.12)
    bottom.set_ylabel("per category")
    bottom.legend(loc="upper left", fontsize=8, ncol=2)
    for ax in (top, bottom):
        ax.yaxis.set_major_formatter(FuncFormatter(_rupees))
        ax.axvline(history.n_months - 0.5, color="grey", linestyle=":", linewidth=1)
        ax.grid(alpha=0.3)
    step = max(1, len(labels) // 12)
    bottom.set_xticks(np.arange(len(labels))[::step], labels[::step], rotation=45, ha="right")
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
