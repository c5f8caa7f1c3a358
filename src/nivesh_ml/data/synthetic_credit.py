"""Simulated loan applicants whose defaults follow a stated logistic process (docs/data.md).

A latent credit quality drives the bureau score, delinquencies, utilisation and enquiries; the
default then depends only on the observed fields through ``default_log_odds`` plus Gaussian noise
of sd ``NOISE_SD``, so a model's learned effects can be checked against the known truth.
"""

from __future__ import annotations

from typing import Final

import numpy as np
import pandas as pd

from nivesh_ml.data.schemas import CreditApplication
from nivesh_ml.errors import InvalidInput

ANNUAL_RATE: Final = 0.12  # rate used to turn a new loan into its EMI in the debt-to-income ratio
NOISE_SD: Final = 0.5
# Coefficients of the true log-odds of default; see default_log_odds for the exact terms.
COEFFICIENTS: Final[dict[str, float]] = {
    "intercept": -3.95,
    "bureau_score_per_100_above_700": -1.30,
    "debt_to_income": 2.40,
    "credit_utilisation": 1.10,
    "past_delinquencies": 0.40,
    "recent_enquiries": 0.12,
    "employment_tenure_years_capped_at_10": -0.06,
    "dependents": 0.08,
    "years_under_30": 0.03,
    "log_income_over_30000": -0.20,
}
EMPLOYMENT_EFFECT: Final[dict[str, float]] = {
    "salaried": 0.0, "self_employed": 0.30, "business": 0.20, "gig": 0.60, "unemployed": 1.20}
CITY_TIER_EFFECT: Final[dict[int, float]] = {1: 0.0, 2: 0.10, 3: 0.20}
RESIDENCE_EFFECT: Final[dict[str, float]] = {"owned": -0.25, "rented": 0.0, "family": -0.05}

_EMPLOYMENT = ("salaried", "self_employed", "business", "gig", "unemployed")
_EMPLOYMENT_P = (0.55, 0.18, 0.12, 0.12, 0.03)
_INCOME_MEDIAN = (45_000.0, 50_000.0, 70_000.0, 22_000.0, 12_000.0)
_TENURES = (12, 18, 24, 36, 48, 60, 84, 120, 180, 240)
_TENURE_P = (0.08, 0.07, 0.15, 0.2, 0.14, 0.16, 0.08, 0.05, 0.04, 0.03)
_CREDIT_STREAM = 3
FIELDS: Final[tuple[str, ...]] = tuple(CreditApplication.model_fields)


def emi(principal: np.ndarray | float, months: np.ndarray | int, annual_rate: float = ANNUAL_RATE) -> np.ndarray:
    """Equated monthly instalment of a loan (reducing balance, monthly compounding)."""
    r = annual_rate / 12
    growth = (1 + r) ** np.asarray(months, dtype=float)
    return np.asarray(principal, dtype=float) * r * growth / (growth - 1)


def debt_to_income(frame: pd.DataFrame) -> np.ndarray:
    """(existing EMI + the new loan's EMI at 12 %) / monthly income."""
    new = emi(frame["loan_amount"].to_numpy(float), frame["loan_tenure_months"].to_numpy(float))
    return (frame["existing_emi"].to_numpy(float) + new) / frame["monthly_income"].to_numpy(float)


def default_log_odds(frame: pd.DataFrame) -> np.ndarray:
    """The true log-odds of default of applicants (without the noise term)."""
    c = COEFFICIENTS
    return (c["intercept"]
            + c["bureau_score_per_100_above_700"] * (frame["bureau_score"].to_numpy(float) - 700) / 100
            + c["debt_to_income"] * debt_to_income(frame)
            + c["credit_utilisation"] * frame["credit_utilisation"].to_numpy(float)
            + c["past_delinquencies"] * frame["past_delinquencies"].to_numpy(float)
            + c["recent_enquiries"] * frame["recent_enquiries"].to_numpy(float)
            + c["employment_tenure_years_capped_at_10"]
            * np.minimum(frame["employment_tenure_years"].to_numpy(float), 10)
            + c["dependents"] * frame["dependents"].to_numpy(float)
            + c["years_under_30"] * np.maximum(30 - frame["age"].to_numpy(float), 0)
            + c["log_income_over_30000"] * np.log(frame["monthly_income"].to_numpy(float) / 30_000)
            + frame["employment_type"].map(EMPLOYMENT_EFFECT).to_numpy(float)
            + frame["city_tier"].map(CITY_TIER_EFFECT).to_numpy(float)
            + frame["residence"].map(RESIDENCE_EFFECT).to_numpy(float))


def _profile(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    age = np.clip(np.round(21 + rng.gamma(2.2, 6.0, n)), 21, 70).astype(np.int64)
    kind = rng.choice(len(_EMPLOYMENT), size=n, p=np.asarray(_EMPLOYMENT_P))
    income = (np.asarray(_INCOME_MEDIAN)[kind] * rng.lognormal(0.0, 0.55, n)
              * (1 + 0.015 * np.clip(age - 30, -8, 25)))
    tenure = np.minimum(rng.gamma(2.0, 2.5, n), age - 20.0)
    tenure = np.where(kind == _EMPLOYMENT.index("unemployed"), 0.0, np.round(tenure, 1))
    u = rng.random(n)
    own_p = np.clip((age - 22) / 40, 0.05, 0.7)
    return {
        "age": age,
        "monthly_income": np.round(np.maximum(income, 8000.0), -2),
        "employment_type": np.asarray(_EMPLOYMENT)[kind],
        "employment_tenure_years": np.clip(tenure, 0, 60),
        "city_tier": rng.choice(np.array([1, 2, 3]), size=n, p=[0.5, 0.32, 0.18]),
        "dependents": np.minimum(rng.poisson(np.where(age > 30, 1.3, 0.4)), 6),
        "residence": np.where(u < own_p, "owned", np.where(u < own_p + 0.2, "family", "rented")),
    }


def _credit_history(rng: np.random.Generator, n: int, income: np.ndarray) -> dict[str, np.ndarray]:
    quality = rng.normal(0.0, 1.0, n)  # latent: drives every bureau field, never the outcome directly
    score = np.clip(np.round(715 + 65 * quality + rng.normal(0, 25, n)), 300, 900).astype(np.int64)
    utilisation = np.clip(rng.beta(2.0, 5.0, n) - 0.12 * quality + rng.normal(0, 0.08, n), 0.0, 1.5)
    has_emi = rng.random(n) < 0.55
    tenure = np.asarray(_TENURES)[rng.choice(len(_TENURES), size=n, p=np.asarray(_TENURE_P))]
    new_share = rng.uniform(0.05, 0.5, n)
    loan = np.maximum(np.round(income * new_share / emi(1.0, tenure), -3), 10_000.0)
    return {
        "existing_emi": np.where(has_emi, np.round(income * rng.uniform(0.03, 0.45, n)), 0.0),
        "loan_amount": loan,
        "loan_tenure_months": tenure,
        "bureau_score": score,
        "credit_utilisation": np.round(utilisation, 3),
        "recent_enquiries": np.minimum(rng.poisson(np.exp(0.2 - 0.35 * quality)), 30),
        "past_delinquencies": np.minimum(rng.poisson(np.exp(-1.6 - 0.9 * quality)), 20),
    }


def generate_applicants(n: int, seed: int = 42) -> pd.DataFrame:
    """Loan applicants: ``applicant_id``, the CreditApplication fields and ``default`` (0/1, ~12 %)."""
    if n < 1 or seed < 0:
        raise InvalidInput(f"n must be at least 1 and seed non-negative, got n={n}, seed={seed}")
    rng = np.random.default_rng([seed, _CREDIT_STREAM])
    columns = _profile(rng, n)
    columns.update(_credit_history(rng, n, columns["monthly_income"]))
    frame = pd.DataFrame({"applicant_id": [f"a{i:06d}" for i in range(n)], **{f: columns[f] for f in FIELDS}})
    log_odds = default_log_odds(frame) + rng.normal(0.0, NOISE_SD, n)
    frame["default"] = (rng.random(n) < 1 / (1 + np.exp(-log_odds))).astype(np.int64)
    return frame
