"""Grounding check for LLM replies: every figure in the reply must come from what the model was given.

The provider receives the answer passages (and the calculator results); a reply whose numbers are found in
neither (nor in the user's own words) is treated as ungrounded and the offline answer is used instead.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable

from nivesh_ml.advisor.providers.base import AdviceRequest, ToolCall
from nivesh_ml.advisor.providers.offline import describe_calculation

# A figure: digits with Indian or Western grouping and an optional decimal part (linear: one pass, no nesting).
NUMBER_RE = re.compile(r"(?<![\w.,])(?:[0-9]{1,3}+(?:,[0-9]{2,3}+)++|[0-9]++)(?:\.[0-9]++)?")
SMALL_NUMBER = 12  # list numbering, "3 steps", "2 accounts": too common to check
RELATIVE_TOLERANCE = 0.005  # "₹17.4 lakh" for ₹17.41 lakh is the same figure, rounded


def numbers(text: str) -> list[float]:
    """The figures written in ``text`` (commas removed)."""
    out = []
    for match in NUMBER_RE.finditer(text):
        try:
            out.append(float(match.group().replace(",", "")))
        except ValueError:  # pragma: no cover - the pattern only matches digits
            continue
    return out


def grounding_text(request: AdviceRequest, tool_calls: Iterable[ToolCall]) -> str:
    """Everything a reply's figures may come from: the prompt (passages, calculations, the user's data), the
    message, the conversation and every calculator run during the turn."""
    parts = [request.system, request.message, *(m.content for m in request.history)]
    parts += [p.text for p in request.passages]
    calls = [*tool_calls, *([request.calculation] if request.calculation else [])]
    for call in calls:
        parts += [json.dumps(call.arguments, default=str), json.dumps(call.result, default=str)]
        try:  # the sentence the offline answer would write (lakh/crore figures)
            parts.append(describe_calculation(call))
        except (KeyError, TypeError, ValueError):  # a model's call with arguments of its own choosing
            continue
    return "\n".join(parts)


def ungrounded_numbers(reply: str, request: AdviceRequest, tool_calls: Iterable[ToolCall] = ()) -> list[float]:
    """Figures of ``reply`` (above a dozen) that match no figure the model was given, to within half a percent."""
    allowed = sorted(set(numbers(grounding_text(request, tool_calls))))
    missing = []
    for value in numbers(reply):
        if value <= SMALL_NUMBER:
            continue
        if not any(abs(value - a) <= RELATIVE_TOLERANCE * max(abs(a), 1.0) for a in allowed):
            missing.append(value)
    return missing
