"""Columnar transaction blocks of the simulator and the bank narrations written for them.

Each generator returns a ``Rows`` block of integer codes and Arrow strings; blocks are
concatenated, sorted and turned into the published table once per chunk of users, so no
per-row Python runs for the bulk of the data.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import dataclass, fields

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from nivesh_ml.data.schemas import CHANNELS
from nivesh_ml.data.synthetic_catalog import CITIES, UPI_HANDLES

CATEGORIES: tuple[str, ...] = (
    "groceries", "food_delivery", "dining", "rent", "fuel", "travel", "transport", "shopping", "entertainment",
    "utilities", "telecom", "healthcare", "education", "emi", "insurance", "subscriptions", "cash_withdrawal",
    "transfers", "investments", "salary", "interest", "refunds")
CATEGORY_CODE: dict[str, int] = {name: i for i, name in enumerate(CATEGORIES)}
CHANNEL_CODE: dict[str, int] = {name: i for i, name in enumerate(CHANNELS)}
ANOMALY_KINDS: tuple[str, ...] = (
    "", "amount_spike", "odd_hour", "new_far_merchant", "foreign_country", "rapid_burst", "card_testing")
COUNTRIES: tuple[str, ...] = ("IN", "US", "CN", "AE", "NL", "GB", "SG", "MY", "QA", "DE")
CURRENCY_LIST: tuple[str, ...] = ("INR", "USD", "EUR", "GBP", "AED", "SGD", "MYR", "QAR")
UPI, CARD, NETBANKING, CASH, WALLET, OTHER = range(6)
CITY_UPPER = pa.array([c.name.upper() for c in CITIES])


@dataclass
class Rows:
    """A block of transactions as codes; ``merchant`` and ``description`` are Arrow strings."""

    user: np.ndarray  # global user index
    ts: np.ndarray  # seconds since 1970-01-01, local (IST) wall clock
    amount: np.ndarray
    category: np.ndarray  # index into CATEGORIES
    channel: np.ndarray  # index into schemas.CHANNELS
    direction: np.ndarray  # 0 debit, 1 credit
    city: np.ndarray  # index into CITIES; -1 for online / no place
    country: np.ndarray  # index into COUNTRIES
    currency: np.ndarray  # index into CURRENCY_LIST
    anomaly: np.ndarray  # index into ANOMALY_KINDS
    merchant: pa.Array
    description: pa.Array

    def __len__(self) -> int:
        return int(self.user.size)

    def take(self, order: np.ndarray) -> Rows:
        """The rows in ``order``."""
        index = pa.array(order)
        return Rows(*(getattr(self, f.name)[order] if isinstance(getattr(self, f.name), np.ndarray)
                      else getattr(self, f.name).take(index) for f in fields(self)))


def concat_rows(blocks: Sequence[Rows]) -> Rows:
    """One block holding every row of ``blocks`` in order."""
    out: dict[str, object] = {}
    for f in fields(Rows):
        parts = [getattr(b, f.name) for b in blocks]
        if isinstance(parts[0], np.ndarray):
            out[f.name] = np.concatenate(parts)
        else:
            out[f.name] = pa.concat_arrays([p.cast(pa.string()) for p in parts])
    return Rows(**out)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Payees:
    """A table of payees with the pieces of their narrations precomputed."""

    names: pa.Array
    upper: pa.Array
    upi_tail: pa.Array  # "NAME/BANK/vpa@handle/"
    online: np.ndarray

    @classmethod
    def of(cls, names: Sequence[str], online: Sequence[bool] | bool = True) -> Payees:
        upper = [_upper(n) for n in names]
        tails = []
        for name, up in zip(names, upper, strict=True):
            crc = zlib.crc32(name.encode())
            handle, bank = UPI_HANDLES[crc % len(UPI_HANDLES)]
            slug = "".join(ch for ch in name.lower() if ch.isalnum())[:16] or "merchant"
            vpa = f"{slug}@{handle}" if crc % 3 else f"{slug}{crc % 10_000:04d}@{handle}"
            tails.append(f"{up[:20]}/{bank}/{vpa}/")
        flags = np.full(len(names), online, dtype=bool) if isinstance(online, bool) else np.asarray(online, bool)
        return cls(pa.array(names, pa.string()), pa.array(upper, pa.string()), pa.array(tails, pa.string()), flags)


def _upper(name: str) -> str:
    name = name.replace("'", "").replace("&", "AND")
    return " ".join("".join(ch if ch.isalnum() or ch in " .*" else " " for ch in name.upper()).split())


def refs(rng: np.random.Generator, n: int, digits: int = 12) -> pa.Array:
    """Random reference numbers of ``digits`` digits as strings (UPI RRNs are 12)."""
    return pc.cast(pa.array(rng.integers(10 ** (digits - 1), 10 ** digits, size=n)), pa.string())


def join(*parts: pa.Array | str) -> pa.Array:
    """Element-wise concatenation of string arrays and constants."""
    return pc.binary_join_element_wise(*parts, "")


def narrate(rng: np.random.Generator, payees: Payees, payee: np.ndarray, channel: np.ndarray,
            direction: np.ndarray, city: np.ndarray, card4: pa.Array, notes: Sequence[str]) -> pa.Array:
    """Bank narrations for rows paid to ``payees[payee]`` through ``channel``.

    ``card4`` holds each row's masked card digits. Formats follow Indian bank statements:
    ``UPI/DR/<rrn>/<NAME>/<BANK>/<vpa>/<note>``, ``POS 4521 BIGBASKET BENGALURU``, ``ECOM 4521 AMAZON``,
    ``ATW/4521/SBI ATM/PUNE``, ``NETBANKING/DR/<ref>/<NAME>``, ``PAYTM WALLET/<ref>/<NAME>``.
    """
    key = np.where((channel == CARD) & (city >= 0), _POS, channel)
    pieces: list[pa.Array] = []
    positions: list[np.ndarray] = []
    for code in np.unique(key):
        pos = np.flatnonzero(key == code)
        at = pa.array(pos)
        part = _Parts(rng, payees, pa.array(payee[pos]), direction[pos], city[pos], card4.take(at), notes)
        pieces.append(part.text(int(code)))
        positions.append(pos)
    if not pieces:
        return pa.array([], pa.string())
    order = np.concatenate(positions)
    inverse = np.empty_like(order)
    inverse[order] = np.arange(order.size)
    return pa.concat_arrays(pieces).take(pa.array(inverse))


_POS = 6  # card present at a shop: its own narration


class _Parts:
    """The pieces of narrations for one channel's rows."""

    def __init__(self, rng: np.random.Generator, payees: Payees, payee: pa.Array, direction: np.ndarray,
                 city: np.ndarray, card4: pa.Array, notes: Sequence[str]) -> None:
        self.rng, self.payees, self.payee, self.card4 = rng, payees, payee, card4
        self.n = len(payee)
        self.dr = _DR.take(pa.array(direction.astype(np.int8)))
        self.city = city
        self.notes = pa.array(list(notes), pa.string()).take(pa.array(rng.integers(0, len(notes), self.n)))

    def text(self, code: int) -> pa.Array:
        upper = self.payees.upper.take(self.payee)
        if code == UPI:
            tail = self.payees.upi_tail.take(self.payee)
            return join("UPI/", self.dr, "/", refs(self.rng, self.n), "/", tail, self.notes)
        if code == CARD:
            return join("ECOM ", self.card4, " ", upper)
        if code == NETBANKING:
            return join("NETBANKING/", self.dr, "/", refs(self.rng, self.n, 10), "/", upper)
        if code == WALLET:
            return join("PAYTM WALLET/", refs(self.rng, self.n, 10), "/", upper)
        if code == OTHER:
            return join("ACH/", self.dr, "/", upper, "/", refs(self.rng, self.n, 10))
        place = CITY_UPPER.take(pa.array(np.clip(self.city, 0, None)))
        if code == CASH:
            return join("ATW/", self.card4, "/", upper, "/", place)
        return join("POS ", self.card4, " ", upper, " ", place)


_DR = pa.array(["DR", "CR"])


def day_seconds(rng: np.random.Generator, hour_weights: Sequence[float], n: int) -> np.ndarray:
    """Seconds after midnight drawn from an hour-of-day profile (minute and second uniform)."""
    cdf = np.cumsum(np.asarray(hour_weights, dtype=float))
    hours = np.searchsorted(cdf / cdf[-1], rng.random(n), side="right")
    return np.minimum(hours, 23) * 3600 + rng.integers(0, 3600, n)


def rows_of(*, user: np.ndarray, ts: np.ndarray, amount: np.ndarray, category: np.ndarray | str,
            channel: np.ndarray, direction: int, city: np.ndarray, merchant: pa.Array, description: pa.Array,
            anomaly: int = 0, country: np.ndarray | int = 0, currency: np.ndarray | int = 0) -> Rows:
    """A ``Rows`` block; scalars are broadcast."""
    n = user.size
    cat = np.full(n, CATEGORY_CODE[category], np.int16) if isinstance(category, str) else category.astype(np.int16)
    return Rows(
        user=user.astype(np.int64), ts=ts.astype(np.int64), amount=np.asarray(amount, dtype=float), category=cat,
        channel=channel.astype(np.int8), direction=np.full(n, direction, np.int8), city=city.astype(np.int16),
        country=np.broadcast_to(np.asarray(country, np.int8), (n,)).copy(),
        currency=np.broadcast_to(np.asarray(currency, np.int8), (n,)).copy(),
        anomaly=np.full(n, anomaly, np.int8), merchant=merchant, description=description,
    )


def to_table(rows: Rows, user_ids: pa.Array) -> pa.Table:
    """The published transactions table: rows sorted by user then time, ids numbered per user."""
    order = np.lexsort((rows.ts, rows.user))
    rows = rows.take(order)
    n = len(rows)
    starts = np.r_[0, np.flatnonzero(np.diff(rows.user)) + 1] if n else np.zeros(0, np.int64)
    seq = np.arange(n) - np.repeat(starts, np.diff(np.r_[starts, n]))
    uid = user_ids.take(pa.array(rows.user))
    stamp = pc.binary_replace_slice(pc.cast(pa.array(rows.ts.astype("datetime64[s]")), pa.string()), 10, 11, "T")
    has_place = rows.city >= 0
    lat = np.where(has_place, np.array([c.lat for c in CITIES])[np.clip(rows.city, 0, None)], np.nan)
    lon = np.where(has_place, np.array([c.lon for c in CITIES])[np.clip(rows.city, 0, None)], np.nan)
    cities = pa.array([c.name for c in CITIES]).take(pa.array(np.clip(rows.city, 0, None)))
    return pa.table({
        "transaction_id": join(uid, "-", pc.utf8_lpad(pc.cast(pa.array(seq + 1), pa.string()), 6, "0")),
        "user_id": uid,
        "timestamp": stamp,
        "amount": pa.array(np.round(rows.amount, 2)),
        "currency": _decode(CURRENCY_LIST, rows.currency),
        "direction": _decode(("debit", "credit"), rows.direction),
        "merchant": rows.merchant,
        "category": _decode(CATEGORIES, rows.category),
        "channel": _decode(CHANNELS, rows.channel),
        "description": rows.description,
        "city": pc.if_else(pa.array(has_place), cities, pa.nulls(n, pa.string())),
        "country": _decode(COUNTRIES, rows.country),
        "latitude": pa.array(lat, mask=~has_place),
        "longitude": pa.array(lon, mask=~has_place),
        "is_anomaly": pa.array((rows.anomaly > 0).astype(np.int64)),
        "anomaly_kind": _decode(ANOMALY_KINDS, rows.anomaly),
    })


def _decode(names: Sequence[str], codes: np.ndarray) -> pa.Array:
    return pa.array(list(names), pa.string()).take(pa.array(codes.astype(np.int32)))
