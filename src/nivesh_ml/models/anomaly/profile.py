"""Per-user streaming profile: bounded, JSON-serialisable statistics updated one transaction at a time.

The same :func:`update_profile` builds profiles offline (training, batch scoring) and online (feature
store, on ``POST /transactions``), so features read from a stored profile equal those computed offline.
"""

from __future__ import annotations

import math
from bisect import insort
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Final

from nivesh_ml.data.schemas import Transaction
from nivesh_ml.models.anomaly.features import OTHER_CATEGORY, WINDOW_S, Txn, other_category_key, txn_from_record

PROFILE_NS: Final = "anomaly_profile"
PROFILE_VERSION: Final = 2
COLD_START_MIN: Final = 10  # fewer transactions than this: population statistics dominate
RECENT_AMOUNTS: Final = 50
RECENT_CATEGORY_AMOUNTS: Final = 20
MAX_MERCHANTS: Final = 400
MAX_CITIES: Final = 100
MAX_WINDOW: Final = 400
MAX_IDS: Final = 500
MAX_CATEGORIES: Final = 64  # per-category tables kept (both directions); the rarest fold into "other"


def new_profile() -> dict[str, Any]:
    """An empty profile."""
    return {"v": PROFILE_VERSION, "n": 0, "ts0": None, "amt": {}, "recent": {}, "cat": {},
            "hour": [0] * 24, "wday": [0] * 7, "merch": {}, "chan": {}, "city": {}, "ctry": {}, "cur": {},
            "win": [], "last": None, "income": 0.0, "ids": [], "mamt": {}, "chour": {}}


def is_cold(profile: dict[str, Any] | None) -> bool:
    """Whether a user has too little history for their own statistics to dominate."""
    return profile is None or int(profile.get("n", 0)) < COLD_START_MIN


def _welford(stats: list[Any], x: float) -> None:
    stats[0] += 1
    delta = x - stats[1]
    stats[1] += delta / stats[0]
    stats[2] += delta * (x - stats[1])


def _count(table: dict[str, int], key: str | None, cap: int) -> None:
    if key is None:
        return
    table[key] = table.get(key, 0) + 1
    if len(table) > cap:  # forget the rarest (deterministic tie-break by name)
        del table[min(table.items(), key=lambda kv: (kv[1], kv[0]))[0]]


def _merchant_amount(table: dict[str, list[float]], merchant: str | None, x: float) -> None:
    """Running count and mean log amount per merchant (the rarest forgotten beyond ``MAX_MERCHANTS``)."""
    if merchant is None:
        return
    stats = table.setdefault(merchant, [0, 0.0])
    stats[0] += 1
    stats[1] += (x - stats[1]) / stats[0]
    if len(table) > MAX_MERCHANTS:
        del table[min(table.items(), key=lambda kv: (kv[1][0], kv[0]))[0]]


def _combine(into: list[Any], stats: list[Any]) -> None:
    """Merge two Welford summaries with their recent amounts (Chan et al.'s parallel update)."""
    n = into[0] + stats[0]
    if n:
        delta = stats[1] - into[1]
        into[2] += stats[2] + delta * delta * into[0] * stats[0] / n
        into[1] += delta * stats[0] / n
        into[0] = n
    into[3] = (into[3] + stats[3])[-RECENT_CATEGORY_AMOUNTS:]


def _fold_rarest_category(p: dict[str, Any], max_categories: int) -> None:
    """Keep at most ``max_categories`` named category tables: the rarest goes into its direction's "other"."""
    named = [k for k in p["cat"] if k[1:] != OTHER_CATEGORY]
    if len(named) <= max_categories:
        return
    rarest = min(named, key=lambda k: (p["cat"][k][0], k))
    other = other_category_key(rarest)
    _combine(p["cat"].setdefault(other, [0, 0.0, 0.0, []]), p["cat"].pop(rarest))
    hours = p["chour"].pop(rarest, None)
    if hours is not None:
        target = p["chour"].setdefault(other, [0] * 24)
        for h, count in enumerate(hours):
            target[h] += count


def update_profile(p: dict[str, Any], t: Txn, max_categories: int = MAX_CATEGORIES) -> None:
    """Fold one transaction into a profile (in place)."""
    d = "c" if t.credit else "d"
    x = math.log1p(t.amount_inr)
    p["n"] += 1
    p["ts0"] = t.ts if p["ts0"] is None else min(p["ts0"], t.ts)
    _welford(p["amt"].setdefault(d, [0, 0.0, 0.0]), x)
    recent = p["recent"].setdefault(d, [])
    recent.append(t.amount_inr)
    del recent[:-RECENT_AMOUNTS]
    key = t.category_key
    fresh = key not in p["cat"]
    cat = p["cat"].setdefault(key, [0, 0.0, 0.0, []])
    _welford(cat, x)
    cat[3].append(t.amount_inr)
    del cat[3][:-RECENT_CATEGORY_AMOUNTS]
    p["hour"][t.hour] += 1
    p["wday"][t.weekday] += 1
    _count(p["merch"], t.merchant, MAX_MERCHANTS)
    _merchant_amount(p["mamt"], t.merchant, x)
    p["chour"].setdefault(key, [0] * 24)[t.hour] += 1
    if fresh and len(p["cat"]) > max_categories:
        _fold_rarest_category(p, max_categories)
    _count(p["chan"], t.channel, 50)
    _count(p["ctry"], t.country, 200)
    _count(p["cur"], t.currency, 50)
    if t.city is not None:
        city = p["city"].setdefault(t.city, [0, None, None])
        city[0] += 1
        if city[1] is None and t.lat is not None and t.lon is not None:
            city[1], city[2] = t.lat, t.lon
        if len(p["city"]) > MAX_CITIES:
            del p["city"][min(p["city"].items(), key=lambda kv: (kv[1][0], kv[0]))[0]]
    win = p["win"]
    insort(win, [t.ts, t.amount_inr, int(t.credit)])
    newest = win[-1][0]
    while win and (win[0][0] < newest - WINDOW_S or len(win) > MAX_WINDOW):
        win.pop(0)
    if p["last"] is None or t.ts >= p["last"][0]:
        p["last"] = [t.ts, t.lat, t.lon]
    if t.credit:
        p["income"] += t.amount_inr
    if t.id is not None:
        p["ids"].append(t.id)
        del p["ids"][:-MAX_IDS]


def apply_transactions(profile: dict[str, Any] | None, txns: Iterable[Txn],
                       max_categories: int = MAX_CATEGORIES) -> dict[str, Any]:
    """A profile with new transactions folded in, oldest first; ids already seen are skipped."""
    p = profile if profile is not None and profile.get("v") == PROFILE_VERSION else new_profile()
    seen = set(p["ids"])
    for t in sorted(txns, key=lambda t: t.ts):
        if t.id is not None:
            if t.id in seen:
                continue
            seen.add(t.id)
        update_profile(p, t, max_categories)
    return p


@dataclass(frozen=True)
class AnomalyProfileUpdater:
    """Keeps the anomaly profile in step with ingestion (a ``features.repository.ProfileUpdater``)."""

    max_categories: int = MAX_CATEGORIES
    namespace: str = PROFILE_NS

    def apply(self, current: dict[str, Any] | None, new: Sequence[Transaction]) -> dict[str, Any]:
        """The stored profile with ``new`` folded in."""
        return apply_transactions(current, [txn_from_record(t) for t in new], self.max_categories)
