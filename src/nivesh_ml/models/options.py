"""Turning CLI/pipeline options (``--param key=value``: strings, or JSON values) into a family's parameters."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import fields
from typing import Any, TypeVar

from nivesh_ml.errors import InvalidInput

ParamsT = TypeVar("ParamsT")


def flag(value: Any) -> bool:
    """A yes/no option from the CLI (``--param blend=false``) or JSON (``false``)."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise ValueError(value)


def mapping(value: Any) -> dict[str, Any]:
    """A JSON object, given as one or as its text."""
    if isinstance(value, str):
        value = json.loads(value)
    if not isinstance(value, Mapping):
        raise ValueError(value)
    return dict(value)


def whole(value: Any) -> int:
    """An integer that refuses to truncate (``2.5`` is an error, ``2.0`` and ``"2"`` are 2)."""
    if isinstance(value, bool):
        raise ValueError(value)
    number = float(value)
    if not number.is_integer():
        raise ValueError(value)
    return int(number)


CONVERTERS: dict[str, Callable[[Any], Any]] = {"int": whole, "float": float, "bool": flag, "str": str,
                                               "dict[str, Any]": mapping}


def parse_options(cls: type[ParamsT], family: str, options: Mapping[str, Any]) -> ParamsT:
    """``cls(**options)`` with each value converted to its field's type.

    ``None`` means "the default". An unknown key or a value of the wrong type raises ``InvalidInput`` naming it.
    """
    known = {f.name: str(f.type) for f in fields(cls)}  # type: ignore[arg-type]
    values: dict[str, Any] = {}
    for key, value in options.items():
        if value is None:
            continue
        if key not in known:
            raise InvalidInput(f"unknown {family} option {key!r}; expected one of {', '.join(sorted(known))}",
                               details={"option": key})
        kind = known[key].removesuffix(" | None")
        try:
            values[key] = CONVERTERS[kind](value)
        except (TypeError, ValueError) as exc:
            raise InvalidInput(f"{family} option {key} must be a {kind}, got {value!r}",
                               details={"option": key}) from exc
    return cls(**values)


def check_ranges(family: str, params: Any, checks: Mapping[str, bool]) -> None:
    """Raise ``InvalidInput`` naming every option whose check failed, with its value."""
    bad = [name for name, ok in checks.items() if not ok]
    if bad:
        raise InvalidInput(f"invalid {family} option(s): {', '.join(f'{b}={getattr(params, b)!r}' for b in bad)}",
                           details={"options": bad})
