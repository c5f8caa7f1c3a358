"""A tiny model family for testing the registry and pipelines without a real model."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from nivesh_ml.models.base import ModelFamily, ModelMetadata, Predictor, Prepared, Trained


class ToyPredictor(Predictor):
    def __init__(self, directory: Path) -> None:
        self.metadata = ModelMetadata.read(directory)
        self.offset = json.loads((directory / "weights.json").read_text())["offset"]

    def predict(self, batch: Sequence[Any]) -> list[Any]:
        return [float(x) + self.offset for x in batch]


class ToyFamily(ModelFamily):
    name = "toy"
    primary_metric = "accuracy"

    def prepare(self, data: Path | None, options: Mapping[str, Any]) -> Prepared:
        return Prepared(train=[1, 2, 3], evaluation=[4], data_hash="abc", source="toy")

    def train(self, dataset: Any, params: Mapping[str, Any]) -> Trained[Any]:
        return Trained(state={"offset": params.get("offset", 1.0)},
                       metadata=ModelMetadata(name=self.name, metrics={"accuracy": params.get("accuracy", 0.5)}))

    def save(self, trained: Trained[Any], directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "weights.json").write_text(json.dumps(trained.state))
        trained.metadata.write(directory)

    def load(self, directory: Path) -> Predictor:
        return ToyPredictor(directory)

    def evaluate(self, predictor: Predictor, dataset: Any) -> dict[str, Any]:
        return dict(predictor.metadata.metrics)
