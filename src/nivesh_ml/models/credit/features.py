"""Turns validated inputs into the XGBoost matrix: derived applicant features, native categories or one-hot."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from nivesh_ml.models.credit.schema import FeatureSchema

Encoding = Literal["native", "onehot"]
NEW_LOAN_RATE = 0.12
"""Annual interest rate assumed for the requested loan's EMI in ``debt_to_income``."""

FLOAT32_LIMIT = 3e38
DERIVED = ("new_loan_emi", "debt_to_income", "loan_to_annual_income")
# Domain knowledge we are sure of on the default model (+1: never lowers risk, -1: never raises it).
APPLICANT_MONOTONE = {"bureau_score": -1, "debt_to_income": 1, "existing_emi": 1, "past_delinquencies": 1,
                      "recent_enquiries": 1}


def emi(principal: np.ndarray, months: np.ndarray, annual_rate: float = NEW_LOAN_RATE) -> np.ndarray:
    """Equated monthly instalment of a loan (reducing balance)."""
    r = annual_rate / 12
    growth = np.power(1 + r, months)
    return principal * r * growth / (growth - 1)


def applicant_derived(columns: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """``new_loan_emi``, ``debt_to_income`` = (existing EMI + new EMI) / income, loan / annual income."""
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        return _derived(columns)


def _derived(columns: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    income = np.asarray(columns["monthly_income"], dtype=float)
    new_emi = emi(np.asarray(columns["loan_amount"], dtype=float),
                  np.asarray(columns["loan_tenure_months"], dtype=float))
    dti = (np.asarray(columns["existing_emi"], dtype=float) + new_emi) / income
    lti = np.asarray(columns["loan_amount"], dtype=float) / (12 * income)
    return {"new_loan_emi": new_emi, "debt_to_income": dti, "loan_to_annual_income": lti}


@dataclass
class Encoder:
    """Maps schema fields (and derived features) to matrix columns; remembers which column is which feature."""

    schema: FeatureSchema
    encoding: Encoding = "native"

    def __post_init__(self) -> None:
        self.features: list[str] = self.schema.names + (list(DERIVED) if self.schema.applicant else [])
        self._cat = {f.name: {c: i for i, c in enumerate(f.categories)}
                     for f in self.schema.fields if f.kind == "categorical"}
        self.columns: list[str] = []  # human-readable matrix column names
        self.column_feature: list[int] = []  # matrix column -> index in self.features
        self.feature_types: list[str] = []
        for i, name in enumerate(self.features):
            cats = self._cat.get(name)
            if cats is not None and self.encoding == "onehot":
                for cat in cats:
                    self.columns.append(f"{name}={cat}")
                    self.column_feature.append(i)
                    self.feature_types.append("q")
            else:
                self.columns.append(name)
                self.column_feature.append(i)
                self.feature_types.append("c" if cats is not None else "q")
        self.xgb_names = [f"f{i}" for i in range(len(self.columns))]

    def monotone(self, constraints: Mapping[str, int]) -> str:
        """XGBoost ``monotone_constraints`` string for per-feature constraints (numeric features only)."""
        values = [int(constraints.get(self.features[i], 0)) if t == "q" and self.features[i] not in self._cat
                  else 0 for i, t in zip(self.column_feature, self.feature_types, strict=True)]
        return "(" + ",".join(map(str, values)) + ")"

    def feature_columns(self, records: Sequence[Mapping[str, Any]] | pd.DataFrame) -> dict[str, np.ndarray]:
        """Input fields plus derived features as arrays (numbers as float with NaN, categories as objects)."""
        out: dict[str, np.ndarray] = {}
        for spec in self.schema.fields:
            if isinstance(records, pd.DataFrame):
                raw = records[spec.name]
                out[spec.name] = (pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float)
                                  if spec.kind == "numeric" else raw.to_numpy(dtype=object))
            elif spec.kind == "numeric":  # validated records: numbers or None
                out[spec.name] = np.array([r.get(spec.name) for r in records], dtype=float)
            else:
                out[spec.name] = np.array([r.get(spec.name) for r in records], dtype=object)
        if self.schema.applicant:
            out.update(applicant_derived(out))
        return out

    def matrix(self, columns: Mapping[str, np.ndarray]) -> np.ndarray:
        """The float matrix XGBoost sees (categories as codes or one-hot; unknown category = missing)."""
        n = len(next(iter(columns.values())))
        x = np.empty((n, len(self.columns)), dtype=np.float32)
        j = 0
        for name in self.features:
            cats = self._cat.get(name)
            if cats is None:  # float32 overflow would reach XGBoost as inf, which it refuses
                x[:, j] = np.clip(columns[name], -FLOAT32_LIMIT, FLOAT32_LIMIT)
                j += 1
                continue
            codes = np.array([cats.get(_norm(v), -1) for v in columns[name]], dtype=np.int64)
            if self.encoding == "onehot":
                block = np.zeros((n, len(cats)), dtype=np.float32)
                known = codes >= 0
                block[np.flatnonzero(known), codes[known]] = 1.0
                x[:, j:j + len(cats)] = block
                j += len(cats)
            else:
                x[:, j] = np.where(codes >= 0, codes, np.nan)
                j += 1
        return x

    def group(self, contributions: np.ndarray) -> np.ndarray:
        """Sum per-column SHAP contributions (bias column dropped) into per-feature contributions."""
        out = np.zeros((contributions.shape[0], len(self.features)), dtype=float)
        np.add.at(out.T, np.asarray(self.column_feature), contributions[:, :len(self.columns)].T)
        return out


def _norm(value: Any) -> Any:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    return str(value).strip()
