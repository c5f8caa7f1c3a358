"""Cap and tidy user text before any regular expression runs over it.

Every pattern in the package is written for text where a whitespace run is one character; collapsing
runs first (in one linear pass) keeps patterns with optional spaces (`` ?``) exact and their cost linear.
"""

from __future__ import annotations

import re
from typing import Final

DEFAULT_MAX_CHARS: Final = 10_000
# One linear scan; ``+`` over a single class cannot backtrack into itself.
_SPACE_RUN: Final = re.compile(r"[^\S\n]*+\n\s*+|[^\S\n]++")


def _collapse(match: re.Match[str]) -> str:
    return "\n" if "\n" in match.group(0) else " "


def clean_text(text: str, max_chars: int = DEFAULT_MAX_CHARS) -> str:
    """``text`` cut to ``max_chars`` with each whitespace run collapsed to one space (or one newline)."""
    if max_chars < 0:
        raise ValueError("max_chars must be >= 0")
    return _SPACE_RUN.sub(_collapse, text[:max_chars])
