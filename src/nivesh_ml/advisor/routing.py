"""Routing a message to a calculator and extracting its inputs (intent/NER models when loaded, else rules)."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from nivesh_ml.text import clean_text, find_money
from nivesh_ml.text.money import find_bare_numbers

log = logging.getLogger(__name__)

ModelLookup = Callable[[str], Any | None]

PERCENT_RE = re.compile(r"(?<![\w.])([0-9]{1,6}+(?:\.[0-9]{1,4}+)?) ?(?:%|percent\b|per cent\b|pc\b)", re.IGNORECASE)
YEARS_RE = re.compile(r"(?<![\w.])([0-9]{1,3}+(?:\.[0-9]{1,2}+)?) ?(?:years?|yrs?|saal|sal)\b(?! ?old)", re.IGNORECASE)
MONTHS_RE = re.compile(r"(?<![\w.])([0-9]{1,4}+) ?months?\b", re.IGNORECASE)
AGE_RE = re.compile(r"(?:\bi am|\bi'm|\bage(?:d| of| is)?|\bmeri umar) ?([0-9]{2})\b|"
                    r"(?<![\w.])([0-9]{2}) ?(?:years?|yrs?|saal) ?(?:old\b|(?:ka|ki) (?:hoon|hun|hu|hai)\b)",
                    re.IGNORECASE)
MONTHLY_RE = re.compile(r"\b(a|per|every|each|/) ?month\b|\bmonthly\b|\bmahina\b|\bmahine\b|\bp\.?m\.?\b",
                        re.IGNORECASE)
YEARLY_RE = re.compile(r"\b(a|per|every|each) ?(year|annum)\b|\bannual(ly)?\b|\byearly\b|\blpa\b|\bp\.?a\.?\b|"
                       r"\bctc\b", re.IGNORECASE)

# Financial years ("FY 2025-26", "2025-26") are dates, not amounts.
FINANCIAL_YEAR_RE = re.compile(r"\b(?:FY|AY)? ?20[0-9]{2}+ ?[-–/] ?[0-9]{2,4}+\b|\b(?:FY|AY) ?20[0-9]{2}+\b",
                               re.IGNORECASE)
MIN_TAX_INCOME = 50_000  # a smaller "income" is a misread number, not a salary

# First match wins: more specific questions first.
KEYWORD_ROUTES: list[tuple[str, re.Pattern[str]]] = [(name, re.compile(p, re.IGNORECASE)) for name, p in (
    ("emergency_fund", r"\bemergency\b"),
    ("loan_affordability", r"\bafford|\beligib|\bhow much (home |personal |car |education )?loan\b|\bfoir\b"),
    ("emi", r"\bemi\b|\binstal+ment\b"),
    ("fd_maturity", r"\bfd\b|\bfixed deposit\b|\bterm deposit\b"),
    ("ppf_maturity", r"\bppf\b"),
    ("retirement_corpus", r"\bretire|\bretirement\b|\bcorpus\b"),
    ("compare_tax_regimes", r"\bregime\b|\bincome tax\b|\btax (on|for|liability|kitna)\b|\bhow much tax\b"),
    ("sip_future_value", r"\bsip\b|\bevery month\b.{0,120}\binvest|\binvest\b.{0,120}\b(a|per|every) month\b"),
    ("lumpsum_future_value", r"\blump ?sum\b|\bone[- ]time\b|\binvest(ed)? once\b"),
)]
GROWTH_TOPICS = frozenset({"ppf_maturity", "sip_future_value", "lumpsum_future_value", "fd_maturity"})
RULE_RE = re.compile(r"\b(max(imum)?|min(imum)?|limits?|most|least|lock[- ]?in|eligib\w{0,6}|withdraw\w{0,4}|loan|"
                     r"rules?|interest rate|rate of interest|taxable|deduction|80c|still (add|deposit|invest|put))\b",
                     re.IGNORECASE)
OUTCOME_RE = re.compile(r"\b(maturity|mature|corpus|grow|become|get back|will i get|would i get|how much will|"
                        r"milega|banega|final amount|future value|worth)\b", re.IGNORECASE)
INTENT_ROUTES = {"loan_affordability": "emi", "retirement_planning": "retirement_corpus",
                 "tax_planning": "compare_tax_regimes", "savings_goal": "sip_future_value",
                 "investment_advice": "sip_future_value"}
MIN_INTENT_CONFIDENCE = 0.5
MAX_ROUTED_CHARS = 10_000  # the advice API accepts 4,000; nothing longer is worth routing


@dataclass
class Route:
    """Where a message goes and the numbers it carries."""

    topic: str = "general"
    intent: str | None = None
    amounts: list[float] = field(default_factory=list)
    percents: list[float] = field(default_factory=list)
    years: list[float] = field(default_factory=list)
    age: int | None = None
    monthly: bool = False
    yearly: bool = False
    used_models: list[str] = field(default_factory=list)


def rule_amounts(text: str) -> list[float]:
    """Money amounts written with ₹/Rs/INR, a multiplier (k, lakh, crore, LPA) or 'rupees'."""
    amounts = [m.amount for m in find_money(text)]
    if not amounts:  # bare numbers like "5000 a month" (not years, not percentages)
        amounts = [m.amount for m in find_bare_numbers(text, minimum=500)]
    return amounts


def _ner_amounts(model_lookup: ModelLookup, text: str) -> list[float] | None:
    predictor = model_lookup("ner")
    if predictor is None:
        return None
    try:
        output = predictor.predict_one(text)
    except Exception as exc:  # a model failure must not fail the advice turn
        log.warning("ner failed in advisor routing: %s", type(exc).__name__)
        return None
    entities = output.get("entities", []) if isinstance(output, dict) else output
    amounts = [float(e["value"]["amount"]) for e in entities or []
               if e.get("label") == "MONEY" and isinstance(e.get("value"), dict) and e["value"].get("amount")]
    return amounts or None


def _intent(model_lookup: ModelLookup, text: str) -> str | None:
    predictor = model_lookup("intent")
    if predictor is None:
        return None
    try:
        output = predictor.predict_one(text)
    except Exception as exc:
        log.warning("intent failed in advisor routing: %s", type(exc).__name__)
        return None
    if float(output.get("confidence", 0.0)) < MIN_INTENT_CONFIDENCE:
        return None
    return str(output.get("intent"))


def route_message(text: str, model_lookup: ModelLookup | None = None) -> Route:
    """The calculator topic and the numbers of a (redacted) message."""
    lookup: ModelLookup = model_lookup or (lambda _name: None)
    text = clean_text(text, MAX_ROUTED_CHARS)
    route = Route()
    route.intent = _intent(lookup, text)
    if route.intent is not None:
        route.used_models.append("intent")
    keyword = next((name for name, pattern in KEYWORD_ROUTES if pattern.search(text)), None)
    route.topic = keyword or INTENT_ROUTES.get(route.intent or "", "general")
    ner = _ner_amounts(lookup, text)
    if ner is not None:
        route.used_models.append("ner")
    route.amounts = ner if ner is not None else rule_amounts(FINANCIAL_YEAR_RE.sub(" ", text))
    route.percents = [float(m.group(1)) for m in PERCENT_RE.finditer(text)]
    age = AGE_RE.search(text)
    route.age = int(age.group(1) or age.group(2)) if age else None
    route.years = [float(m.group(1)) for m in YEARS_RE.finditer(text)
                   if not (route.age and float(m.group(1)) == route.age)]
    route.years += [int(m.group(1)) / 12 for m in MONTHS_RE.finditer(text)]
    route.monthly = bool(MONTHLY_RE.search(text))
    route.yearly = bool(YEARLY_RE.search(text))
    return route


def _monthly(route: Route, amount: float) -> float:
    return amount / 12 if route.yearly and not route.monthly else amount


def _yearly(route: Route, amount: float) -> float:
    return amount * 12 if route.monthly and not route.yearly else amount


def asks_a_rule(text: str) -> bool:
    """True when a message with numbers asks about a limit or rule ("I put 1 lakh in PPF, how much more can I
    add?"), not about what the money grows to: the guides answer it, not a growth calculator."""
    text = text[:MAX_ROUTED_CHARS]
    return RULE_RE.search(text) is not None and OUTCOME_RE.search(text) is None


def calculator_arguments(route: Route, monthly_spend: float | None = None,
                         text: str | None = None) -> dict[str, Any] | None:
    """Inputs for the routed calculator, or None when the message lacks the numbers it needs (or, given its
    ``text``, asks a rule that a growth calculator does not answer)."""
    if text is not None and route.topic in GROWTH_TOPICS and asks_a_rule(text):
        return None
    amount = max(route.amounts) if route.amounts else None
    rate = route.percents[0] if route.percents else None
    years = route.years[0] if route.years else None
    topic = route.topic
    if topic == "emi" and amount and rate is not None and years:
        return {"principal": amount, "annual_rate_pct": rate, "years": years}
    if topic == "loan_affordability" and amount:
        return {"monthly_income": _monthly(route, amount), "annual_rate_pct": rate or 8.5, "years": years or 20}
    if topic == "sip_future_value" and amount and years:
        return {"monthly_investment": amount, "annual_return_pct": rate or 12.0, "years": years}
    if topic == "lumpsum_future_value" and amount and years:
        return {"amount": amount, "annual_return_pct": rate or 10.0, "years": years}
    if topic == "ppf_maturity" and amount:
        return {"yearly_deposit": _yearly(route, amount), "years": int(years or 15)}
    if topic == "fd_maturity" and amount and rate is not None and years:
        return {"principal": amount, "annual_rate_pct": rate, "years": years}
    if topic == "compare_tax_regimes" and amount and _yearly(route, amount) >= MIN_TAX_INCOME:
        return {"gross_income": _yearly(route, amount)}
    if topic == "retirement_corpus" and (amount or monthly_spend) and route.age:
        return {"monthly_expenses": _monthly(route, amount) if amount else monthly_spend, "current_age": route.age}
    if topic == "emergency_fund" and (amount or monthly_spend):
        return {"monthly_expenses": _monthly(route, amount) if amount else monthly_spend}
    return None
