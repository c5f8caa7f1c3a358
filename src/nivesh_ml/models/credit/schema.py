"""The feature schema a credit model is trained on: detected from a CSV or fixed by ``CreditApplication``.

The schema travels in ``model.json`` (``feature_schema``) and is what the API validates ``applicant_data``
against: every field must be present, no unknown field, numbers for numeric fields, strings for categorical
ones (``null`` means "missing", which the model handles natively).
"""

from __future__ import annotations

import math
import typing
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import ValidationError

from nivesh_ml.data.schemas import CreditApplication
from nivesh_ml.errors import InvalidInput

Kind = Literal["numeric", "categorical"]
MAX_CATEGORIES = 64
ID_LIKE_UNIQUE_SHARE = 0.9


@dataclass
class FieldSpec:
    """One input field: its name, kind, categories (categorical) and training range (numeric)."""

    name: str
    kind: Kind
    categories: list[str] = field(default_factory=list)
    minimum: float | None = None
    maximum: float | None = None
    median: float | None = None
    integer: bool = False
    nullable: bool = True
    limits: bool = False  # minimum/maximum are enforced limits, not just the range seen in training

    def describe(self) -> str:
        """The expected type in words, as shown in a 422 answer."""
        if self.kind == "categorical":
            return "string, one of " + ", ".join(self.categories[:20]) + (
                " ..." if len(self.categories) > 20 else "")
        kind = "integer" if self.integer else "number"
        if self.minimum is not None and self.maximum is not None:
            span = "allowed" if self.limits else "seen in training"
            kind += f" ({span} {_fmt(self.minimum)} to {_fmt(self.maximum)})"
        return kind + (" or null" if self.nullable else "")


@dataclass
class FeatureSchema:
    """The input fields of a credit model, its target, and whether applicant-derived features apply."""

    fields: list[FieldSpec]
    target: str
    positive: str
    applicant: bool = False
    excluded: list[str] = field(default_factory=list)

    @property
    def names(self) -> list[str]:
        """Input field names in model order."""
        return [f.name for f in self.fields]

    def expected(self) -> dict[str, str]:
        """Field name → expected type in words."""
        return {f.name: f.describe() for f in self.fields}

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form stored in ``model.json``."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FeatureSchema:
        """Rebuild from ``to_dict`` output."""
        fields = [FieldSpec(**f) for f in data["fields"]]
        return cls(fields=fields, target=data["target"], positive=data["positive"],
                   applicant=bool(data.get("applicant", False)), excluded=list(data.get("excluded", [])))

    def validate(self, record: Any) -> dict[str, Any]:
        """Check one ``applicant_data`` object; raise InvalidInput listing every problem and the schema."""
        if not isinstance(record, Mapping):
            self._reject([{"field": None, "error": "applicant_data must be a JSON object"}])
        if self.applicant:
            return self._validate_application(record)
        errors = [{"field": k, "error": "unknown field"} for k in record if k not in self.names_set]
        clean: dict[str, Any] = {}
        for spec in self.fields:
            if spec.name not in record:
                errors.append({"field": spec.name, "error": "missing field"})
                continue
            value = record[spec.name]
            problem = _type_problem(spec, value)
            if problem:
                errors.append({"field": spec.name, "error": problem})
            clean[spec.name] = value
        if errors:
            self._reject(errors)
        return clean

    @property
    def names_set(self) -> frozenset[str]:
        """Input field names as a set."""
        return frozenset(self.names)

    def _validate_application(self, record: Mapping[str, Any]) -> dict[str, Any]:
        # JSON types first (no "720" for a number, no true for an integer), then pydantic's ranges.
        errors: list[dict[str, Any]] = [{"field": f.name, "error": problem} for f in self.fields
                  if f.name in record and (problem := _type_problem(f, record[f.name]))]
        typed = {e["field"] for e in errors}
        try:
            app = CreditApplication.model_validate(dict(record))
        except ValidationError as exc:
            for e in exc.errors():
                name = ".".join(str(p) for p in e["loc"]) or None
                if name not in typed:
                    errors.append({"field": name, "error": "missing field" if e["type"] == "missing" else
                                   "unknown field" if e["type"] == "extra_forbidden" else e["msg"]})
        if errors:
            self._reject(errors)
        return app.model_dump()

    def _reject(self, errors: list[dict[str, Any]]) -> typing.NoReturn:
        fields = sorted({str(e["field"]) for e in errors if e["field"]})
        message = "applicant_data does not match the model's schema" + (f": {', '.join(fields)}" if fields else "")
        raise InvalidInput(message, details={"errors": errors[:50], "expected": self.expected()})


def _type_problem(spec: FieldSpec, value: Any) -> str | None:
    if value is None:
        return None if spec.nullable else "must not be null"
    if spec.kind == "categorical":
        return None if isinstance(value, str) else f"expected a string, got {type(value).__name__}"
    if isinstance(value, bool) or not isinstance(value, int | float):
        return f"expected a number, got {type(value).__name__}"
    if not math.isfinite(value):
        return "must be a finite number"
    return None


def _fmt(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.4g}"


def _bounds(rules: list[Any]) -> tuple[float | None, float | None]:
    """(lower, upper) limits from pydantic's Ge/Gt/Le/Lt field metadata."""
    low = high = None
    for rule in rules:
        for name in ("ge", "gt"):
            if getattr(rule, name, None) is not None:
                low = float(getattr(rule, name))
        for name in ("le", "lt"):
            if getattr(rule, name, None) is not None:
                high = float(getattr(rule, name))
    return low, high


def application_schema(frame: pd.DataFrame | None = None) -> FeatureSchema:
    """The default model's schema: ``CreditApplication``'s fields (ranges and medians from ``frame``)."""
    specs = []
    for name, info in CreditApplication.model_fields.items():
        categories = list(typing.get_args(info.annotation)) if typing.get_origin(info.annotation) is Literal \
            else []
        if categories:
            specs.append(FieldSpec(name=name, kind="categorical", categories=[str(c) for c in categories],
                                   nullable=False))
            continue
        spec = FieldSpec(name=name, kind="numeric", integer=info.annotation is int, nullable=False, limits=True)
        spec.minimum, spec.maximum = _bounds(info.metadata)
        if frame is not None and name in frame:
            spec.median = float(pd.to_numeric(frame[name], errors="coerce").median())
        specs.append(spec)
    return FeatureSchema(fields=specs, target="default", positive="1", applicant=True)


def detect_schema(frame: pd.DataFrame, target: str, positive: str) -> FeatureSchema:
    """Detect numeric vs categorical columns of a CSV (read as strings); ID-like and empty ones are excluded."""
    specs: list[FieldSpec] = []
    excluded: list[str] = []
    for name in frame.columns:
        if name == target:
            continue
        column = frame[name]
        present = column.dropna()
        if present.empty:
            excluded.append(name)
            continue
        numbers = pd.to_numeric(present, errors="coerce")
        if numbers.notna().all():
            values = numbers.astype(float)
            specs.append(FieldSpec(name=name, kind="numeric", minimum=float(values.min()),
                                   maximum=float(values.max()), median=float(values.median()),
                                   integer=bool(np.all(np.mod(values, 1) == 0))))
            continue
        text = present.astype(str).str.strip()
        if text.nunique() > max(20, ID_LIKE_UNIQUE_SHARE * len(text)):
            excluded.append(name)  # an identifier or free text, not a feature
            continue
        top = text.value_counts().index[:MAX_CATEGORIES]
        specs.append(FieldSpec(name=name, kind="categorical", categories=sorted(map(str, top))))
    if not specs:
        raise InvalidInput("no usable feature columns besides the target", details={"excluded": excluded})
    return FeatureSchema(fields=specs, target=target, positive=positive, excluded=excluded)
