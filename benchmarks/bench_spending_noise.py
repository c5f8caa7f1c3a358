"""Noise floor of the spending benchmark: how well could a forecaster that knows each user's parameters do?

    .venv/bin/python benchmarks/bench_spending_noise.py [--users 120] [--seed 2024] [--reps 200]
    .venv/bin/python benchmarks/bench_spending_noise.py --volatility [--users 120] [--seed 2024]

``--volatility`` only measures how volatile the simulated households' monthly consumption is (the series the
forecaster models, ``SpendHistory.total``), for comparison with published statistics on real households.

The benchmark's evaluation users (seed 2024, 24 months) are regenerated many times with their simulated
parameters fixed (household rates and usual amounts, salary, rent, EMIs, bills, subscriptions: everything the
simulator draws per user) and fresh randomness for the day-to-day spending (the Poisson-timed discretionary
streams and the injected anomalies). Recurring payments keep their realised values, so the small noise of
electricity bills and LPG refill timing is left out: the floor below is, if anything, slightly optimistic.

From half the replicates we take, per user and month, the conditional mean (the oracle expected value), the
median and the 1/y-weighted median (the point that minimises expected absolute percentage error); on the
other half we score them on the last 3 months, exactly as the benchmark scores the served model (MAPE of
total consumption, relative MAE pooled against the same replicate's seasonal-naive forecast). Read-only use of the
simulator: its internal steps are replayed here, nothing in it is changed. Prints JSON.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

import numpy as np

from nivesh_ml.data.synthetic import DEFAULT_START, generate_users
from nivesh_ml.data.synthetic_anomalies import inject
from nivesh_ml.data.synthetic_calendar import SECONDS_PER_DAY, build_calendar
from nivesh_ml.data.synthetic_recurring import commitment_rows, housing_rows, salary_rows, utility_rows
from nivesh_ml.data.synthetic_rows import CATEGORIES, CURRENCY_LIST, Rows, concat_rows
from nivesh_ml.data.synthetic_streams import discretionary_rows, households
from nivesh_ml.models.spending.series import NON_SPEND_CATEGORIES

MONTHS, HORIZON = 24, 3
_TRANSACTIONS_STREAM = 2  # the simulator's stream id for transactions (synthetic.py)


def monthly_consumption(rows: Rows, n_users: int, month_edges: np.ndarray) -> np.ndarray:
    """(users, months) consumption: INR debits outside the money-moved categories (the served definition)."""
    spend = np.array([c not in NON_SPEND_CATEGORIES for c in CATEGORIES])
    keep = (rows.direction == 0) & spend[rows.category] & (rows.currency == CURRENCY_LIST.index("INR"))
    month = np.searchsorted(month_edges, rows.ts[keep], side="right") - 1
    ok = (month >= 0) & (month < MONTHS)
    out = np.zeros((n_users, MONTHS))
    np.add.at(out, (rows.user[keep][ok], month[ok]), np.round(rows.amount[keep][ok], 2))
    return out


def replicates(n_users: int, seed: int, reps: int) -> tuple[np.ndarray, np.ndarray]:
    """The real evaluation data's monthly consumption, and ``reps`` replicates with the same parameters."""
    users = generate_users(n_users, seed)
    cal = build_calendar(DEFAULT_START, MONTHS)
    edges = cal.epoch_seconds + cal.month_first[cal.month_first >= 0][:MONTHS] * SECONDS_PER_DAY
    if n_users > 500:
        raise SystemExit("one simulator chunk only (<= 500 users)")
    rng = np.random.default_rng([seed, _TRANSACTIONS_STREAM, 0])
    hh = households(users, 0, rng)
    fixed = [*salary_rows(cal, hh, users, rng), *housing_rows(cal, hh, users, rng), *utility_rows(cal, hh, rng),
             *commitment_rows(cal, hh, users, rng)]

    def draw(r: np.random.Generator) -> np.ndarray:
        blocks = fixed + discretionary_rows(cal, hh, r)
        n_debits = sum(int((b.direction == 0).sum()) for b in blocks)
        return monthly_consumption(concat_rows(blocks + inject(cal, hh, r, n_debits)), n_users, edges)

    real = draw(rng)  # the simulator's own continuation: identical to generate_transactions(n_users, 24, seed)
    reps_out = np.stack([draw(np.random.default_rng([seed, _TRANSACTIONS_STREAM, 0, 1000 + i]))
                         for i in range(reps)])
    return real, reps_out


def weighted_median(samples: np.ndarray) -> np.ndarray:
    """Per (user, month): argmin_f E|y − f| / y, i.e. the median of y weighted by 1/y (axis 0: samples)."""
    y = np.sort(np.maximum(samples, 1e-9), axis=0)
    w = 1.0 / y
    cdf = np.cumsum(w, axis=0) / w.sum(axis=0, keepdims=True)
    idx = np.argmax(cdf >= 0.5, axis=0)
    return np.take_along_axis(y, idx[None], axis=0)[0]


def score(y: np.ndarray, forecast: np.ndarray) -> dict[str, float]:
    """MAPE and pooled relative MAE (vs the same data's seasonal naive) on the last ``HORIZON`` months."""
    test = slice(MONTHS - HORIZON, MONTHS)
    actual, snaive = y[:, test], y[:, MONTHS - HORIZON - 12:MONTHS - 12]
    err = np.abs(actual - forecast[:, test])
    positive = actual > 0
    return {"mape": float(np.mean(err[positive] / actual[positive])),
            "rel_mae": float(err.sum() / np.abs(actual - snaive).sum())}


def summarise(values: list[dict[str, float]]) -> dict[str, Any]:
    """Mean and spread (over replicate data sets of the same users) of each metric."""
    out: dict[str, Any] = {}
    for key in values[0]:
        v = np.array([x[key] for x in values])
        out[key] = {"mean": round(float(v.mean()), 4), "sd": round(float(v.std(ddof=1)), 4),
                    "p5": round(float(np.percentile(v, 5)), 4), "p95": round(float(np.percentile(v, 95)), 4)}
    return out


def volatility(n_users: int, seed: int) -> dict[str, Any]:
    """Per-user coefficient of variation and month-to-month change of monthly consumption (24 months)."""
    from nivesh_ml.data.synthetic import generate_transactions
    from nivesh_ml.models.spending.series import monthly_spend

    frame = generate_transactions(n_users, MONTHS, seed=seed)
    cvs, changes, n_months = [], [], []
    for _, rows in frame.groupby("user_id", sort=True):
        y = monthly_spend(rows).total
        n_months.append(len(y))
        cvs.append(float(np.std(y, ddof=1) / np.mean(y)))
        changes.append(float(np.median(np.abs(np.diff(y)) / y[:-1])))
    cv = np.array(cvs)
    return {"users": n_users, "seed": seed, "months_per_user_median": float(np.median(n_months)),
            "series": "monthly total consumption (SpendHistory.total: debits less money moved)",
            "cv_median": round(float(np.median(cv)), 4),
            "cv_p25_p75": [round(float(q), 4) for q in np.percentile(cv, [25, 75])],
            "share_cv_at_least_30pct": round(float(np.mean(cv >= 0.30)), 4),
            "share_cv_5_to_30pct": round(float(np.mean((cv >= 0.05) & (cv < 0.30))), 4),
            "median_abs_month_to_month_change_median_user": round(float(np.median(changes)), 4)}


def main() -> None:
    """Regenerate, estimate the oracles on one half, score them on the other, print JSON."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=120)
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--reps", type=int, default=200)
    parser.add_argument("--volatility", action="store_true", help="only the volatility of monthly consumption")
    args = parser.parse_args()
    if args.volatility:
        json.dump(volatility(args.users, args.seed), sys.stdout, indent=2)
        sys.stdout.write("\n")
        return
    started = time.perf_counter()
    real, reps = replicates(args.users, args.seed, args.reps)
    fit, test = reps[: args.reps // 2], reps[args.reps // 2:]
    oracles = {"expected_value": fit.mean(axis=0), "median": np.median(fit, axis=0),
               "mape_optimal_weighted_median": weighted_median(fit)}
    out: dict[str, Any] = {"users": args.users, "seed": args.seed, "replicates": args.reps, "horizon": HORIZON}
    for name, forecast in oracles.items():
        out[name] = {"on_replicates": summarise([score(y, forecast) for y in test]),
                     "on_the_benchmark_data": {k: round(v, 4) for k, v in score(real, forecast).items()}}
    test_m = slice(MONTHS - HORIZON, MONTHS)
    cv = reps[:, :, test_m].std(axis=0) / np.maximum(reps[:, :, test_m].mean(axis=0), 1e-9)
    out["coefficient_of_variation_of_a_month"] = {"median": round(float(np.median(cv)), 4),
                                                  "mean": round(float(cv.mean()), 4)}
    out["seconds"] = round(time.perf_counter() - started, 1)
    json.dump(out, sys.stdout, indent=2)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
