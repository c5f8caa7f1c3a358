"""Shared text handling: length caps, whitespace collapsing and the one money/number grammar."""

from nivesh_ml.text.money import MoneyMatch, find_money, parse_amount
from nivesh_ml.text.normalise import DEFAULT_MAX_CHARS, clean_text

__all__ = ["DEFAULT_MAX_CHARS", "MoneyMatch", "clean_text", "find_money", "parse_amount"]
