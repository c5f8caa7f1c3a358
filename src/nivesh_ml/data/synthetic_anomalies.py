"""Labelled anomalies injected into simulated histories (about 0.75 % of debit rows).

Only these rows carry ``is_anomaly = 1``; the normal streams never produce their signatures
(foreign currency, 1-4 am cash or shopping, payees outside the pools, ₹1-₹10 card probes).
"""

from __future__ import annotations

from functools import cache
from typing import Final

import numpy as np
import pyarrow as pa

from nivesh_ml.data.synthetic_calendar import SECONDS_PER_DAY, Calendar
from nivesh_ml.data.synthetic_catalog import (
    AMOUNT_SCALE,
    CITIES,
    FAR_KINDS,
    FAR_PREFIXES,
    FOREIGN,
    FX_INR,
    GIFT_CARDS,
    HOURS,
    MULE_NAMES,
    STREAM_INDEX,
    STREAMS,
    TESTING_MERCHANTS,
)
from nivesh_ml.data.synthetic_rows import (
    ANOMALY_KINDS,
    CARD,
    CATEGORY_CODE,
    COUNTRIES,
    CURRENCY_LIST,
    UPI,
    Payees,
    Rows,
    day_seconds,
    join,
    narrate,
    rows_of,
)
from nivesh_ml.data.synthetic_streams import Households, stream_rows

ANOMALY_RATE: Final = 0.0075  # share of debit rows
ROW_SHARE: Final[dict[str, float]] = {"amount_spike": 0.25, "odd_hour": 0.15, "new_far_merchant": 0.15,
                                      "foreign_country": 0.15, "rapid_burst": 0.15, "card_testing": 0.15}
MEAN_ROWS: Final[dict[str, float]] = {"rapid_burst": 8.5, "card_testing": 6.5}
SPIKE_STREAMS: Final = ("groceries", "food_delivery", "dining", "shopping", "fuel", "healthcare",
                        "entertainment", "travel")
NIGHT_STREAMS: Final = ("cash_withdrawal", "shopping", "p2p")
FAR_KM: Final = 1000.0
KIND = {name: i for i, name in enumerate(ANOMALY_KINDS)}


def event_counts(n_debits: int) -> dict[str, int]:
    """How many events of each kind a block with ``n_debits`` normal debit rows receives (at least one)."""
    budget = n_debits * ANOMALY_RATE
    return {k: max(1, round(budget * share / MEAN_ROWS.get(k, 1.0))) for k, share in ROW_SHARE.items()}


def inject(cal: Calendar, hh: Households, rng: np.random.Generator, n_debits: int) -> list[Rows]:
    """Anomalous rows of all six kinds for a chunk of households."""
    counts = event_counts(n_debits)
    makers = (_amount_spike, _odd_hour, _new_far_merchant, _foreign_country, _rapid_burst, _card_testing)
    blocks: list[Rows] = []
    for maker, count in zip(makers, counts.values(), strict=True):
        user = rng.integers(0, hh.n, count)
        day = rng.integers(0, max(cal.n_days - 1, 1), count)
        blocks += maker(cal, hh, rng, user, day)
    return blocks


def _amount_spike(cal: Calendar, hh: Households, rng: np.random.Generator, user: np.ndarray, day: np.ndarray
                  ) -> list[Rows]:
    cols = np.array([STREAM_INDEX[k] for k in SPIKE_STREAMS])
    rates = hh.rate[user][:, cols] + 1e-9
    cdf = np.cumsum(rates, axis=1) / rates.sum(axis=1, keepdims=True)
    which = np.minimum((cdf < rng.random(user.size)[:, None]).sum(axis=1), cols.size - 1)
    blocks = []
    for k, col in enumerate(cols):
        sel = which == k
        if sel.any():
            stream = STREAMS[col]
            amount = hh.scale[user[sel], col] * rng.uniform(5, 30, int(sel.sum()))
            secs = day_seconds(rng, HOURS[stream.hours], int(sel.sum()))
            blocks.append(stream_rows(cal, hh, rng, stream, user[sel], day[sel], secs, amount,
                                      anomaly=KIND["amount_spike"]))
    return blocks


def _odd_hour(cal: Calendar, hh: Households, rng: np.random.Generator, user: np.ndarray, day: np.ndarray
              ) -> list[Rows]:
    which = rng.integers(0, len(NIGHT_STREAMS), user.size)
    blocks = []
    for k, key in enumerate(NIGHT_STREAMS):
        sel = which == k
        if sel.any():
            col = STREAM_INDEX[key]
            amount = hh.scale[user[sel], col] * rng.uniform(1.5, 6, int(sel.sum()))
            secs = rng.integers(1 * 3600, 5 * 3600, int(sel.sum()))
            blocks.append(stream_rows(cal, hh, rng, STREAMS[col], user[sel], day[sel], secs, amount,
                                      anomaly=KIND["odd_hour"]))
    return blocks


@cache
def far_cities() -> tuple[np.ndarray, ...]:
    """For each city, the cities more than 1000 km away (or the three farthest)."""
    lat = np.radians([c.lat for c in CITIES])
    lon = np.radians([c.lon for c in CITIES])
    a = (np.sin((lat[:, None] - lat[None, :]) / 2) ** 2
         + np.cos(lat[:, None]) * np.cos(lat[None, :]) * np.sin((lon[:, None] - lon[None, :]) / 2) ** 2)
    km = 2 * 6371.0 * np.arcsin(np.sqrt(a))
    return tuple(np.flatnonzero(row > FAR_KM) if (row > FAR_KM).sum() else np.argsort(row)[-3:] for row in km)


def _new_far_merchant(cal: Calendar, hh: Households, rng: np.random.Generator, user: np.ndarray,
                      day: np.ndarray) -> list[Rows]:
    n = user.size
    far = far_cities()
    city = np.array([far[c][rng.integers(0, far[c].size)] for c in hh.city[user]], dtype=np.int64)
    prefix, kind = rng.integers(0, len(FAR_PREFIXES), n), rng.integers(0, len(FAR_KINDS), n)
    names = [f"{FAR_PREFIXES[p]} {FAR_KINDS[k][0]}" for p, k in zip(prefix, kind, strict=True)]
    table = Payees.of(names, False)
    channel = np.where(rng.random(n) < 0.8, CARD, UPI).astype(np.int8)
    amount = 6000 * np.asarray(AMOUNT_SCALE)[hh.band[user]] * rng.lognormal(0.0, 0.6, n)
    amount = np.where(channel == CARD, np.round(amount, 2), np.round(amount))
    category = np.array([CATEGORY_CODE[FAR_KINDS[k][1]] for k in kind])
    payee = np.arange(n)
    text = narrate(rng, table, payee, channel, np.zeros(n, np.int8), city, hh.card4.take(pa.array(user)),
                   ("Payment",))
    ts = cal.epoch_seconds + day * SECONDS_PER_DAY + day_seconds(rng, HOURS["day"], n)
    return [rows_of(user=user + hh.offset, ts=ts, amount=amount, category=category, channel=channel, direction=0,
                    city=city, merchant=table.names, description=text, anomaly=KIND["new_far_merchant"])]


def _foreign_country(cal: Calendar, hh: Households, rng: np.random.Generator, user: np.ndarray,
                     day: np.ndarray) -> list[Rows]:
    n = user.size
    pick = rng.integers(0, len(FOREIGN), n)
    desc, country, currency, category = (np.array([FOREIGN[i][f] for i in pick]) for f in range(4))
    inr = hh.scale[user, STREAM_INDEX["shopping"]] * rng.uniform(2, 10, n)
    amount = np.round(inr / np.array([FX_INR[c] for c in currency]), 2)
    amount_text = pa.array([f"{a:.2f}" for a in amount])
    text = join("INTL ECOM ", hh.card4.take(pa.array(user)), " ", pa.array(desc), " ", pa.array(country), " ",
                pa.array(currency), " ", amount_text)
    ts = cal.epoch_seconds + day * SECONDS_PER_DAY + rng.integers(0, SECONDS_PER_DAY, n)
    return [rows_of(user=user + hh.offset, ts=ts, amount=amount,
                    category=np.array([CATEGORY_CODE[c] for c in category]), channel=np.full(n, CARD),
                    direction=0, city=np.full(n, -1), merchant=pa.array(desc), description=text,
                    anomaly=KIND["foreign_country"], country=np.array([COUNTRIES.index(c) for c in country]),
                    currency=np.array([CURRENCY_LIST.index(c) for c in currency]))]


def _bursts(rng: np.random.Generator, user: np.ndarray, low: int, high: int
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(event, row position in event, repeated user) for events of ``low..high`` rows."""
    size = rng.integers(low, high + 1, user.size)
    event = np.repeat(np.arange(user.size), size)
    position = np.arange(event.size) - np.repeat(np.cumsum(size) - size, size)
    return event, position, user[event]


def _rapid_burst(cal: Calendar, hh: Households, rng: np.random.Generator, user: np.ndarray, day: np.ndarray
                 ) -> list[Rows]:
    event, position, who = _bursts(rng, user, 5, 12)
    n = event.size
    start = cal.epoch_seconds + day * SECONDS_PER_DAY + day_seconds(rng, HOURS["any"], user.size)
    gaps = np.where(position == 0, 0, rng.integers(10, 76, n))
    ts = start[event] + _cumsum_by_event(gaps, event)
    gift = (rng.random(user.size) < 0.4)[event]
    table = Payees.of([*MULE_NAMES, *GIFT_CARDS], True)
    payee = np.where(gift, len(MULE_NAMES) + rng.integers(0, len(GIFT_CARDS), user.size)[event],
                     rng.integers(0, len(MULE_NAMES), n))
    amount = np.array([1999, 2000, 2500, 4999, 5000, 7500, 9999, 10000, 15000, 20000], float)[
        rng.integers(0, 10, n)]
    channel = np.full(n, UPI, np.int8)
    city = np.full(n, -1)
    text = narrate(rng, table, payee, channel, np.zeros(n, np.int8), city, hh.card4.take(pa.array(who)),
                   ("Payment", "Sent", "UPI"))
    category = np.where(gift, CATEGORY_CODE["shopping"], CATEGORY_CODE["transfers"])
    return [rows_of(user=who + hh.offset, ts=ts, amount=amount, category=category, channel=channel, direction=0,
                    city=city, merchant=table.names.take(pa.array(payee)), description=text,
                    anomaly=KIND["rapid_burst"])]


def _card_testing(cal: Calendar, hh: Households, rng: np.random.Generator, user: np.ndarray, day: np.ndarray
                  ) -> list[Rows]:
    event, position, who = _bursts(rng, user, 4, 9)  # 3-8 probes, then the real charge
    n = event.size
    last = np.r_[event[1:] != event[:-1], True]
    start = cal.epoch_seconds + day * SECONDS_PER_DAY + day_seconds(rng, HOURS["any"], user.size)
    gaps = np.where(position == 0, 0, np.where(last, rng.integers(60, 1800, n), rng.integers(5, 61, n)))
    ts = start[event] + _cumsum_by_event(gaps, event)
    big = rng.uniform(15_000, 90_000, n) * np.array([0.6, 1.0, 1.3, 1.6])[hh.band[who]]
    amount = np.round(np.where(last, big, rng.uniform(1, 10, n)), 2)
    table = Payees.of(list(TESTING_MERCHANTS), True)
    payee = rng.integers(0, len(TESTING_MERCHANTS), user.size)[event]
    text = join("ECOM ", hh.card4.take(pa.array(who)), " ", table.upper.take(pa.array(payee)))
    return [rows_of(user=who + hh.offset, ts=ts, amount=amount, category="shopping", channel=np.full(n, CARD),
                    direction=0, city=np.full(n, -1), merchant=table.names.take(pa.array(payee)),
                    description=text, anomaly=KIND["card_testing"])]


def _cumsum_by_event(values: np.ndarray, event: np.ndarray) -> np.ndarray:
    total = np.cumsum(values)
    starts = np.r_[0, np.flatnonzero(np.diff(event)) + 1]
    offset = np.repeat(total[starts] - values[starts], np.diff(np.r_[starts, event.size]))
    return total - offset



THIN_DAYS: Final = 7  # one week of card data (synthetic_card adds the online purchases: median ≈ 14 rows)
NIGHT_FRAUD_KIND: Final = "night_online_fraud"
