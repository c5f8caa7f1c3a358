"""The one feature function of the anomaly model, shared by training (offline) and serving (online).

A transaction is scored against the profile of its user *before* that transaction (see ``profile.py``);
offline the profile is rebuilt sequentially over a user's history, online it is read from the feature
store. Both call :func:`transaction_features`, so the vectors are identical by construction.
"""

from __future__ import annotations

import math
import sys
from bisect import bisect_left, bisect_right
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

import numpy as np
import pandas as pd

from nivesh_ml.data.schemas import Transaction

# Approximate INR per unit, for putting mixed-currency histories on one scale (not for accounting).
RATES_TO_INR: Final[dict[str, float]] = {
    "INR": 1.0, "USD": 84.0, "EUR": 90.0, "GBP": 106.0, "AED": 22.9, "SGD": 62.0, "JPY": 0.56,
    "AUD": 55.0, "CAD": 61.0, "CHF": 95.0, "CNY": 11.6, "HKD": 10.8, "SAR": 22.4, "QAR": 23.1,
    "KWD": 273.0, "OMR": 218.0, "BHD": 223.0, "THB": 2.4, "MYR": 18.8, "NZD": 50.0, "ZAR": 4.6,
    "LKR": 0.29, "NPR": 0.625, "BDT": 0.70, "SEK": 7.9, "NOK": 7.7, "DKK": 12.1, "KRW": 0.061,
    "IDR": 0.0053, "PHP": 1.44, "VND": 0.0033, "TRY": 2.45, "BRL": 14.5, "MXN": 4.2, "RUB": 0.9,
    "PKR": 0.30,
}
HOUR_S: Final = 3600
DAY_S: Final = 86400
WINDOW_S: Final = 7 * DAY_S
BURST_S: Final = 300  # "count_5m": earlier transactions within this many seconds
PRIOR: Final = 5.0  # pseudo-count of population statistics blended into a user's own (cold start)
NOVELTY_SCALE: Final = 10.0  # "first time" weighs more once a user has this many transactions
# Population quantile grid of log amounts, dense in the upper tail; bands of hours; minimum rows per table.
POP_GRID: Final[tuple[float, ...]] = (*(i / 50 for i in range(50)), 0.99, 0.995, 0.999, 1.0)
HOUR_BANDS: Final[tuple[int, ...]] = (0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3)
MIN_CATEGORY_ROWS: Final = 20
MIN_BAND_ROWS: Final = 100  # a thin band's quantiles would learn whatever fills it (frauds included)
POP_MERCHANTS: Final = 5000  # merchants whose population count is kept (the rest count as unseen)
HOUR_NEIGHBOUR: Final = 0.25  # share of the neighbouring hours' counts that smooths a user's hour histogram
_EPOCH: Final = datetime(1970, 1, 1)

FEATURE_NAMES: Final[tuple[str, ...]] = (
    "log_amount", "amount_z_user", "amount_z_category", "amount_robust_z_category", "log_ratio_category_median",
    "amount_percentile",
    "log_ratio_recent_max", "hour_surprise", "weekday_surprise", "is_night", "is_weekend",
    "log_seconds_since_prev", "count_5m", "count_1h", "count_24h", "count_7d", "log_sum_1h", "log_sum_24h",
    "velocity_excess_24h", "merchant_new", "merchant_surprise", "category_new", "channel_new", "city_new",
    "country_new", "is_foreign_country", "is_foreign_currency", "log_km_from_home", "log_travel_kmh",
    "income_share", "round_amount", "is_credit", "log_history_size",
    "log_ratio_merchant", "amount_z_merchant", "log_ratio_category_max", "category_hour_surprise",
    "new_payee_amount",
    # Population level: how rare this transaction is for *any* user (statistics saved with the model).
    "pop_amount_tail_category", "pop_amount_tail_category_hour", "pop_log_ratio_category_median",
    "pop_category_hour_rarity", "pop_category_rarity", "pop_merchant_rarity", "pop_amount_hour_joint_rarity",
)
INDEX: Final[dict[str, int]] = {name: i for i, name in enumerate(FEATURE_NAMES)}
# Which way is suspicious: +1 high values, -1 low values, 0 context only (not a deviation by itself).
DIRECTIONS: Final[dict[str, int]] = {
    **dict.fromkeys(FEATURE_NAMES, 1),
    "log_amount": -1, "log_seconds_since_prev": -1, "is_weekend": 0, "is_credit": 0, "log_history_size": 0,
    # Context, not suspicious on their own (hour_surprise carries the unusual-time signal).
    "is_night": 0, "channel_new": 0,
    # Population rarity of the category or payee alone: frauds favour the commonest categories and merchants
    # (online shopping, groceries), so "rare for anyone" ranks them *below* normal rows (validation seed 101:
    # ROC-AUC 0.30 and 0.53 on the thin scenario); context for the forest, not a deviation.
    "pop_category_rarity": 0, "pop_merchant_rarity": 0,
}


@dataclass(frozen=True, slots=True)
class Txn:
    """A transaction reduced to what the features read (``ts``: local wall-clock seconds since 1970)."""

    ts: int
    amount: float
    amount_inr: float
    currency: str
    credit: bool
    merchant: str | None
    category: str | None
    channel: str | None
    city: str | None
    country: str | None
    lat: float | None
    lon: float | None
    id: str | None

    @property
    def hour(self) -> int:
        return (self.ts // HOUR_S) % 24

    @property
    def weekday(self) -> int:
        """Monday = 0 (1970-01-01 was a Thursday)."""
        return (self.ts // DAY_S + 3) % 7

    @property
    def category_key(self) -> str:
        return ("c:" if self.credit else "d:") + (self.category or "")


def to_inr(amount: float, currency: str) -> float:
    """Approximate amount in rupees."""
    return amount * RATES_TO_INR.get(currency, 1.0)


def txn_from_record(t: Transaction) -> Txn:
    """A validated :class:`Transaction` as a :class:`Txn`."""
    ts = int((t.timestamp.replace(tzinfo=None) - _EPOCH).total_seconds())
    return Txn(ts=ts, amount=float(t.amount), amount_inr=to_inr(float(t.amount), t.currency),
               currency=t.currency, credit=t.direction == "credit", merchant=t.merchant,
               category=t.category.lower() if t.category else None, channel=t.channel, city=t.city,
               country=t.country, lat=t.latitude, lon=t.longitude, id=t.transaction_id)


def _opt_str(values: pd.Series) -> list[str | None]:
    return [None if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)) or v == "" else str(v)
            for v in values.astype(object).tolist()]


def _opt_float(frame: pd.DataFrame, col: str) -> list[float | None]:
    if col not in frame.columns:
        return [None] * len(frame)
    return [None if v is None or math.isnan(v) else float(v)
            for v in pd.to_numeric(frame[col], errors="coerce").astype(float).tolist()]


def txns_from_frame(frame: pd.DataFrame) -> list[Txn]:
    """Rows of a validated transactions frame (``load_transactions``) as :class:`Txn`, in row order."""
    secs = (frame["timestamp"].to_numpy().astype("datetime64[s]").astype(np.int64)).tolist()
    amounts = frame["amount"].astype(float).tolist()
    currencies = frame["currency"].astype(object).fillna("INR").tolist()
    credit = (frame["direction"].astype(object).fillna("debit") == "credit").tolist()
    cols = {c: _opt_str(frame[c]) if c in frame.columns else [None] * len(frame)
            for c in ("merchant", "category", "channel", "city", "country", "transaction_id")}
    lat, lon = _opt_float(frame, "latitude"), _opt_float(frame, "longitude")
    out = []
    for i, ts in enumerate(secs):
        cat = cols["category"][i]
        out.append(Txn(ts=int(ts), amount=amounts[i], amount_inr=to_inr(amounts[i], currencies[i]),
                       currency=currencies[i], credit=bool(credit[i]), merchant=cols["merchant"][i],
                       category=cat.lower() if cat else None, channel=cols["channel"][i], city=cols["city"][i],
                       country=cols["country"][i], lat=lat[i], lon=lon[i], id=cols["transaction_id"][i]))
    return out


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in km."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 12742.0 * math.asin(min(1.0, math.sqrt(a)))


def _blend(stats: list[float] | None, pop: list[float]) -> tuple[float, float]:
    """Mean and std of log amounts: the user's own (Welford) shrunk towards the population's."""
    count, mean, m2 = (stats[0], stats[1], stats[2]) if stats else (0.0, 0.0, 0.0)
    var = m2 / (count - 1) if count > 1 else 0.0
    w = count + PRIOR
    mean_s = (count * mean + PRIOR * pop[0]) / w
    var_s = (count * var + PRIOR * pop[1]) / w
    return mean_s, math.sqrt(var_s + 1e-4)


def _median(values: list[float]) -> float:
    s = sorted(values)
    mid = len(s) // 2
    return s[mid] if len(s) % 2 else (s[mid - 1] + s[mid]) / 2


TINY: Final = sys.float_info.min
# Suffix of the per-direction bucket ("d" + suffix, "c" + suffix) into which a profile folds its rarest
# categories beyond its cap; named keys are "d:<name>", so the bucket cannot collide with a category.
OTHER_CATEGORY: Final = "\x00other"


def other_category_key(key: str) -> str:
    """The "other" bucket of a category key's direction."""
    return key[0] + OTHER_CATEGORY


def _mode(counts: dict[str, Any]) -> str | None:
    if not counts:
        return None
    return max(counts.items(), key=lambda kv: (kv[1][0] if isinstance(kv[1], list) else kv[1], kv[0]))[0]


def _window(win: list[list[float]], ts: int) -> Iterator[list[float]]:
    for entry in reversed(win):
        if entry[0] > ts:
            continue
        if entry[0] < ts - WINDOW_S:
            break
        yield entry


def transaction_features(profile: dict[str, Any] | None, t: Txn, pop: dict[str, Any]) -> list[float]:
    """The feature vector of ``t`` given its user's profile before it (``None``: unknown user)."""
    p = profile or {}
    n = int(p.get("n", 0))
    d = "c" if t.credit else "d"
    x = math.log1p(t.amount_inr)
    conf = n / (n + NOVELTY_SCALE)
    key = t.category_key
    pop_cat = pop["cat"].get(key) or pop["amt"][d]

    mean_u, sd_u = _blend(p.get("amt", {}).get(d), pop["amt"][d])
    cats = p.get("cat", {})
    cat_stats = cats.get(key) or cats.get(other_category_key(key))  # a rare category may have been folded
    mean_c, sd_c = _blend(cat_stats, pop_cat)
    recent_cat = cat_stats[3] if cat_stats else []
    median = _median(recent_cat) if len(recent_cat) >= 3 else pop_cat[2]
    recent = sorted(p.get("recent", {}).get(d, []))
    below = bisect_left(recent, t.amount_inr) + 0.5 * (bisect_right(recent, t.amount_inr)
                                                          - bisect_left(recent, t.amount_inr))
    pop_pct = bisect_left(pop["quantiles"][d], x) / len(pop["quantiles"][d])
    percentile = (below + PRIOR * pop_pct) / (len(recent) + PRIOR)
    ratio_max = _log_ratio(t.amount_inr, recent[-1] if len(recent) >= 3 else pop["p95"][d])

    hours = p.get("hour") or [0] * 24
    h, wd = t.hour, t.weekday
    near = hours[h] + HOUR_NEIGHBOUR * (hours[h - 1] + hours[(h + 1) % 24])
    hour_p = (near + PRIOR * pop["hour"][h]) / ((1 + 2 * HOUR_NEIGHBOUR) * (n + PRIOR))
    wdays = p.get("wday") or [0] * 7
    wday_p = (wdays[wd] + PRIOR * pop["wday"][wd]) / (n + PRIOR)

    last = p.get("last")
    gap = max(0, t.ts - int(last[0])) if last else 30 * DAY_S
    counts, sums = _velocity(p.get("win", []), t.ts)
    span_days = max(1.0, (t.ts - p["ts0"]) / DAY_S) if n else 1.0
    daily = (n + PRIOR * pop["daily_rate"]) / (span_days + PRIOR)

    merchants = p.get("merch", {})
    m_count = merchants.get(t.merchant, 0) if t.merchant else 1
    novelty = _novelty(p, t, conf, pop)
    km_home, kmh = _geo(p, t, last, gap)
    income = p.get("income", 0.0)
    monthly = income / max(1.0, span_days / 30.44) if income > 0 else pop["monthly_income"]
    log_ratio = _log_ratio(t.amount_inr, median)
    ratio_m = _merchant_ratio(p, t, x, log_ratio)
    cat_max = _log_ratio(t.amount_inr, max(recent_cat)) if len(recent_cat) >= 3 else log_ratio
    z_cat = (x - mean_c) / sd_c
    return [
        x, (x - mean_u) / sd_u, z_cat, log_ratio / sd_c, log_ratio, percentile,
        ratio_max, -math.log(hour_p), -math.log(wday_p), float(h < 5), float(wd >= 5),
        math.log1p(gap), float(counts[3]), float(counts[0]), float(counts[1]), float(counts[2]), math.log1p(sums[0]),
        math.log1p(sums[1]), (counts[1] + 1) / (daily + 1),
        float(m_count == 0) * conf, math.log((n + 1) / (m_count + 1)) if t.merchant else 0.0,
        *novelty, math.log1p(km_home), math.log1p(kmh),
        min(t.amount_inr / monthly, 50.0), _round_level(t.amount), float(t.credit), math.log1p(n),
        ratio_m, ratio_m / sd_c, cat_max, _category_hour_surprise(p, key, h, pop),
        float(m_count == 0) * conf * max(0.0, z_cat),
        *population_features(t, x, pop),
    ]


def hour_band(hours: Any) -> Any:
    """Night (0-5 h), morning (6-11), afternoon (12-17), evening (18-23): 0-3 (scalar or array)."""
    return np.asarray(HOUR_BANDS)[hours] if isinstance(hours, np.ndarray) else HOUR_BANDS[hours]


def _tail(quantiles: list[float] | None, x: float) -> float:
    """-log10 of the population share of amounts at least ``x`` (linear in log amount beyond the largest)."""
    if not quantiles:
        return 0.0
    if x > quantiles[-1]:  # beyond every amount seen: one in (the largest grid step), then e-fold per nat
        return -math.log10(1.0 - POP_GRID[-2]) + (x - quantiles[-1]) / math.log(10.0)
    i = bisect_right(quantiles, x)
    if i == 0:
        return 0.0
    lo, hi = quantiles[i - 1], quantiles[min(i, len(quantiles) - 1)]
    frac = 0.0 if hi <= lo else (x - lo) / (hi - lo)
    share = POP_GRID[i - 1] + frac * (POP_GRID[min(i, len(POP_GRID) - 1)] - POP_GRID[i - 1])
    return -math.log10(max(1.0 - share, 1.0 - POP_GRID[-2]))


def population_features(t: Txn, x: float, pop: dict[str, Any]) -> list[float]:
    """How rare the transaction is across all training users (no per-user state; dictionary look-ups only)."""
    key = t.category_key
    band_key = f"{key}|{hour_band(t.hour)}"
    cat_q = pop.get("pop_q", {}).get(key)
    band_q = pop.get("pop_band_q", {}).get(band_key) or cat_q
    pop_cat = pop["cat"].get(key) or pop["amt"]["c" if t.credit else "d"]
    cat_count = pop.get("pop_cat_count", {}).get(key, 0)
    band_count = pop.get("pop_band_count", {}).get(band_key, 0)
    rows = max(1, int(pop.get("pop_rows", 1)))
    merchant_rows = max(1, int(pop.get("pop_merchant_rows", 1)))
    merchant_count = pop.get("pop_merchant_count", {}).get(t.merchant, 0) if t.merchant else None
    tail_cat = _tail(cat_q, x)
    band_rarity = -math.log((band_count + 1.0) / (cat_count + 4.0))  # P(hour band | category), Laplace
    return [
        tail_cat, _tail(band_q, x), _log_ratio(t.amount_inr, pop_cat[2]), band_rarity,
        -math.log((cat_count + 1.0) / (rows + 1.0)),
        0.0 if merchant_count is None else -math.log((merchant_count + 1.0) / (merchant_rows + 1.0)),
        # -log10 P(amount at least this large and this hour band | category), as if independent: a large
        # amount at an hour the category rarely sees, robust to a thin band that frauds could fill.
        tail_cat + band_rarity / math.log(10.0),
    ]


def _log_ratio(a: float, b: float) -> float:
    """``log(a / b)`` as a difference of logs: a denormal amount (``5e-324``) neither underflows to ``log(0)``
    nor overflows the quotient; amounts that round to zero in INR count as the smallest normal float."""
    return math.log(max(a, TINY)) - math.log(max(b, TINY))


def _merchant_ratio(p: dict[str, Any], t: Txn, x: float, fallback: float) -> float:
    """Log ratio of the amount to the user's typical (mean log) amount at this merchant; ``fallback`` if new."""
    stats = p.get("mamt", {}).get(t.merchant) if t.merchant else None
    return x - stats[1] if stats else fallback


def _category_hour_surprise(p: dict[str, Any], key: str, h: int, pop: dict[str, Any]) -> float:
    """-log P(hour | category): the user's hours for this category blended with the population's."""
    counts = p.get("chour", {}).get(key) or [0] * 24
    share = pop.get("cat_hour", {}).get(key) or pop["hour"]
    near = counts[h] + HOUR_NEIGHBOUR * (counts[h - 1] + counts[(h + 1) % 24])
    prob = (near + PRIOR * share[h]) / ((1 + 2 * HOUR_NEIGHBOUR) * (sum(counts) + PRIOR))
    return -math.log(prob)


def _velocity(win: list[list[float]], ts: int) -> tuple[list[int], list[float]]:
    """Counts of earlier transactions in the last 1 h, 24 h, 7 d, 5 min; sums in the last 1 h, 24 h."""
    counts, sums = [0, 0, 0, 0], [0.0, 0.0]
    for e_ts, e_amt, _ in _window(win, ts):
        age = ts - e_ts
        counts[2] += 1
        if age <= DAY_S:
            counts[1] += 1
            sums[1] += e_amt
            if age <= HOUR_S:
                counts[0] += 1
                sums[0] += e_amt
                counts[3] += age <= BURST_S
    return counts, sums


def _novelty(p: dict[str, Any], t: Txn, conf: float, pop: dict[str, Any]) -> list[float]:
    """category/channel/city/country novelty, foreign country, foreign currency."""
    def new(table: str, value: str | None) -> float:
        return float(value is not None and value not in p.get(table, {})) * conf

    cat_new = float(t.category_key not in p.get("cat", {})) * conf if t.category else 0.0
    ctry = p.get("ctry", {})
    home = _mode(ctry) or pop["home_country"]
    foreign = float(t.country is not None and home is not None and t.country != home)
    return [cat_new, new("chan", t.channel), new("city", t.city), new("ctry", t.country), foreign,
            float(_foreign_currency(p.get("cur", {}), t.currency, pop["home_currency"]))]


def _foreign_currency(paid: dict[str, int], currency: str, home: str) -> bool:
    """Whether ``currency`` is not the user's usual one: less used before than their most used currency (the
    population's home currency when they have none). A tie is not foreign: after one INR and one USD payment,
    neither is unusual."""
    usual = _mode(paid)
    if usual is None:
        return currency != home
    return currency != usual and paid.get(currency, 0) < paid[usual]


def _geo(p: dict[str, Any], t: Txn, last: list[Any] | None, gap: int) -> tuple[float, float]:
    """Distance from the home city (most frequent city with coordinates) and speed from the last fix."""
    if t.lat is None or t.lon is None:
        return 0.0, 0.0
    located = {k: v for k, v in p.get("city", {}).items() if v[1] is not None}
    home = _mode(located)
    km_home = haversine_km(located[home][1], located[home][2], t.lat, t.lon) if home else 0.0
    kmh = 0.0
    if last and last[1] is not None:
        km = haversine_km(last[1], last[2], t.lat, t.lon)
        kmh = km / max(gap / HOUR_S, 0.25)
    return km_home, kmh


def _round_level(amount: float) -> float:
    if amount < 100 or amount != int(amount):
        return 0.0
    value = int(amount)
    return 2.0 if value % 1000 == 0 else 1.0 if value % 100 == 0 else 0.0
