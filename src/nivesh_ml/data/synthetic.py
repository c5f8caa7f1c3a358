"""Seeded simulator of Indian consumers: users, bank/card/UPI transactions with labelled anomalies,
and credit applicants with a known default process (docs/data.md).

Same arguments, same output. Users are simulated in fixed chunks of ``CHUNK_USERS``, each with its
own random stream derived from the seed, so memory stays bounded and the result does not depend on
how it is consumed (a data frame or CSV files).
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import date
from pathlib import Path
from typing import Any, Final

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from nivesh_ml.data.synthetic_anomalies import THIN_DAYS, inject
from nivesh_ml.data.synthetic_calendar import Calendar, build_calendar
from nivesh_ml.data.synthetic_card import add_card_layer
from nivesh_ml.data.synthetic_catalog import (
    BAND_BY_TIER,
    BANDS,
    CITIES,
    EMPLOYERS,
    PAYDAY_RULES,
    PAYDAY_WEIGHTS,
    SALARY_MEDIAN,
    SALARY_TIER_FACTOR,
)
from nivesh_ml.data.synthetic_credit import generate_applicants
from nivesh_ml.data.synthetic_messy import RealDataNoise, add_real_data_noise
from nivesh_ml.data.synthetic_recurring import commitment_rows, housing_rows, salary_rows, utility_rows
from nivesh_ml.data.synthetic_rows import Rows, concat_rows, to_table
from nivesh_ml.data.synthetic_streams import discretionary_rows, households
from nivesh_ml.errors import InvalidInput

__all__ = ["DEFAULT_START", "generate_applicants", "generate_transactions", "generate_users",
           "transaction_tables", "write_dataset"]

DEFAULT_START: Final = date(2024, 11, 1)
CHUNK_USERS: Final = 500
MAX_MONTHS: Final = 120
_USERS_STREAM, _TRANSACTIONS_STREAM = 1, 2


def _check(n_users: int, seed: int, months: int = 1) -> None:
    if n_users < 1:
        raise InvalidInput(f"n_users must be at least 1, got {n_users}")
    if not 1 <= months <= MAX_MONTHS:
        raise InvalidInput(f"months must be between 1 and {MAX_MONTHS}, got {months}")
    if seed < 0:
        raise InvalidInput(f"seed must be a non-negative integer, got {seed}")


def user_ids(n_users: int) -> list[str]:
    """The ids the simulator gives its users: ``u00000``, ``u00001``, ..."""
    return [f"u{i:05d}" for i in range(n_users)]


def generate_users(n_users: int, seed: int = 42) -> pd.DataFrame:
    """Simulated account holders: home city and tier, income band, salary, payday and household facts.

    ``payday`` is the day of month the salary is due (moved to the next working day); 31 means the
    last working day of the month (``payday_rule`` says which).
    """
    _check(n_users, seed)
    rng = np.random.default_rng([seed, _USERS_STREAM])
    n = n_users
    weights = np.array([c.weight for c in CITIES])
    city = rng.choice(len(CITIES), size=n, p=weights / weights.sum())
    tier = np.array([c.tier for c in CITIES])[city]
    band_cdf = np.cumsum(np.asarray(BAND_BY_TIER), axis=1)[tier - 1]
    band = np.minimum((band_cdf < rng.random(n)[:, None]).sum(axis=1), len(BANDS) - 1)
    age = np.clip(np.round(23 + 3 * band + rng.gamma(2.0, 4.5, n)), 21, 62).astype(np.int64)
    salary = (np.asarray(SALARY_MEDIAN)[band] * np.asarray(SALARY_TIER_FACTOR)[tier - 1]
              * rng.lognormal(0.0, 0.22, n) * (1 + 0.01 * (age - 30)))
    salary = np.round(np.maximum(salary, 9000.0), -2)
    payday = np.asarray(PAYDAY_RULES)[rng.choice(len(PAYDAY_RULES), size=n, p=np.asarray(PAYDAY_WEIGHTS))]
    u = rng.random(n)
    rent_p = np.where(age < 30, 0.6, 0.35)
    family_p = np.where(age < 27, 0.25, 0.08)
    housing = np.where(u < rent_p, "rented", np.where(u < rent_p + family_p, "family", "owned"))
    tier_rent = np.array([1.0, 0.8, 0.65])[tier - 1]
    rent = np.where(housing == "rented",
                    np.maximum(np.round(salary * rng.uniform(0.18, 0.33, n) * tier_rent, -2) // 500 * 500, 3000), 0)
    has_emi = rng.random(n) < np.array([0.2, 0.35, 0.45, 0.4])[band] + np.where(housing == "owned", 0.15, 0.0)
    emi = np.where(has_emi, np.round(salary * rng.uniform(0.08, 0.35, n)), 0.0)
    children = np.where(rng.random(n) < np.where(age >= 30, 0.55, 0.1), rng.integers(1, 3, n), 0)
    return pd.DataFrame({
        "user_id": user_ids(n),
        "city": [CITIES[c].name for c in city],
        "city_tier": tier,
        "income_band": np.asarray(BANDS)[band],
        "monthly_salary": salary,
        "payday": payday,
        "home_latitude": np.array([c.lat for c in CITIES])[city],
        "home_longitude": np.array([c.lon for c in CITIES])[city],
        "age": age,
        "payday_rule": np.where(payday >= 29, "last_working_day", "day_of_month"),
        "employer": np.asarray(EMPLOYERS)[rng.integers(0, len(EMPLOYERS), n)],
        "housing": housing,
        "monthly_rent": rent.astype(float),
        "rent_day": np.where(housing == "rented", rng.integers(1, 6, n), 0),
        "monthly_emi": emi,
        "emi_day": np.where(has_emi, np.array([2, 3, 5, 7, 10, 15])[rng.integers(0, 6, n)], 0),
        "has_vehicle": rng.random(n) < np.array([0.45, 0.65, 0.8, 0.9])[band],
        "children": children,
    })


def _chunk_table(users: pd.DataFrame, offset: int, chunk_no: int, cal: Calendar, seed: int,
                 ids: pa.Array) -> pa.Table:
    rng = np.random.default_rng([seed, _TRANSACTIONS_STREAM, chunk_no])
    hh = households(users, offset, rng)
    blocks: list[Rows] = [*salary_rows(cal, hh, users, rng), *housing_rows(cal, hh, users, rng),
                          *utility_rows(cal, hh, rng), *commitment_rows(cal, hh, users, rng),
                          *discretionary_rows(cal, hh, rng)]
    n_debits = sum(int((b.direction == 0).sum()) for b in blocks)
    blocks += inject(cal, hh, rng, n_debits)
    return to_table(concat_rows(blocks), ids)


def transaction_tables(n_users: int, months: int, seed: int = 42, start: date = DEFAULT_START,
                       users: pd.DataFrame | None = None, workers: int = 1) -> Iterator[pa.Table]:
    """Transactions as Arrow tables, one per chunk of ``CHUNK_USERS`` users, in user order.

    ``workers`` > 1 simulates the next chunks in threads while the caller consumes this one
    (numpy and Arrow release the GIL for the heavy parts); the output does not depend on it.
    """
    _check(n_users, seed, months)
    users = generate_users(n_users, seed) if users is None else users
    cal = build_calendar(start, months)
    ids = pa.array(users["user_id"].tolist(), pa.string())
    chunks = [(offset, i) for i, offset in enumerate(range(0, n_users, CHUNK_USERS))]

    def make(offset: int, chunk_no: int) -> pa.Table:
        part = users.iloc[offset:offset + CHUNK_USERS].reset_index(drop=True)
        return _chunk_table(part, offset, chunk_no, cal, seed, ids)

    if workers <= 1:
        for offset, chunk_no in chunks:
            yield make(offset, chunk_no)
        return
    with ThreadPoolExecutor(max_workers=workers) as pool:
        pending: list[Future[pa.Table]] = []
        for offset, chunk_no in chunks:
            pending.append(pool.submit(make, offset, chunk_no))
            if len(pending) > workers:
                yield pending.pop(0).result()
        for future in pending:
            yield future.result()


def generate_transactions(n_users: int, months: int, seed: int = 42, start: date = DEFAULT_START,
                          noise: RealDataNoise | None = None) -> pd.DataFrame:
    """Transactions of ``n_users`` simulated users over ``months`` months from ``start``.

    Columns: transaction_id, user_id, timestamp (ISO 8601, IST wall clock), amount, currency,
    direction, merchant, category, channel, description, city, country, latitude, longitude,
    is_anomaly, anomaly_kind. Sorted by user then time. ``noise`` adds what real bank data has (refunds,
    own-account transfers, card bills, other spellings, missing months: ``synthetic_messy``); default: none.
    """
    tables = list(transaction_tables(n_users, months, seed, start))
    frame = pa.concat_tables(tables).to_pandas()
    return frame if noise is None else add_real_data_noise(frame, noise)


def write_dataset(out_dir: Path, n_users: int, months: int, seed: int = 42, start: date = DEFAULT_START,
                  n_applicants: int | None = None, workers: int = 1) -> dict[str, Any]:
    """Write ``transactions.csv``, ``users.csv`` and ``applicants.csv`` to ``out_dir``.

    ``n_applicants`` defaults to ``max(5000, n_users)``. Returns the written paths and row counts.
    """
    _check(n_users, seed, months)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {name: out_dir / f"{name}.csv" for name in ("transactions", "users", "applicants")}
    users = generate_users(n_users, seed)
    counts = {"users": n_users, "transactions": 0, "anomalies": 0}
    writer: pacsv.CSVWriter | None = None
    try:
        for table in transaction_tables(n_users, months, seed, start, users=users, workers=workers):
            if writer is None:
                writer = pacsv.CSVWriter(paths["transactions"], table.schema)
            writer.write_table(table)
            counts["transactions"] += table.num_rows
            counts["anomalies"] += int(np.asarray(table.column("is_anomaly")).sum())
    finally:
        if writer is not None:
            writer.close()
    pacsv.write_csv(pa.Table.from_pandas(users, preserve_index=False), paths["users"])
    applicants = generate_applicants(n_applicants if n_applicants is not None else max(5000, n_users), seed)
    pacsv.write_csv(pa.Table.from_pandas(applicants, preserve_index=False), paths["applicants"])
    counts["applicants"] = len(applicants)
    counts["defaults"] = int(applicants["default"].sum())
    return {"paths": {k: str(v) for k, v in paths.items()}, "counts": counts,
            "params": {"n_users": n_users, "months": months, "seed": seed, "start": start.isoformat()}}


def thin_history_transactions(n_users: int, seed: int, days: int = THIN_DAYS) -> pd.DataFrame:
    """Thin histories like a public card-fraud set: ``days`` days of simulated users plus card activity.

    The simulator's own rows and per-user anomalies (labelled by kind) stay; ``synthetic_card.add_card_layer``
    adds legitimate online card purchases at every hour (night included; together a median of ≈ 14 rows per
    user over a week) and fraud episodes on 3 % of the cards: a few large online shopping or grocery purchases,
    mostly between 22 h and 4 h, labelled ``night_online_fraud``. Sorted by user then time, the columns of
    :func:`generate_transactions`.
    """
    months = max(1, -(-days // 28))
    frame = generate_transactions(n_users, months, seed=seed, start=date(2024, 11, 4))
    stamps = pd.to_datetime(frame["timestamp"])
    frame = frame[stamps < stamps.min().normalize() + pd.Timedelta(days=days)].reset_index(drop=True)
    return add_card_layer(frame, seed, days)
