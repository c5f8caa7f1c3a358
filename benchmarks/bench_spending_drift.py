"""Spending forecasts on households that drift, written independently of the simulator (session 7).

    .venv/bin/python benchmarks/bench_spending_drift.py MODEL_DIR [HOUSEHOLDS] [-v] [--thin=3,4,6,9,12]
    CFG='{"total_level_halflife": 0}' .venv/bin/python benchmarks/bench_spending_drift.py MODEL_DIR 20

The bundled simulator has no drift over time; real households do (rent rises each year, a loan's EMI starts, a
child's school fees come each quarter) and name their categories their own way ("Food & Dining", "Bills &
Utilities", "ATM"). This script writes such households (30 months each, ``household(seed)``: our own assumptions,
not real data) and forecasts the 3-month total from 6 origins through the served path (``predict`` with inline
transactions, as ``/predict/spending`` does), against seasonal naive (the same 3 months a year before) and the
12-month mean and median x 3. Prints each method's MAPE and mean signed error (bias) over all origins, and the
ratios served / seasonal naive and served / 12-month mean. ``CFG`` (JSON) overrides fields of the loaded config.
``--thin=N,...``: only the last N months of history before each of 3 origins (thin histories), served vs the mean
of those months and the last month.
"""

from __future__ import annotations

import json
import math
import os
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np
import pandas as pd

HORIZON, ORIGINS = 3, 6


def household(seed: int, months: int = 30, start: str = "2023-06-01") -> pd.DataFrame:
    """One household's debits: rent rising 5 % a year, an EMI from a random month (half of them), groceries,
    food delivery, fuel, seasonal electricity, a phone plan, lumpy shopping with festive-season buys, trips,
    medical bills, quarterly school fees (half of them), a yearly insurance premium, ATM cash and odd payments."""
    r = np.random.default_rng(seed)
    rows: list[dict[str, Any]] = []
    t0 = pd.Timestamp(start)
    scale = r.lognormal(math.log(90000), 0.4) / 90000  # income relative to ₹90,000 a month
    rent = round(r.uniform(9000, 30000) * scale, -2)
    emi_from = int(r.integers(0, months)) if r.random() < 0.5 else None
    emi = round(r.uniform(5000, 20000) * scale, -2)
    school = r.random() < 0.5

    def add(when: pd.Timestamp, amount: float, category: str, merchant: str | None) -> None:
        rows.append({"user_id": f"h{seed}", "timestamp": when.strftime("%Y-%m-%dT%H:%M:%S"),
                     "amount": round(float(amount), 2), "category": category, "merchant": merchant})

    def day(month_start: pd.Timestamp, days: int, hour: int) -> pd.Timestamp:
        return month_start + pd.Timedelta(days=int(r.integers(0, days)), hours=hour)

    for m in range(months):
        ms = t0 + pd.DateOffset(months=m)
        dim = (ms + pd.offsets.MonthEnd(0)).day
        yearly = 1.05 ** (m // 12)
        add(ms + pd.Timedelta(days=int(r.integers(0, 5)), hours=10), rent * yearly, "Rent", "Landlord")
        if emi_from is not None and m >= emi_from:
            add(ms + pd.Timedelta(days=5, hours=9), emi, "EMI", "HDFC Loan")
        for _ in range(int(r.poisson(4.3))):
            add(day(ms, dim, 18), r.lognormal(math.log(2200 * scale), 0.5), "Groceries", "BigBasket")
        for _ in range(int(r.poisson(7 * scale))):
            add(day(ms, dim, 21), r.lognormal(math.log(380), 0.45), "Food & Dining",
                str(r.choice(["Swiggy", "Zomato"])))
        for _ in range(int(r.poisson(3))):
            add(day(ms, dim, 8), r.lognormal(math.log(1500), 0.3), "Fuel", "HP Petrol")
        summer = 1.8 if ms.month in (4, 5, 6) else (1.2 if ms.month in (7, 8, 9) else 1.0)
        add(ms + pd.Timedelta(days=12, hours=11), r.lognormal(math.log(1600 * summer * scale), 0.2),
            "Bills & Utilities", "BESCOM")
        add(ms + pd.Timedelta(days=3, hours=11), 599, "Bills & Utilities", "Jio")
        for _ in range(int(r.poisson(1.5))):
            add(day(ms, dim, 20), r.lognormal(math.log(2500 * scale), 1.0), "Shopping",
                str(r.choice(["Amazon", "Flipkart", "Myntra"])))
        if ms.month in (10, 11) and r.random() < 0.7:
            add(day(ms, dim, 20), r.lognormal(math.log(15000 * scale), 0.6), "Shopping", "Croma")
        if r.random() < 0.12:
            add(day(ms, dim, 15), r.lognormal(math.log(25000 * scale), 0.7), "Travel",
                str(r.choice(["MakeMyTrip", "IRCTC", "IndiGo"])))
        if r.random() < 0.2:
            add(day(ms, dim, 16), r.lognormal(math.log(3000), 1.0), "Medical", "Apollo Pharmacy")
        if school and ms.month in (4, 7, 10, 1):
            add(ms + pd.Timedelta(days=10, hours=10), 22000 * yearly * scale, "Education", "School")
        if ms.month == 3:
            add(ms + pd.Timedelta(days=20, hours=10), r.uniform(15000, 45000) * scale, "Insurance", "LIC")
        for _ in range(int(r.poisson(1.2))):
            add(day(ms, dim, 13), float(r.choice([2000, 3000, 5000, 10000])), "ATM", "ATM Withdrawal")
        for _ in range(int(r.poisson(1.0))):
            add(day(ms, dim, 14), r.lognormal(math.log(800), 0.8), "Others", None)
    return pd.DataFrame(rows)


def month_totals(frame: pd.DataFrame) -> pd.Series:
    """Total spend per calendar month."""
    months = pd.to_datetime(frame["timestamp"]).dt.to_period("M")
    return frame.assign(month=months).groupby("month")["amount"].sum()


def served_total(predictor: Any, history: pd.DataFrame, months: list[pd.Period]) -> float:
    """The served 3-month total for ``months`` from ``history`` (inline transactions, as ``/predict/spending``)."""
    out = predictor.predict([{"transactions": history.to_dict("records"), "months": HORIZON + 2}])[0]
    got = {row["month"]: row["amount"] for row in out["total"]}
    return float(sum(got[str(m)] for m in months))


def thin_report(predictor: Any, households: int, lengths: list[int]) -> dict[str, Any]:
    """Thin histories: only the last ``n`` months before each of 3 origins; served vs the mean of those months
    and the last month (x 3)."""
    report: dict[str, Any] = {}
    for keep in lengths:
        errors: dict[str, list[float]] = {"served": [], "mean_of_history": [], "last_month": []}
        for seed in range(1000, 1000 + households):
            frame = household(seed)
            totals = month_totals(frame)
            months = list(totals.index)
            stamp = pd.to_datetime(frame["timestamp"]).dt.to_period("M")
            for k in range(3):
                origin = len(months) - HORIZON - k
                history = frame[(stamp < months[origin]) & (stamp >= months[origin - keep])]
                actual = float(totals.iloc[origin:origin + HORIZON].sum())
                past = totals.iloc[origin - keep:origin]
                points = {"served": served_total(predictor, history, months[origin:origin + HORIZON]),
                          "mean_of_history": float(past.mean() * HORIZON),
                          "last_month": float(past.iloc[-1] * HORIZON)}
                for key, point in points.items():
                    errors[key].append(abs(point - actual) / actual)
        report[f"{keep}_months"] = {k: round(float(np.mean(v)), 4) for k, v in errors.items()}
    return report


def main() -> None:
    """Score the served 3-month total and the baselines over every household and origin."""
    from nivesh_ml.models.spending import FAMILY

    thin = next((a.split("=", 1)[1] for a in sys.argv[1:] if a.startswith("--thin=")), "")
    args = [a for a in sys.argv[1:] if a != "-v" and not a.startswith("--thin=")]
    verbose = "-v" in sys.argv
    predictor = FAMILY.load(Path(args[0]))
    override = json.loads(os.environ.get("CFG", "{}"))
    if override:
        predictor.config = replace(predictor.config, **override)
    households = int(args[1]) if len(args) > 1 else 20
    if thin:
        lengths = [int(n) for n in thin.split(",")]
        json.dump(thin_report(predictor, households, lengths), sys.stdout, indent=1)
        sys.stdout.write("\n")
        return
    errors: dict[str, list[float]] = {k: [] for k in ("served", "seasonal_naive", "mean_12", "median_12")}
    bias: dict[str, list[float]] = {k: [] for k in errors}
    for seed in range(1000, 1000 + households):
        frame = household(seed)
        totals = month_totals(frame)
        months = list(totals.index)
        stamp = pd.to_datetime(frame["timestamp"]).dt.to_period("M")
        for k in range(ORIGINS):
            origin = len(months) - HORIZON - k
            history = frame[stamp < months[origin]]
            actual = float(totals.iloc[origin:origin + HORIZON].sum())
            past = totals.iloc[:origin]
            points = {"served": served_total(predictor, history, months[origin:origin + HORIZON]),
                      "seasonal_naive": float(totals.iloc[origin - 12:origin - 12 + HORIZON].sum()),
                      "mean_12": float(past.iloc[-12:].mean() * HORIZON),
                      "median_12": float(past.iloc[-12:].median() * HORIZON)}
            for key, point in points.items():
                errors[key].append(abs(point - actual) / actual)
                bias[key].append((point - actual) / actual)
            if verbose:
                print(seed, str(months[origin]), round(actual), {key: round(v) for key, v in points.items()},
                      file=sys.stderr)
    mape = {key: float(np.mean(v)) for key, v in errors.items()}
    report = {"households": households, "origins": ORIGINS, "horizon": HORIZON, "config_override": override,
              "mape": {k: round(v, 4) for k, v in mape.items()},
              "bias": {k: round(float(np.mean(v)), 4) for k, v in bias.items()},
              "served_over_seasonal_naive": round(mape["served"] / mape["seasonal_naive"], 3),
              "served_over_mean_12": round(mape["served"] / mape["mean_12"], 3)}
    json.dump(report, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
