"""Reasons in words: the features of a transaction that deviate most from what is usual."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Final

from nivesh_ml.formatting import indian_grouping
from nivesh_ml.models.anomaly.features import INDEX, Txn

MAX_REASONS: Final = 3
_WEEKDAYS: Final = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_SYMBOLS: Final = {"INR": "₹", "USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥"}


def format_money(amount: float, currency: str = "INR") -> str:
    """``₹48,000``, ``₹1,20,000``, ``$1,200``, ``AED 350``."""
    if currency == "INR":
        return "₹" + indian_grouping(amount)
    symbol = _SYMBOLS.get(currency)
    text = f"{amount:,.0f}" if amount >= 100 else f"{amount:,.2f}"
    return f"{symbol}{text}" if symbol else f"{currency} {text}"


MAX_MULTIPLE = 1_000_000.0


def _times(multiple: float) -> str:
    if multiple >= MAX_MULTIPLE:  # e.g. against a usual amount of a fraction of a paisa
        return f"over {indian_grouping(MAX_MULTIPLE)}×"
    return f"{indian_grouping(multiple)}×" if multiple >= 10 else f"{multiple:.1f}×"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _multiple(log_ratio: float) -> float:
    """``exp`` of a log ratio, capped: a denormal usual amount makes the ratio astronomically large, not an error."""
    return MAX_MULTIPLE if log_ratio >= math.log(MAX_MULTIPLE) else math.exp(log_ratio)


Phrase = Callable[[Sequence[float], Txn], str | None]


def _amount_vs_category(v: Sequence[float], t: Txn) -> str | None:
    multiple = _multiple(v[INDEX["log_ratio_category_median"]])
    if multiple < 1.5:
        return None
    usual = f"your usual {t.category.replace('_', ' ')} spend" if t.category else "your usual payment"
    return f"{format_money(t.amount, t.currency)} is {_times(multiple)} {usual}"


def _amount_vs_user(v: Sequence[float], t: Txn) -> str | None:
    if v[INDEX["log_ratio_recent_max"]] > 0 and v[INDEX["log_history_size"]] >= math.log1p(10):
        return f"{format_money(t.amount, t.currency)} is larger than any of your recent payments"
    return f"{format_money(t.amount, t.currency)} is far above your usual payments"


def _amount_vs_merchant(v: Sequence[float], t: Txn) -> str | None:
    multiple = _multiple(v[INDEX["log_ratio_merchant"]])
    if multiple < 1.5:
        return None
    if not t.merchant or v[INDEX["log_ratio_merchant"]] == v[INDEX["log_ratio_category_median"]]:
        return _amount_vs_category(v, t)  # a payee without history: the feature fell back to the category
    return f"{format_money(t.amount, t.currency)} is {_times(multiple)} what you usually pay {t.merchant}"


def _category_hour(v: Sequence[float], t: Txn) -> str | None:
    minute = (t.ts // 60) % 60
    kind = f"{t.category.replace('_', ' ')} payment" if t.category else "payment"
    return f"a {kind} at {t.hour:02d}:{minute:02d}, a time you rarely make one"


def _hour(v: Sequence[float], t: Txn) -> str | None:
    minute = (t.ts // 60) % 60
    return f"made at {t.hour:02d}:{minute:02d}, a time you rarely transact"


def _velocity_1h(v: Sequence[float], t: Txn) -> str | None:
    n = int(v[INDEX["count_1h"]]) + 1
    return f"{_plural(n, 'payment')} in the last hour" if n >= 3 else None


def _burst(v: Sequence[float], t: Txn) -> str | None:
    n = int(v[INDEX["count_5m"]]) + 1
    return f"{_plural(n, 'payment')} within 5 minutes" if n >= 2 else None


def _velocity_24h(v: Sequence[float], t: Txn) -> str | None:
    n = int(v[INDEX["count_24h"]]) + 1
    return f"{_plural(n, 'payment')} in the last 24 hours, more than usual for you"


def _new_merchant(v: Sequence[float], t: Txn) -> str | None:
    return f"first payment to {t.merchant}" if t.merchant else None


def _new_city(v: Sequence[float], t: Txn) -> str | None:
    km = math.expm1(v[INDEX["log_km_from_home"]])
    where = f"first transaction in {t.city}" if t.city else "first transaction in this city"
    return f"{where}, {indian_grouping(km)} km from home" if km >= 50 else where


def _far(v: Sequence[float], t: Txn) -> str | None:
    km = math.expm1(v[INDEX["log_km_from_home"]])
    return f"{indian_grouping(km)} km from your home city" + (f" ({t.city})" if t.city else "")


def _country(v: Sequence[float], t: Txn) -> str | None:
    if v[INDEX["country_new"]] > 0:
        return f"first transaction in another country ({t.country})"
    return f"transaction in another country ({t.country})"


def _currency(v: Sequence[float], t: Txn) -> str | None:
    return f"paid in {t.currency}, not your usual currency"


def _income(v: Sequence[float], t: Txn) -> str | None:
    share = v[INDEX["income_share"]]
    # No FX rates offline: a share of income is only meaningful in the user's own currency.
    if share < 0.2 or v[INDEX["is_foreign_currency"]] > 0:
        return None
    return f"{format_money(t.amount, t.currency)} is {share * 100:.0f}% of your monthly income"


def _travel(v: Sequence[float], t: Txn) -> str | None:
    kmh = math.expm1(v[INDEX["log_travel_kmh"]])
    return f"{indian_grouping(kmh)} km/h from your previous transaction's location" if kmh >= 100 else None


def _quick(v: Sequence[float], t: Txn) -> str | None:
    secs = math.expm1(v[INDEX["log_seconds_since_prev"]])
    return f"only {secs:.0f} seconds after your previous transaction" if secs < 120 else None


def _small(v: Sequence[float], t: Txn) -> str | None:
    return f"a very small amount ({format_money(t.amount, t.currency)}), typical of card testing"


# feature → phrase. Order breaks ties.
PHRASES: Final[dict[str, Phrase]] = {
    "amount_robust_z_category": _amount_vs_category,
    "log_ratio_merchant": _amount_vs_merchant,
    "log_ratio_category_median": _amount_vs_category,
    "amount_z_category": _amount_vs_category,
    "amount_z_user": _amount_vs_user,
    "log_ratio_recent_max": _amount_vs_user,
    "country_new": _country,
    "is_foreign_country": _country,
    "is_foreign_currency": _currency,
    "count_5m": _burst,
    "count_1h": _velocity_1h,
    "log_sum_1h": _velocity_1h,
    "count_24h": _velocity_24h,
    "velocity_excess_24h": _velocity_24h,
    "city_new": _new_city,
    "log_km_from_home": _far,
    "log_travel_kmh": _travel,
    "hour_surprise": _hour,
    "category_hour_surprise": _category_hour,
    "merchant_new": _new_merchant,
    "income_share": _income,
    "log_seconds_since_prev": _quick,
    "log_amount": _small,
}


def explain(vector: Sequence[float], deviation: Sequence[float], txn: Txn, flagged: bool) -> list[str]:
    """Up to three reasons, most unusual first: features beyond the training 99th (or 1st) percentile.

    ``deviation`` is the detector's one-sided deviation per feature (1 = the training 99th percentile).
    A flagged transaction always gets at least one reason.
    """
    ranked = sorted(((deviation[INDEX[name]], name) for name in PHRASES), key=lambda item: -item[0])
    reasons: list[str] = []
    for score, name in ranked:
        if len(reasons) >= MAX_REASONS or (score <= 1.0 and (reasons or not flagged)) or score <= 0:
            break
        text = PHRASES[name](vector, txn)
        if text and text not in reasons:
            reasons.append(text)
    if flagged and not reasons:
        reasons.append("an unusual combination of amount, time, place and payee for you")
    return reasons
