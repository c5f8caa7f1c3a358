"""Offline path: features of a whole transactions file, each row against its user's earlier rows.

Two implementations of the same numbers:

* :func:`frame_features` replays each user's rows through the streaming profile the online store keeps
  (``profile.update_profile`` + ``features.transaction_features``): the reference, used by training.
* :func:`fast_frame_features` computes the same matrix column-wise with numpy (grouped cumulative counts and
  sums, lag matrices for the recent-amount windows, running modes): about ten times faster, for batch scoring.
  It agrees with the reference to floating-point rounding (running means are sums here, Welford there).
  Users whose history would hit one of the profile's caps (merchants, cities, categories folded into
  "other", the 7-day window), and any partition whose feature list this module does not know, go through the
  reference instead; and every call re-computes one user's first rows with the reference and falls back to
  it for the whole frame if they disagree, so a change to ``features.py`` cannot silently skew batch scores.
"""

from __future__ import annotations

import logging
from typing import Any, Final

import numpy as np
import pandas as pd

from nivesh_ml.models.anomaly.features import (
    BURST_S,
    DAY_S,
    FEATURE_NAMES,
    HOUR_BANDS,
    HOUR_NEIGHBOUR,
    HOUR_S,
    NOVELTY_SCALE,
    POP_GRID,
    PRIOR,
    RATES_TO_INR,
    TINY,
    WINDOW_S,
    Txn,
    transaction_features,
    txns_from_frame,
)
from nivesh_ml.models.anomaly.profile import (
    COLD_START_MIN,
    MAX_CATEGORIES,
    MAX_CITIES,
    MAX_IDS,
    MAX_MERCHANTS,
    MAX_WINDOW,
    RECENT_AMOUNTS,
    RECENT_CATEGORY_AMOUNTS,
    new_profile,
    update_profile,
)

log = logging.getLogger(__name__)

# The feature list the vectorised path computes, in order; any other list: the reference path.
FAST_FEATURES: Final[tuple[str, ...]] = (
    "log_amount", "amount_z_user", "amount_z_category", "amount_robust_z_category", "log_ratio_category_median",
    "amount_percentile",
    "log_ratio_recent_max", "hour_surprise", "weekday_surprise", "is_night", "is_weekend",
    "log_seconds_since_prev", "count_5m", "count_1h", "count_24h", "count_7d", "log_sum_1h", "log_sum_24h",
    "velocity_excess_24h", "merchant_new", "merchant_surprise", "category_new", "channel_new", "city_new",
    "country_new", "is_foreign_country", "is_foreign_currency", "log_km_from_home", "log_travel_kmh",
    "income_share", "round_amount", "is_credit", "log_history_size",
    "log_ratio_merchant", "amount_z_merchant", "log_ratio_category_max", "category_hour_surprise",
    "new_payee_amount",
    "pop_amount_tail_category", "pop_amount_tail_category_hour", "pop_log_ratio_category_median",
    "pop_category_hour_rarity", "pop_category_rarity", "pop_merchant_rarity", "pop_amount_hour_joint_rarity",
)
# The caps of the other per-user tables (profile.update_profile): channels, countries, currencies.
OTHER_CAPS: Final = {"channel": 50, "country": 200, "currency": 50}
CHECK_ROWS: Final = 300  # rows of one user re-computed with the reference on every call
TOLERANCE: Final = 1e-6  # relative and absolute: float rounding, not a different number


def frame_features(frame: pd.DataFrame, population: dict[str, Any],
                   max_categories: int = MAX_CATEGORIES) -> tuple[np.ndarray, list[Txn], np.ndarray]:
    """Feature matrix (rows in frame order), the parsed transactions and a cold-start flag per row.

    Each user's rows are replayed oldest first (ties keep file order) through the same streaming
    profile the online store keeps, starting from an empty profile.
    """
    txns = txns_from_frame(frame)
    users = frame["user_id"].astype(str).to_numpy()
    secs = np.fromiter((t.ts for t in txns), dtype=np.int64, count=len(txns))
    order = np.lexsort((np.arange(len(txns)), secs, users))
    out = np.empty((len(txns), len(FEATURE_NAMES)), dtype=float)
    cold = np.zeros(len(txns), dtype=bool)
    current_user: str | None = None
    profile: dict[str, Any] = new_profile()
    for idx in order.tolist():
        user = users[idx]
        if user != current_user:
            current_user = user
            profile = new_profile()
        t = txns[idx]
        out[idx] = transaction_features(profile, t, population)
        cold[idx] = profile["n"] < COLD_START_MIN
        update_profile(profile, t, max_categories)
    return out, txns, cold


# ----------------------------------------------------------------------------------------------------------
# Vectorised path


def _opt_codes(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Codes of an optional string column in the sort order of its strings (-1: missing or empty), and the strings."""
    obj = values.astype(object)
    missing = (obj.isna() | (obj == "")).to_numpy()
    codes = np.full(len(obj), -1, dtype=np.int64)
    if missing.all():
        return codes, np.array([], dtype=object)
    found, uniques = pd.factorize(obj[~missing].astype(str).to_numpy(), sort=True)
    codes[~missing] = found
    return codes, np.asarray(uniques, dtype=object)


class _Groups:
    """Counts and sums over each row's earlier rows (rows are in user, time order) within a group key."""

    def __init__(self, key: np.ndarray) -> None:
        n = len(key)
        self.key = key
        self.order = np.argsort(key, kind="stable")
        sorted_key = key[self.order]
        start = np.ones(n, dtype=bool)
        start[1:] = sorted_key[1:] != sorted_key[:-1]
        idx = np.arange(n)
        run_start = np.maximum.accumulate(np.where(start, idx, 0))
        self.rank_sorted = idx - run_start  # position within the group, in the group's order
        self.run_start = run_start
        self.prior = np.empty(n, dtype=np.int64)
        self.prior[self.order] = self.rank_sorted

    def prior_sum(self, values: np.ndarray) -> np.ndarray:
        """Sum of ``values`` over each row's earlier rows of its group."""
        v = values[self.order]
        cs = np.cumsum(v)
        excl = cs - v
        out = np.empty(len(v))
        out[self.order] = excl - excl[self.run_start]
        return out

    def first(self, values: np.ndarray) -> np.ndarray:
        """The value of each row's group's first row."""
        out = np.empty(len(values))
        out[self.order] = values[self.order][self.run_start]
        return out

    def moments(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Mean and sum of squared deviations of ``x`` over each row's earlier rows (shifted: no cancellation)."""
        shift = self.first(x)
        s1 = self.prior_sum(x - shift)
        s2 = self.prior_sum((x - shift) ** 2)
        count = np.maximum(self.prior, 1)
        return shift + s1 / count, np.maximum(s2 - s1 * s1 / count, 0.0)

    def lags(self, values: np.ndarray, depth: int) -> np.ndarray:
        """``values`` of each row's ``depth`` latest earlier rows of its group (NaN where fewer), newest first;
        shape (depth, rows)."""
        v = values[self.order]
        n = len(v)
        out = np.full((depth, n), np.nan)
        for k in range(1, min(depth, n - 1) + 1):
            row = out[k - 1]
            row[k:] = v[:-k]
            row[self.rank_sorted < k] = np.nan
        result = np.empty_like(out)
        result[:, self.order] = out
        return result


def _count_before(group: np.ndarray, query: np.ndarray) -> np.ndarray:
    """For each row i: how many rows j < i have ``group[j] == query[i]`` (``group`` codes are >= 0)."""
    n = len(group)
    composite = np.sort(group * n + np.arange(n))
    base = query * n
    return np.searchsorted(composite, base + np.arange(n)) - np.searchsorted(composite, base)


def _running_mode(ucode: np.ndarray, user_start: np.ndarray, values: np.ndarray,
                  located: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The most frequent value code among each row's earlier rows of its user (ties: the larger code; -1 if none),
    and how many of those rows hold it.

    ``values`` are codes in the sort order of the strings (-1 missing). ``located`` (per row): a value
    counts for the mode only from the first row of the user where it was ``located`` (cities with coordinates).
    """
    n = len(values)
    valid = values >= 0
    if not valid.any():
        return np.full(n, -1, dtype=np.int64), np.zeros(n, dtype=np.int64)
    span = int(values.max()) + 1
    pair = ucode * span + (span - 1 - values)  # per user, larger value first
    pairs = np.unique(pair[valid])
    pair_user = pairs // span
    first_of_user = np.searchsorted(pair_user, pair_user, side="left")
    local_of_pair = np.arange(len(pairs)) - first_of_user
    width = int(local_of_pair.max()) + 1
    table = np.full((int(ucode.max()) + 1, width), -1, dtype=np.int64)
    table[pair_user, local_of_pair] = span - 1 - (pairs % span)
    local = np.full(n, -1, dtype=np.int64)
    local[valid] = local_of_pair[np.searchsorted(pairs, pair[valid])]
    onehot = np.zeros((n, width), dtype=np.int32)
    onehot[np.nonzero(valid)[0], local[valid]] = 1
    cs = np.cumsum(onehot, axis=0, dtype=np.int32)
    before = cs - onehot
    counts = before - before[user_start]
    if located is not None:  # the first row of each (user, value) with coordinates
        first = np.full((int(ucode.max()) + 1, width), n, dtype=np.int64)
        rows = np.nonzero(valid & located)[0]
        np.minimum.at(first, (ucode[rows], local[rows]), rows)
        counts = np.where(first[ucode] < np.arange(n)[:, None], counts, -1)
    best = np.argmax(counts, axis=1)
    top = counts[np.arange(n), best]
    return np.where(top >= 1, table[ucode, best], -1), top


def _window_sums(a: np.ndarray, secs: np.ndarray, pos: np.ndarray, count_24h: np.ndarray,
                 count_1h: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sums of the amounts of each row's earlier rows within 24 h and 1 h, newest first (the profile's order)."""
    n = len(a)
    deepest = int(count_24h.max()) if n else 0
    sum_24h, sum_1h = np.zeros(n), np.zeros(n)
    if deepest > 256:  # a burst of thousands a day: prefix sums (equal up to rounding)
        cum = np.cumsum(a) - a
        sum_24h = cum - cum[pos - count_24h]
        sum_1h = cum - cum[pos - count_1h]
        return np.maximum(sum_24h, 0.0), np.maximum(sum_1h, 0.0)
    for k in range(1, deepest + 1):
        rows = np.nonzero(count_24h >= k)[0]
        sum_24h[rows] += a[rows - k]
        near = rows[count_1h[rows] >= k]
        sum_1h[near] += a[near - k]
    return sum_24h, sum_1h


def _haversine(lat1: np.ndarray, lon1: np.ndarray, lat2: np.ndarray, lon2: np.ndarray) -> np.ndarray:
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp, dl = p2 - p1, np.radians(lon2 - lon1)
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 12742.0 * np.arcsin(np.minimum(1.0, np.sqrt(a)))


def _log_ratio(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.log(np.maximum(a, TINY)) - np.log(np.maximum(b, TINY))


def _tail(quantiles: list[float] | None, x: np.ndarray) -> np.ndarray:
    """Vectorised ``features._tail``."""
    if not quantiles:
        return np.zeros(len(x))
    q = np.asarray(quantiles, dtype=float)
    grid = np.asarray(POP_GRID, dtype=float)
    i = np.searchsorted(q, x, side="right")
    lo = q[np.maximum(i - 1, 0)]
    hi = q[np.minimum(i, len(q) - 1)]
    with np.errstate(divide="ignore", invalid="ignore"):
        frac = np.where(hi <= lo, 0.0, (x - lo) / (hi - lo))
    g_lo = grid[np.clip(i - 1, 0, len(grid) - 1)]
    g_hi = grid[np.clip(i, 0, len(grid) - 1)]
    share = g_lo + frac * (g_hi - g_lo)
    inside = -np.log10(np.maximum(1.0 - share, 1.0 - POP_GRID[-2]))
    beyond = -np.log10(1.0 - POP_GRID[-2]) + (x - q[-1]) / np.log(10.0)
    return np.where(x > q[-1], beyond, np.where(i == 0, 0.0, inside))


def _blend(count: np.ndarray, mean: np.ndarray, m2: np.ndarray, pop_mean: np.ndarray,
           pop_var: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``features._blend`` from a group's count, mean and sum of squared deviations."""
    mean = np.where(count > 0, mean, 0.0)
    var = np.where(count > 1, m2 / np.maximum(count - 1, 1), 0.0)
    w = count + PRIOR
    mean_s = (count * mean + PRIOR * pop_mean) / w
    var_s = (count * var + PRIOR * pop_var) / w
    return mean_s, np.sqrt(var_s + 1e-4)


def _caps_exceeded(frame: pd.DataFrame, users: np.ndarray, counts_7d: np.ndarray, max_categories: int,
                   cat_key: np.ndarray) -> np.ndarray:
    """Users (codes) whose profile would hit a cap or fold a category: their rows take the reference path."""
    probe = pd.DataFrame({"u": users, "merchant": frame["merchant"].to_numpy() if "merchant" in frame else None,
                          "city": frame["city"].to_numpy() if "city" in frame else None, "cat": cat_key})
    for col in ("channel", "country", "currency"):
        probe[col] = frame[col].to_numpy() if col in frame else None
    distinct = probe.groupby("u").nunique(dropna=True)
    over = ((distinct["merchant"] > MAX_MERCHANTS) | (distinct["city"] > MAX_CITIES)
            | (distinct["cat"] > max_categories))
    for col, cap in OTHER_CAPS.items():
        over |= distinct[col] > cap
    busy = pd.Series(counts_7d >= MAX_WINDOW - 1).groupby(users).any()
    bad = set(over[over].index) | set(busy[busy].index)
    return np.isin(users, list(bad)) if bad else np.zeros(len(users), dtype=bool)


def _fast_sorted(frame: pd.DataFrame, pop: dict[str, Any], max_categories: int) -> tuple[np.ndarray, np.ndarray]:
    """Features and cap flags of a frame already in (user, time, file) order."""
    n = len(frame)
    users = frame["user_id"].astype(str).to_numpy()
    ucode = np.zeros(n, dtype=np.int64)
    if n:
        ucode[1:] = np.cumsum(users[1:] != users[:-1])
    pos = np.arange(n)
    user_start_flag = np.ones(n, dtype=bool)
    user_start_flag[1:] = ucode[1:] != ucode[:-1]
    user_start = np.maximum.accumulate(np.where(user_start_flag, pos, 0))
    hist = pos - user_start  # the profile's n
    secs = frame["timestamp"].to_numpy().astype("datetime64[s]").astype(np.int64)
    amount = frame["amount"].astype(float).to_numpy()
    currency = frame["currency"].astype(object).fillna("INR").to_numpy()
    rates = pd.Series(currency).map(RATES_TO_INR).fillna(1.0).to_numpy(dtype=float)
    a = amount * rates
    credit = (frame["direction"].astype(object).fillna("debit") == "credit").to_numpy()
    d_code = credit.astype(np.int64)
    x = np.log1p(a)
    conf = hist / (hist + NOVELTY_SCALE)
    cols = {c: _opt_codes(frame[c]) if c in frame.columns else (np.full(n, -1, dtype=np.int64), np.array([]))
            for c in ("merchant", "category", "channel", "city", "country")}
    cat_code, cat_uniques = cols["category"]
    cat_names = np.array([str(v).lower() for v in cat_uniques] + [""], dtype=object)
    cat_key = np.where(credit, "c:", "d:") + cat_names[cat_code].astype(str)
    key_code, key_uniques = pd.factorize(cat_key, sort=True)
    key_code = np.asarray(key_code, dtype=np.int64)
    n_keys = max(1, len(key_uniques))
    hour = (secs // HOUR_S) % 24
    wday = (secs // DAY_S + 3) % 7
    out = np.empty((n, len(FAST_FEATURES)))

    # Direction statistics and recent amounts (per user and direction).
    by_dir = _Groups(ucode * 2 + d_code)
    pop_amt_mean = np.where(credit, pop["amt"]["c"][0], pop["amt"]["d"][0])
    pop_amt_var = np.where(credit, pop["amt"]["c"][1], pop["amt"]["d"][1])
    mean_u, sd_u = _blend(by_dir.prior, *by_dir.moments(x), pop_amt_mean, pop_amt_var)
    recent = by_dir.lags(a, RECENT_AMOUNTS)
    n_recent = np.minimum(by_dir.prior, RECENT_AMOUNTS)
    below = (recent < a).sum(axis=0) + 0.5 * (recent == a).sum(axis=0)
    pop_pct = np.empty(n)
    for d, mask in (("d", ~credit), ("c", credit)):
        q = np.asarray(pop["quantiles"][d], dtype=float)
        pop_pct[mask] = np.searchsorted(q, x[mask], side="left") / len(q)
    percentile = (below + PRIOR * pop_pct) / (n_recent + PRIOR)
    recent_max = np.fmax.reduce(recent, axis=0)
    p95 = np.where(credit, pop["p95"]["c"], pop["p95"]["d"])
    ratio_max = _log_ratio(a, np.where(n_recent >= 3, recent_max, p95))

    # Category statistics (per user and category key).
    pop_cat = np.array([pop["cat"].get(str(k)) or pop["amt"]["c" if str(k).startswith("c") else "d"]
                        for k in key_uniques], dtype=float).reshape(-1, 3) if len(key_uniques) else np.zeros((1, 3))
    pc = pop_cat[key_code]
    by_cat = _Groups(ucode * n_keys + key_code)
    mean_c, sd_c = _blend(by_cat.prior, *by_cat.moments(x), pc[:, 0], pc[:, 1])
    recent_cat = by_cat.lags(a, RECENT_CATEGORY_AMOUNTS)
    n_cat = np.minimum(by_cat.prior, RECENT_CATEGORY_AMOUNTS)
    ordered = np.sort(recent_cat, axis=0)  # NaN last
    half = n_cat // 2
    mid_hi = ordered[np.minimum(half, RECENT_CATEGORY_AMOUNTS - 1), pos]
    mid_lo = ordered[np.maximum(half - 1, 0), pos]
    median_recent = np.where(n_cat % 2 == 1, mid_hi, (mid_lo + mid_hi) / 2)
    median = np.where(n_cat >= 3, median_recent, pc[:, 2])
    cat_recent_max = np.fmax.reduce(recent_cat, axis=0)

    # Hours and weekdays (the user's histograms, neighbouring hours smoothed in).
    hour_group = ucode * 24 + hour
    same_h = _count_before(hour_group, hour_group)
    prev_h = _count_before(hour_group, ucode * 24 + (hour - 1) % 24)
    next_h = _count_before(hour_group, ucode * 24 + (hour + 1) % 24)
    pop_hour = np.asarray(pop["hour"], dtype=float)
    near = same_h + HOUR_NEIGHBOUR * (prev_h + next_h)
    hour_p = (near + PRIOR * pop_hour[hour]) / ((1 + 2 * HOUR_NEIGHBOUR) * (hist + PRIOR))
    wday_group = ucode * 7 + wday
    same_wd = _count_before(wday_group, wday_group)
    wday_p = (same_wd + PRIOR * np.asarray(pop["wday"], dtype=float)[wday]) / (hist + PRIOR)

    # Gaps and velocity (every earlier row within the window).
    prev_secs = np.where(hist > 0, np.concatenate([[0], secs[:-1]]), 0)
    gap = np.where(hist > 0, np.maximum(0, secs - prev_secs), 30 * DAY_S)
    clock = ucode * (1 << 40) + (secs - secs.min() if n else secs)
    count_7d = pos - np.searchsorted(clock, clock - WINDOW_S, side="left")
    count_24h = pos - np.searchsorted(clock, clock - DAY_S, side="left")
    count_1h = pos - np.searchsorted(clock, clock - HOUR_S, side="left")
    count_5m = pos - np.searchsorted(clock, clock - BURST_S, side="left")
    sum_24h, sum_1h = _window_sums(a, secs, pos, count_24h, count_1h)
    ts0 = secs[user_start]
    span_days = np.where(hist > 0, np.maximum(1.0, (secs - ts0) / DAY_S), 1.0)
    daily = (hist + PRIOR * pop["daily_rate"]) / (span_days + PRIOR)

    # Merchants.
    m_code = cols["merchant"][0]
    has_m = m_code >= 0
    n_merch = int(m_code.max()) + 2 if n else 1
    by_merch = _Groups(ucode * n_merch + (m_code + 1))
    m_count = np.where(has_m, by_merch.prior, 1)
    merch_mean = by_merch.moments(x)[0]
    log_ratio = _log_ratio(a, median)
    ratio_m = np.where(has_m & (by_merch.prior > 0), x - merch_mean, log_ratio)

    # Novelty: category, channel, city, country; foreign country and currency (running modes).
    cat_new = np.where(cat_code >= 0, (by_cat.prior == 0) * conf, 0.0)

    def new(code: np.ndarray) -> np.ndarray:
        seen = _Groups(ucode * (int(code.max()) + 2) + (code + 1)).prior
        return ((code >= 0) & (seen == 0)) * conf

    c_code, c_uniques = cols["country"]
    home_country, _ = _running_mode(ucode, user_start, c_code)
    home_names = np.append(c_uniques, pop["home_country"]).astype(object)
    home = home_names[np.where(home_country >= 0, home_country, len(c_uniques))]
    country_names = np.array([*c_uniques, None], dtype=object)[np.where(c_code >= 0, c_code, len(c_uniques))]
    foreign = np.array([c is not None and h is not None and c != h for c, h in zip(country_names, home,
                                                                                   strict=True)], dtype=float)
    cur_code, cur_uniques = pd.factorize(currency, sort=True)
    cur_code = np.asarray(cur_code, dtype=np.int64)
    home_cur, home_cur_count = _running_mode(ucode, user_start, cur_code)
    cur_names = np.append(np.asarray(cur_uniques, dtype=object), pop["home_currency"])
    mode_cur = cur_names[np.where(home_cur >= 0, home_cur, len(cur_uniques))]
    # Foreign: another currency than the usual one and less used before it (a tie is not foreign: features.py).
    paid_in_this = _Groups(ucode * (len(cur_uniques) + 1) + cur_code).prior
    foreign_cur = ((currency != mode_cur) & ((home_cur < 0) | (paid_in_this < home_cur_count))).astype(float)

    # Geography.
    lat = pd.to_numeric(frame["latitude"], errors="coerce").to_numpy(dtype=float) if "latitude" in frame else \
        np.full(n, np.nan)
    lon = pd.to_numeric(frame["longitude"], errors="coerce").to_numpy(dtype=float) if "longitude" in frame else \
        np.full(n, np.nan)
    has_geo = ~np.isnan(lat) & ~np.isnan(lon)
    city_code = cols["city"][0]
    home_city, _ = _running_mode(ucode, user_start, city_code, located=has_geo)
    first_geo = {}
    geo_rows = np.nonzero(has_geo & (city_code >= 0))[0]
    if len(geo_rows):
        pairs = ucode[geo_rows] * (int(city_code.max()) + 1) + city_code[geo_rows]
        uniq, first_idx = np.unique(pairs, return_index=True)
        first_geo = dict(zip(uniq.tolist(), geo_rows[first_idx].tolist(), strict=True))
    home_key = ucode * (int(city_code.max()) + 1 if n else 1) + home_city
    home_row = np.array([first_geo.get(k, -1) if h >= 0 else -1 for k, h in zip(home_key.tolist(),
                                                                                   home_city.tolist(), strict=True)])
    with np.errstate(invalid="ignore"):
        km_home = np.where(has_geo & (home_row >= 0),
                           _haversine(lat[home_row], lon[home_row], lat, lon), 0.0)
        prev_lat = np.concatenate([[np.nan], lat[:-1]]) if n else lat
        prev_lon = np.concatenate([[np.nan], lon[:-1]]) if n else lon
        moved = has_geo & (hist > 0) & ~np.isnan(prev_lat)
        km = _haversine(prev_lat, prev_lon, lat, lon)
        kmh = np.where(moved, km / np.maximum(gap / HOUR_S, 0.25), 0.0)
    km_home = np.nan_to_num(km_home)
    kmh = np.nan_to_num(kmh)

    # Income, round amounts.
    income = _Groups(ucode).prior_sum(np.where(credit, a, 0.0))
    monthly = np.where(income > 0, income / np.maximum(1.0, span_days / 30.44), pop["monthly_income"])
    integral = amount == np.floor(amount)
    whole = np.where(integral & (amount < 1e15), amount, 0).astype(np.int64)
    round_level = np.where((amount < 100) | ~integral, 0.0,
                           np.where(whole % 1000 == 0, 2.0, np.where(whole % 100 == 0, 1.0, 0.0)))

    # Category x hour (the user's, blended with the population's).
    key_hour = (ucode * n_keys + key_code) * 24 + hour
    ch_same = _count_before(key_hour, key_hour)
    ch_prev = _count_before(key_hour, (ucode * n_keys + key_code) * 24 + (hour - 1) % 24)
    ch_next = _count_before(key_hour, (ucode * n_keys + key_code) * 24 + (hour + 1) % 24)
    share = np.array([pop.get("cat_hour", {}).get(str(k)) or pop["hour"] for k in key_uniques],
                     dtype=float).reshape(-1, 24) if len(key_uniques) else np.zeros((1, 24))
    ch_near = ch_same + HOUR_NEIGHBOUR * (ch_prev + ch_next)
    ch_prob = (ch_near + PRIOR * share[key_code, hour]) / ((1 + 2 * HOUR_NEIGHBOUR) * (by_cat.prior + PRIOR))

    z_cat = (x - mean_c) / sd_c
    cat_max = np.where(n_cat >= 3, _log_ratio(a, cat_recent_max), log_ratio)
    with np.errstate(divide="ignore"):
        merch_surprise = np.where(has_m, np.log((hist + 1) / (m_count + 1)), 0.0)
    out[:, 0] = x
    out[:, 1] = (x - mean_u) / sd_u
    out[:, 2] = z_cat
    out[:, 3] = log_ratio / sd_c
    out[:, 4] = log_ratio
    out[:, 5] = percentile
    out[:, 6] = ratio_max
    out[:, 7] = -np.log(hour_p)
    out[:, 8] = -np.log(wday_p)
    out[:, 9] = hour < 5
    out[:, 10] = wday >= 5
    out[:, 11] = np.log1p(gap)
    out[:, 12] = count_5m
    out[:, 13] = count_1h
    out[:, 14] = count_24h
    out[:, 15] = count_7d
    out[:, 16] = np.log1p(sum_1h)
    out[:, 17] = np.log1p(sum_24h)
    out[:, 18] = (count_24h + 1) / (daily + 1)
    out[:, 19] = (m_count == 0) * conf
    out[:, 20] = merch_surprise
    out[:, 21] = cat_new
    out[:, 22] = new(cols["channel"][0])
    out[:, 23] = new(city_code)
    out[:, 24] = new(c_code)
    out[:, 25] = foreign
    out[:, 26] = foreign_cur
    out[:, 27] = np.log1p(km_home)
    out[:, 28] = np.log1p(kmh)
    out[:, 29] = np.minimum(a / monthly, 50.0)
    out[:, 30] = round_level
    out[:, 31] = credit
    out[:, 32] = np.log1p(hist)
    out[:, 33] = ratio_m
    out[:, 34] = ratio_m / sd_c
    out[:, 35] = cat_max
    out[:, 36] = -np.log(ch_prob)
    out[:, 37] = (m_count == 0) * conf * np.maximum(0.0, z_cat)
    out[:, 38:45] = _population(pop, x, a, credit, key_uniques, key_code, hour, m_code, cols["merchant"][1])
    capped = _caps_exceeded(frame, users, count_7d, max_categories, cat_key)
    return out, capped


def _population(pop: dict[str, Any], x: np.ndarray, a: np.ndarray, credit: np.ndarray, key_uniques: Any,
                key_code: np.ndarray, hour: np.ndarray, m_code: np.ndarray, m_uniques: np.ndarray) -> np.ndarray:
    """Vectorised ``features.population_features``."""
    n = len(x)
    out = np.zeros((n, 7))
    band = np.asarray(HOUR_BANDS)[hour]
    rows = max(1, int(pop.get("pop_rows", 1)))
    merchant_rows = max(1, int(pop.get("pop_merchant_rows", 1)))
    pop_q, band_q_all = pop.get("pop_q", {}), pop.get("pop_band_q", {})
    cat_counts, band_counts = pop.get("pop_cat_count", {}), pop.get("pop_band_count", {})
    combo = key_code * 4 + band
    by_combo = np.argsort(combo, kind="stable")
    values, starts = np.unique(combo[by_combo], return_index=True)
    ends = np.append(starts[1:], n)
    for value, start, end in zip(values.tolist(), starts.tolist(), ends.tolist(), strict=True):
        mask = by_combo[start:end]
        key = str(key_uniques[value // 4])
        band_key = f"{key}|{value % 4}"
        cat_q = pop_q.get(key)
        band_q = band_q_all.get(band_key) or cat_q
        pop_cat = pop["cat"].get(key) or pop["amt"]["c" if key.startswith("c") else "d"]
        xs = x[mask]
        tail_cat = _tail(cat_q, xs)
        cat_count = cat_counts.get(key, 0)
        band_rarity = -np.log((band_counts.get(band_key, 0) + 1.0) / (cat_count + 4.0))
        out[mask, 0] = tail_cat
        out[mask, 1] = _tail(band_q, xs)
        out[mask, 2] = _log_ratio(a[mask], np.full(len(xs), pop_cat[2]))
        out[mask, 3] = band_rarity
        out[mask, 4] = -np.log((cat_count + 1.0) / (rows + 1.0))
        out[mask, 6] = tail_cat + band_rarity / np.log(10.0)
    merchant_counts = pop.get("pop_merchant_count", {})
    per_merchant = np.array([-np.log((merchant_counts.get(str(m), 0) + 1.0) / (merchant_rows + 1.0))
                             for m in m_uniques] + [0.0])
    out[:, 5] = per_merchant[np.where(m_code >= 0, m_code, len(m_uniques))]
    return out


def fast_frame_features(frame: pd.DataFrame, population: dict[str, Any],
                        max_categories: int = MAX_CATEGORIES) -> tuple[np.ndarray, np.ndarray]:
    """The feature matrix of :func:`frame_features` (rows in frame order) and the cold-start flags, vectorised.

    Users whose profile would hit a cap, and the whole frame when the feature list changed or the reference
    disagrees on a sample, are computed by :func:`frame_features`.
    """
    n = len(frame)
    if n == 0 or tuple(FEATURE_NAMES) != FAST_FEATURES:
        features, _, cold = frame_features(frame, population, max_categories)
        return features, cold
    users = frame["user_id"].astype(str).to_numpy()
    secs = frame["timestamp"].to_numpy().astype("datetime64[s]").astype(np.int64)
    order = np.lexsort((np.arange(n), secs, users))
    ordered = frame.iloc[order].reset_index(drop=True)
    sorted_features, capped = _fast_sorted(ordered, population, max_categories)
    hist = np.arange(n) - np.maximum.accumulate(np.where(
        np.r_[True, users[order][1:] != users[order][:-1]], np.arange(n), 0))
    features = np.empty_like(sorted_features)
    features[order] = sorted_features
    cold = np.empty(n, dtype=bool)
    cold[order] = hist < COLD_START_MIN
    reference_rows = order[capped]
    if len(reference_rows):
        exact, _, _ = frame_features(frame.iloc[reference_rows], population, max_categories)
        features[reference_rows] = exact
    if not _agrees_with_reference(frame, users, order, capped, features, population, max_categories):
        features, _, cold = frame_features(frame, population, max_categories)
    return features, cold


def _agrees_with_reference(frame: pd.DataFrame, users: np.ndarray, order: np.ndarray, capped: np.ndarray,
                           features: np.ndarray, population: dict[str, Any], max_categories: int) -> bool:
    """Whether the reference gives the same features for the first rows of one (uncapped) user of the frame."""
    candidates = order[~capped]
    if not len(candidates):
        return True
    user = users[candidates[len(candidates) // 2]]
    rows = np.nonzero(users == user)[0]
    sample = frame.iloc[rows]
    secs = sample["timestamp"].to_numpy().astype("datetime64[s]").astype(np.int64)
    first = rows[np.lexsort((np.arange(len(rows)), secs))][:CHECK_ROWS]
    first.sort()
    expected, _, _ = frame_features(frame.iloc[first], population, max_categories)
    if np.allclose(features[first], expected, rtol=TOLERANCE, atol=TOLERANCE):
        return True
    worst = int(np.argmax(np.abs(features[first] - expected).max(axis=0)))
    log.warning("vectorised anomaly features disagree with the reference (%s); scoring with the reference",
                FEATURE_NAMES[worst])
    return False


# ----------------------------------------------------------------------------------------------------------
# Bulk profiles (backfill)


def bulk_profile(ts: list[int], amount_inr: list[float], credit: list[bool], currency: list[str],
                 merchant: list[str | None], category: list[str | None], channel: list[str | None],
                 city: list[str | None], country: list[str | None], lat: list[float | None],
                 lon: list[float | None], ids: list[str | None],
                 max_categories: int = MAX_CATEGORIES) -> dict[str, Any] | None:
    """The profile ``apply_transactions(None, rows)`` builds, from one user's rows (oldest first, ties in file
    order; ``category`` lower-cased; ids unique), in one pass with tallies instead of a fold per row.

    The float statistics (Welford moments, running merchant means, income) are accumulated in the same order
    with the same operations, so the result is equal, not just close. ``None`` where a capped table would
    have dropped or folded entries (more merchants, cities, categories, ... than the profile keeps, or more
    than its window within 7 days): the fold decides those one row at a time.
    """
    from collections import Counter
    from math import log1p

    n = len(ts)
    p = new_profile()
    if n == 0:
        return p
    if any(ts[i] > ts[i + 1] for i in range(n - 1)):
        return None
    named = {c for c in merchant if c is not None}
    if (len(named) > MAX_MERCHANTS or len({c for c in city if c is not None}) > MAX_CITIES
            or len({c for c in channel if c is not None}) > OTHER_CAPS["channel"]
            or len({c for c in country if c is not None}) > OTHER_CAPS["country"]
            or len(set(currency)) > OTHER_CAPS["currency"]):
        return None
    stamps = np.asarray(ts, dtype=np.int64)
    in_window = np.arange(1, n + 1) - np.searchsorted(stamps, stamps - WINDOW_S, side="left")
    if int(in_window.max()) > MAX_WINDOW:
        return None
    keys = [("c:" if c else "d:") + (k or "") for c, k in zip(credit, category, strict=True)]
    if len(set(keys)) > max_categories:
        return None
    amt: dict[str, list[Any]] = {}
    cat: dict[str, list[Any]] = {}
    mamt: dict[str, list[Any]] = {}
    recent: dict[str, list[float]] = {}
    chour: dict[str, list[int]] = {}
    income = 0.0
    for i in range(n):
        a = amount_inr[i]
        x = log1p(a)
        d = "c" if credit[i] else "d"
        st = amt.get(d)
        if st is None:
            st = amt[d] = [0, 0.0, 0.0]
            recent[d] = []
        st[0] += 1
        delta = x - st[1]
        st[1] += delta / st[0]
        st[2] += delta * (x - st[1])
        recent[d].append(a)
        key = keys[i]
        cs = cat.get(key)
        if cs is None:
            cs = cat[key] = [0, 0.0, 0.0, []]
            chour[key] = [0] * 24
        cs[0] += 1
        delta = x - cs[1]
        cs[1] += delta / cs[0]
        cs[2] += delta * (x - cs[1])
        cs[3].append(a)
        chour[key][(ts[i] // HOUR_S) % 24] += 1
        m = merchant[i]
        if m is not None:
            ms = mamt.get(m)
            if ms is None:
                ms = mamt[m] = [0, 0.0]
            ms[0] += 1
            ms[1] += (x - ms[1]) / ms[0]
        if credit[i]:
            income += a
    for stats in cat.values():
        stats[3] = stats[3][-RECENT_CATEGORY_AMOUNTS:]
    hours = Counter((t // HOUR_S) % 24 for t in ts)
    wdays = Counter((t // DAY_S + 3) % 7 for t in ts)
    cities: dict[str, list[Any]] = {}
    for c, la, lo in zip(city, lat, lon, strict=True):
        if c is None:
            continue
        entry = cities.setdefault(c, [0, None, None])
        entry[0] += 1
        if entry[1] is None and la is not None and lo is not None:
            entry[1], entry[2] = la, lo
    newest = ts[-1]
    window = sorted([t, a, int(c)] for t, a, c in zip(ts, amount_inr, credit, strict=True)
                    if t >= newest - WINDOW_S)
    known = [i for i in ids if i is not None]
    p.update({
        "n": n, "ts0": min(ts), "amt": amt, "recent": {d: v[-RECENT_AMOUNTS:] for d, v in recent.items()},
        "cat": cat, "hour": [hours.get(h, 0) for h in range(24)], "wday": [wdays.get(w, 0) for w in range(7)],
        "merch": dict(Counter(m for m in merchant if m is not None)),
        "chan": dict(Counter(c for c in channel if c is not None)), "city": cities,
        "ctry": dict(Counter(c for c in country if c is not None)), "cur": dict(Counter(currency)),
        "win": window, "last": [ts[-1], lat[-1], lon[-1]], "income": income, "ids": known[-MAX_IDS:], "mamt": mamt,
        "chour": chour,
    })
    return p
