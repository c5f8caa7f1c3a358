"""Spending series from real-looking bank data (issue 20, rule 2): each hygiene rule on a small hand-made history."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from nivesh_ml.models.spending.series import CASH, spend_history
from nivesh_ml.models.spending.training import holdout_case
from tests.unit.models.test_spending import CHEAP, toy_user


def _row(ts: str, amount: float, category: str | None, direction: str = "debit", **extra: Any) -> dict[str, Any]:
    return {"user_id": "u1", "timestamp": ts, "amount": amount, "category": category, "direction": direction,
            **extra}


def _months(n: int = 4) -> list[dict[str, Any]]:
    """Groceries of 1,000 on the 2nd and 28th of each month from 2024-01 (complete months)."""
    return [_row(f"2024-{m:02d}-{d:02d}T10:00:00", 1000.0, "groceries") for m in range(1, n + 1) for d in (2, 28)]


def test_a_marked_refund_is_netted_against_its_purchase_in_the_purchase_month() -> None:
    rows = _months()
    rows.append(_row("2024-02-10T10:00:00", 5000.0, "shopping", merchant="Amazon"))
    rows.append(_row("2024-03-05T10:00:00", 5000.0, "Refunds", "credit", merchant="AMAZON"))
    rows.append(_row("2024-03-06T10:00:00", 1500.0, None, "credit", merchant="Flipkart", description="REFUND"))
    history = spend_history(rows)
    assert "shopping" not in history.categories  # refunded in full: no spending left
    assert history.total.tolist() == [2000.0, 2000.0, 2000.0, 2000.0]  # the unmatched refund changes nothing
    assert history.meta["refunds_netted"] == 1


def test_a_partial_refund_and_an_unmarked_reversal_of_the_same_amount_are_netted() -> None:
    rows = _months()
    rows.append(_row("2024-02-10T10:00:00", 5000.0, "shopping", merchant="Myntra"))
    rows.append(_row("2024-02-20T10:00:00", 2000.0, "shopping", "credit", merchant="Myntra",
                     description="UPI/REV/4711"))
    rows.append(_row("2024-03-10T10:00:00", 799.0, "dining", merchant="Zomato"))
    rows.append(_row("2024-03-11T10:00:00", 799.0, None, "credit", merchant="Zomato"))  # no marker, same amount
    rows.append(_row("2024-03-12T10:00:00", 300.0, None, "credit", merchant="Zomato"))  # not a reversal
    history = spend_history(rows)
    assert history.amounts.loc["2024-02", "shopping"] == 3000.0
    assert "dining" not in history.categories


@pytest.mark.parametrize("category,description", [
    ("Self Transfer", None), ("own-account-transfer", None), ("CC Bill", None), ("credit card payment", None),
    (None, "NEFT TO OWN A/C 1234"), (None, "BILLDESK CREDIT CARD PAYMENT HDFC"), ("other", "CC BILL PAY 4432")])
def test_own_account_transfers_and_card_bills_are_not_spending_under_any_spelling(
        category: str | None, description: str | None) -> None:
    rows = _months()
    rows.append(_row("2024-02-15T10:00:00", 40000.0, category, description=description))
    assert spend_history(rows).total.tolist() == [2000.0] * 4
    # Counting every debit is still possible when asked for explicitly.
    assert spend_history(rows, exclude=()).total[1] == 42000.0


def test_cash_withdrawals_under_any_spelling_are_one_category() -> None:
    rows = _months()
    rows += [_row("2024-01-15T10:00:00", 2000.0, "ATM"), _row("2024-02-15T10:00:00", 3000.0, "Cash Withdrawal"),
             _row("2024-03-15T10:00:00", 500.0, "cash"), _row("2024-04-15T10:00:00", 700.0, None,
                                                               description="ATM WDL MG ROAD")]
    history = spend_history(rows)
    assert CASH in history.categories and "atm" not in history.categories and "cash" not in history.categories
    assert history.amounts[CASH].tolist() == [2000.0, 3000.0, 500.0, 700.0]


def test_a_month_without_any_transaction_is_missing_not_zero_and_never_scored() -> None:
    rows = [r for r in toy_user(months=15) if not r["timestamp"].startswith("2023-06")]
    history = spend_history(rows)
    assert history.missing_months == ["2023-06"]
    june = history.amounts.loc["2023-06"]
    assert june["rent"] == 15000.0 and june["groceries"] > 0  # each category's median month, not zero
    # A month with only a salary credit is a real month without spending (not missing).
    rows.append(_row("2023-06-01T09:00:00", 60000.0, "salary", "credit"))
    assert spend_history(rows).missing_months == []
    # A held-out month that is a gap in the data is not scored.
    gap_at_end = [r for r in toy_user(months=15) if not r["timestamp"].startswith("2024-02")]
    history = spend_history(gap_at_end)
    assert history.missing_months == ["2024-02"]
    from nivesh_ml.models.spending.selection import ForecastConfig

    assert holdout_case("u1", history, 3, ForecastConfig(eligible=CHEAP)) is None


def test_partial_months_at_either_end_are_dropped() -> None:
    rows = [r for r in toy_user(months=6) if r["timestamp"] >= "2023-01-16"]  # data starts mid-January
    rows.append(_row("2023-07-05T10:00:00", 999.0, "groceries"))  # and ends early in July
    history = spend_history(rows)
    assert [str(m) for m in history.months] == ["2023-02", "2023-03", "2023-04", "2023-05", "2023-06"]
    assert history.dropped_first_month == "2023-01" and history.dropped_partial_month == "2023-07"
    # A last month whose data runs to its end (a credit on the 30th) is complete, even if spending stopped early.
    rows.append(_row("2023-07-30T10:00:00", 10.0, "interest", "credit"))
    assert str(spend_history(rows).months[-1]) == "2023-07"
    assert np.isfinite(spend_history(rows).total).all()


def test_the_noisy_simulator_exercises_every_rule_and_the_series_builder_recovers_consumption() -> None:
    from nivesh_ml.data.synthetic import generate_transactions
    from nivesh_ml.data.synthetic_messy import RealDataNoise, consumption_truth

    clean = generate_transactions(4, 15, seed=11)
    noisy = generate_transactions(4, 15, seed=11, noise=RealDataNoise(missing_user_share=1.0, seed=3))
    assert generate_transactions(4, 15, seed=11).equals(clean)  # the default generator is unchanged
    assert not noisy["transaction_id"].duplicated().any()
    added = noisy[~noisy["transaction_id"].isin(clean["transaction_id"])]
    assert {"CC Bill", "Self Transfer", "refunds"} <= set(added["category"].dropna())
    assert added["description"].str.contains("CREDIT CARD PAYMENT").any()
    assert {"ATM", "Cash"} & set(noisy["category"].dropna())
    truth = consumption_truth(clean, noisy)
    for user, rows in noisy.groupby("user_id"):
        history = spend_history(rows.to_dict("records"))
        assert len(history.missing_months) == 1  # every user lost one month
        observed = [m for m in history.months if str(m) not in history.missing_months]
        got = history.amounts.sum(axis=1).loc[observed].to_numpy()
        want = truth[user].reindex(observed).to_numpy()
        # Card bills (as large as a month's card spending) and own transfers excluded, refunds netted: each month
        # within 5 % of true consumption, 1 % on average (the simulator's own refunds, not in the truth, differ).
        assert np.all(np.abs(got - want) <= 0.05 * want), (user, got / want)
        assert np.mean(np.abs(got / want - 1)) < 0.01, (user, got / want)


def test_hygiene_off_is_the_behaviour_before_the_rules_for_the_per_rule_benchmark() -> None:
    rows = _months()
    rows.append(_row("2024-02-15T10:00:00", 40000.0, "CC Bill"))  # a card bill: counted again without hygiene
    rows.append(_row("2024-03-10T10:00:00", 5000.0, "shopping", merchant="Amazon"))
    rows.append(_row("2024-03-12T10:00:00", 5000.0, "Refunds", "credit", merchant="Amazon"))
    rows.append(_row("2024-04-15T10:00:00", 700.0, "ATM"))
    assert spend_history(rows).total.tolist() == [2000.0, 2000.0, 2000.0, 2700.0]
    raw = spend_history(rows, hygiene=False)
    assert raw.total.tolist() == [2000.0, 42000.0, 7000.0, 2700.0]
    assert "atm" in raw.categories and CASH not in raw.categories
    gap = [r for r in toy_user(months=15) if not r["timestamp"].startswith("2023-06")]
    assert spend_history(gap, hygiene=False).amounts.loc["2023-06"].sum() == 0.0  # a false zero, as before
