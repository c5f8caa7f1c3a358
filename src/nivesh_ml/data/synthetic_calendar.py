"""The simulator's calendar: working days, festivals (from ``holidays``), paydays and per-day seasonality."""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass
from datetime import date, timedelta

import holidays
import numpy as np

from nivesh_ml.data.synthetic_catalog import FESTIVALS, PAYDAY_BOOST, WEDDING, WEDDING_MONTHS, WEEK, Stream

SECONDS_PER_DAY = 86_400
MONTH_ABBR = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_FESTIVAL_NAMES: dict[str, re.Pattern[str]] = {
    "diwali": re.compile(r"\b(diwali|deepavali)\b", re.I),
    "holi": re.compile(r"^holi\b", re.I),
    "eid_fitr": re.compile(r"\b(eid al-fitr|id-ul-fitr|eid ul-fitr)\b", re.I),
    "eid_adha": re.compile(r"\b(eid al-adha|bakrid|id-ul-zuha)\b", re.I),
}
# Used only outside the years the holidays package covers (it stops at 2035).
_FALLBACK: dict[str, tuple[int, int]] = {"diwali": (11, 1), "holi": (3, 15)}


def add_months(day: date, months: int) -> date:
    """``day`` moved by whole months (the day of month clipped to the target month's length)."""
    total = day.year * 12 + day.month - 1 + months
    year, month = divmod(total, 12)
    first_next = date(year + (month + 1) // 12, (month + 1) % 12 + 1, 1)
    return date(year, month + 1, min(day.day, (first_next - timedelta(days=1)).day))


@dataclass(frozen=True)
class Calendar:
    """Every day of the simulated period, with what the generators need to know about it."""

    start: date
    days: np.ndarray  # datetime64[D], the period [start, end)
    dow: np.ndarray  # 0 = Monday
    dom: np.ndarray
    month: np.ndarray  # 1..12
    year: np.ndarray
    working: np.ndarray  # bool: not a weekend, not a national holiday
    festivals: dict[str, list[int]]  # festival key -> day indices (may lie outside the period)
    month_first: np.ndarray  # day index of the 1st of every month touching the period (may be < 0)
    month_len: np.ndarray
    month_of_year: np.ndarray  # 1..12 for every entry of month_first
    year_of_month: np.ndarray

    @property
    def n_days(self) -> int:
        return int(self.days.size)

    @property
    def epoch_seconds(self) -> int:
        """Seconds from 1970-01-01 (naive local wall clock) to the first day's midnight."""
        return int(self.days[0].astype("datetime64[s]").astype(np.int64))


def _festival_dates(years: range) -> tuple[dict[str, list[date]], set[date]]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        calendar = holidays.country_holidays("IN", years=list(years))
    found: dict[str, list[date]] = {key: [] for key in _FESTIVAL_NAMES}
    for day, names in sorted(calendar.items()):
        for name in str(names).split("; "):
            for key, pattern in _FESTIVAL_NAMES.items():
                if pattern.search(name):
                    found[key].append(day)
    for key, (month, dom) in _FALLBACK.items():
        covered = {d.year for d in found[key]}
        found[key] += [date(y, month, dom) for y in years if y not in covered]
    found["christmas"] = [date(y, 12, 25) for y in years]
    return found, set(calendar)


def build_calendar(start: date, months: int) -> Calendar:
    """The calendar of ``months`` months from ``start`` (end exclusive)."""
    end = add_months(start, months)
    days = np.arange(np.datetime64(start, "D"), np.datetime64(end, "D"))
    years = range(start.year - 1, end.year + 2)
    festival_dates, holiday_set = _festival_dates(years)
    as_dates = days.astype("datetime64[D]").astype(object)
    dow = ((days.astype(np.int64) + 3) % 7).astype(np.int8)  # 1970-01-01 was a Thursday
    months_dt = days.astype("datetime64[M]")
    holiday_mask = np.fromiter((d in holiday_set for d in as_dates), dtype=bool, count=days.size)
    firsts = np.arange(months_dt[0], months_dt[-1] + 1)
    first_days = firsts.astype("datetime64[D]")
    lengths = ((firsts + 1).astype("datetime64[D]") - first_days).astype(np.int64)
    origin = np.datetime64(start, "D")
    return Calendar(
        start=start, days=days, dow=dow,
        dom=(days - months_dt.astype("datetime64[D]")).astype(np.int64) + 1,
        month=months_dt.astype(np.int64) % 12 + 1, year=months_dt.astype(np.int64) // 12 + 1970,
        working=(dow < 5) & ~holiday_mask,
        festivals={k: [int((np.datetime64(d, "D") - origin).astype(np.int64)) for d in v]
                   for k, v in festival_dates.items()},
        month_first=(first_days - origin).astype(np.int64), month_len=lengths,
        month_of_year=firsts.astype(np.int64) % 12 + 1, year_of_month=firsts.astype(np.int64) // 12 + 1970,
    )


def _working_at_or_after(cal: Calendar, index: np.ndarray, limit: np.ndarray) -> np.ndarray:
    out = index.copy()
    for _ in range(10):  # at most a long weekend plus a holiday or two
        inside = (out >= 0) & (out < cal.n_days) & (out < limit)
        move = inside & ~cal.working[np.clip(out, 0, cal.n_days - 1)]
        if not move.any():
            break
        out = np.where(move, out + 1, out)
    return out


def pay_days(cal: Calendar, rule: int) -> np.ndarray:
    """Day indices of the salary credit in every month of the period, for a payday rule.

    ``rule`` 1..28 pays on that day of the month, moved to the next working day; 31 pays on the
    last working day of the month. Months whose pay date falls outside the period are dropped.
    """
    if rule >= 29:
        last = cal.month_first + cal.month_len - 1
        idx = last.copy()
        for _ in range(10):
            inside = (idx >= 0) & (idx < cal.n_days)
            move = inside & ~cal.working[np.clip(idx, 0, cal.n_days - 1)]
            if not move.any():
                break
            idx = np.where(move, idx - 1, idx)
    else:
        idx = _working_at_or_after(cal, cal.month_first + rule - 1, cal.month_first + cal.month_len)
    return idx[(idx >= 0) & (idx < cal.n_days)]


def salary_period(cal: Calendar, rule: int, day_index: np.ndarray) -> np.ndarray:
    """Month (1..12) whose work a salary paid on ``day_index`` rewards: early-month pay is for last month."""
    month = cal.month[day_index]
    return month if rule >= 29 else (month - 2) % 12 + 1


def stream_day_factors(cal: Calendar, stream: Stream) -> tuple[np.ndarray, np.ndarray]:
    """Per-day (rate, amount) multipliers of one stream: weekday x month x wedding season x festivals."""
    week = np.asarray(WEEK[stream.week], dtype=float)
    rate = week[cal.dow] / week.mean() * np.asarray(stream.month_factor, dtype=float)[cal.month - 1]
    amount = np.ones(cal.n_days)
    if stream.key in WEDDING:
        rate = rate * np.where(np.isin(cal.month, WEDDING_MONTHS), WEDDING[stream.key], 1.0)
    for key, first, last, rates, amounts in FESTIVALS:
        if stream.key not in rates and stream.key not in amounts:
            continue
        for centre in cal.festivals.get(key, []):
            lo, hi = max(centre + first, 0), min(centre + last + 1, cal.n_days)
            if lo < hi:
                rate[lo:hi] *= rates.get(stream.key, 1.0)
                amount[lo:hi] *= amounts.get(stream.key, 1.0)
    return rate, amount


def payday_boost(cal: Calendar, stream: Stream, rule: int) -> np.ndarray:
    """Per-day rate multiplier for users paid by ``rule``: the week after payday spends more."""
    boost = PAYDAY_BOOST.get(stream.key, 1.0)
    factor = np.ones(cal.n_days)
    if boost == 1.0:
        return factor
    for pay in pay_days(cal, rule):
        factor[pay:pay + 7] = boost
    return factor * cal.n_days / factor.sum()
