"""Indian holiday calendar and the festival windows that move household spending.

Festival dates come from the ``holidays`` package (India calendar). Spending moves in a window around a
festival (Diwali shopping starts with Navratri/Dussehra, weeks before the day), so each festival is a window
of days relative to its date. The windows are domain knowledge, stored in the model's config (JSON) and
overridable there; they are not fitted to any data set.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from functools import lru_cache
from typing import Any

import holidays as holidays_lib
import numpy as np
import pandas as pd

# Festival → (name in the India calendar, first day offset, last day offset) relative to the festival day.
DEFAULT_WINDOWS: dict[str, tuple[str, int, int]] = {
    "diwali": ("Diwali", -21, 1),
    "holi": ("Holi", -3, 0),
    "eid": ("Eid al-Fitr", -7, 0),
    "christmas": ("Christmas", -7, 7),
}
# Months of the North-Indian wedding season (auspicious muhurat dates cluster in Nov–Feb).
DEFAULT_WEDDING_MONTHS: tuple[int, ...] = (11, 12, 1, 2)


@lru_cache(maxsize=256)
def _india_year(year: int) -> dict[str, date]:
    """Festival name → first date in ``year`` (Eid estimated where the India calendar stops)."""
    out: dict[str, date] = {}
    for day, names in sorted(holidays_lib.India(years=year).items()):
        for name in str(names).split("; "):
            out.setdefault(name, day)
    if "Eid al-Fitr" not in out:
        # The India calendar lists Eid only for announced years; use the estimated Hijri date.
        for day, names in sorted(holidays_lib.Pakistan(years=year).items()):
            if "Eid al-Fitr" in str(names):
                out["Eid al-Fitr"] = day
                break
    return out


def festival_day(holiday_name: str, year: int) -> date | None:
    """The date of a named holiday in a year, or ``None`` when the calendar lacks it."""
    return _india_year(year).get(holiday_name)


def festival_window_days(windows: Mapping[str, Sequence[Any]], years: Sequence[int]) -> dict[str, set[date]]:
    """Every day inside each festival window over ``years`` (a window may cross a year boundary)."""
    out: dict[str, set[date]] = {}
    for key, (holiday_name, first, last) in windows.items():
        days: set[date] = set()
        for year in range(min(years) - 1, max(years) + 2):
            anchor = festival_day(str(holiday_name), year)
            if anchor is None:
                continue
            days.update(anchor + timedelta(days=o) for o in range(int(first), int(last) + 1))
        out[key] = days
    return out


def festival_feature_names(windows: Mapping[str, Sequence[Any]]) -> list[str]:
    """Column names of :func:`monthly_festival_features` (festivals in name order, then the wedding flag)."""
    return [*sorted(windows), "wedding"]


def monthly_festival_features(months: pd.PeriodIndex, windows: Mapping[str, Sequence[Any]] | None = None,
                              wedding_months: Sequence[int] = DEFAULT_WEDDING_MONTHS) -> np.ndarray:
    """Per month: the share of each festival window falling in it (0–1), and a wedding-season flag.

    A moving festival (Diwali in October one year, November the next) thus shifts its regressor between
    months, which yearly seasonality alone cannot do. Columns follow :func:`festival_feature_names` (sorted
    festival names), so the order does not depend on how the config's dict was built or read back from JSON.
    """
    windows = DEFAULT_WINDOWS if windows is None else windows
    if len(months) == 0:
        return np.zeros((0, len(windows) + 1))
    years = sorted({int(p.year) for p in months})
    window_days = festival_window_days(windows, years)
    features = np.zeros((len(months), len(windows) + 1))
    for i, period in enumerate(months):
        start, end = period.start_time.date(), period.end_time.date()
        for j, key in enumerate(sorted(windows)):
            days = window_days[key]
            length = int(windows[key][2]) - int(windows[key][1]) + 1
            features[i, j] = sum(1 for d in days if start <= d <= end) / max(length, 1)
        features[i, -1] = 1.0 if period.month in wedding_months else 0.0
    # Shares over a window that crosses a year edge may exceed one when years overlap; cap them.
    return np.clip(features, 0.0, 1.0)


def prophet_holidays(years: Sequence[int], windows: Mapping[str, Sequence[Any]] | None = None) -> pd.DataFrame:
    """India public holidays plus festival windows as a Prophet ``holidays`` frame (daily models)."""
    windows = DEFAULT_WINDOWS if windows is None else windows
    rows: list[dict[str, Any]] = []
    for year in years:
        for name, day in _india_year(year).items():
            rows.append({"holiday": name, "ds": pd.Timestamp(day), "lower_window": 0, "upper_window": 0})
        for key, (holiday_name, first, last) in windows.items():
            anchor = festival_day(str(holiday_name), year)
            if anchor is not None:
                rows.append({"holiday": f"{key}_window", "ds": pd.Timestamp(anchor),
                             "lower_window": int(first), "upper_window": int(last)})
    return pd.DataFrame(rows, columns=["holiday", "ds", "lower_window", "upper_window"])
