"""Labelled intent data: reading and validating CSVs, seeded stratified splits."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from nivesh_ml.errors import InvalidInput

BUNDLED_TRAIN = "intents.csv"
BUNDLED_HOLDOUT = "intents_holdout.csv"
MAX_REPORTED_ROWS = 20


@dataclass
class IntentDataset:
    """Texts and their intent labels, aligned."""

    texts: list[str]
    labels: list[str]

    def __post_init__(self) -> None:
        if len(self.texts) != len(self.labels):
            raise InvalidInput(f"{len(self.texts)} texts but {len(self.labels)} labels")

    def __len__(self) -> int:
        return len(self.texts)

    def label_names(self) -> list[str]:
        """Sorted distinct labels."""
        return sorted(set(self.labels))

    def subset(self, indices: Sequence[int]) -> IntentDataset:
        """The examples at ``indices``, in that order."""
        return IntentDataset([self.texts[i] for i in indices], [self.labels[i] for i in indices])

    def content_hash(self) -> str:
        """Hash of the examples (order-sensitive)."""
        digest = hashlib.sha256()
        for text, label in zip(self.texts, self.labels, strict=True):
            digest.update(f"{label}\t{text}\n".encode())
        return digest.hexdigest()


def read_labelled_csv(path: Path, text_col: str = "text", label_col: str = "label") -> IntentDataset:
    """Read a ``text,label`` CSV; missing columns or empty cells raise InvalidInput with line numbers."""
    path = Path(path)
    if not path.is_file():
        raise InvalidInput(f"file not found: {path}")
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"{path.name} is not a readable CSV: {exc}") from exc
    missing = [c for c in (text_col, label_col) if c not in frame.columns]
    if missing:
        raise InvalidInput(f"{path.name} lacks column(s) {', '.join(missing)}; found {', '.join(frame.columns)} "
                           "(use --text-col / --label-col)", details={"columns": list(frame.columns)})
    texts = frame[text_col].astype(str).str.strip()
    labels = frame[label_col].astype(str).str.strip()
    bad = [{"line": int(i) + 2, "column": col} for i in range(len(frame))
           for col, series in ((text_col, texts), (label_col, labels)) if not series.iloc[i]]
    if bad:
        lines = ", ".join(str(b["line"]) for b in bad[:MAX_REPORTED_ROWS])
        raise InvalidInput(f"{path.name}: {len(bad)} empty cell(s) at line(s) {lines}",
                           details={"rows": bad[:MAX_REPORTED_ROWS]})
    if frame.empty:
        raise InvalidInput(f"{path.name} has no rows")
    return IntentDataset(texts.tolist(), labels.tolist())


def stratified_split(dataset: IntentDataset, fraction: float, seed: int) -> tuple[IntentDataset, IntentDataset]:
    """Split off ``fraction`` of every label (at least one when a label has two or more examples)."""
    if not 0.0 < fraction < 1.0:
        raise InvalidInput(f"split fraction must be in (0, 1), got {fraction}")
    rng = np.random.default_rng(seed)
    by_label: dict[str, list[int]] = {}
    for i, label in enumerate(dataset.labels):
        by_label.setdefault(label, []).append(i)
    keep: list[int] = []
    held: list[int] = []
    for label in sorted(by_label):
        idx = np.array(by_label[label])
        rng.shuffle(idx)
        n_held = 0 if len(idx) < 2 else min(len(idx) - 1, max(1, round(len(idx) * fraction)))
        held.extend(idx[:n_held].tolist())
        keep.extend(idx[n_held:].tolist())
    return dataset.subset(sorted(keep)), dataset.subset(sorted(held))


def cap_per_label(dataset: IntentDataset, per_label: int, seed: int) -> IntentDataset:
    """At most ``per_label`` examples of each label (seeded choice), for quick runs."""
    rng = np.random.default_rng(seed)
    chosen: list[int] = []
    for label in dataset.label_names():
        idx = [i for i, lab in enumerate(dataset.labels) if lab == label]
        chosen.extend(rng.permutation(idx)[:per_label].tolist())
    return dataset.subset(sorted(chosen))
