"""Credit data: simulated applicants or any labelled CSV, split into training and held-out test rows."""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

from nivesh_ml.data.loaders import file_sha256, frame_sha256, read_table
from nivesh_ml.errors import InvalidInput
from nivesh_ml.models.base import Prepared
from nivesh_ml.models.credit.schema import FeatureSchema, application_schema, detect_schema

DEFAULT_APPLICANTS = 6000
DEFAULT_TARGET, DEFAULT_POSITIVE = "default", "1"
TEST_SIZE = 0.2


@dataclass
class CreditData:
    """Rows with a target column; ``schema`` is set on training data (evaluation takes the model's)."""

    frame: pd.DataFrame
    target: str | None = None
    positive: str | None = None
    schema: FeatureSchema | None = None
    slices: list[str] = field(default_factory=list)

    def labels(self, target: str | None = None, positive: str | None = None) -> np.ndarray:
        """1 where the target column equals the positive value (default), else 0."""
        target = self.target or target
        positive = self.positive or positive
        if not target or target not in self.frame:
            raise InvalidInput(f"target column {target!r} not in the data",
                               details={"columns": list(map(str, self.frame.columns))})
        return labels_of(self.frame[target], str(positive))


def labels_of(column: pd.Series, positive: str) -> np.ndarray:
    """Binary labels: text equal to ``positive``, or numerically equal when both are numbers."""
    text = column.astype(str).str.strip()
    hit = (text == positive.strip()).to_numpy()
    if not hit.any():
        numbers = pd.to_numeric(column, errors="coerce")
        with contextlib.suppress(ValueError):
            hit = (numbers == float(positive)).to_numpy()
    return hit.astype(int)


def _simulated_applicants(n: int, seed: int) -> pd.DataFrame:
    from nivesh_ml.data.synthetic import generate_applicants

    return generate_applicants(n, seed=seed)


def _resolve_positive(column: pd.Series, positive: Any) -> str:
    values = sorted(column.astype(str).str.strip().unique())
    if positive is not None:
        if str(positive).strip() not in values and not labels_of(column, str(positive)).any():
            raise InvalidInput(f"--positive {positive!r} never occurs in the target column",
                               details={"values": values[:20]})
        return str(positive).strip()
    if set(values) <= {"0", "1"} or set(values) <= {"0.0", "1.0"}:
        return "1"
    raise InvalidInput("give --positive: the target value meaning default", details={"values": values[:20]})


def _split(frame: pd.DataFrame, y: np.ndarray, options: Mapping[str, Any]) -> tuple[pd.DataFrame, pd.DataFrame]:
    counts = np.bincount(y, minlength=2)
    if counts.min() < 5:
        raise InvalidInput("need at least 5 rows of each class to train and evaluate",
                           details={"defaults": int(counts[1]), "non_defaults": int(counts[0])})
    test_size = float(options.get("test_size", TEST_SIZE))
    seed = int(options.get("seed", 42))
    train, test = train_test_split(frame, test_size=test_size, stratify=y, random_state=seed)
    return train.reset_index(drop=True), test.reset_index(drop=True)


def prepare_credit(data: Path | None, options: Mapping[str, Any]) -> Prepared:
    """Simulated applicants (``data`` None) or a CSV with ``target``/``positive``; stratified 80/20 split."""
    seed = int(options.get("seed", 42))
    if data is None:
        frame = _simulated_applicants(int(options.get("n_applicants", DEFAULT_APPLICANTS)), seed)
        target, positive = DEFAULT_TARGET, DEFAULT_POSITIVE
        schema = application_schema(frame)
        source, data_hash = f"simulated applicants (n={len(frame)}, seed={seed})", frame_sha256(frame)
    else:
        frame = read_table(data)
        target = str(options.get("target") or "")
        if not target:
            raise InvalidInput("give --target: the column that says whether the applicant defaulted")
        if target not in frame:
            raise InvalidInput(f"target column {target!r} not in {Path(data).name}",
                               details={"columns": list(map(str, frame.columns))})
        frame = frame[frame[target].notna()].drop(columns=["__line__"], errors="ignore")
        positive = _resolve_positive(frame[target], options.get("positive"))
        source, data_hash = str(data), file_sha256(Path(data))
        schema = None
    y = labels_of(frame[target], positive)
    train, test = _split(frame, y, options)
    schema = detect_schema(train, target, positive) if schema is None else application_schema(train)
    return Prepared(train=CreditData(train, target, positive, schema),
                    evaluation=CreditData(test, target, positive, schema, list(options.get("slice") or [])),
                    data_hash=data_hash, source=source)


def load_credit_eval(path: Path, options: Mapping[str, Any]) -> CreditData:
    """A whole labelled file for ``nivesh-ml evaluate credit`` (target defaults to the model's)."""
    frame = read_table(path).drop(columns=["__line__"], errors="ignore")
    slices = list(options.get("slice") or [])
    missing = [s for s in slices if s not in frame]
    if missing:
        raise InvalidInput(f"slice column(s) not in {Path(path).name}: {', '.join(missing)}",
                           details={"columns": list(map(str, frame.columns))})
    return CreditData(frame, options.get("target"), options.get("positive"), None, slices)
