"""Patterns for personal data that must never be logged or sent to a third party."""

from __future__ import annotations

import re
from typing import Final

# Order matters: longer, more specific patterns first.
PII_PATTERNS: Final[list[tuple[str, re.Pattern[str]]]] = [
    # Indian mobiles written with a +91 / 0 prefix and no separator would otherwise read as Aadhaar/account.
    ("PHONE", re.compile(r"(?:(?<![\w+])\+91[ -]?|(?<![\w+])0)[6-9]\d{9}\b")),
    ("EMAIL", re.compile(r"\b[\w.+-]+@[\w-]+\.[\w.-]+\b")),
    ("UPI_ID", re.compile(r"\b[\w.-]{2,}@(?:ok)?[a-z]{2,}\b", re.IGNORECASE)),
    ("PAN", re.compile(r"\b[A-Z]{5}\d{4}[A-Z]\b", re.IGNORECASE)),
    ("CARD", re.compile(r"\b(?:\d[ -]?){12,18}\d\b")),
    ("AADHAAR", re.compile(r"\b[2-9]\d{3}[ -]?\d{4}[ -]?\d{4}\b")),
    ("PHONE", re.compile(r"(?:\+91[ -]?|\b0)?\b[6-9]\d{4}[ -]?\d{5}\b")),
    ("ACCOUNT", re.compile(r"\b\d{9,18}\b")),
    ("MASKED_ACCOUNT", re.compile(r"\b(?:a/?c|acct|account)\s*(?:no\.?|number)?\s*[:#]?\s*[xX*]*\d{3,}\b",
                                  re.IGNORECASE)),
]


def mask_pii(text: str) -> tuple[str, list[str]]:
    """Replace personal identifiers with ``[KIND]`` placeholders; return the text and the kinds found."""
    found: list[str] = []
    for kind, pattern in PII_PATTERNS:
        text, n = pattern.subn(f"[{kind}]", text)
        if n:
            found.append(kind)
    return text, found
