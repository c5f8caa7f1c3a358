"""Card-data layer for the thin-history scenario (issue 17): legitimate online card purchases at every hour,
night included, and fraud episodes on compromised cards (large online shopping/grocery purchases, mostly at
night).

Modelled on what public card-transaction fraud sets show: a week of about 14 transactions per card; normal
online shopping, grocery and food orders happen around the clock (fewer at night, never none); frauds come
in short episodes on a few compromised cards, a handful of card-not-present purchases within a day or two,
mostly between 22 h and 4 h, at the same big online merchants legitimate users pay, for amounts well above the
category's usual (online shopping ≈ 3-18×, groceries ≈ 1.6-6×) that still overlap the largest legitimate ones.
Parameters are fixed here from that description, not tuned on any model's score.
"""

from __future__ import annotations

from typing import Final

import numpy as np
import pandas as pd

from nivesh_ml.data.synthetic_anomalies import NIGHT_FRAUD_KIND

ONLINE_MERCHANTS: Final[dict[str, tuple[str, ...]]] = {
    "shopping": ("Amazon", "Flipkart", "Myntra", "Ajio", "Croma Online", "Meesho"),
    "groceries": ("BigBasket", "Blinkit", "Zepto", "Swiggy Instamart", "JioMart"),
    "food_delivery": ("Swiggy", "Zomato", "EatSure"),
}
# Legitimate online card purchases per card per week (gamma: most cards a few, some many) and their mix.
ONLINE_PER_WEEK: Final = 4.0
ONLINE_MIX: Final[dict[str, float]] = {"shopping": 0.4, "groceries": 0.35, "food_delivery": 0.25}
# Hour-of-day weights of legitimate online orders: evening peak, about 7 % between 0 h and 5 h.
ONLINE_HOURS: Final[tuple[float, ...]] = (2, 1.5, 1, 0.7, 0.5, 0.6, 1, 2, 3, 3.5, 4, 4.5,
                                          5, 5, 4.5, 4.5, 5, 5.5, 6.5, 7.5, 8, 7.5, 6, 3.5)
COMPROMISED_SHARE: Final = 0.03  # share of cards with a fraud episode in the period
EPISODE_EXTRA: Final = 3.0  # fraud purchases per episode: 2 + Poisson(this)
NIGHT_SHARE: Final = 0.8  # fraud purchases between 22 h and 4 h; the rest 8-21 h
NIGHT_HOURS: Final = (22, 23, 0, 1, 2, 3)
# Fraud amount over the category's population median: lognormal (log mean, log sd).
FRAUD_MULTIPLE: Final[dict[str, tuple[float, float]]] = {"shopping": (float(np.log(7.0)), 0.5),
                                                         "groceries": (float(np.log(3.0)), 0.35)}
FRAUD_MIX: Final = 0.55  # share of fraud purchases in online shopping (the rest groceries)


def _rows_like(template: pd.DataFrame, when: pd.DatetimeIndex, category: np.ndarray, amount: np.ndarray,
               merchant: list[str], prefix: str, kind: str) -> pd.DataFrame:
    """Card-not-present purchases of the template rows' users (their city and coordinates kept)."""
    return template.reset_index(drop=True).assign(
        transaction_id=[f"{prefix}-{i}" for i in range(len(template))], timestamp=[w.isoformat() for w in when],
        amount=np.round(amount, 2), currency="INR", direction="debit", merchant=merchant, category=category,
        channel="card", description=[f"ECOM {m.upper()}" for m in merchant], country="IN",
        is_anomaly=int(kind != ""), anomaly_kind=kind)


def _merchants(rng: np.random.Generator, category: np.ndarray) -> list[str]:
    return [ONLINE_MERCHANTS[c][rng.integers(0, len(ONLINE_MERCHANTS[c]))] for c in category]


def online_purchases(frame: pd.DataFrame, rng: np.random.Generator, days: int, start: pd.Timestamp,
                     medians: pd.Series) -> pd.DataFrame:
    """Legitimate online card purchases of every user (some at night), around their category's median."""
    first = frame.groupby("user_id", sort=True).head(1)
    rate = rng.gamma(2.0, ONLINE_PER_WEEK / 2.0, len(first)) * days / 7.0
    count = rng.poisson(rate)
    template = first.loc[first.index.repeat(count)]
    n = len(template)
    category = rng.choice(list(ONLINE_MIX), size=n, p=np.asarray(list(ONLINE_MIX.values())))
    taste = np.repeat(rng.lognormal(0.0, 0.4, len(first)), count)  # some users order bigger baskets
    amount = medians.reindex(category).to_numpy(float) * taste * rng.lognormal(0.0, 0.6, n)
    hours = np.asarray(ONLINE_HOURS) / sum(ONLINE_HOURS)
    when = (start + pd.to_timedelta(rng.integers(0, days, n), unit="D")
            + pd.to_timedelta(rng.choice(24, size=n, p=hours) * 3600 + rng.integers(0, 3600, n), unit="s"))
    return _rows_like(template, pd.DatetimeIndex(when), category, amount, _merchants(rng, category), "onl", "")


def fraud_episodes(frame: pd.DataFrame, rng: np.random.Generator, days: int, start: pd.Timestamp,
                   medians: pd.Series, seed: int) -> pd.DataFrame:
    """Fraud episodes on ``COMPROMISED_SHARE`` of the cards, labelled ``night_online_fraud``."""
    first = frame.groupby("user_id", sort=True).head(1)
    cards = max(1, round(len(first) * COMPROMISED_SHARE))
    victims = first.iloc[rng.choice(len(first), size=cards, replace=False)]
    size = 2 + rng.poisson(EPISODE_EXTRA, cards)
    template = victims.loc[victims.index.repeat(size)]
    n = len(template)
    episode_day = np.repeat(rng.integers(0, days, cards), size)
    night = rng.random(n) < NIGHT_SHARE
    hour = np.where(night, np.asarray(NIGHT_HOURS)[rng.integers(0, len(NIGHT_HOURS), n)], rng.integers(8, 22, n))
    # Night hours after midnight belong to the night that began on the episode's evening.
    day = np.minimum(episode_day + rng.integers(0, 2, n) + ((hour < 5) & night), days - 1)
    when = (start + pd.to_timedelta(day, unit="D") + pd.to_timedelta(hour * 3600 + rng.integers(0, 3600, n),
                                                                      unit="s"))
    category = np.where(rng.random(n) < FRAUD_MIX, "shopping", "groceries")
    log_mean = np.array([FRAUD_MULTIPLE[c][0] for c in category])
    log_sd = np.array([FRAUD_MULTIPLE[c][1] for c in category])
    amount = medians.reindex(category).to_numpy(float) * np.exp(log_mean + log_sd * rng.standard_normal(n))
    return _rows_like(template, pd.DatetimeIndex(when), category, amount, _merchants(rng, category),
                      f"nf{seed}", NIGHT_FRAUD_KIND)


def add_card_layer(frame: pd.DataFrame, seed: int, days: int) -> pd.DataFrame:
    """``frame`` (one simulated period of ``days`` days) plus legitimate online purchases and fraud episodes,
    sorted by user then time."""
    rng = np.random.default_rng([seed, 7919])
    start = pd.to_datetime(frame["timestamp"]).min().normalize()
    debits = frame[(frame["direction"] == "debit") & (frame["is_anomaly"] == 0)]
    medians = debits.groupby("category")["amount"].median()
    out = pd.concat([frame, online_purchases(frame, rng, days, start, medians),
                     fraud_episodes(frame, rng, days, start, medians, seed)], ignore_index=True)
    order = np.lexsort((pd.to_datetime(out["timestamp"]).to_numpy(), out["user_id"].astype(str).to_numpy()))
    return out.iloc[order].reset_index(drop=True)
