"""Recurring money of simulated households: salary, rent, EMIs, bills, subscriptions, SIPs and fees.

Every stream is laid out on a (users x months) or (users x periods) grid with numpy, so the cost
is a few array operations per stream for a whole chunk of users.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pandas as pd
import pyarrow as pa

from nivesh_ml.data.synthetic_calendar import (
    MONTH_ABBR,
    SECONDS_PER_DAY,
    Calendar,
    pay_days,
    salary_period,
)
from nivesh_ml.data.synthetic_catalog import (
    BROADBAND,
    BROADBAND_PRICES,
    CITIES,
    HOURS,
    INSURERS,
    LENDERS,
    LPG,
    MOBILE,
    MOBILE_SHARE,
    PERSON_NAMES,
    POSTPAID_PLANS,
    PREPAID_PLANS,
    SCHOOLS,
    SIP_PLATFORMS,
    SUBSCRIPTIONS,
)
from nivesh_ml.data.synthetic_rows import (
    CARD,
    NETBANKING,
    OTHER,
    UPI,
    Payees,
    Rows,
    day_seconds,
    join,
    narrate,
    rows_of,
)
from nivesh_ml.data.synthetic_streams import Households, pick_channels, round_amounts

_MONTHS = pa.array(list(MONTH_ABBR))
ELECTRICITY_BASE = np.array([650.0, 1400.0, 2600.0, 4800.0])
ELECTRICITY_SEASON = np.array([0.85, 0.85, 1.0, 1.35, 1.5, 1.45, 1.2, 1.15, 1.15, 1.05, 0.9, 0.85])


@cache
def payees(names: tuple[str, ...], online: bool = True) -> Payees:
    """Narration pieces of a fixed payee list (cached per list)."""
    return Payees.of(list(names), online)


def monthly(cal: Calendar, users: np.ndarray, dom: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(user, day, month position) of an event on day ``dom`` (clipped to month length) of every month."""
    day = cal.month_first[None, :] + np.minimum(dom[:, None], cal.month_len[None, :]) - 1
    user = np.broadcast_to(users[:, None], day.shape)
    month = np.broadcast_to(np.arange(cal.month_first.size)[None, :], day.shape)
    keep = (day >= 0) & (day < cal.n_days)
    return user[keep], day[keep], month[keep]


def periodic(cal: Calendar, users: np.ndarray, period: np.ndarray, offset: np.ndarray
             ) -> tuple[np.ndarray, np.ndarray]:
    """(user, day) of an event every ``period`` days from ``offset``."""
    if users.size == 0:
        return users, users
    steps = np.arange(cal.n_days // int(period.min()) + 1)
    day = offset[:, None] + period[:, None] * steps[None, :]
    keep = day < cal.n_days
    return np.broadcast_to(users[:, None], day.shape)[keep], day[keep]


def bill(cal: Calendar, hh: Households, rng: np.random.Generator, *, user: np.ndarray, day: np.ndarray,
         amount: np.ndarray, table: Payees, payee: np.ndarray, category: str, channel: np.ndarray,
         hours: tuple[float, ...] | None = None, direction: int = 0, notes: tuple[str, ...] = ("Bill Pay",),
         description: pa.Array | None = None) -> Rows:
    """Rows paid to ``table[payee]`` (no place: bills and transfers are not made at a shop)."""
    n = user.size
    secs = day_seconds(rng, hours or HOURS["any"], n)
    city = np.full(n, -1)
    if description is None:
        description = narrate(rng, table, payee, channel, np.full(n, direction), city,
                              hh.card4.take(pa.array(user)), notes)
    return rows_of(user=user + hh.offset, ts=cal.epoch_seconds + day * SECONDS_PER_DAY + secs, amount=amount,
                   category=category, channel=channel, direction=direction, city=city,
                   merchant=table.names.take(pa.array(payee)), description=description)


def salary_rows(cal: Calendar, hh: Households, users: pd.DataFrame, rng: np.random.Generator) -> list[Rows]:
    """Salary on each user's payday (with an April hike) and a Diwali bonus for some."""
    n = hh.n
    employers = tuple(sorted(set(users["employer"])))
    table = payees(employers, True)
    employer = users["employer"].map({e: i for i, e in enumerate(employers)}).to_numpy(np.int64)
    salary = users["monthly_salary"].to_numpy(float)
    hike = rng.uniform(0.04, 0.12, n)
    aprils = np.cumsum((cal.dom == 1) & (cal.month == 4))
    bonus = rng.random(n) < 0.35
    bonus_share = rng.uniform(0.5, 1.0, n)
    diwalis = [d for d in cal.festivals["diwali"] if 0 <= d < cal.n_days]
    blocks = []
    for rule in np.unique(hh.rule):
        group = np.flatnonzero(hh.rule == rule)
        paid = pay_days(cal, int(rule))
        user, day = np.repeat(group, paid.size), np.tile(paid, group.size)
        label = join("SALARY ", _MONTHS.take(pa.array(salary_period(cal, int(rule), day) - 1)))
        amount = np.round(salary[user] * (1 + hike[user]) ** aprils[day])
        for diwali in diwalis:
            before = paid[(paid <= diwali) & (paid > diwali - 40)]
            lucky = group[bonus[group]]
            if before.size and lucky.size:
                user = np.r_[user, lucky]
                day = np.r_[day, np.full(lucky.size, before[-1])]
                amount = np.r_[amount, np.round(salary[lucky] * bonus_share[lucky], -2)]
                label = pa.concat_arrays([label, pa.array(["DIWALI BONUS"] * lucky.size)])
        emp = table.upper.take(pa.array(employer[user]))
        blocks.append(bill(cal, hh, rng, user=user, day=day, amount=amount, table=table, payee=employer[user],
                           category="salary", channel=np.full(user.size, NETBANKING), hours=HOURS["office"],
                           direction=1, description=join("NEFT/CR/", emp, "/", label)))
    return blocks


def housing_rows(cal: Calendar, hh: Households, users: pd.DataFrame, rng: np.random.Generator) -> list[Rows]:
    """Rent to a landlord (rising ~7 % at each 11-month renewal) and loan EMIs by NACH auto-debit."""
    n = hh.n
    people = payees(PERSON_NAMES, True)
    renters = np.flatnonzero(users["housing"].to_numpy() == "rented")
    user, day, month = monthly(cal, renters, users["rent_day"].to_numpy(np.int64)[renters])
    phase = rng.integers(0, 11, n)
    rent = users["monthly_rent"].to_numpy(float)[user] * 1.07 ** ((month + phase[user]) // 11)
    landlord = rng.integers(0, len(PERSON_NAMES), n)
    rent_channel = np.where(rng.random(n) < 0.6, UPI, NETBANKING)
    blocks = [bill(cal, hh, rng, user=user, day=day, amount=np.round(rent, -2), table=people,
                   payee=landlord[user], category="rent", channel=rent_channel[user], notes=("Rent", "House rent"))]
    borrowers = np.flatnonzero(users["monthly_emi"].to_numpy(float) > 0)
    user, day, _ = monthly(cal, borrowers, users["emi_day"].to_numpy(np.int64)[borrowers])
    lenders = payees(LENDERS, True)
    lender = rng.integers(0, len(LENDERS), n)[user]
    loan_no = pa.array([f"{v:010d}" for v in rng.integers(10 ** 9, 10 ** 10, n)]).take(pa.array(user))
    text = join("NACH/DR/", lenders.upper.take(pa.array(lender)), "/EMI LOAN ", loan_no)
    blocks.append(bill(cal, hh, rng, user=user, day=day, amount=users["monthly_emi"].to_numpy(float)[user],
                       table=lenders, payee=lender, category="emi", channel=np.full(user.size, OTHER),
                       hours=HOURS["morning"], description=text))
    return blocks


def utility_rows(cal: Calendar, hh: Households, rng: np.random.Generator) -> list[Rows]:
    """Electricity (seasonal), LPG refills, broadband and mobile plans."""
    n = hh.n
    everyone = np.arange(n)
    names = tuple(dict.fromkeys(board for c in CITIES for board in c.power))
    boards = payees(names, True)
    options = [CITIES[c].power for c in hh.city]
    board = np.array([names.index(o[int(p * len(o))]) for o, p in zip(options, rng.random(n), strict=True)])
    metered = everyone[rng.random(n) < 0.9]
    user, day, _ = monthly(cal, metered, rng.integers(8, 23, n)[metered])
    level = ELECTRICITY_BASE[hh.band] * rng.lognormal(0.0, 0.25, n)
    amount = level[user] * ELECTRICITY_SEASON[cal.month[day] - 1] * rng.lognormal(0.0, 0.12, user.size)
    channel = pick_channels(rng, "bills", hh.card_affinity[user])
    blocks = [bill(cal, hh, rng, user=user, day=day, amount=round_amounts(amount, channel, 1.0), table=boards,
                   payee=board[user], category="utilities", channel=channel,
                   notes=("Bill Pay", "Electricity bill"))]
    cooking = everyone[rng.random(n) < 0.6]
    user, day = periodic(cal, cooking, rng.integers(35, 66, n)[cooking], rng.integers(0, 35, n)[cooking])
    gas = rng.integers(0, len(LPG), n)
    channel = pick_channels(rng, "upi_first", hh.card_affinity[user])
    blocks.append(bill(cal, hh, rng, user=user, day=day, amount=np.round(rng.uniform(803, 950, user.size)),
                       table=payees(LPG, True), payee=gas[user], category="utilities", channel=channel,
                       notes=("LPG refill", "Cylinder booking")))
    wired = everyone[rng.random(n) < np.array([0.25, 0.55, 0.8, 0.9])[hh.band]]
    user, day, _ = monthly(cal, wired, rng.integers(1, 29, n)[wired])
    price = np.asarray(BROADBAND_PRICES)[rng.integers(0, len(BROADBAND_PRICES), n)]
    provider = rng.integers(0, len(BROADBAND), n)
    channel = pick_channels(rng, "bills", hh.card_affinity[user])
    blocks.append(bill(cal, hh, rng, user=user, day=day, amount=price[user], table=payees(BROADBAND, True),
                       payee=provider[user], category="telecom", channel=channel))
    blocks.append(_mobile_rows(cal, hh, rng))
    return blocks


def _mobile_rows(cal: Calendar, hh: Households, rng: np.random.Generator) -> Rows:
    n = hh.n
    operator = rng.choice(len(MOBILE), size=n, p=np.asarray(MOBILE_SHARE))
    prepaid = rng.random(n) < 0.7
    pre = np.flatnonzero(prepaid)
    user_a, day_a = periodic(cal, pre, np.full(pre.size, 28), rng.integers(0, 28, n)[pre])
    post = np.flatnonzero(~prepaid)
    user_b, day_b, _ = monthly(cal, post, rng.integers(1, 29, n)[post])
    plan = np.where(prepaid, np.asarray(PREPAID_PLANS)[rng.integers(0, len(PREPAID_PLANS), n)],
                    np.asarray(POSTPAID_PLANS)[rng.integers(0, len(POSTPAID_PLANS), n)])
    user, day = np.r_[user_a, user_b], np.r_[day_a, day_b]
    channel = pick_channels(rng, "upi_first", hh.card_affinity[user])
    return bill(cal, hh, rng, user=user, day=day, amount=plan[user].astype(float), table=payees(MOBILE, True),
                payee=operator[user], category="telecom", channel=channel, notes=("Recharge", "Mobile bill"))


def commitment_rows(cal: Calendar, hh: Households, users: pd.DataFrame, rng: np.random.Generator) -> list[Rows]:
    """Subscriptions, insurance premiums, SIPs, money sent home, school fees and savings interest."""
    n, band = hh.n, hh.band
    everyone = np.arange(n)
    blocks = []
    for service, prices, take_up in SUBSCRIPTIONS:
        subscribed = everyone[rng.random(n) < np.asarray(take_up)[band]]
        user, day, _ = monthly(cal, subscribed, rng.integers(1, 29, n)[subscribed])
        price = np.asarray(prices, dtype=float)[rng.integers(0, len(prices), n)]
        channel = np.where(rng.random(n) < 0.7, CARD, UPI).astype(np.int8)[user]
        blocks.append(bill(cal, hh, rng, user=user, day=day, amount=price[user], table=payees((service,), True),
                           payee=np.zeros(user.size, np.int64), category="subscriptions", channel=channel,
                           notes=("UPI Mandate", "Autopay")))
    insured = everyone[rng.random(n) < np.array([0.1, 0.35, 0.6, 0.75])[band]]
    user, day, month = monthly(cal, insured, rng.integers(1, 29, n)[insured])
    due = rng.integers(1, 13, n)
    keep = cal.month_of_year[month] == due[user]
    premium = np.round(np.array([6e3, 14e3, 25e3, 42e3])[band] * rng.lognormal(0.0, 0.3, n))
    blocks.append(bill(cal, hh, rng, user=user[keep], day=day[keep], amount=premium[user[keep]],
                       table=payees(INSURERS, True), payee=rng.integers(0, len(INSURERS), n)[user[keep]],
                       category="insurance", channel=np.where(rng.random(n) < 0.5, CARD, NETBANKING)[user[keep]],
                       hours=HOURS["office"], notes=("Premium",)))
    investors = everyone[rng.random(n) < np.array([0.1, 0.35, 0.6, 0.8])[band]]
    user, day, _ = monthly(cal, investors, np.array([1, 5, 7, 10, 15, 20, 25])[rng.integers(0, 7, n)][investors])
    sip = np.round(np.array([1e3, 4e3, 1e4, 25e3])[band] * rng.lognormal(0.0, 0.4, n), -2)
    blocks.append(bill(cal, hh, rng, user=user, day=day, amount=np.maximum(sip[user], 500.0),
                       table=payees(SIP_PLATFORMS, True), payee=rng.integers(0, len(SIP_PLATFORMS), n)[user],
                       category="investments", channel=np.full(user.size, OTHER), hours=HOURS["morning"]))
    blocks += _family_rows(cal, hh, users, rng)
    return blocks


def _family_rows(cal: Calendar, hh: Households, users: pd.DataFrame, rng: np.random.Generator) -> list[Rows]:
    n, band = hh.n, hh.band
    everyone = np.arange(n)
    salary = users["monthly_salary"].to_numpy(float)
    senders = everyone[rng.random(n) < np.array([0.35, 0.35, 0.25, 0.15])[band]]
    user, day, _ = monthly(cal, senders, rng.integers(1, 11, n)[senders])
    share = np.maximum(np.round(salary * rng.uniform(0.06, 0.2, n), -2), 500.0)
    blocks = [bill(cal, hh, rng, user=user, day=day, amount=share[user], table=payees(PERSON_NAMES, True),
                   payee=rng.integers(0, len(PERSON_NAMES), n)[user], category="transfers",
                   channel=np.full(user.size, UPI), notes=("Home", "For Maa", "Papa", "family"))]
    parents = everyone[(users["children"].to_numpy() > 0)]
    user, day, month = monthly(cal, parents, rng.integers(5, 16, n)[parents])
    keep = np.isin(cal.month_of_year[month], (1, 4, 7, 10))
    user, day = user[keep], day[keep]
    fee = np.round(np.array([6e3, 15e3, 35e3, 7e4])[band] * rng.lognormal(0.0, 0.25, n)
                   * users["children"].to_numpy(float), -2)
    blocks.append(bill(cal, hh, rng, user=user, day=day, amount=fee[user], table=payees(SCHOOLS, False),
                       payee=rng.integers(0, len(SCHOOLS), n)[user], category="education",
                       channel=np.full(user.size, NETBANKING), notes=("School fee",)))
    user, day, month = monthly(cal, everyone, np.full(n, 31))
    keep = np.isin(cal.month_of_year[month], (3, 6, 9, 12))
    user, day = user[keep], day[keep]
    interest = np.maximum(np.round(salary * rng.uniform(0.3, 3.0, n) * 0.027 / 4, 2), 1.0)
    blocks.append(bill(cal, hh, rng, user=user, day=day, amount=interest[user],
                       table=payees(("Savings Interest",), True), payee=np.zeros(user.size, np.int64),
                       category="interest", channel=np.full(user.size, OTHER), direction=1,
                       description=pa.array(["CREDIT INTEREST CAPITALISED"] * user.size, pa.string())))
    return blocks
