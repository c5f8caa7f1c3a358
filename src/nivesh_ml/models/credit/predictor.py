"""A loaded credit model: validate ``applicant_data``, score, calibrate, explain."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import xgboost as xgb

from nivesh_ml.errors import InvalidInput
from nivesh_ml.models.base import ModelMetadata, Predictor
from nivesh_ml.models.credit.calibration import Calibrator
from nivesh_ml.models.credit.features import Encoder
from nivesh_ml.models.credit.reasons import reason_codes

LOW_BELOW, HIGH_FROM = 0.10, 0.30
"""Default risk-category cut-offs on the calibrated default probability."""


def risk_score(p: float) -> int:
    """0–100, higher = riskier: the default probability in per cent, rounded (``round(100 * p)``)."""
    return round(100 * p)


def risk_category(p: float, low_below: float = LOW_BELOW, high_from: float = HIGH_FROM) -> str:
    """``low`` below ``low_below``, ``high`` from ``high_from``, ``medium`` between."""
    return "low" if p < low_below else "high" if p >= high_from else "medium"


class CreditPredictor(Predictor):
    """Scores applicants; one input or a batch, the same output shape."""

    def __init__(self, booster: xgb.Booster, encoder: Encoder, calibrator: Calibrator,
                 metadata: ModelMetadata) -> None:
        self.booster = booster
        self.encoder = encoder
        self.schema = encoder.schema
        self.calibrator = calibrator
        self.metadata = metadata
        extra = metadata.extra
        self.medians: dict[str, float | None] = dict(extra.get("medians", {}))
        self.low_below = float(extra.get("low_below", LOW_BELOW))
        self.high_from = float(extra.get("high_from", HIGH_FROM))

    def _margins(self, x: np.ndarray) -> np.ndarray:
        return np.asarray(self.booster.inplace_predict(x, predict_type="margin"), dtype=float).reshape(-1)

    def probabilities(self, frame: pd.DataFrame) -> np.ndarray:
        """Calibrated default probabilities of every row of a data frame holding the schema's columns."""
        missing = [n for n in self.schema.names if n not in frame]
        if missing:
            raise InvalidInput(f"the data lacks the model's feature column(s): {', '.join(missing)}",
                               details={"missing": missing, "expected": self.schema.expected()})
        x = self.encoder.matrix(self.encoder.feature_columns(frame))
        return self.calibrator(self._margins(x))

    def validate_batch(self, batch: Sequence[Any]) -> list[dict[str, Any]]:
        """Validate every record; the error names the record's index in a batch."""
        out = []
        for i, record in enumerate(batch):
            try:
                out.append(self.schema.validate(record))
            except InvalidInput as exc:
                if len(batch) > 1:
                    exc.message = f"record {i}: {exc.message}"
                    exc.details = {**(exc.details or {}), "index": i}
                raise
        return out

    def predict(self, batch: Sequence[Any]) -> list[dict[str, Any]]:
        """Default probability, 0–100 risk score, category and reason codes for each applicant."""
        if not batch:
            return []
        records = self.validate_batch(batch)
        columns = self.encoder.feature_columns(records)
        x = self.encoder.matrix(columns)
        probs = self.calibrator(self._margins(x))
        dmat = xgb.DMatrix(x, feature_names=self.encoder.xgb_names, feature_types=self.encoder.feature_types,
                           enable_categorical=True, nthread=1)
        contribs = self.encoder.group(self.booster.predict(dmat, pred_contribs=True))
        features = self.encoder.features
        out = []
        for i, p in enumerate(probs):
            values = {name: records[i][name] if name in records[i] else float(columns[name][i])
                      for name in features}
            reasons = reason_codes(features, values, contribs[i], self.medians, self.schema.applicant)
            prob = float(p)
            out.append({"default_probability": round(prob, 4), "risk_score": risk_score(prob),
                        "risk_category": risk_category(prob, self.low_below, self.high_from),
                        "reason_codes": [r["text"] for r in reasons],
                        "factors": [{"feature": r["feature"], "value": _plain(r["value"]), "impact": r["impact"]}
                                    for r in reasons]})
        return out


def _plain(value: Any) -> Any:
    if isinstance(value, np.floating | float):  # JSON has no NaN or inf
        return round(float(value), 4) if np.isfinite(value) else None
    if isinstance(value, np.integer):
        return int(value)
    return value


def feature_medians(encoder: Encoder, columns: Mapping[str, np.ndarray]) -> dict[str, float | None]:
    """Training medians of numeric features (derived ones included), used to phrase high/low."""
    out: dict[str, float | None] = {}
    for name in encoder.features:
        values = columns[name]
        if values.dtype.kind == "f" and np.isfinite(values).any():
            out[name] = float(np.nanmedian(values))
    return out
