"""The one money/number grammar: ``₹1,50,000``, ``Rs. 5k``, ``12 LPA``, ``1.5 crore``, ``$120``, ``2 thousand dollars``.

Advisor routing, the NER rules, narration parsing and NER value normalisation all read amounts through this
module. Every pattern is linear: digit runs are bounded and possessive, a number never starts inside another
number (lookbehind), and spaces are optional single characters (text is whitespace-collapsed first).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

# Currency markers (lower case) → ISO code. Prefix markers come before the number, suffix words after it.
CURRENCIES: Final[dict[str, str]] = {
    "₹": "INR", "rs": "INR", "rs.": "INR", "inr": "INR", "rupees": "INR", "rupee": "INR", "rupay": "INR",
    "rupaye": "INR", "rupaiye": "INR", "rupiya": "INR", "rupye": "INR", "rupiye": "INR", "re": "INR",
    "$": "USD", "us$": "USD", "usd": "USD", "dollars": "USD", "dollar": "USD", "€": "EUR", "eur": "EUR",
    "euro": "EUR", "euros": "EUR", "£": "GBP", "gbp": "GBP", "pounds": "GBP", "pound": "GBP", "aed": "AED",
    "dirham": "AED", "dirhams": "AED", "sgd": "SGD", "jpy": "JPY", "¥": "JPY", "cad": "CAD", "aud": "AUD"}
# Scale words (lower case) → multiplier; "lpa" (lakh per annum) also implies rupees.
SCALES: Final[dict[str, float]] = {
    "k": 1e3, "thousand": 1e3, "hazaar": 1e3, "hazar": 1e3, "hajar": 1e3, "hazzar": 1e3, "l": 1e5,
    "lakh": 1e5, "lakhs": 1e5, "lac": 1e5, "lacs": 1e5, "lpa": 1e5, "cr": 1e7, "crs": 1e7, "crore": 1e7,
    "crores": 1e7, "karod": 1e7, "m": 1e6, "mn": 1e6, "million": 1e6, "bn": 1e9, "billion": 1e9,
    "hundred": 1e2, "sau": 1e2}

_PREFIX = r"(?P<pre>₹|rs\.?|inr|us\$|\$|usd|€|eur|£|gbp|aed|sgd|¥)"
# 1,50,000 / 150,000 / 150000 / 1500.50 — at most 15 integer digits, never the tail of a longer number.
NUMBER: Final = r"(?:[0-9]{1,3}(?:,[0-9]{2,3})++|[0-9]{1,15}+)(?:\.[0-9]{1,6}+)?(?![0-9]|[.,][0-9])"
_NUM = rf"(?P<num>{NUMBER})"
_SCALE = (r"(?P<scale>thousand|hazaa?r|hajar|hazzar|lakhs?|lacs?|lpa|crores?|crs?|karod|million|mn|billion|bn|"
          r"hundred|k|l)(?![\w])")
_SUFFIX = (r"(?P<post>rupees?|rupaye|rupaiye|rupiya|rupye|rupiye|rupay|rs|inr|dollars?|usd|euros?|eur|pounds?|"
           r"gbp|aed|dirhams?)(?![\w])")
# A number counts as money with a currency marker before or after it, or a scale word.
MONEY_SOURCE: Final = (rf"(?<![\w.,$₹€£¥])(?:{_PREFIX} ?)?{_NUM}(?: ?{_SCALE})?(?: ?{_SUFFIX})?(?:/-)?"
                       r"(?(pre)|(?(scale)|(?(post)|(?!))))")
MONEY_RE: Final = re.compile(MONEY_SOURCE, re.IGNORECASE)
# Bank narrations write "Cr"/"Dr" for credit/debit after amounts: there only a currency prefix marks money.
PREFIXED_AMOUNT_RE: Final = re.compile(rf"(?<![\w.,$₹€£¥]){_PREFIX} ?{_NUM}(?:/-)?", re.IGNORECASE)
# A bare number of 3+ digits (or comma-grouped) that is not a percentage or a duration.
BARE_NUMBER_RE: Final = re.compile(r"(?<![\w.,])(?P<num>[0-9]{1,3}(?:,[0-9]{2,3})++|[0-9]{3,15}+)"
                                   r"(?![0-9]|[.,][0-9])(?! ?(?:%|percent\b|years?\b|yrs?\b|months?\b))",
                                   re.IGNORECASE)


@dataclass(frozen=True)
class MoneyMatch:
    """An amount found in text: value (scale applied), ISO currency (None when unmarked) and its span."""

    amount: float
    currency: str | None
    start: int
    end: int
    scale: str | None = None

    @property
    def span(self) -> tuple[int, int]:
        return self.start, self.end


def to_number(text: str) -> float:
    """``"1,50,000.5"`` → ``150000.5``."""
    return float(text.replace(",", ""))


def _from_match(m: re.Match[str]) -> MoneyMatch:
    scale = (m.group("scale") or "").lower() if "scale" in m.re.groupindex else ""
    marker = next((g.lower() for g in (m.groupdict().get("pre"), m.groupdict().get("post")) if g), None)
    currency = CURRENCIES.get(marker) if marker else ("INR" if scale == "lpa" else None)
    amount = to_number(m.group("num")) * SCALES.get(scale, 1.0)
    return MoneyMatch(amount=amount, currency=currency, start=m.start(), end=m.end(), scale=scale or None)


def find_money(text: str, *, prefixed_only: bool = False) -> list[MoneyMatch]:
    """Every amount marked as money (currency or scale word); ``prefixed_only``: a currency before it."""
    pattern = PREFIXED_AMOUNT_RE if prefixed_only else MONEY_RE
    return [_from_match(m) for m in pattern.finditer(text)]


def find_bare_numbers(text: str, minimum: float = 0.0) -> list[MoneyMatch]:
    """Unmarked numbers (3+ digits or comma-grouped) that are not percentages or durations."""
    found = (MoneyMatch(to_number(m.group("num")), None, m.start(), m.end()) for m in BARE_NUMBER_RE.finditer(text))
    return [m for m in found if m.amount >= minimum]


def parse_amount(text: str) -> MoneyMatch | None:
    """The first marked amount in ``text``, or None."""
    m = MONEY_RE.search(text)
    return _from_match(m) if m else None
