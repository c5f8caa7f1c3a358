"""Monthly spend per user and category, from transactions.

"Spending" means consumption: debits that pay for goods, services and obligations (rent, EMIs, bills,
cash withdrawals). Debits that only move money (transfers to people or own accounts, investments and
SIPs, credit-card bill payments, wallet top-ups) are left out of every series and of the total, and
credits (salary, refunds, interest) never count.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from nivesh_ml.data.schemas import Transaction
from nivesh_ml.errors import InvalidInput

TOTAL = "total"
UNCATEGORISED = "uncategorised"
# A month counts as complete when its last transaction is this close to the month's end.
COMPLETE_MONTH_SLACK_DAYS = 3
# Debit categories that move money rather than spend it (lower-case; compared after normalising).
NON_SPEND_CATEGORIES: frozenset[str] = frozenset({
    "transfers", "transfer", "self_transfer", "p2p", "investments", "investment", "sip", "savings",
    "credit_card_payment", "credit_card_bill", "card_payment", "wallet_topup", "refunds", "refund"})


@dataclass
class SpendHistory:
    """A user's complete months of spend: one row per month, one column per category."""

    start: pd.Period
    amounts: pd.DataFrame  # index: months (PeriodIndex), columns: categories; INR per month
    counts: pd.DataFrame  # same shape: number of debit transactions
    currency: str = "INR"
    dropped_partial_month: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def months(self) -> pd.PeriodIndex:
        """The months covered (consecutive)."""
        return pd.PeriodIndex(self.amounts.index)

    @property
    def n_months(self) -> int:
        return len(self.amounts)

    @property
    def total(self) -> np.ndarray:
        """Total spend per month."""
        return np.asarray(self.amounts.sum(axis=1).to_numpy(), dtype=float)

    @property
    def total_counts(self) -> np.ndarray:
        return np.asarray(self.counts.sum(axis=1).to_numpy(), dtype=float)

    @property
    def categories(self) -> list[str]:
        return [str(c) for c in self.amounts.columns]


def transactions_frame(items: Iterable[Transaction | Mapping[str, Any]]) -> pd.DataFrame:
    """The columns forecasting needs (timestamp, amount, direction, category, currency) from transactions.

    Items are :class:`Transaction` objects or mappings with the same field names (inline JSON).
    """
    rows: list[tuple[Any, ...]] = []
    for item in items:
        if isinstance(item, Transaction):
            rows.append((item.timestamp, item.amount, item.direction, item.category, item.currency))
            continue
        rec = dict(item)
        rows.append((rec.get("timestamp"), rec.get("amount"), rec.get("direction") or "debit",
                     rec.get("category"), rec.get("currency") or "INR"))
    frame = pd.DataFrame(rows, columns=["timestamp", "amount", "direction", "category", "currency"])
    frame["timestamp"] = pd.to_datetime(frame["timestamp"], errors="coerce", format="mixed")
    frame["amount"] = pd.to_numeric(frame["amount"], errors="coerce")
    return frame


def _clean_debits(frame: pd.DataFrame, exclude: Collection[str]) -> tuple[pd.DataFrame, str]:
    if frame.empty:
        raise InvalidInput("no transactions to forecast from")
    ts = pd.to_datetime(frame["timestamp"], errors="coerce", format="mixed")
    if getattr(ts.dt, "tz", None) is not None:
        ts = ts.dt.tz_convert("Asia/Kolkata").dt.tz_localize(None)
    direction = frame.get("direction", pd.Series("debit", index=frame.index)).fillna("debit").astype(str)
    currency = frame.get("currency", pd.Series("INR", index=frame.index)).fillna("INR").astype(str).str.upper()
    category = frame.get("category", pd.Series(None, index=frame.index, dtype=object))
    category = category.astype("string").str.strip().str.lower().fillna(UNCATEGORISED)
    category = category.mask(category == "", UNCATEGORISED)
    out = pd.DataFrame({"timestamp": ts, "amount": pd.to_numeric(frame["amount"], errors="coerce"),
                        "direction": direction.str.lower(), "currency": currency, "category": category})
    out = out[out["timestamp"].notna() & (out["amount"] > 0) & (out["direction"] == "debit")]
    if out.empty:
        raise InvalidInput("no debit transactions to forecast from")
    out = out[~out["category"].isin(exclude)]
    if out.empty:
        raise InvalidInput("no spending to forecast from: every debit is a transfer or an investment")
    # Amounts in different currencies do not add up: keep the user's main currency (no FX conversion).
    main = str(out["currency"].value_counts().idxmax())
    return out[out["currency"] == main], main


def monthly_spend(frame: pd.DataFrame, max_months: int = 36,
                  exclude: Collection[str] = NON_SPEND_CATEGORIES) -> SpendHistory:
    """Monthly spend per category over consecutive complete months (missing months are zero).

    Debits in ``exclude`` (money moved, not spent) are ignored.

    The latest month is dropped when it looks partial (its last debit is more than a few days before
    the month's end), so an in-progress month is forecast rather than mistaken for a drop in spending.
    """
    debits, currency = _clean_debits(frame, exclude)
    months = debits["timestamp"].dt.to_period("M")
    last_ts = debits["timestamp"].max()
    last = last_ts.to_period("M")
    dropped = None
    if last_ts.day < last.days_in_month - COMPLETE_MONTH_SLACK_DAYS and months.min() < last:
        dropped = str(last)
        keep = months < last
        debits, months = debits[keep], months[keep]
        last = last - 1
    first = max(months.min(), last - (max_months - 1))
    index = pd.period_range(first, last, freq="M")
    keep = months >= first
    grouped = debits[keep].assign(month=months[keep]).groupby(["month", "category"])["amount"]
    amounts = grouped.sum().unstack(fill_value=0.0).reindex(index, fill_value=0.0)
    counts = grouped.count().unstack(fill_value=0).reindex(index, fill_value=0)
    amounts.index = counts.index = index
    return SpendHistory(start=index[0], amounts=amounts.astype(float), counts=counts.astype(float),
                        currency=currency, dropped_partial_month=dropped)


def spend_history(items: Iterable[Transaction | Mapping[str, Any]], max_months: int = 36,
                  exclude: Collection[str] = NON_SPEND_CATEGORIES) -> SpendHistory:
    """:func:`monthly_spend` of transaction records (pydantic or dicts)."""
    return monthly_spend(transactions_frame(items), max_months=max_months, exclude=exclude)


def truncate(history: SpendHistory, n_months: int) -> SpendHistory:
    """The first ``n_months`` months of a history (a backtest's view of the past)."""
    amounts, counts = history.amounts.iloc[:n_months], history.counts.iloc[:n_months]
    live = amounts.columns[(counts.sum(axis=0) > 0).to_numpy()]
    return SpendHistory(start=history.start, amounts=amounts[live], counts=counts[live],
                        currency=history.currency)
