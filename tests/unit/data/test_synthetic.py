"""Behaviour of the seeded simulator: determinism, schema, calendar realism, anomalies, credit truth."""

from __future__ import annotations

import math
import re
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from nivesh_ml.data.loaders import load_transactions
from nivesh_ml.data.schemas import CreditApplication, Transaction
from nivesh_ml.data.synthetic import (
    CHUNK_USERS,
    generate_applicants,
    generate_transactions,
    generate_users,
    transaction_tables,
    write_dataset,
)
from nivesh_ml.data.synthetic_calendar import build_calendar
from nivesh_ml.data.synthetic_credit import COEFFICIENTS, debt_to_income, default_log_odds
from nivesh_ml.errors import InvalidInput

USERS, MONTHS, SEED = 30, 14, 11
KINDS = ("amount_spike", "odd_hour", "new_far_merchant", "foreign_country", "rapid_burst", "card_testing")
COLUMNS = ["transaction_id", "user_id", "timestamp", "amount", "currency", "direction", "merchant", "category",
           "channel", "description", "city", "country", "latitude", "longitude", "is_anomaly", "anomaly_kind"]


@pytest.fixture(scope="module")
def tx() -> pd.DataFrame:
    return generate_transactions(USERS, MONTHS, seed=SEED)


@pytest.fixture(scope="module")
def users() -> pd.DataFrame:
    return generate_users(USERS, seed=SEED)


@pytest.fixture(scope="module")
def normal(tx: pd.DataFrame) -> pd.DataFrame:
    out = tx[tx["is_anomaly"] == 0].copy()
    out["ts"] = pd.to_datetime(out["timestamp"])
    return out


@pytest.fixture(scope="module")
def applicants() -> pd.DataFrame:
    return generate_applicants(6000, seed=SEED)


def test_same_seed_gives_identical_output() -> None:
    first, again = generate_transactions(12, 3, seed=5), generate_transactions(12, 3, seed=5)
    pd.testing.assert_frame_equal(first, again)
    pd.testing.assert_frame_equal(generate_users(12, seed=5), generate_users(12, seed=5))
    pd.testing.assert_frame_equal(generate_applicants(300, seed=5), generate_applicants(300, seed=5))
    assert not first["amount"].equals(generate_transactions(12, 3, seed=6)["amount"])


def test_chunking_and_threads_do_not_change_output() -> None:
    n = 2 * CHUNK_USERS + 7
    serial = list(transaction_tables(n, 1, seed=4))
    threaded = list(transaction_tables(n, 1, seed=4, workers=2))
    assert len(serial) == 3 and all(a.equals(b) for a, b in zip(serial, threaded, strict=True))
    users_seen = [set(t.column("user_id").to_pylist()) for t in serial]
    assert sum(map(len, users_seen)) == n and set.union(*users_seen) == set(generate_users(n, 4)["user_id"])


def test_columns_order_and_ids(tx: pd.DataFrame) -> None:
    assert list(tx.columns) == COLUMNS
    assert tx["transaction_id"].is_unique
    assert set(tx["user_id"]) == {f"u{i:05d}" for i in range(USERS)}
    keys = list(zip(tx["user_id"], tx["timestamp"], strict=True))
    assert keys == sorted(keys)
    assert tx["timestamp"].str.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d").all()
    assert (tx["amount"] > 0).all() and np.allclose(tx["amount"], tx["amount"].round(2))
    assert 40 <= len(tx) / (USERS * MONTHS) <= 80


def test_sampled_rows_validate_as_transactions(tx: pd.DataFrame) -> None:
    sample = tx.sample(500, random_state=0)
    for record in sample.to_dict(orient="records"):
        clean = {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in record.items()}
        parsed = Transaction.model_validate(clean)
        assert parsed.timestamp.tzinfo is None
        assert parsed.channel in {"upi", "card", "netbanking", "cash", "wallet", "other"}


def test_salary_lands_on_payday_every_month(tx: pd.DataFrame, users: pd.DataFrame) -> None:
    salary = tx[(tx["category"] == "salary") & tx["description"].str.contains("/SALARY ")].copy()
    salary["ts"] = pd.to_datetime(salary["timestamp"])
    assert (salary["direction"] == "credit").all()
    assert salary["description"].str.match(r"NEFT/CR/[A-Z ]+/SALARY [A-Z]{3}$").all()
    per_month = salary.groupby(["user_id", salary["ts"].dt.to_period("M")]).size()
    assert len(per_month) == USERS * MONTHS and (per_month == 1).all()
    merged = salary.merge(users[["user_id", "payday", "monthly_salary"]], on="user_id")
    assert (merged["ts"].dt.dayofweek < 5).all()  # paid on working days only
    fixed = merged[merged["payday"] < 29]
    assert ((fixed["ts"].dt.day >= fixed["payday"]) & (fixed["ts"].dt.day <= fixed["payday"] + 5)).all()
    last = merged[merged["payday"] == 31]
    assert (last["ts"].dt.days_in_month - last["ts"].dt.day <= 5).all()
    assert (merged["amount"] >= merged["monthly_salary"] - 1).all()


def test_rent_and_emi_on_fixed_days(normal: pd.DataFrame, users: pd.DataFrame) -> None:
    for category, flag, day_col in (("rent", "monthly_rent", "rent_day"), ("emi", "monthly_emi", "emi_day")):
        payers = users[users[flag] > 0]
        assert len(payers) > 0
        rows = normal[normal["category"] == category].merge(payers[["user_id", day_col]], on="user_id")
        assert set(rows["user_id"]) == set(payers["user_id"])
        assert (rows["ts"].dt.day == rows[day_col]).all()
        assert (rows.groupby("user_id").size() == MONTHS).all()


def test_bills_and_subscriptions_use_known_payees(normal: pd.DataFrame) -> None:
    merchants = set(normal["merchant"].dropna())
    for name in ("Swiggy", "Zomato", "BigBasket", "Blinkit", "Amazon", "Flipkart", "IRCTC", "Uber", "Netflix",
                 "Jio", "Airtel", "Indian Oil", "Apollo Pharmacy"):
        assert name in merchants, name
    assert normal["category"].str.fullmatch(r"[a-z_]+").all()
    assert normal["category"].nunique() >= 10
    upi = normal[normal["channel"] == "upi"]["description"]
    assert upi.str.match(r"UPI/(DR|CR)/\d{12}/[A-Z0-9 .*]+/[A-Z]{4}/[a-z0-9]+@[a-z]+/").all()
    pos = normal[(normal["channel"] == "card") & normal["city"].notna()]["description"]
    assert pos.str.match(r"POS \d{4} [A-Z0-9 .*]+ [A-Z]+$").all()


def test_offline_rows_carry_home_coordinates(normal: pd.DataFrame, users: pd.DataFrame) -> None:
    placed = normal[normal["city"].notna()].merge(users[["user_id", "city", "home_latitude"]], on="user_id")
    assert (placed["city_x"] == placed["city_y"]).all()
    assert np.allclose(placed["latitude"], placed["home_latitude"])
    assert normal[normal["city"].isna()]["latitude"].isna().all()


def test_diwali_month_shopping_beats_the_median_month(normal: pd.DataFrame) -> None:
    shop = normal[normal["category"] == "shopping"]
    monthly = shop.groupby(shop["ts"].dt.to_period("M"))["amount"].sum()
    diwali = pd.Period("2025-10", "M")  # Diwali fell on 2025-10-20
    assert monthly[diwali] > 1.25 * monthly.median()


def test_weekends_bring_more_dining(normal: pd.DataFrame) -> None:
    dining = normal[normal["category"].isin(["dining", "entertainment"])]
    per_day = dining.groupby(dining["ts"].dt.dayofweek).size()
    assert per_day[[5, 6]].mean() > 1.3 * per_day[[0, 1, 2]].mean()


def test_no_groceries_or_bills_in_the_small_hours(normal: pd.DataFrame) -> None:
    night = normal["ts"].dt.hour.between(1, 4)
    assert set(normal[night]["category"]) <= {"food_delivery", "transport"}


def test_income_bands_scale_spending(normal: pd.DataFrame, users: pd.DataFrame) -> None:
    debits = normal[(normal["direction"] == "debit") & ~normal["category"].isin(["rent", "emi"])]
    spend = debits.groupby("user_id")["amount"].sum().rename("spend").reset_index()
    by_band = spend.merge(users, on="user_id").groupby("income_band")["spend"].median()
    assert by_band["low"] < by_band["middle"] < by_band["upper_middle"]


def test_users_table() -> None:
    people = generate_users(400, seed=2)
    assert {"user_id", "city", "city_tier", "income_band", "monthly_salary", "payday", "home_latitude",
            "home_longitude", "age"} <= set(people.columns)
    assert set(people["income_band"]) == {"low", "middle", "upper_middle", "high"}
    assert set(people["city_tier"]) == {1, 2, 3}
    assert people["city"].nunique() >= 15
    assert people["age"].between(21, 62).all() and (people["monthly_salary"] > 0).all()
    assert people["home_latitude"].between(8, 32).all() and people["home_longitude"].between(68, 92).all()
    medians = people.groupby("income_band")["monthly_salary"].median()
    assert medians["low"] < medians["middle"] < medians["upper_middle"] < medians["high"]


def test_festivals_come_from_the_holidays_calendar() -> None:
    cal = build_calendar(date(2024, 11, 1), 14)
    diwali = [cal.days[0] + np.timedelta64(i, "D") for i in cal.festivals["diwali"]]
    holi = [cal.days[0] + np.timedelta64(i, "D") for i in cal.festivals["holi"]]
    assert np.datetime64("2025-10-20") in diwali and np.datetime64("2025-03-14") in holi


def test_all_anomaly_kinds_are_injected_and_labelled(tx: pd.DataFrame) -> None:
    assert set(tx["anomaly_kind"]) == {"", *KINDS}
    assert ((tx["is_anomaly"] == 1) == (tx["anomaly_kind"] != "")).all()
    share = tx["is_anomaly"].sum() / (tx["direction"] == "debit").sum()
    assert 0.005 <= share <= 0.012
    assert (tx[tx["is_anomaly"] == 1]["direction"] == "debit").all()


def test_normal_rows_lack_anomaly_signatures(normal: pd.DataFrame) -> None:
    assert (normal["currency"] == "INR").all() and (normal["country"] == "IN").all()
    debits = normal[normal["direction"] == "debit"]
    assert (debits["amount"] >= 20).all()


def test_anomalies_look_like_their_kind(tx: pd.DataFrame, users: pd.DataFrame) -> None:
    ts = pd.to_datetime(tx["timestamp"])
    kind = tx["anomaly_kind"]
    foreign = tx[kind == "foreign_country"]
    assert (foreign["currency"] != "INR").all() and (foreign["country"] != "IN").all()
    assert foreign["latitude"].isna().all()
    assert ts[kind == "odd_hour"].dt.hour.between(1, 4).all()
    probes = tx[kind == "card_testing"]
    assert (probes["channel"] == "card").all()
    assert ((probes["amount"] <= 10) | (probes["amount"] >= 9000)).all()
    assert (probes["amount"] <= 10).sum() >= 3 * (probes["amount"] > 10).sum()
    burst = tx[kind == "rapid_burst"].assign(ts=ts)
    gaps = burst.groupby("user_id")["ts"].diff().dropna()
    assert (gaps < pd.Timedelta(minutes=2)).mean() > 0.8
    normal_rows = tx[kind == ""]
    usual = normal_rows.groupby(["user_id", "category"])["amount"].median()
    spikes = tx[kind == "amount_spike"]
    ratio = spikes["amount"].to_numpy() / usual.loc[list(zip(spikes["user_id"], spikes["category"], strict=True))]
    assert np.median(ratio) > 5
    far = tx[kind == "new_far_merchant"].merge(users[["user_id", "city"]], on="user_id")
    assert (far["city_x"] != far["city_y"]).all()
    seen = set(zip(normal_rows["user_id"], normal_rows["merchant"], strict=True))
    assert not any((u, m) in seen for u, m in zip(far["user_id"], far["merchant"], strict=True))


def test_applicants_validate_and_default_rate(applicants: pd.DataFrame) -> None:
    assert applicants["applicant_id"].is_unique
    fields = list(CreditApplication.model_fields)
    for record in applicants[fields].sample(500, random_state=1).to_dict(orient="records"):
        CreditApplication.model_validate(record)
    assert set(applicants["default"]) == {0, 1}
    assert 0.10 <= applicants["default"].mean() <= 0.15


def test_default_risk_rises_as_bureau_score_falls(applicants: pd.DataFrame) -> None:
    bins = pd.qcut(applicants["bureau_score"], 4, labels=False)
    rates = applicants.groupby(bins)["default"].mean()
    assert rates.is_monotonic_decreasing and rates.iloc[0] > 3 * rates.iloc[-1]
    dti_bins = pd.qcut(debt_to_income(applicants), 4, labels=False)
    assert applicants.groupby(dti_bins)["default"].mean().is_monotonic_increasing


def test_true_log_odds_rank_defaults(applicants: pd.DataFrame) -> None:
    assert COEFFICIENTS["bureau_score_per_100_above_700"] < 0 < COEFFICIENTS["debt_to_income"]
    log_odds = default_log_odds(applicants)
    order = np.argsort(log_odds)
    top, bottom = order[-len(order) // 5:], order[: len(order) // 5]
    assert applicants["default"].iloc[top].mean() > 4 * applicants["default"].iloc[bottom].mean()


def test_write_dataset_round_trips(tmp_path: Path) -> None:
    summary = write_dataset(tmp_path / "out", 8, 2, seed=3, n_applicants=200)
    paths = {k: Path(v) for k, v in summary["paths"].items()}
    assert set(paths) == {"transactions", "users", "applicants"} and all(p.is_file() for p in paths.values())
    loaded = load_transactions(paths["transactions"])
    assert len(loaded) == summary["counts"]["transactions"]
    assert summary["counts"]["anomalies"] == int(loaded["is_anomaly"].sum())
    direct = generate_transactions(8, 2, seed=3)
    assert list(loaded["transaction_id"]) == list(direct["transaction_id"])
    assert np.allclose(loaded["amount"], direct["amount"])
    assert len(pd.read_csv(paths["users"])) == 8 and len(pd.read_csv(paths["applicants"])) == 200


@pytest.mark.parametrize("kwargs", [{"n_users": 0, "months": 3}, {"n_users": 3, "months": 0},
                                    {"n_users": 3, "months": 3, "seed": -1}])
def test_bad_arguments_are_rejected(kwargs: dict[str, int]) -> None:
    with pytest.raises(InvalidInput, match=re.compile("must", re.I)):
        generate_transactions(**kwargs)
