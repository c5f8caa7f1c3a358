"""Calculators against hand-worked examples (and the worked examples in the knowledge base)."""

from __future__ import annotations

import pytest

from nivesh_ml.advisor import calculators as calc
from nivesh_ml.errors import InvalidInput


def test_emi_of_30_lakh_at_8_5_pct_for_20_years() -> None:
    result = calc.emi(3_000_000, 8.5, 20)
    assert result["emi"] == 26_035
    assert result["months"] == 240
    assert result["total_interest"] == pytest.approx(3_248_327, abs=50)


def test_sip_of_5000_for_10_years_at_12_pct_is_about_11_62_lakh() -> None:
    result = calc.sip_future_value(5_000, 12, 10)
    assert round(result["future_value"] / 1e5, 2) == 11.62
    assert result["invested"] == 600_000


def test_lumpsum_doubles_in_about_7_years_at_10_pct() -> None:
    assert calc.lumpsum_future_value(100_000, 10, 10)["future_value"] == 259_374
    assert 190_000 < calc.lumpsum_future_value(100_000, 10, 7)["future_value"] < 200_000


def test_ppf_1_5_lakh_for_15_years_at_7_1_pct() -> None:
    result = calc.ppf_maturity(150_000)
    assert round(result["maturity_value"] / 1e5, 2) == 40.68
    assert result["invested"] == 2_250_000
    with pytest.raises(InvalidInput):
        calc.ppf_maturity(200_000)  # above the yearly limit


@pytest.mark.parametrize(("gross", "regime", "kwargs", "tax"), [
    (1_500_000, "new", {}, 97_500),  # taxable 14.25 L: 20k + 40k + 33.75k + 4% cess
    (1_000_000, "old", {"deductions_80c": 150_000, "deductions_80d": 25_000}, 70_200),
    (1_000_000, "new", {}, 0),  # rebate u/s 87A up to 12 L taxable
    (1_275_000, "new", {}, 0),  # 12.75 L salary is tax-free with the standard deduction
    (1_290_000, "new", {}, 15_600),  # marginal relief: tax capped at the 15k above 12 L, + cess
    (550_000, "old", {}, 0),  # old-regime rebate up to 5 L taxable
])
def test_income_tax_fy_2025_26(gross: float, regime: str, kwargs: dict[str, float], tax: int) -> None:
    assert calc.income_tax(gross, regime, **kwargs)["tax"] == tax  # type: ignore[arg-type]


def test_regime_comparison_picks_the_lower_tax() -> None:
    result = calc.compare_tax_regimes(1_500_000)
    assert result["better"] == "new" and result["new"]["tax"] == 97_500
    heavy = calc.compare_tax_regimes(2_000_000, deductions_80c=150_000, deductions_80d=75_000,
                                     nps_80ccd1b=50_000, home_loan_interest=200_000, hra_exemption=400_000)
    assert heavy["old"]["tax"] < calc.income_tax(2_000_000, "old")["tax"]


def test_loan_affordability_uses_foir() -> None:
    result = calc.loan_affordability(100_000, 8.5, 20, existing_emis=10_000)
    assert result["max_emi"] == 40_000
    # the affordable loan's EMI is the allowed EMI
    assert calc.emi(result["max_loan"], 8.5, 20)["emi"] == pytest.approx(40_000, abs=2)


def test_retirement_corpus_grows_with_expenses_and_shrinks_with_savings() -> None:
    base = calc.retirement_corpus(50_000, 30)
    assert base["yearly_expenses_at_retirement"] == pytest.approx(50_000 * 12 * 1.06 ** 30, rel=1e-6)
    assert calc.retirement_corpus(80_000, 30)["corpus_needed"] > base["corpus_needed"]
    assert calc.retirement_corpus(50_000, 30, current_savings=2_000_000)["monthly_sip_needed"] < base[
        "monthly_sip_needed"]


def test_emergency_fund_months() -> None:
    assert calc.emergency_fund(40_000)["target"] == 240_000
    assert calc.emergency_fund(40_000, dependents=2, income_stable=False)["months"] == 12
    assert calc.emergency_fund(40_000, current_savings=100_000)["shortfall"] == 140_000


def test_bad_inputs_are_invalid_input() -> None:
    with pytest.raises(InvalidInput):
        calc.emi(-5, 8, 10)
    with pytest.raises(InvalidInput):
        calc.sip_future_value(5000, 120, 10)
    with pytest.raises(InvalidInput):
        calc.retirement_corpus(50_000, 70, retirement_age=60)


def test_tools_have_schemas_and_report_errors_to_the_model() -> None:
    names = {s["name"] for s in calc.tool_schemas()}
    assert {"emi", "sip_future_value", "ppf_maturity", "compare_tax_regimes", "loan_affordability",
            "retirement_corpus", "emergency_fund", "lumpsum_future_value", "fd_maturity"} == names
    assert calc.run_tool("emi", {"principal": 3_000_000, "annual_rate_pct": 8.5, "years": 20})["emi"] == 26_035
    assert "error" in calc.run_tool("emi", {"principal": 1})
    assert "error" in calc.run_tool("nope", {})
