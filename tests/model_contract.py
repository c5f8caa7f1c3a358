"""The contract every model family passes: train tiny → save → load → predict identical."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from nivesh_ml.models.base import METADATA_FILE, ModelFamily, ModelMetadata, Predictor, verify_artefacts

REQUIRED_METADATA = ("name", "version", "created_at", "data_hash", "metrics", "feature_schema")


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def check_model_contract(family: ModelFamily, dataset: Any, params: dict[str, Any],
                         inputs: Sequence[Any], tmp_path: Path) -> Predictor:
    """Run the contract and return the loaded predictor for further behaviour checks."""
    trained = family.train(dataset, params)
    assert trained.metadata.name == family.name
    directory = tmp_path / f"{family.name}-model"
    family.save(trained, directory)
    raw = json.loads((directory / METADATA_FILE).read_text())
    for key in REQUIRED_METADATA:
        assert key in raw, f"model.json lacks {key}"
    assert not list(directory.rglob("*.pkl")) and not list(directory.rglob("*.pickle")), "no pickle"
    assert raw.get("manifest"), "model.json lists every artefact with its sha256 (written last, at save)"
    assert verify_artefacts(directory), "a freshly saved model verifies against its manifest"
    first = family.load(directory)
    second = family.load(directory)
    assert isinstance(first.metadata, ModelMetadata)
    out1 = first.predict(list(inputs))
    out2 = second.predict(list(inputs))
    assert len(out1) == len(inputs)
    assert _canonical(out1) == _canonical(out2), "a reloaded model must predict the same"
    single = first.predict_one(inputs[0])
    assert _canonical(single) == _canonical(out1[0]), "one input or a batch: same output"
    return first
