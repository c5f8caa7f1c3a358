"""Entity values: MONEY → amount + currency, DATE → range, MERCHANT → canonical name, ACCOUNT → parts."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from typing import Any

from nivesh_ml.models.ner.dates import resolve_date
from nivesh_ml.models.ner.merchants import canonical_merchant, lookup_merchant
from nivesh_ml.text import money
from nivesh_ml.text.normalise import clean_text

MAX_VALUE_CHARS = 500  # an entity span; longer text is not one value

CURRENCIES = {**money.CURRENCIES, "lpa": "INR"}
MULTIPLIERS = money.SCALES
AMOUNT_WORDS = {"a": 1.0, "an": 1.0, "one": 1.0, "ek": 1.0, "two": 2.0, "do": 2.0, "three": 3.0, "teen": 3.0,
                "four": 4.0, "char": 4.0, "five": 5.0, "paanch": 5.0, "ten": 10.0, "das": 10.0,
                "half": 0.5, "aadha": 0.5, "dedh": 1.5, "dhai": 2.5}
_NUMBER = re.compile(rf"(?<![0-9,]){money.NUMBER}|(?<![0-9])\.[0-9]{{1,6}}+")
_WORD = re.compile(r"[a-z]+|[₹$€£¥]")


def parse_money(text: str, default_currency: str | None = "INR") -> dict[str, Any] | None:
    """``{"amount", "currency"}`` of a MONEY span ("₹1,20,000", "1.5 crore", "5k", "$120", "Rs. 500/-").

    An amount with no currency marker gets ``default_currency``; lakh and crore imply rupees.
    """
    text = clean_text(text, MAX_VALUE_CHARS)
    marked = money.parse_amount(text)
    if marked is not None and marked.start == 0 and marked.end >= len(text.rstrip()):
        currency = marked.currency or _scale_currency(marked.scale, default_currency)
        return {"amount": round(marked.amount, 2), "currency": currency}
    spelled = money.find_word_money(text)  # "thirty pounds", "seventy-five dollars", "two thousand euros"
    if spelled and spelled[0].start == 0 and spelled[0].end >= len(text.rstrip()):
        currency = spelled[0].currency or _scale_currency(spelled[0].scale, default_currency)
        return {"amount": round(spelled[0].amount, 2), "currency": currency}
    t = re.sub(r"(?<=[a-z])\.", " ", text.lower().replace("/-", " ").replace("us$", "$ "))
    found = _NUMBER.search(t)
    if found is not None:
        amount = money.to_number(found.group(0)) if found.group(0)[0] != "." else float(found.group(0))
        rest = t[:found.start()] + " " + t[found.end():]
    else:
        amount, rest = -1.0, t
    currency, multiplier, scale = None, 1.0, None
    for word in _WORD.findall(rest):
        if amount < 0 and word in AMOUNT_WORDS:
            amount = AMOUNT_WORDS[word]
        elif word in CURRENCIES and currency is None:
            currency = CURRENCIES[word]
        if word in MULTIPLIERS and multiplier == 1.0:
            multiplier, scale = MULTIPLIERS[word], word
    if amount < 0:
        return None
    return {"amount": round(amount * multiplier, 2), "currency": currency or _scale_currency(scale, default_currency)}


# Scale words only Indian English uses: an amount in lakh or crore is in rupees whatever else the text names.
_RUPEE_SCALES = frozenset({"l", "lakh", "lakhs", "lac", "lacs", "lpa", "cr", "crs", "crore", "crores", "karod"})


def _scale_currency(scale: str | None, default_currency: str | None) -> str | None:
    return "INR" if scale is not None and scale.lower() in _RUPEE_SCALES else default_currency


def normalise_entities(entities: Sequence[tuple[str, str]], reference: date) -> list[dict[str, Any] | None]:
    """The values of one text's ``(label, text)`` entities, in order.

    An amount with no currency marker takes the currency the text's other amounts name when they all name the
    same one ("it gave me 10 pounds instead of the 30" → 30 GBP); otherwise rupees (DESIGN.md §7).
    """
    values = [parse_money(text, None) if label == "MONEY" else normalise_value(label, text, reference)
              for label, text in entities]
    named = {v["currency"] for (label, _), v in zip(entities, values, strict=True)
             if label == "MONEY" and v is not None and v["currency"] is not None}
    default = next(iter(named)) if len(named) == 1 else "INR"
    for (label, _), value in zip(entities, values, strict=True):
        if label == "MONEY" and value is not None and value["currency"] is None:
            value["currency"] = default
    return values


# Banks first (a co-branded "Amazon Pay ICICI Credit Card" belongs to ICICI), then wallets and lenders.
BANKS = {"HDFC Bank": ("hdfc",), "ICICI Bank": ("icici",), "State Bank of India": ("sbi", "state bank"),
         "Axis Bank": ("axis",), "Kotak Mahindra Bank": ("kotak",), "IDFC FIRST Bank": ("idfc",),
         "Bank of Baroda": ("bank of baroda", "bob"), "Canara Bank": ("canara",), "Indian Bank": ("indian bank",),
         "Federal Bank": ("federal",), "Bandhan Bank": ("bandhan",), "Paytm Payments Bank": ("paytm payments",),
         "Yes Bank": ("yes bank",), "IndusInd Bank": ("indusind",), "RBL Bank": ("rbl",),
         "AU Small Finance Bank": ("au bank", "au small"), "Punjab National Bank": ("pnb", "punjab national"),
         "Union Bank of India": ("union bank",), "IDBI Bank": ("idbi",), "American Express": ("amex",
                                                                                             "american express"),
         "Standard Chartered": ("standard chartered", "stanchart"), "HSBC": ("hsbc",), "Citibank": ("citi",),
         "Bank of India": ("bank of india",), "Central Bank of India": ("central bank",)}
PROVIDERS = {"Paytm": ("paytm",), "Ola Money": ("ola money",), "Amazon Pay": ("amazon pay",),
             "PhonePe": ("phonepe",), "Bajaj Finance": ("bajaj",), "OneCard": ("onecard",), "Niyo": ("niyo",),
             "India Post": ("post office", "india post")}
ACCOUNT_TYPES = (("credit card", r"credit card|\bcc\b"), ("debit card", r"debit card|atm card"),
                 ("EMI card", r"emi card"), ("PPF account", r"\bppf\b"), ("NPS account", r"\bnps\b"),
                 ("Sukanya Samriddhi account", r"sukanya|\bssy\b"), ("NRE account", r"\bnre\b"),
                 ("NRO account", r"\bnro\b"), ("fixed deposit", r"\bfd\b|fixed deposit"),
                 ("recurring deposit", r"\brd\b|recurring deposit"),
                 ("home loan", r"home loan|housing loan"), ("car loan", r"car loan|auto loan"),
                 ("personal loan", r"personal loan"), ("education loan", r"education loan"),
                 ("gold loan", r"gold loan"), ("two-wheeler loan", r"two[- ]wheeler loan"), ("loan", r"\bloan\b"),
                 ("pay later", r"postpaid|pay later"), ("wallet", r"wallet"),
                 ("salary account", r"salary"), ("savings account", r"saving|\bsb\b"),
                 ("current account", r"current"), ("card", r"card\b|[0-9]{4,6}x{4,20}+[0-9]{2,4}"),
                 ("account", r"a/c|\bac\b|acct|account"))
_MASKED = re.compile(r"(?<![x*•.])(?:[x*•.]{2,}+|x) ?([0-9]{2,6})\b|"
                     r"(?:ending|ending in|ending with|no\.?) ([0-9]{3,6})\b|"
                     r"(?<![\w])[0-9]{4,6}x{2,20}+([0-9]{2,4})\b|(?<![\w])([0-9]{4})$")


def _first_alias(table: dict[str, tuple[str, ...]], t: str) -> str | None:
    best: tuple[int, str] | None = None
    for name, aliases in table.items():
        for alias in aliases:
            m = re.search(rf"\b{re.escape(alias)}\b", t)
            if m and (best is None or len(alias) > best[0]):
                best = (len(alias), name)
    return best[1] if best else None


def parse_account(text: str) -> dict[str, Any]:
    """``{"institution", "type", "last4"}`` of an ACCOUNT span; parts not written are ``None``."""
    t = clean_text(text.lower(), MAX_VALUE_CHARS).replace("\n", " ")
    institution = _first_alias(BANKS, t) or _first_alias(PROVIDERS, t)
    kind = next((name for name, pattern in ACCOUNT_TYPES if re.search(pattern, t)), None)
    masked = _MASKED.search(t)
    last4 = next((g for g in masked.groups() if g), None) if masked else None
    return {"institution": institution, "type": kind, "last4": last4[-4:] if last4 else None}


CATEGORIES = {"groceries": ("grocery", "groceries", "ration", "sabzi", "kirana", "instamart"),
              "food": ("food", "khana", "khane", "dining out", "bahar khana", "restaurant", "food delivery",
                       "food order"),
              "rent": ("rent", "kiraya", "ghar ka kiraya", "house rent"),
              "fuel": ("fuel", "petrol", "diesel", "cng"),
              "travel": ("travel", "trip", "flight", "train", "cab", "taxi", "safar"),
              "shopping": ("shopping", "clothes", "clothing", "online shopping", "kapde"),
              "entertainment": ("entertainment", "movies", "movie", "club membership"),
              "electricity": ("electricity", "bijli", "power"), "water": ("water", "paani"),
              "gas": ("gas", "gas cylinder", "lpg", "piped gas"),
              "utilities": ("utilities", "utility", "broadband", "internet", "dth", "mobile", "mobile recharge",
                            "recharge", "society maintenance", "home maintenance", "laundry"),
              "healthcare": ("healthcare", "medical", "medicines", "medicine", "dawai", "hospital", "ilaaj",
                             "doctor", "pharmacy"),
              "education": ("education", "school fees", "tuition fees", "padhai", "fees", "college fees"),
              "EMI": ("emi", "no cost emi", "loan emi"),
              "insurance premium": ("insurance premium", "premium", "health insurance", "car insurance",
                                    "insurance", "life insurance"),
              "subscriptions": ("subscriptions", "subscription", "ott"),
              "taxes": ("income tax", "property tax", "tax", "gst"),
              "personal care": ("personal care", "salon"),
              "gifts": ("gifts", "gift", "tohfa")}
_CATEGORY_INDEX = {alias: name for name, aliases in CATEGORIES.items() for alias in aliases}


def canonical_category(text: str) -> str:
    """A category's canonical name ("bijli" → "electricity", "Grocery" → "groceries"); else lower-cased text."""
    key = clean_text(text.strip().lower(), MAX_VALUE_CHARS).replace("\n", " ")
    return _CATEGORY_INDEX.get(key, key)


def normalise_value(label: str, text: str, reference: date) -> dict[str, Any] | None:
    """The normalised ``value`` of one entity; ``None`` when the text cannot be resolved."""
    if label == "MONEY":
        return parse_money(text)
    if label == "DATE":
        return resolve_date(text, reference)
    if label == "MERCHANT":
        known = lookup_merchant(text)
        return {"name": canonical_merchant(text), "category": known[1] if known else None}
    if label == "ACCOUNT":
        return parse_account(text)
    if label == "CATEGORY":
        return {"category": canonical_category(text)}
    return None
