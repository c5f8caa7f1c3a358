"""Monthly spend per user and category, from transactions.

"Spending" means consumption: debits that pay for goods, services and obligations (rent, EMIs, bills,
cash withdrawals). Debits that only move money (transfers to people or own accounts, investments and
SIPs, credit-card bill payments, wallet top-ups) are left out of every series and of the total, and
credits (salary, interest) never count. Real bank data needs more care than that (issue 20):

- a refund or reversal (a credit marked as one, or an unmarked credit equal to a recent debit at the same
  merchant) is netted against its purchase, in the purchase's month and category;
- own-account transfers and card-bill payments are recognised by category under any usual spelling
  ("Self Transfer", "CC bill", "credit-card-payment"…) and, when uncategorised, by their description;
- cash withdrawals under any usual spelling ("ATM", "cash") are one category, ``cash_withdrawal``;
- a month with no transaction at all inside the history is a gap in the data, not a month of zero spend:
  it is listed in ``missing_months`` and filled with each category's median month (so the forecasters are
  not fed a false zero), and evaluation never scores it;
- a partial month at either end (data starting after the 4th or ending before the last days) is dropped.

``hygiene=False`` switches all of these off but the partial last month (the behaviour before issue 20: money
moved only by exact category, no refund netting, no aliases, a month without transactions counts as zero); it
exists for the benchmark's per-rule table, not for serving.
"""

from __future__ import annotations

import bisect
import re
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
CASH = "cash_withdrawal"
# Other spellings of one category, after normalising (lower case, runs of non-alphanumerics → "_").
CATEGORY_ALIASES: dict[str, str] = {
    "cash": CASH, "atm": CASH, "atm_withdrawal": CASH, "atm_withdrawals": CASH, "cash_withdrawals": CASH,
    "atm_cash": CASH, "cash_atm": CASH, "atm_cash_withdrawal": CASH, "withdrawal": CASH,
    "refund": "refunds", "reversal": "refunds", "reversals": "refunds", "chargeback": "refunds"}
REFUND_CATEGORIES: frozenset[str] = frozenset({"refunds"})
# Word markers, searched in normalised text (linear-time patterns: alternations of literals only).
_REFUND_TEXT = re.compile(r"\b(?:refund|refunded|reversal|reversed|chargeback|rev)\b")
_SELF_TRANSFER_TEXT = re.compile(r"\b(?:self|own)[ _]?(?:a ?c|acct|account|transfer|trf|txfr)\b|\bto self\b")
_CARD_BILL_TEXT = re.compile(
    r"\b(?:cc|credit ?card|card)[ _]?(?:bill|billpay|payment|pymt|pmt|dues|repayment)\b|\bbilldesk ?cc\b")
_ATM_TEXT = re.compile(r"\b(?:atm|cash withdrawal|cash wdl|atw|nwd)\b")
# A first (last) month is partial when its first (last) transaction is this far from the month's edge.
FIRST_MONTH_SLACK_DAYS = 3
# Unmarked credits: a reversal only when equal to a debit at the same merchant within this many days.
REVERSAL_DAYS = 60
REFUND_DAYS = 120  # a marked refund is netted against a purchase at most this old
REFUND_LOOKBACK = 50  # purchases examined per refund (bounded: linear time)


@dataclass
class SpendHistory:
    """A user's complete months of spend: one row per month, one column per category."""

    start: pd.Period
    amounts: pd.DataFrame  # index: months (PeriodIndex), columns: categories; INR per month
    counts: pd.DataFrame  # same shape: number of debit transactions
    currency: str = "INR"
    dropped_partial_month: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    # Months inside the history with no transaction at all (gaps in the data; filled, never scored).
    missing_months: list[str] = field(default_factory=list)
    dropped_first_month: str | None = None

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
    """The columns forecasting needs (timestamp, amount, direction, category, currency, merchant, description).

    Items are :class:`Transaction` objects or mappings with the same field names (inline JSON).
    """
    rows: list[tuple[Any, ...]] = []
    for item in items:
        if isinstance(item, Transaction):
            rows.append((item.timestamp, item.amount, item.direction, item.category, item.currency,
                         item.merchant, item.description))
            continue
        rec = dict(item)
        rows.append((rec.get("timestamp"), rec.get("amount"), rec.get("direction") or "debit",
                     rec.get("category"), rec.get("currency") or "INR", rec.get("merchant"),
                     rec.get("description")))
    frame = pd.DataFrame(rows, columns=["timestamp", "amount", "direction", "category", "currency", "merchant",
                                        "description"])
    frame["timestamp"] = pd.to_datetime(frame["timestamp"], errors="coerce", format="mixed")
    frame["amount"] = pd.to_numeric(frame["amount"], errors="coerce")
    return frame


def _normalise(values: pd.Series) -> pd.Series:
    """Lower case, runs of anything but letters and digits → one space, stripped (for markers)."""
    text = values.astype("string").fillna("").str.lower()
    return text.str.replace(r"[^a-z0-9]+", " ", regex=True).str.strip()


def normalise_category(values: pd.Series, aliases: bool = True) -> pd.Series:
    """Category names compared in one spelling: lower case, separators → "_", usual aliases merged."""
    name = _normalise(values).str.replace(" ", "_", regex=False)
    name = name.mask(name == "", UNCATEGORISED)
    return name.map(lambda c: CATEGORY_ALIASES.get(c, c)).astype(str) if aliases else name.astype(str)


def _money_moved(category: pd.Series, text: pd.Series, exclude: Collection[str], hygiene: bool = True) -> pd.Series:
    """Debits that move money: excluded categories, any spelling of a transfer or card-bill payment, and
    descriptions of own-account transfers or card-bill payments (only when exclusion is on at all)."""
    moved = category.isin(exclude)
    if not exclude or not hygiene:
        return moved
    spelled = category.str.contains("transfer", regex=False) | (
        category.str.contains("card", regex=False) & category.str.contains("bill|payment|repay", regex=True))
    words = category.str.replace("_", " ", regex=False) + " " + text
    described = words.str.contains(_SELF_TRANSFER_TEXT) | words.str.contains(_CARD_BILL_TEXT)
    return moved | spelled | described


def _valid_rows(frame: pd.DataFrame, hygiene: bool = True) -> pd.DataFrame:
    """Every transaction with a time and a positive amount, fields normalised."""
    if frame.empty:
        raise InvalidInput("no transactions to forecast from")
    ts = pd.to_datetime(frame["timestamp"], errors="coerce", format="mixed")
    if getattr(ts.dt, "tz", None) is not None:
        ts = ts.dt.tz_convert("Asia/Kolkata").dt.tz_localize(None)
    index = frame.index
    direction = frame.get("direction", pd.Series("debit", index=index)).fillna("debit").astype(str)
    currency = frame.get("currency", pd.Series("INR", index=index)).fillna("INR").astype(str).str.upper()
    empty = pd.Series(None, index=index, dtype=object)
    merchant = _normalise(frame.get("merchant", empty))
    text = (merchant + " " + _normalise(frame.get("description", empty))).str.strip()
    out = pd.DataFrame({"timestamp": ts, "amount": pd.to_numeric(frame["amount"], errors="coerce"),
                        "direction": direction.str.lower(), "currency": currency,
                        "category": normalise_category(frame.get("category", empty), aliases=hygiene),
                        "merchant": merchant.astype(str), "text": text.astype(str)})
    out = out[out["timestamp"].notna() & (out["amount"] > 0)]
    if out.empty:
        raise InvalidInput("no transactions to forecast from")
    return out


def _clean_debits(rows: pd.DataFrame, exclude: Collection[str],
                  hygiene: bool = True) -> tuple[pd.DataFrame, pd.DataFrame, str]:
    """(spending debits, credits that may be refunds, main currency); debits sorted by time."""
    debits = rows[rows["direction"] == "debit"]
    if debits.empty:
        raise InvalidInput("no debit transactions to forecast from")
    debits = debits[~_money_moved(debits["category"], debits["text"], exclude, hygiene)]
    if debits.empty:
        raise InvalidInput("no spending to forecast from: every debit is a transfer or an investment")
    uncategorised = (debits["category"] == UNCATEGORISED) & debits["text"].str.contains(_ATM_TEXT) & hygiene
    debits = debits.assign(category=debits["category"].mask(uncategorised, CASH))
    # Amounts in different currencies do not add up: keep the user's main currency (no FX conversion).
    main = str(debits["currency"].value_counts().idxmax())
    credits = rows[(rows["direction"] == "credit") & (rows["currency"] == main)]
    return debits[debits["currency"] == main].sort_values("timestamp", kind="stable"), credits, main


def net_refunds(debits: pd.DataFrame, credits: pd.DataFrame) -> tuple[np.ndarray, int]:
    """Debit amounts after netting refunds and reversals against their purchases; how many were netted.

    A *marked* refund (category ``refunds`` in any spelling, or "refund"/"reversal"/"chargeback" in its
    text) is netted against the latest earlier purchase at the same merchant (or, without a merchant match,
    of the same amount) that it does not exceed, up to ``REFUND_DAYS`` before. An *unmarked* credit counts
    as a reversal only when it equals (±0.5 %) an earlier debit at the same merchant within ``REVERSAL_DAYS``.
    Each refund looks at no more than ``REFUND_LOOKBACK`` purchases (linear time).
    """
    amounts = debits["amount"].to_numpy(dtype=float).copy()
    if credits.empty:
        return amounts, 0
    times = debits["timestamp"].to_numpy(dtype="datetime64[ns]").astype(np.int64)
    merchants = debits["merchant"].to_numpy()
    by_merchant: dict[str, tuple[list[int], list[int]]] = {}
    by_cents: dict[int, tuple[list[int], list[int]]] = {}
    for i, (t, m, a) in enumerate(zip(times, merchants, amounts, strict=True)):
        if m:
            entry = by_merchant.setdefault(str(m), ([], []))
            entry[0].append(int(t))
            entry[1].append(i)
        cents = by_cents.setdefault(round(a * 100), ([], []))
        cents[0].append(int(t))
        cents[1].append(i)
    day = 86_400 * 10**9
    marked = (credits["category"].isin(REFUND_CATEGORIES) | credits["text"].str.contains(_REFUND_TEXT)).to_numpy()
    c_times = credits["timestamp"].to_numpy(dtype="datetime64[ns]").astype(np.int64)
    netted = 0

    def take(pool: tuple[list[int], list[int]] | None, t: int, amount: float, days: int, exact: bool) -> bool:
        if pool is None:
            return False
        stamps, idx = pool
        pos = bisect.bisect_right(stamps, t)
        for j in range(pos - 1, max(pos - 1 - REFUND_LOOKBACK, -1), -1):
            if t - stamps[j] > days * day:
                break
            left = amounts[idx[j]]
            if (abs(left - amount) <= 0.005 * amount) if exact else (left >= amount - 0.01):
                amounts[idx[j]] = max(left - amount, 0.0)
                return True
        return False

    for t, m, a, is_marked in zip(c_times, credits["merchant"].to_numpy(), credits["amount"].to_numpy(float),
                                  marked, strict=True):
        pool = by_merchant.get(str(m)) if m else None
        if is_marked:
            done = take(pool, int(t), float(a), REFUND_DAYS, exact=False) or take(
                by_cents.get(round(float(a) * 100)), int(t), float(a), REFUND_DAYS, exact=True)
        else:
            done = take(pool, int(t), float(a), REVERSAL_DAYS, exact=True)
        netted += int(done)
    return amounts, netted


def monthly_spend(frame: pd.DataFrame, max_months: int = 36,
                  exclude: Collection[str] = NON_SPEND_CATEGORIES, hygiene: bool = True) -> SpendHistory:
    """Monthly spend per category over consecutive complete months.

    Debits in ``exclude`` (money moved, not spent) are ignored; refunds are netted against their purchases;
    months with no transaction at all are filled with each category's median month and listed as missing.

    The latest month is dropped when it looks partial (the last transaction is more than a few days before
    the month's end), so an in-progress month is forecast rather than mistaken for a drop in spending; the
    first month likewise when the data starts after its first few days.
    """
    rows = _valid_rows(frame, hygiene)
    debits, credits, currency = _clean_debits(rows, exclude, hygiene)
    amounts_netted, n_netted = net_refunds(debits, credits if hygiene else credits.iloc[:0])
    debits = debits.assign(amount=amounts_netted)
    debits = debits[debits["amount"] > 0]
    if debits.empty:
        raise InvalidInput("no spending to forecast from: every purchase was refunded")
    active = pd.PeriodIndex(rows["timestamp"].dt.to_period("M").unique())
    first_ts, last_ts = rows["timestamp"].min(), rows["timestamp"].max()
    first, last = debits["timestamp"].min().to_period("M"), debits["timestamp"].max().to_period("M")
    dropped = dropped_first = None
    if last_ts.to_period("M") == last and last_ts.day < last.days_in_month - COMPLETE_MONTH_SLACK_DAYS \
            and first < last:
        dropped = str(last)
        last = last - 1
    if hygiene and first_ts.to_period("M") == first and first_ts.day > 1 + FIRST_MONTH_SLACK_DAYS and first < last:
        dropped_first = str(first)
        first = first + 1
    first = max(first, last - (max_months - 1))
    months = debits["timestamp"].dt.to_period("M")
    keep = (months >= first) & (months <= last)
    index = pd.period_range(first, last, freq="M")
    grouped = debits[keep].assign(month=months[keep]).groupby(["month", "category"])["amount"]
    amounts = grouped.sum().unstack(fill_value=0.0).reindex(index, fill_value=0.0).astype(float)
    counts = grouped.count().unstack(fill_value=0).reindex(index, fill_value=0).astype(float)
    missing = index[~index.isin(active)]
    if hygiene and len(missing) and len(missing) < len(index):
        observed = ~index.isin(missing)
        amounts.loc[missing] = amounts[observed].median(axis=0).to_numpy()
        counts.loc[missing] = counts[observed].median(axis=0).round().to_numpy()
    amounts.index = counts.index = index
    return SpendHistory(start=index[0], amounts=amounts, counts=counts, currency=currency,
                        dropped_partial_month=dropped, dropped_first_month=dropped_first,
                        missing_months=[str(m) for m in missing],
                        meta={"refunds_netted": n_netted})


def spend_history(items: Iterable[Transaction | Mapping[str, Any]], max_months: int = 36,
                  exclude: Collection[str] = NON_SPEND_CATEGORIES, hygiene: bool = True) -> SpendHistory:
    """:func:`monthly_spend` of transaction records (pydantic or dicts)."""
    return monthly_spend(transactions_frame(items), max_months=max_months, exclude=exclude, hygiene=hygiene)


def truncate(history: SpendHistory, n_months: int) -> SpendHistory:
    """The first ``n_months`` months of a history (a backtest's view of the past)."""
    amounts, counts = history.amounts.iloc[:n_months], history.counts.iloc[:n_months]
    live = amounts.columns[(counts.sum(axis=0) > 0).to_numpy()]
    kept = {str(m) for m in amounts.index}
    return SpendHistory(start=history.start, amounts=amounts[live], counts=counts[live],
                        currency=history.currency, missing_months=[m for m in history.missing_months if m in kept])
