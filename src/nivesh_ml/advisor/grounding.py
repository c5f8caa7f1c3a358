"""Grounding check for LLM replies: every figure in the reply must come from what the model was given.

The provider receives the answer passages (and the calculator results); a reply whose numbers are found in
neither (nor in the user's own words) is treated as ungrounded and the offline answer is used instead.

A figure is read with its unit: ``₹2 lakh`` is 2,00,000 and ``₹1.5 crore`` is 1,50,00,000, so a reply may write
an amount the other way round from the passage ("₹1,50,000" for "₹1.5 lakh") but not change its size. Only bare
small whole numbers (list numbering, "3 steps", "10 years") are too common to check; rates ("9.5%"), amounts
("₹2 lakh") and decimals are checked however small.
"""

from __future__ import annotations

import json
import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from nivesh_ml.advisor.providers.base import AdviceRequest, ToolCall
from nivesh_ml.advisor.providers.offline import describe_calculation

# A figure: digits with Indian or Western grouping and an optional decimal part (linear: one pass, no nesting).
# Not inside a word or a grouped number, nor the decimals of one; "Rs.500" is a figure.
NUMBER_RE = re.compile(r"(?<![\w,])(?<![0-9]\.)(?:[0-9]{1,3}+(?:,[0-9]{2,3}+)++|[0-9]++)(?:\.[0-9]++)?")
# What follows a figure (matched at its end): a percentage, or an Indian/Western multiplier.
UNIT_RE = re.compile(r" ?(?:(%|per ?cent)|(lakhs?|lacs?|(?-i:L))|(crores?|cr)|(thousand|k))(?![A-Za-z])",
                     re.IGNORECASE)
CURRENCY_RE = re.compile(r"(?:₹|\brs\.?|\binr) ?$", re.IGNORECASE)  # matched on the few characters before a figure
SCALES = {2: 1e5, 3: 1e7, 4: 1e3}  # UNIT_RE group → multiplier
SMALL_NUMBER = 12  # bare whole numbers up to this are not checked
RELATIVE_TOLERANCE = 0.005  # "₹17.4 lakh" for ₹17.41 lakh is the same figure, rounded
# The prompt's sentence with today's date grounds no figure: its day and year would otherwise let a reply's
# "21 years" through on the 21st of a month, or "2026" in 2026.
_TODAY_RE = re.compile(r"Today is [0-9]{4}-[0-9]{2}-[0-9]{2}\.")


@dataclass(frozen=True)
class Figure:
    """One figure of a text: as written, its value with the unit applied, and whether it must be checked."""

    written: float
    value: float
    checked: bool  # a rate, an amount, a decimal or a whole number above SMALL_NUMBER


def figures(text: str) -> list[Figure]:
    """The figures of ``text`` with their units (one pass; each figure looks at a few characters around it)."""
    out = []
    for match in NUMBER_RE.finditer(text):
        digits = match.group().replace(",", "")
        written = float(digits)
        unit = UNIT_RE.match(text, match.end())
        scale = 1.0
        percent = False
        if unit is not None:
            percent = unit.group(1) is not None
            scale = next((SCALES[g] for g in SCALES if unit.group(g) is not None), 1.0)
        money = CURRENCY_RE.search(text[max(0, match.start() - 5):match.start()]) is not None
        checked = percent or money or scale != 1.0 or "." in digits or written > SMALL_NUMBER
        out.append(Figure(written, written * scale, checked))
    return out


def today_sentence(day: date) -> str:
    """The prompt's sentence that tells the model the date (left out of :func:`grounding_text`)."""
    return f"Today is {day.isoformat()}."


def numbers(text: str) -> list[float]:
    """The figures written in ``text`` (commas removed, units not applied)."""
    return [f.written for f in figures(text)]


def grounding_text(request: AdviceRequest, tool_calls: Iterable[ToolCall]) -> str:
    """Everything a reply's figures may come from: the prompt (passages, calculations, the user's data), the
    message, the conversation and every calculator run during the turn."""
    parts = [_TODAY_RE.sub("", request.system), request.message, *(m.content for m in request.history)]
    parts += [p.text for p in request.passages]
    calls = [*tool_calls, *([request.calculation] if request.calculation else [])]
    for call in calls:
        parts += [json.dumps(call.arguments, default=str), json.dumps(call.result, default=str)]
        try:  # the sentence the offline answer would write (lakh/crore figures)
            parts.append(describe_calculation(call))
        except (KeyError, TypeError, ValueError):  # a model's call with arguments of its own choosing
            continue
    return "\n".join(parts)


def _near(value: float, allowed: list[float]) -> bool:
    """Whether a figure of the sorted ``allowed`` is within tolerance of ``value`` (a binary search, so a long
    reply costs O(n log m), not n × m)."""
    slack = 2 * RELATIVE_TOLERANCE * max(abs(value), 1.0)  # wider than any allowed figure's own tolerance
    lo, hi = bisect_left(allowed, value - slack), bisect_right(allowed, value + slack)
    return any(abs(value - a) <= RELATIVE_TOLERANCE * max(abs(a), 1.0) for a in allowed[lo:hi])


def ungrounded_numbers(reply: str, request: AdviceRequest, tool_calls: Iterable[ToolCall] = ()) -> list[float]:
    """Figures of ``reply`` (units applied) that match no figure the model was given, to within half a percent.

    A given figure counts both as written and with its unit ("1.5 lakh" allows 1.5 and 1,50,000).
    """
    given = figures(grounding_text(request, tool_calls))
    allowed = sorted({f.written for f in given} | {f.value for f in given})
    return [f.value for f in figures(reply) if f.checked and not _near(f.value, allowed)]
