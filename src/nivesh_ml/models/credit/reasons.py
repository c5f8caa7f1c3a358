"""Reason codes: the features whose TreeSHAP contributions raise risk most, phrased for a person.

High/low is judged against the training median of the feature, so a phrase never contradicts the data.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

MAX_REASONS = 3
MIN_CONTRIBUTION = 0.02  # log-odds; smaller pushes are noise, not reasons


def inr(value: float) -> str:
    """Rupees with Indian digit grouping: ₹1,20,000."""
    whole = f"{abs(round(value)):d}"
    if len(whole) > 3:
        head, tail = whole[:-3], whole[-3:]
        groups = [head[max(0, i - 2):i] for i in range(len(head), 0, -2)][::-1]
        whole = ",".join([*groups, tail])
    return ("-" if value < 0 else "") + "₹" + whole


def _pct(v: float) -> str:
    return f"{100 * v:.0f} %"


def _num(v: float) -> str:
    return f"{v:.0f}" if float(v).is_integer() else f"{v:.2f}".rstrip("0").rstrip(".")


Phrase = Callable[[float, bool], str]
# feature -> phrase(value, above_median) for the default (simulated applicant) model.
APPLICANT_PHRASES: dict[str, Phrase] = {
    "bureau_score": lambda v, hi: f"Bureau score of {v:.0f} is {'high' if hi else 'low'}",
    "credit_utilisation": lambda v, hi: f"Credit utilisation of {_pct(v)} is {'high' if hi else 'low'}",
    "debt_to_income": lambda v, hi: (f"Debt-to-income ratio of {_pct(v)} (existing EMIs plus the new loan's EMI)"
                                     f" is {'high' if hi else 'low'}"),
    "existing_emi": lambda v, hi: f"Existing EMIs of {inr(v)} a month are {'high' if hi else 'low'}",
    "monthly_income": lambda v, hi: f"Monthly income of {inr(v)} is {'high' if hi else 'low'}",
    "loan_amount": lambda v, hi: f"Requested loan of {inr(v)} is {'large' if hi else 'small'}",
    "loan_tenure_months": lambda v, hi: f"Loan tenure of {v:.0f} months is {'long' if hi else 'short'}",
    "employment_tenure_years": lambda v, hi: (f"Employment tenure of {_num(round(v, 1))} years is "
                                              f"{'long' if hi else 'short'}"),
    "recent_enquiries": lambda v, hi: f"{v:.0f} credit enquiries in the last 6 months",
    "past_delinquencies": lambda v, hi: f"{v:.0f} payments 30+ days late in the last 2 years",
    "age": lambda v, hi: f"Age of {v:.0f} is {'higher' if hi else 'lower'} than typical applicants",
    "dependents": lambda v, hi: f"{v:.0f} dependents is {'more' if hi else 'fewer'} than typical",
    "city_tier": lambda v, hi: f"Living in a tier-{v:.0f} city",
    "new_loan_emi": lambda v, hi: f"EMI of the new loan, {inr(v)} a month, is {'high' if hi else 'low'}",
    "loan_to_annual_income": lambda v, hi: (f"Loan of {_num(round(v, 1))}× annual income is "
                                            f"{'high' if hi else 'low'}"),
}
# Which side of typical is risky (+1: high values, -1: low values). A contribution that says otherwise is
# a model artefact, and "Employment tenure of 9 years is long" reads as nonsense as a reason for risk.
APPLICANT_RISKY_SIDE = {"bureau_score": -1, "credit_utilisation": 1, "debt_to_income": 1, "existing_emi": 1,
                        "monthly_income": -1, "loan_amount": 1, "employment_tenure_years": -1,
                        "recent_enquiries": 1, "past_delinquencies": 1, "age": -1, "dependents": 1,
                        "city_tier": 1, "new_loan_emi": 1, "loan_to_annual_income": 1}
APPLICANT_CATEGORY_LABELS = {"employment_type": "Employment type", "residence": "Residence status"}


def _is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def phrase(feature: str, value: Any, median: float | None, applicant: bool) -> str:
    """One reason, e.g. "Credit utilisation of 82 % is high" or "purpose = car (new) raises risk"."""
    if _is_missing(value):
        return f"{feature} is missing"
    if isinstance(value, str):
        label = APPLICANT_CATEGORY_LABELS.get(feature) if applicant else None
        return f"{label} '{value.replace('_', ' ')}' raises risk" if label else f"{feature} = {value} raises risk"
    number = float(value)
    if not math.isfinite(number):
        return f"{feature.replace('_', ' ').capitalize()} is extreme"
    above = median is None or number >= median
    if applicant and feature in APPLICANT_PHRASES:
        return APPLICANT_PHRASES[feature](number, above)
    side = "" if median is None else (" (high)" if above else " (low)")
    return f"{feature} = {_num(number)}{side} raises risk"


def reason_codes(features: Sequence[str], values: Mapping[str, Any], contributions: np.ndarray,
                 medians: Mapping[str, float | None], applicant: bool) -> list[dict[str, Any]]:
    """Top features pushing this applicant's risk up, largest first."""
    order = np.argsort(-contributions)
    out: list[dict[str, Any]] = []
    for i in order:
        if contributions[i] < MIN_CONTRIBUTION or len(out) == MAX_REASONS:
            break
        name = features[i]
        value = values.get(name)
        if applicant and not _on_risky_side(name, value, medians.get(name)):
            continue
        out.append({"feature": name, "value": None if _is_missing(value) else value,
                    "impact": round(float(contributions[i]), 4),
                    "text": phrase(name, value, medians.get(name), applicant)})
    return out


def _on_risky_side(feature: str, value: Any, median: float | None) -> bool:
    side = APPLICANT_RISKY_SIDE.get(feature)
    if side is None or median is None or _is_missing(value) or isinstance(value, str):
        return True
    number = float(value)
    return number > median if side > 0 else number < median
