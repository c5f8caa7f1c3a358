"""Discretionary spending of simulated households: Poisson-timed streams, vectorised per stream.

A user's events in one stream follow a Poisson process whose daily intensity is the user's own
rate times the calendar's factors (weekday, month, festivals, wedding season, the week after payday).
Counts per user are drawn at once and days by inverse-CDF sampling, so cost is linear in rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
import pandas as pd
import pyarrow as pa

from nivesh_ml.data.synthetic_calendar import SECONDS_PER_DAY, Calendar, payday_boost, stream_day_factors
from nivesh_ml.data.synthetic_catalog import (
    AMOUNT_SCALE,
    BANDS,
    CHANNEL_MIX,
    CITIES,
    HOURS,
    POOLS,
    STREAM_INDEX,
    STREAMS,
    Stream,
)
from nivesh_ml.data.synthetic_rows import CARD, Payees, Rows, day_seconds, narrate, rows_of

DAYS_PER_MONTH = 30.44
CITY_CODE = {c.name: i for i, c in enumerate(CITIES)}
NOTES: dict[str, tuple[str, ...]] = {
    "p2p": ("Sent", "dinner split", "Payment", "thanks", "trip share", "chai", "movie", "UPI"),
    "p2p_in": ("Received", "returning", "split", "Payment", "UPI"),
    "refunds": ("Refund",),
}
DEFAULT_NOTES = ("Payment", "Pay to merchant", "UPI")


@dataclass(frozen=True)
class Households:
    """Per-user behaviour of one chunk of users (local index 0..n-1, global = offset + local)."""

    offset: int
    city: np.ndarray
    band: np.ndarray
    rule: np.ndarray  # payday rule, see synthetic_calendar.pay_days
    card4: pa.Array  # masked card digits printed on POS/ECOM narrations
    rate: np.ndarray  # (users, streams) events per month
    scale: np.ndarray  # (users, streams) the user's usual amount, INR
    favourite: np.ndarray  # (users, streams) favourite payee index in the stream's pool
    card_affinity: np.ndarray

    @property
    def n(self) -> int:
        return int(self.city.size)


@cache
def pool_payees(key: str) -> tuple[Payees, np.ndarray]:
    """The payees of a stream's pool and their sampling probabilities."""
    pool = POOLS[key]
    weights = np.array([w for _, w, _ in pool], dtype=float)
    return Payees.of([n for n, _, _ in pool], [o for _, _, o in pool]), weights / weights.sum()


def households(users: pd.DataFrame, offset: int, rng: np.random.Generator) -> Households:
    """Draw the per-user behaviour (rates, usual amounts, favourite payees) of a chunk of users."""
    n = len(users)
    band = users["income_band"].map({b: i for i, b in enumerate(BANDS)}).to_numpy(np.int64)
    vehicle = users["has_vehicle"].to_numpy(bool)
    rate = np.empty((n, len(STREAMS)))
    scale = np.empty((n, len(STREAMS)))
    favourite = np.empty((n, len(STREAMS)), dtype=np.int64)
    for j, stream in enumerate(STREAMS):
        rate[:, j] = stream.per_month * np.asarray(stream.band_rate)[band] * rng.gamma(3.0, 1 / 3.0, n)
        scale[:, j] = stream.median * np.asarray(AMOUNT_SCALE)[band] * rng.lognormal(0.0, 0.3, n)
        _, probs = pool_payees(stream.key)
        favourite[:, j] = rng.choice(probs.size, size=n, p=probs)
    rate[:, STREAM_INDEX["fuel"]] *= vehicle
    rate[:, STREAM_INDEX["transport"]] *= np.where(vehicle, 0.6, 1.2)
    rate[:, STREAM_INDEX["investments"]] *= rng.random(n) < np.array([0.05, 0.25, 0.5, 0.7])[band]
    rate[:, STREAM_INDEX["edtech"]] *= rng.random(n) < 0.3
    rate[:, STREAM_INDEX["cash_withdrawal"]] *= np.where(users["age"].to_numpy() > 45, 1.4, 1.0)
    return Households(
        offset=offset, city=users["city"].map(CITY_CODE).to_numpy(np.int64), band=band,
        rule=users["payday"].to_numpy(np.int64),
        card4=pa.array([f"{v:04d}" for v in rng.integers(1000, 10_000, n)]),
        rate=rate, scale=scale, favourite=favourite,
        card_affinity=rng.choice(np.array([0.4, 1.0, 2.5]), size=n, p=[0.3, 0.45, 0.25]),
    )


def _event_days(cal: Calendar, hh: Households, stream: Stream, rng: np.random.Generator,
                rate_by_day: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    j = STREAM_INDEX[stream.key]
    users: list[np.ndarray] = []
    days: list[np.ndarray] = []
    for rule in np.unique(hh.rule):
        weights = rate_by_day * payday_boost(cal, stream, int(rule))
        group = np.flatnonzero(hh.rule == rule)
        counts = rng.poisson(hh.rate[group, j] * weights.sum() / DAYS_PER_MONTH)
        cdf = np.cumsum(weights) / weights.sum()
        users.append(np.repeat(group, counts))
        days.append(np.minimum(np.searchsorted(cdf, rng.random(int(counts.sum())), side="right"),
                               cal.n_days - 1))
    return np.concatenate(users), np.concatenate(days)


def pick_channels(rng: np.random.Generator, mix_name: str, affinity: np.ndarray) -> np.ndarray:
    """Payment channel per row: the stream's mix, tilted towards cards for card-loving users."""
    mix = np.asarray(CHANNEL_MIX[mix_name], dtype=float)
    n = affinity.size
    card = mix[CARD] * affinity / (mix[CARD] * affinity + 1.0 - mix[CARD]) if mix[CARD] < 1 else np.ones(n)
    rest = mix.copy()
    rest[CARD] = 0.0
    if rest.sum() == 0:
        return np.full(n, CARD, np.int8)
    other = np.searchsorted(np.cumsum(rest) / rest.sum(), rng.random(n), side="right")
    return np.where(rng.random(n) < card, CARD, np.minimum(other, rest.size - 1)).astype(np.int8)


def round_amounts(amount: np.ndarray, channel: np.ndarray, round_to: float) -> np.ndarray:
    """Whole rupees (or ``round_to``) except card payments, which carry paise."""
    if round_to > 1:
        return np.maximum(np.round(amount / round_to), 1) * round_to
    return np.where(channel == CARD, np.round(amount, 2), np.maximum(np.round(amount), 1.0))


def stream_rows(cal: Calendar, hh: Households, rng: np.random.Generator, stream: Stream, user: np.ndarray,
                day: np.ndarray, secs: np.ndarray, amount: np.ndarray, payee: np.ndarray | None = None,
                anomaly: int = 0) -> Rows:
    """Rows of ``stream`` for local users ``user`` on ``day`` at ``secs`` paying ``amount`` (before rounding)."""
    j = STREAM_INDEX[stream.key]
    payees, probs = pool_payees(stream.key)
    if payee is None:
        loyal = rng.random(user.size) < 0.55
        payee = np.where(loyal, hh.favourite[user, j], rng.choice(probs.size, size=user.size, p=probs))
    channel = pick_channels(rng, stream.channels, hh.card_affinity[user])
    city = np.where(payees.online[payee], -1, hh.city[user])
    direction = 1 if stream.direction == "credit" else 0
    text = narrate(rng, payees, payee, channel, np.full(user.size, direction), city,
                   hh.card4.take(pa.array(user)), NOTES.get(stream.key, DEFAULT_NOTES))
    return rows_of(user=user + hh.offset, ts=cal.epoch_seconds + day * SECONDS_PER_DAY + secs,
                   amount=round_amounts(amount, channel, stream.round_to), category=stream.category,
                   channel=channel, direction=direction, city=city,
                   merchant=payees.names.take(pa.array(payee)), description=text, anomaly=anomaly)


def discretionary_rows(cal: Calendar, hh: Households, rng: np.random.Generator) -> list[Rows]:
    """Every discretionary stream's rows for a chunk of households."""
    blocks = []
    for j, stream in enumerate(STREAMS):
        rate_by_day, amount_by_day = stream_day_factors(cal, stream)
        user, day = _event_days(cal, hh, stream, rng, rate_by_day)
        amount = hh.scale[user, j] * amount_by_day[day] * rng.lognormal(0.0, stream.sigma, user.size)
        amount = np.maximum(amount, 20.0)
        secs = day_seconds(rng, HOURS[stream.hours], user.size)
        blocks.append(stream_rows(cal, hh, rng, stream, user, day, secs, amount))
    return blocks

