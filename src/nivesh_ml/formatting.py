"""Indian number formatting shared by every human-readable message (reasons, advisor replies)."""

from __future__ import annotations


def indian_grouping(value: float) -> str:
    """``1234567`` → ``12,34,567`` (lakh/crore grouping), rounded to whole units."""
    digits = str(round(abs(value)))
    head, tail = digits[:-3], digits[-3:]
    groups: list[str] = []
    while len(head) > 2:
        groups.insert(0, head[-2:])
        head = head[:-2]
    if head:
        groups.insert(0, head)
    return ("-" if value < 0 else "") + ",".join([*groups, tail])
