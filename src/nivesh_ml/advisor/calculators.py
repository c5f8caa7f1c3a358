"""Personal-finance calculators (pure functions), also exposed as LLM tools with JSON schemas."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from nivesh_ml.errors import InvalidInput

Result = dict[str, Any]


def _positive(name: str, value: float, allow_zero: bool = False) -> float:
    value = float(value)
    if math.isnan(value) or value < 0 or (value == 0 and not allow_zero):
        raise InvalidInput(f"{name} must be {'>= 0' if allow_zero else '> 0'}", details={name: value})
    return value


def _rate(name: str, percent: float) -> float:
    if not 0 <= float(percent) <= 50:
        raise InvalidInput(f"{name} must be a yearly percentage between 0 and 50", details={name: percent})
    return float(percent) / 100


def _years(name: str, years: float, limit: float = 60) -> float:
    if not 0 < float(years) <= limit:
        raise InvalidInput(f"{name} must be between 0 and {limit} years", details={name: years})
    return float(years)


def sip_future_value(monthly_investment: float, annual_return_pct: float, years: float) -> Result:
    """Future value of a monthly SIP (investment at the start of each month, monthly compounding)."""
    p = _positive("monthly_investment", monthly_investment)
    i = _rate("annual_return_pct", annual_return_pct) / 12
    n = round(_years("years", years) * 12)
    fv = p * n if i == 0 else p * ((1 + i) ** n - 1) / i * (1 + i)
    invested = p * n
    return {"future_value": round(fv), "invested": round(invested), "gain": round(fv - invested), "months": n}


def lumpsum_future_value(amount: float, annual_return_pct: float, years: float) -> Result:
    """Future value of a one-time investment compounded yearly."""
    p = _positive("amount", amount)
    fv = p * (1 + _rate("annual_return_pct", annual_return_pct)) ** _years("years", years)
    return {"future_value": round(fv), "invested": round(p), "gain": round(fv - p)}


def ppf_maturity(yearly_deposit: float, years: int = 15, rate_pct: float = 7.1) -> Result:
    """PPF balance when the yearly deposit is made by 5 April each year (annual compounding)."""
    deposit = _positive("yearly_deposit", yearly_deposit)
    if not 500 <= deposit <= 150_000:
        raise InvalidInput("PPF deposits must be between ₹500 and ₹1.5 lakh a year", details={"deposit": deposit})
    n = int(_years("years", years, limit=50))
    if n < 15:
        raise InvalidInput("a PPF account runs at least 15 years", details={"years": years})
    r = _rate("rate_pct", rate_pct)
    value = deposit * n if r == 0 else deposit * ((1 + r) ** n - 1) / r * (1 + r)
    return {"maturity_value": round(value), "invested": round(deposit * n),
            "interest": round(value - deposit * n), "rate_pct": rate_pct, "years": n}


def fd_maturity(principal: float, annual_rate_pct: float, years: float, compounding_per_year: int = 4) -> Result:
    """Maturity value of a cumulative fixed deposit (banks compound quarterly), before tax and TDS."""
    p = _positive("principal", principal)
    r = _rate("annual_rate_pct", annual_rate_pct)
    t = _years("years", years, limit=20)
    m = int(compounding_per_year)
    if m not in (1, 2, 4, 12):
        raise InvalidInput("compounding_per_year must be 1, 2, 4 or 12", details={"compounding_per_year": m})
    value = p * (1 + r / m) ** (m * t)
    return {"maturity_value": round(value), "interest": round(value - p), "invested": round(p)}


def emi(principal: float, annual_rate_pct: float, years: float) -> Result:
    """Monthly EMI of a reducing-balance loan, with total interest."""
    p = _positive("principal", principal)
    r = _rate("annual_rate_pct", annual_rate_pct) / 12
    n = round(_years("years", years, limit=40) * 12)
    payment = p / n if r == 0 else p * r * (1 + r) ** n / ((1 + r) ** n - 1)
    return {"emi": round(payment), "total_payment": round(payment * n), "total_interest": round(payment * n - p),
            "months": n}


def loan_affordability(monthly_income: float, annual_rate_pct: float, years: float,
                       existing_emis: float = 0.0, foir_pct: float = 50.0) -> Result:
    """Largest loan whose EMI keeps all EMIs within the FOIR share of monthly income."""
    income = _positive("monthly_income", monthly_income)
    existing = _positive("existing_emis", existing_emis, allow_zero=True)
    if not 10 <= foir_pct <= 70:
        raise InvalidInput("foir_pct must be between 10 and 70", details={"foir_pct": foir_pct})
    max_emi = max(income * foir_pct / 100 - existing, 0.0)
    r = _rate("annual_rate_pct", annual_rate_pct) / 12
    n = round(_years("years", years, limit=40) * 12)
    factor = n if r == 0 else ((1 + r) ** n - 1) / (r * (1 + r) ** n)
    return {"max_emi": round(max_emi), "max_loan": round(max_emi * factor), "foir_pct": foir_pct, "months": n}


NEW_SLABS = [(400_000, 0.0), (800_000, 0.05), (1_200_000, 0.10), (1_600_000, 0.15), (2_000_000, 0.20),
             (2_400_000, 0.25), (math.inf, 0.30)]
OLD_SLABS = [(250_000, 0.0), (500_000, 0.05), (1_000_000, 0.20), (math.inf, 0.30)]
SURCHARGE = [(5_000_000, 0.0), (10_000_000, 0.10), (20_000_000, 0.15), (50_000_000, 0.25), (math.inf, 0.37)]


def _slab_tax(income: float, slabs: list[tuple[float, float]]) -> float:
    tax, lower = 0.0, 0.0
    for upper, rate in slabs:
        if income > lower:
            tax += (min(income, upper) - lower) * rate
        lower = upper
    return tax


def _old_slabs(age: int) -> list[tuple[float, float]]:
    exempt = 500_000 if age >= 80 else 300_000 if age >= 60 else 250_000
    return [(exempt, 0.0)] + [(u, r) for u, r in OLD_SLABS if u > exempt]


def _with_surcharge_and_cess(tax: float, taxable: float, cap: float) -> float:
    rate = next(r for upper, r in SURCHARGE if taxable <= upper)
    return (tax * (1 + min(rate, cap))) * 1.04


def income_tax(gross_income: float, regime: str = "new", age: int = 30, salaried: bool = True,
               deductions_80c: float = 0.0, deductions_80d: float = 0.0, nps_80ccd1b: float = 0.0,
               home_loan_interest: float = 0.0, hra_exemption: float = 0.0, other_deductions: float = 0.0) -> Result:
    """Income tax for FY 2025-26 (AY 2026-27) under the old or new regime, incl. 87A rebate and 4 % cess."""
    gross = _positive("gross_income", gross_income, allow_zero=True)
    if regime not in ("new", "old"):
        raise InvalidInput("regime must be 'new' or 'old'", details={"regime": regime})
    if regime == "new":
        taxable = max(gross - (75_000 if salaried else 0), 0.0)
        tax = _slab_tax(taxable, NEW_SLABS)
        # 87A rebate up to ₹12 lakh; above it, marginal relief: tax cannot exceed the income above ₹12 lakh
        tax = 0.0 if taxable <= 1_200_000 else min(tax, taxable - 1_200_000)
        total = _with_surcharge_and_cess(tax, taxable, cap=0.25)
        deductions = 75_000.0 if salaried else 0.0
    else:
        deductions = ((50_000 if salaried else 0) + min(deductions_80c, 150_000) + min(nps_80ccd1b, 50_000)
                      + deductions_80d + min(home_loan_interest, 200_000) + hra_exemption + other_deductions)
        taxable = max(gross - deductions, 0.0)
        tax = _slab_tax(taxable, _old_slabs(age))
        if taxable <= 500_000:
            tax = max(tax - 12_500, 0.0)
        total = _with_surcharge_and_cess(tax, taxable, cap=0.37)
    return {"regime": regime, "taxable_income": round(taxable), "deductions": round(deductions),
            "tax": round(total), "effective_rate_pct": round(100 * total / gross, 2) if gross else 0.0}


def compare_tax_regimes(gross_income: float, age: int = 30, salaried: bool = True, deductions_80c: float = 0.0,
                        deductions_80d: float = 0.0, nps_80ccd1b: float = 0.0, home_loan_interest: float = 0.0,
                        hra_exemption: float = 0.0, other_deductions: float = 0.0) -> Result:
    """Old vs new regime tax for FY 2025-26 and which one is lower."""
    old = income_tax(gross_income, "old", age, salaried, deductions_80c, deductions_80d, nps_80ccd1b,
                     home_loan_interest, hra_exemption, other_deductions)
    new = income_tax(gross_income, "new", age, salaried)
    better = "new" if new["tax"] <= old["tax"] else "old"
    return {"old": old, "new": new, "better": better, "saving": abs(old["tax"] - new["tax"])}


def retirement_corpus(monthly_expenses: float, current_age: int, retirement_age: int = 60,
                      life_expectancy: int = 85, inflation_pct: float = 6.0, pre_retirement_return_pct: float = 10.0,
                      post_retirement_return_pct: float = 7.0, current_savings: float = 0.0) -> Result:
    """Corpus needed at retirement for inflation-linked expenses, and the monthly SIP that reaches it."""
    expenses = _positive("monthly_expenses", monthly_expenses)
    if not 18 <= current_age < retirement_age < life_expectancy <= 110:
        raise InvalidInput("need 18 <= current_age < retirement_age < life_expectancy <= 110",
                           details={"current_age": current_age, "retirement_age": retirement_age})
    inflation = _rate("inflation_pct", inflation_pct)
    post = _rate("post_retirement_return_pct", post_retirement_return_pct)
    pre = _rate("pre_retirement_return_pct", pre_retirement_return_pct)
    years_to_go = retirement_age - current_age
    years_retired = life_expectancy - retirement_age
    first_year = expenses * 12 * (1 + inflation) ** years_to_go
    growth = (1 + inflation) / (1 + post)
    annuity = years_retired if abs(post - inflation) < 1e-9 else (1 - growth ** years_retired) / (1 - growth)
    corpus = first_year * annuity  # withdrawals at the start of each retirement year
    savings_fv = _positive("current_savings", current_savings, allow_zero=True) * (1 + pre) ** years_to_go
    gap = max(corpus - savings_fv, 0.0)
    i, n = pre / 12, years_to_go * 12
    sip = gap / n if i == 0 else gap / (((1 + i) ** n - 1) / i * (1 + i))
    return {"corpus_needed": round(corpus), "yearly_expenses_at_retirement": round(first_year),
            "current_savings_future_value": round(savings_fv), "monthly_sip_needed": round(sip),
            "years_to_retirement": years_to_go}


def emergency_fund(monthly_expenses: float, months: int | None = None, dependents: int = 0,
                   income_stable: bool = True, current_savings: float = 0.0) -> Result:
    """Emergency fund target: 6 months of expenses, more with dependents or unstable income."""
    expenses = _positive("monthly_expenses", monthly_expenses)
    if months is None:
        months = 6 + (3 if not income_stable else 0) + (3 if dependents > 0 else 0)
    if not 1 <= months <= 24:
        raise InvalidInput("months must be between 1 and 24", details={"months": months})
    target = expenses * months
    saved = _positive("current_savings", current_savings, allow_zero=True)
    return {"target": round(target), "months": months, "shortfall": round(max(target - saved, 0.0))}


Tool = tuple[Callable[..., Result], str, dict[str, Any], list[str]]

_NUM = {"type": "number"}
_INT = {"type": "integer"}
TOOLS: dict[str, Tool] = {
    "sip_future_value": (sip_future_value, "Future value of a monthly SIP.",
                         {"monthly_investment": _NUM, "annual_return_pct": _NUM, "years": _NUM},
                         ["monthly_investment", "annual_return_pct", "years"]),
    "lumpsum_future_value": (lumpsum_future_value, "Future value of a one-time investment.",
                             {"amount": _NUM, "annual_return_pct": _NUM, "years": _NUM},
                             ["amount", "annual_return_pct", "years"]),
    "ppf_maturity": (ppf_maturity, "PPF maturity value for a yearly deposit (current rate 7.1%).",
                     {"yearly_deposit": _NUM, "years": _INT, "rate_pct": _NUM}, ["yearly_deposit"]),
    "fd_maturity": (fd_maturity, "Maturity value of a cumulative fixed deposit (quarterly compounding).",
                    {"principal": _NUM, "annual_rate_pct": _NUM, "years": _NUM, "compounding_per_year": _INT},
                    ["principal", "annual_rate_pct", "years"]),
    "emi": (emi, "Monthly EMI and total interest of a loan.",
            {"principal": _NUM, "annual_rate_pct": _NUM, "years": _NUM}, ["principal", "annual_rate_pct", "years"]),
    "loan_affordability": (loan_affordability, "Largest affordable loan under a FOIR limit (default 50%).",
                           {"monthly_income": _NUM, "annual_rate_pct": _NUM, "years": _NUM,
                            "existing_emis": _NUM, "foir_pct": _NUM},
                           ["monthly_income", "annual_rate_pct", "years"]),
    "compare_tax_regimes": (compare_tax_regimes, "Old vs new regime income tax for FY 2025-26.",
                            {"gross_income": _NUM, "age": _INT, "salaried": {"type": "boolean"},
                             "deductions_80c": _NUM, "deductions_80d": _NUM, "nps_80ccd1b": _NUM,
                             "home_loan_interest": _NUM, "hra_exemption": _NUM, "other_deductions": _NUM},
                            ["gross_income"]),
    "retirement_corpus": (retirement_corpus, "Retirement corpus needed and monthly SIP to reach it.",
                          {"monthly_expenses": _NUM, "current_age": _INT, "retirement_age": _INT,
                           "life_expectancy": _INT, "inflation_pct": _NUM, "pre_retirement_return_pct": _NUM,
                           "post_retirement_return_pct": _NUM, "current_savings": _NUM},
                          ["monthly_expenses", "current_age"]),
    "emergency_fund": (emergency_fund, "Emergency fund target and shortfall.",
                       {"monthly_expenses": _NUM, "months": _INT, "dependents": _INT,
                        "income_stable": {"type": "boolean"}, "current_savings": _NUM}, ["monthly_expenses"]),
}


def tool_schemas() -> list[dict[str, Any]]:
    """Function declarations (name, description, JSON-schema parameters) of every calculator."""
    return [{"name": name, "description": doc,
             "parameters": {"type": "object", "properties": props, "required": required}}
            for name, (_, doc, props, required) in TOOLS.items()]


def run_tool(name: str, arguments: dict[str, Any]) -> Result:
    """Run a calculator by name; bad names or arguments come back as ``{"error": ...}`` for the model."""
    tool = TOOLS.get(name)
    if tool is None:
        return {"error": f"unknown tool {name!r}"}
    func, _, props, _ = tool
    args = {k: v for k, v in (arguments or {}).items() if k in props}
    try:
        return func(**args)
    except InvalidInput as exc:
        return {"error": exc.message}
    except (TypeError, ValueError, OverflowError) as exc:
        return {"error": f"bad arguments for {name}: {exc}"}
