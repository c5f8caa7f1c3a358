"""Population statistics saved with the model: the fallback for users with little or no history."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from nivesh_ml.models.anomaly.features import (
    DAY_S,
    HOUR_NEIGHBOUR,
    MIN_BAND_ROWS,
    MIN_CATEGORY_ROWS,
    POP_GRID,
    POP_MERCHANTS,
    RATES_TO_INR,
    hour_band,
)


def _stats(logs: Any, amounts: Any) -> list[float]:
    """[mean, variance (between users included: cautious for newcomers), median amount]."""
    var = float(logs.var()) if len(logs) > 1 else 1.0
    return [float(logs.mean()), var if np.isfinite(var) else 1.0, float(amounts.median())]


def fit_population(frame: pd.DataFrame) -> dict[str, Any]:
    """Statistics of a (training) transactions frame, as a JSON-serialisable dict."""
    if frame.empty:
        raise ValueError("cannot fit population statistics on an empty frame")
    rates = frame["currency"].astype(object).fillna("INR").map(lambda c: RATES_TO_INR.get(c, 1.0))
    inr = frame["amount"].astype(float) * rates.astype(float)
    logs = np.log1p(inr)
    credit = frame["direction"].astype(object).fillna("debit").eq("credit")
    secs = frame["timestamp"].to_numpy().astype("datetime64[s]").astype(np.int64)
    # +1 per bin (Laplace): an hour or weekday never seen in training is rare, not impossible.
    hours = np.bincount((secs // 3600) % 24, minlength=24).astype(float) + 1.0
    share = hours / hours.sum()
    hour_smooth = share + HOUR_NEIGHBOUR * (np.roll(share, 1) + np.roll(share, -1))
    wdays = np.bincount((secs // DAY_S + 3) % 7, minlength=7).astype(float) + 1.0
    all_stats = _stats(logs, inr)
    amt, quantiles, p95 = {}, {}, {}
    for d, mask in (("d", ~credit), ("c", credit)):
        sub, sub_inr = (logs[mask], inr[mask]) if mask.any() else (logs, inr)
        amt[d] = _stats(sub, sub_inr) if len(sub) > 1 else all_stats
        quantiles[d] = [float(q) for q in np.quantile(sub, np.linspace(0, 1, 101))]
        p95[d] = float(np.quantile(sub_inr, 0.95))
    cat_key = np.where(credit, "c:", "d:") + frame["category"].astype(object).fillna("").astype(str).str.lower()
    cats = {str(key): _stats(logs[idx], inr[idx]) for key, idx in pd.Series(cat_key).groupby(cat_key).groups.items()
            if len(idx) >= 20}
    cat_hour = _category_hours(cat_key, (secs // 3600) % 24, share)
    per_user = pd.DataFrame({"user": frame["user_id"].to_numpy(), "secs": secs,
                             "income": np.where(credit.to_numpy(), inr.to_numpy(), 0.0)})
    by_user = per_user.groupby("user")
    span_days = ((by_user["secs"].max() - by_user["secs"].min()) / DAY_S).clip(lower=1.0)
    monthly = by_user["income"].sum() / (span_days / 30.44).clip(lower=1.0)
    positive = monthly[monthly > 0]
    return {
        **_population_rarity(np.asarray(logs, dtype=float), cat_key, (secs // 3600) % 24, frame),
        "amt": amt, "cat": cats, "cat_hour": cat_hour, "quantiles": quantiles, "p95": p95,
        "hour": [float(v) for v in hour_smooth], "wday": [float(v) for v in wdays / wdays.sum()],
        "daily_rate": float((by_user.size() / span_days).median()),
        "monthly_income": float(positive.median()) if len(positive) else float(inr.median() * 30),
        "home_country": _most_common(frame, "country"), "home_currency": _most_common(frame, "currency") or "INR",
    }


def _population_rarity(logs: np.ndarray, cat_key: np.ndarray, hours: np.ndarray,
                       frame: pd.DataFrame) -> dict[str, Any]:
    """Across all users: log-amount quantiles per category and per category × hour band, how often each
    category, category × hour band and merchant occurs (what makes a transaction rare for *anyone*)."""
    keys = pd.Series(cat_key)
    band_key = keys + "|" + pd.Series(np.asarray(hour_band(hours)).astype(str))
    grid = np.asarray(POP_GRID)

    def quantiles(groups: pd.Series, min_rows: int) -> dict[str, list[float]]:
        return {str(k): [float(v) for v in np.quantile(logs[idx], grid)]
                for k, idx in groups.groupby(groups).indices.items() if len(idx) >= min_rows}

    merchants = frame["merchant"].astype(object).dropna().astype(str) if "merchant" in frame.columns else None
    top = merchants[merchants != ""].value_counts().head(POP_MERCHANTS) if merchants is not None else pd.Series()
    cat_counts, band_counts = keys.value_counts(), band_key.value_counts()
    return {
        "pop_q": quantiles(keys, MIN_CATEGORY_ROWS), "pop_band_q": quantiles(band_key, MIN_BAND_ROWS),
        "pop_cat_count": {str(k): int(v) for k, v in cat_counts.items()},
        "pop_band_count": {str(k): int(v) for k, v in band_counts.items()},
        "pop_merchant_count": {str(k): int(v) for k, v in top.items()},
        "pop_rows": len(logs), "pop_merchant_rows": len(merchants) if merchants is not None else 0,
    }


def _category_hours(cat_key: np.ndarray, hours: np.ndarray, overall: np.ndarray) -> dict[str, list[float]]:
    """Per category: neighbour-smoothed hour shares, shrunk towards all categories' (20 pseudo-counts)."""
    out = {}
    for key in np.unique(cat_key):
        counts = np.bincount(hours[cat_key == key], minlength=24).astype(float)
        share = (counts + 20.0 * overall) / (counts.sum() + 20.0)
        out[str(key)] = [float(v) for v in share + HOUR_NEIGHBOUR * (np.roll(share, 1) + np.roll(share, -1))]
    return out


def _most_common(frame: pd.DataFrame, col: str) -> str | None:
    if col not in frame.columns:
        return None
    values = frame[col].dropna().astype(str)
    counts = values[values != ""].value_counts()
    return str(counts.index[0]) if len(counts) else None
