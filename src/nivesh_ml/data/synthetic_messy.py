"""What real bank data has and the clean simulator lacks (issue 20): refunds, own-account transfers, card-bill
payments, other spellings of categories and months with no data at all.

Applied to a simulated transactions frame (``generate_transactions(..., noise=RealDataNoise())``); the default
generator is unchanged. Every addition moves money without changing what the household consumed, except
refunds, which undo part of a purchase; ``consumption_truth`` gives the true monthly consumption to score
against (debits outside the money-moved categories, net of the refunds added here).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

REFUNDABLE = ("shopping", "food_delivery", "travel", "entertainment")
CARD_BILL_SPELLINGS = ("credit_card_payment", "CC Bill", "Credit Card Bill Payment", None)
OWN_TRANSFER_SPELLINGS = ("Self Transfer", "transfers", "Own Account Transfer", None)
CASH_SPELLINGS = ("ATM", "Cash", "cash_withdrawal")
REFUND_SUFFIX = "-R"  # a refund's transaction id: its purchase's id and this suffix
# Categories the simulator uses for money moved or income (never consumption).
_NOT_CONSUMPTION = frozenset({"transfers", "investments", "salary", "interest", "refunds"})


@dataclass(frozen=True)
class RealDataNoise:
    """How much of each real-data behaviour to add (0 turns one off)."""

    refund_share: float = 0.06  # share of refundable purchases refunded (70 % in full, else in part)
    own_transfers_per_month: float = 1.0  # Poisson mean of transfers to the user's own other account
    card_bills: bool = True  # each month's card spending paid off as one bill early the next month
    respell_share: float = 0.5  # share of cash withdrawals under another spelling ("ATM", "Cash")
    missing_user_share: float = 0.2  # share of users with one month missing from their data
    keep_recent_months: int = 6  # no month among the last ones is removed (they are what is scored)
    seed: int = 0


def _stamp(ts: pd.Series) -> pd.Series:
    return ts.dt.strftime("%Y-%m-%dT%H:%M:%S")


def _rows(base: pd.DataFrame, **values: Any) -> pd.DataFrame:
    out = base.copy()
    for key, value in values.items():
        out[key] = value
    return out


def add_real_data_noise(frame: pd.DataFrame, noise: RealDataNoise | None = None) -> pd.DataFrame:
    """The frame with refunds, own-account transfers, card bills, respelled cash and missing months added."""
    noise = noise or RealDataNoise()
    rng = np.random.default_rng([noise.seed, 20])
    df = frame.copy()
    ts = pd.to_datetime(df["timestamp"])
    debit = df["direction"] == "debit"
    added: list[pd.DataFrame] = []

    # Refunds: a credit at the same merchant 3-20 days after a purchase, marked or not.
    pick = debit & df["category"].isin(REFUNDABLE) & df["merchant"].notna()
    pick &= rng.random(len(df)) < noise.refund_share
    if pick.any():
        src = df[pick]
        n = len(src)
        full = rng.random(n) < 0.7
        amount = np.where(full, src["amount"], np.round(src["amount"] * rng.uniform(0.2, 0.8, n), 2))
        marked = rng.random(n) < 0.5
        when = ts[pick] + pd.to_timedelta(rng.integers(3, 21, n), unit="D")
        added.append(_rows(src, direction="credit", amount=amount, timestamp=_stamp(when),
                           category=np.where(marked, "refunds", np.array(None)),
                           description=np.where(marked, "REFUND " + src["merchant"].astype(str).str.upper(),
                                                np.where(full, "UPI/REV/" + src["transaction_id"].astype(str),
                                                         "REFUND")),
                           channel="upi", is_anomaly=0, anomaly_kind="",
                           transaction_id=src["transaction_id"].astype(str) + REFUND_SUFFIX))

    months = ts.dt.to_period("M")
    users = df["user_id"].unique()
    first = months.min()
    span = pd.period_range(first, months.max(), freq="M")
    # Own-account transfers.
    if noise.own_transfers_per_month > 0:
        rows: list[pd.DataFrame] = []
        for user in users:
            base = df[df["user_id"] == user].iloc[:1]
            for month in span:
                for _ in range(rng.poisson(noise.own_transfers_per_month)):
                    spelling = OWN_TRANSFER_SPELLINGS[rng.integers(len(OWN_TRANSFER_SPELLINGS))]
                    day = int(rng.integers(1, month.days_in_month + 1))
                    rows.append(_rows(base, direction="debit", amount=round(float(rng.lognormal(9.5, 0.6)), 2),
                                      timestamp=f"{month.start_time.date().replace(day=day)}T10:30:00",
                                      category=spelling, merchant="Own account",
                                      description="NEFT TO OWN A/C XX" + str(rng.integers(1000, 9999)),
                                      channel="netbanking", is_anomaly=0, anomaly_kind="",
                                      transaction_id=f"{user}-T{len(rows):05d}"))
        if rows:
            added.append(pd.concat(rows, ignore_index=True))
    # Card bills: last month's card spending paid on the 5th.
    if noise.card_bills:
        card = df[debit & (df["channel"] == "card")]
        spend = card.groupby([card["user_id"], months[card.index]])["amount"].sum()
        bills: list[pd.DataFrame] = []
        for key, total in spend.items():
            user, month = key  # type: ignore[misc]
            due = month + 1
            if due > span[-1]:
                continue
            base = df[df["user_id"] == user].iloc[:1]
            spelling = CARD_BILL_SPELLINGS[rng.integers(len(CARD_BILL_SPELLINGS))]
            bills.append(_rows(base, direction="debit", amount=round(float(total), 2),
                              timestamp=f"{due.start_time.date().replace(day=5)}T09:15:00", category=spelling,
                              merchant="HDFC Bank Credit Card", description="BILLDESK CREDIT CARD PAYMENT",
                              channel="netbanking", is_anomaly=0, anomaly_kind="",
                              transaction_id=f"{user}-B{month}"))
        if bills:
            added.append(pd.concat(bills, ignore_index=True))
    out = pd.concat([df, *added], ignore_index=True) if added else df
    out["amount"] = out["amount"].astype(float)
    # Cash withdrawals under other spellings.
    cash = (out["category"] == "cash_withdrawal") & (rng.random(len(out)) < noise.respell_share)
    out.loc[cash, "category"] = rng.choice(CASH_SPELLINGS[:2], int(cash.sum()))
    # Missing months: every row of one month gone (a statement gap).
    out_months = pd.to_datetime(out["timestamp"]).dt.to_period("M")
    drop = np.zeros(len(out), dtype=bool)
    candidates = span[1: len(span) - noise.keep_recent_months]
    for user in users:
        if len(candidates) and rng.random() < noise.missing_user_share:
            gone = candidates[int(rng.integers(len(candidates)))]
            drop |= ((out["user_id"] == user) & (out_months == gone)).to_numpy()
    out = out[~drop]
    order = np.lexsort((out["timestamp"].to_numpy(), out["user_id"].to_numpy()))
    return out.iloc[order].reset_index(drop=True)


def consumption_truth(clean: pd.DataFrame, noisy: pd.DataFrame) -> pd.Series:
    """True monthly consumption, indexed by (user_id, month), of a clean frame given its noisy copy.

    INR debits of the clean frame outside the money-moved and income categories, less the refunds the noisy
    copy added, each in its purchase's month (refunds carry their purchase's id plus ``REFUND_SUFFIX``).
    """
    inr = clean[(clean["direction"] == "debit") & (clean["currency"] == "INR")
                & ~clean["category"].isin(_NOT_CONSUMPTION)]
    month = pd.to_datetime(inr["timestamp"]).dt.to_period("M")
    gross = inr.groupby([inr["user_id"], month])["amount"].sum().rename_axis(["user_id", "month"])
    ids = noisy["transaction_id"].astype(str)
    refunds = noisy[ids.str.endswith(REFUND_SUFFIX)]
    purchase = refunds["transaction_id"].astype(str).str.slice(0, -len(REFUND_SUFFIX))
    by_id = pd.to_datetime(inr.set_index("transaction_id")["timestamp"]).dt.to_period("M")
    known = purchase.isin(by_id.index).to_numpy()
    if known.any():
        r_month = by_id.loc[purchase[known]].to_numpy()
        netted = refunds[known].groupby([refunds["user_id"][known].to_numpy(), r_month])["amount"].sum()
        gross = gross.sub(netted.rename_axis(["user_id", "month"]), fill_value=0.0)
    return gross
