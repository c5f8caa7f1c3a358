"""The backfill's column-wise text check agrees with the schema's own rule (``str.strip``, length bounds)."""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd

from nivesh_ml.pipelines.backfill import STRIP_RANGES, _plain_text


def test_strip_ranges_are_exactly_what_python_strips() -> None:
    spaces = {i for i in range(sys.maxunicode + 1) if chr(i).isspace()}
    assert {i for a, b in STRIP_RANGES for i in range(a, b + 1)} == spaces


def _reference(values: list[object], max_length: int) -> list[bool]:
    return [isinstance(v, str) and 1 <= len(v) <= max_length and v.strip() == v for v in values]


def test_plain_text_matches_the_python_rule_on_awkward_values() -> None:
    edges = [chr(a) for a, _ in STRIP_RANGES] + [chr(b) for _, b in STRIP_RANGES]
    values: list[object] = ["Swiggy", "a b", "ünïcødé ₹", "", None, np.nan, "x" * 8, "x" * 9, "\u200bzero-width"]
    values += [e + "abc" for e in edges] + ["abc" + e for e in edges] + ["a" + e + "c" for e in edges]
    got = _plain_text(pd.Series(values, dtype=object), 8)
    assert got.tolist() == _reference(values, 8)


def test_a_column_arrow_cannot_read_is_checked_in_python() -> None:
    values: list[object] = ["ok", 5, 2.5, " pad", b"bytes"]
    assert _plain_text(pd.Series(values, dtype=object), 200).tolist() == [True, False, False, False, False]


def test_hostile_length_costs_linear_time_only() -> None:
    values = [" " * 200_000 + "x", "x" + "\u3000" * 200_000 + "y"]  # no backtracking: RE2 anchored class
    assert _plain_text(pd.Series(values, dtype=object), 500).tolist() == [False, False]
