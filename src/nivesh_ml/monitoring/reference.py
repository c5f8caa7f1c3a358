"""Reference data for drift: a sample of a model's training inputs, saved next to ``model.json``.

A model's ``save()`` calls :func:`save_reference` with one row per training input, columns named like the fields
the serving route logs (``services.record(model, inputs, ...)``), e.g. credit: the ``applicant_data`` fields;
anomaly: the transaction fields (``amount``, ``category``, ``channel``, ...); intent: a ``query`` text column.
Nested logged inputs are flattened with dots and matched on their last part, so ``transaction.amount`` in the log
matches an ``amount`` reference column.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from nivesh_ml.errors import InvalidInput, NotFound
from nivesh_ml.pii import mask_pii

REFERENCE_FILE = "reference.csv"
DEFAULT_MAX_ROWS = 5000


def save_reference(directory: Path, frame: pd.DataFrame, max_rows: int = DEFAULT_MAX_ROWS,
                   seed: int = 42) -> Path:
    """Write a (sampled, PII-masked) reference sample of training inputs into a model directory."""
    if frame.empty or not len(frame.columns):
        raise InvalidInput("reference data is empty")
    sample = frame.sample(n=max_rows, random_state=seed) if len(frame) > max_rows else frame
    sample = sample.reset_index(drop=True).copy()
    for column in sample.columns:
        if sample[column].dtype == object:
            sample[column] = sample[column].map(lambda v: mask_pii(v)[0] if isinstance(v, str) else v)
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / REFERENCE_FILE
    sample.to_csv(path, index=False)
    return path


def has_reference(directory: Path) -> bool:
    """Whether a saved model directory carries reference data."""
    return (Path(directory) / REFERENCE_FILE).is_file()


def load_reference(directory: Path) -> pd.DataFrame:
    """The reference sample saved with a model (NotFound when the model was saved without one)."""
    path = Path(directory) / REFERENCE_FILE
    if not path.is_file():
        raise NotFound(f"model in {directory} has no reference data ({REFERENCE_FILE}); its save() must call "
                       "nivesh_ml.monitoring.reference.save_reference to enable drift checks")
    return pd.read_csv(path)
