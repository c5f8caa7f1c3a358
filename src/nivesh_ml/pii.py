"""Patterns for personal data that must never be logged or sent to a third party.

Text is capped and whitespace-collapsed before any pattern runs, and every pattern is linear (bounded runs,
no adjacent unbounded quantifiers, lookbehinds so a match never restarts inside a run). Card numbers must pass
Luhn and Aadhaar numbers Verhoeff, and amounts marked as money (``₹1,50,00,000``, ``Rs 15000000000000``) are
left alone, so large rupee figures are not mistaken for identifiers.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any, Final

from nivesh_ml.text.money import MONEY_RE
from nivesh_ml.text.normalise import clean_text

MAX_MASKED_CHARS: Final = 20_000
_SEP = r"[ .\n-]"  # separators people put inside card, Aadhaar and phone numbers (after whitespace collapsing)

# Verhoeff tables (Aadhaar's check digit).
_D = [[0, 1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 2, 3, 4, 0, 6, 7, 8, 9, 5], [2, 3, 4, 0, 1, 7, 8, 9, 5, 6],
      [3, 4, 0, 1, 2, 8, 9, 5, 6, 7], [4, 0, 1, 2, 3, 9, 5, 6, 7, 8], [5, 9, 8, 7, 6, 0, 4, 3, 2, 1],
      [6, 5, 9, 8, 7, 1, 0, 4, 3, 2], [7, 6, 5, 9, 8, 2, 1, 0, 4, 3], [8, 7, 6, 5, 9, 3, 2, 1, 0, 4],
      [9, 8, 7, 6, 5, 4, 3, 2, 1, 0]]
_P = [[0, 1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 5, 7, 6, 2, 8, 3, 0, 9, 4], [5, 8, 0, 3, 7, 9, 6, 1, 4, 2],
      [8, 9, 1, 6, 0, 4, 3, 5, 2, 7], [9, 4, 5, 3, 1, 2, 6, 8, 7, 0], [4, 2, 8, 6, 5, 7, 3, 9, 0, 1],
      [2, 7, 9, 3, 8, 0, 6, 4, 1, 5], [7, 0, 4, 6, 9, 1, 3, 2, 5, 8]]


def luhn_valid(digits: str) -> bool:
    """True when ``digits`` (0-9 only) passes the Luhn check used by payment cards."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return bool(digits) and total % 10 == 0


def verhoeff_valid(digits: str) -> bool:
    """True when ``digits`` (0-9 only) passes the Verhoeff check used by Aadhaar."""
    c = 0
    for i, ch in enumerate(reversed(digits)):
        c = _D[c][_P[i % 8][int(ch)]]
    return bool(digits) and c == 0


def _digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())


def _card_number(text: str) -> bool:
    """Luhn-valid digits, and not a decimal number (one dot, no other separator: ``1764785361.123456``)."""
    if text.count(".") == 1 and text.replace(".", "").isdigit():
        return False
    return luhn_valid(_digits(text))


Check = Callable[[str], bool]
# Order matters: longer, more specific patterns first. A check, when present, must accept the digits.
PII_PATTERNS: Final[list[tuple[str, re.Pattern[str], Check | None]]] = [
    # Indian mobiles written with a +91 / 0 prefix and no separator would otherwise read as Aadhaar/account.
    ("PHONE", re.compile(r"(?:(?<![\w+])\+91[ .-]?|(?<![\w+])0)[6-9][0-9]{9}(?![\w])"), None),
    ("EMAIL", re.compile(r"(?<![\w.+-])[\w.+-]++@[\w-]++(?:\.[\w-]++)+"), None),
    ("UPI_ID", re.compile(r"(?<![\w.-])[\w.-]{2,}+@(?:ok)?[a-z]{2,}+(?![\w])", re.IGNORECASE), None),
    ("PAN", re.compile(r"(?<![\w])[A-Z]{5}[0-9]{4}[A-Z](?![\w])", re.IGNORECASE), None),
    ("CARD", re.compile(rf"(?<![\w.,])[0-9](?:{_SEP}?[0-9]){{12,18}}(?![\w]|[.,][0-9])"),
     _card_number),
    ("AADHAAR", re.compile(rf"(?<![\w.,])[2-9][0-9]{{3}}({_SEP}?)[0-9]{{4}}\1[0-9]{{4}}(?![\w]|[.,][0-9])"),
     lambda m: verhoeff_valid(_digits(m))),
    ("PHONE", re.compile(rf"(?:(?<![\w+])\+91{_SEP}?|(?<![\w.,+])0|(?<![\w.,+]))[6-9][0-9]{{4}}{_SEP}?[0-9]{{5}}"
                         r"(?![\w]|[.,][0-9])"), None),
    ("ACCOUNT", re.compile(r"(?<![\w.,])[0-9]{9,}+(?![\w]|[.,][0-9])"), None),
    # Digits grouped like a card or Aadhaar whose checksum fails: still an identifier (typo'd or test data).
    ("ACCOUNT", re.compile(rf"(?<![\w.,])[0-9]{{4}}({_SEP})[0-9]{{4}}(?:\1[0-9]{{4}}){{1,2}}(?![\w]|[.,][0-9])"),
     None),
    ("MASKED_ACCOUNT", re.compile(r"(?<![\w/])(?:a/?c|acct|account)(?: ?(?:no\.?|number))?(?: ?[:#])? ?"
                                  r"[xX*]{0,16}+[0-9]{3,18}+(?![\w])", re.IGNORECASE), None),
]

_HOLD: Final = "\ue000"  # private-use characters stand in for amounts while identifiers are masked
_HELD: Final = re.compile("\ue000([\ue100-\uf0ff])")


def _hold_amounts(text: str) -> tuple[str, list[str]]:
    """``text`` with currency-marked amounts replaced by placeholders no PII pattern matches."""
    held: list[str] = []

    def hold(m: re.Match[str]) -> str:
        if not (m.group("pre") or m.group("post")) or len(held) >= 0x1000:
            return m.group(0)
        held.append(m.group(0))
        return _HOLD + chr(0xE100 + len(held) - 1)

    return MONEY_RE.sub(hold, text), held


def _restore(text: str, held: list[str]) -> str:
    if not held:
        return text
    return _HELD.sub(lambda m: held[ord(m.group(1)) - 0xE100], text)


def mask_pii(text: str, max_chars: int = MAX_MASKED_CHARS) -> tuple[str, list[str]]:
    """Replace personal identifiers with ``[KIND]`` placeholders; return the text and the kinds found.

    The text is cut to ``max_chars`` and its whitespace runs collapsed first.
    """
    text, held = _hold_amounts(clean_text(text, max_chars).replace(_HOLD, "\ufffd"))
    found: list[str] = []
    for kind, pattern, check in PII_PATTERNS:
        hits = [0]
        text = pattern.sub(functools.partial(_replacement, kind=kind, check=check, hits=hits), text)
        if hits[0] and kind not in found:
            found.append(kind)
    return _restore(text, held), found


def _replacement(m: re.Match[str], kind: str, check: Check | None, hits: list[int]) -> str:
    if check is not None and not check(m.group(0)):
        return m.group(0)
    hits[0] += 1
    return f"[{kind}]"


def mask_value(value: Any, _depth: int = 0) -> Any:
    """``value`` with PII masked in every string, dict key included, through nested dicts/lists/tuples."""
    if isinstance(value, str):
        return mask_pii(value)[0]
    if _depth > 20:
        return "[TRUNCATED]"
    if isinstance(value, dict):
        return {mask_value(k, _depth + 1) if isinstance(k, str) else k: mask_value(v, _depth + 1)
                for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        masked = [mask_value(v, _depth + 1) for v in value]
        return tuple(masked) if isinstance(value, tuple) else masked
    return value
