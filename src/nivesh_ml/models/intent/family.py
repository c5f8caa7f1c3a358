"""The intent model family: 14 financial intents (or any labelled CSV), fine-tuned MiniLM served as ONNX int8."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from nivesh_ml.errors import InvalidInput
from nivesh_ml.models.base import ModelFamily, ModelMetadata, Predictor, Prepared, Trained
from nivesh_ml.models.intent.data import (
    BUNDLED_HOLDOUT,
    BUNDLED_TRAIN,
    IntentDataset,
    read_labelled_csv,
    stratified_split,
)
from nivesh_ml.models.intent.params import FALLBACK_LABEL, IntentParams
from nivesh_ml.models.intent.predictor import MODEL_FILE, TOKENIZER_FILE, IntentPredictor
from nivesh_ml.monitoring.reference import save_reference

EVALUATION_FRACTION = 0.2
EVAL_BATCH = 128
FALLBACK_RULE = ("largest threshold <= fallback_ceiling whose fallback to general_chat costs at most "
                 "fallback_tolerance validation accuracy")


def _columns(options: Mapping[str, Any]) -> tuple[str, str]:
    return str(options.get("text_col") or "text"), str(options.get("label_col") or "label")


class IntentFamily(ModelFamily):
    """Fine-tuned all-MiniLM-L6-v2 with a linear head; ONNX int8 + tokenizer.json at serving time."""

    name = "intent"
    primary_metric = "macro_f1"
    higher_is_better = True

    def prepare(self, data: Path | None, options: Mapping[str, Any]) -> Prepared:
        """Bundled: train on intents.csv, evaluate on intents_holdout.csv; a user CSV: stratified 80/20."""
        from nivesh_ml.data import bundled_path
        from nivesh_ml.data.loaders import file_sha256

        if data is None:
            train_path, holdout_path = bundled_path(BUNDLED_TRAIN), bundled_path(BUNDLED_HOLDOUT)
            return Prepared(train=read_labelled_csv(train_path), evaluation=read_labelled_csv(holdout_path),
                            data_hash=file_sha256(train_path, holdout_path),
                            source=f"bundled:{BUNDLED_TRAIN} (evaluation: {BUNDLED_HOLDOUT})")
        dataset = read_labelled_csv(Path(data), *_columns(options))
        train, evaluation = stratified_split(dataset, EVALUATION_FRACTION, int(options.get("seed", 42)))
        if not len(evaluation):
            raise InvalidInput(f"{data} is too small to hold out an evaluation split (need 2+ examples per label)")
        return Prepared(train=train, evaluation=evaluation, data_hash=file_sha256(Path(data)), source=str(data))

    def train(self, dataset: IntentDataset, params: Mapping[str, Any]) -> Trained[Any]:
        """Fine-tune (torch is imported only here and in save)."""
        from nivesh_ml.models.intent.network import BASE_MODEL_NAME
        from nivesh_ml.models.intent.onnx_export import DESCRIPTIONS
        from nivesh_ml.models.intent.train import fit

        options = IntentParams.from_options(params)
        state = fit(dataset, options)
        fallback = FALLBACK_LABEL if FALLBACK_LABEL in state.labels else None
        metadata = ModelMetadata(
            name=self.name,
            metrics={**state.validation, "train_seconds": state.train_seconds},
            params=options.as_dict(),
            feature_schema={"input": "text (str, non-empty)", "max_length_tokens": options.max_length,
                            "labels": state.labels},
            seed=options.seed,
            extra={"labels": state.labels, "temperature": state.temperature, "threshold": state.threshold,
                   "lexical_weight": state.blend_weight, "blend_temperature": state.blend_temperature,
                   "lexical_features": state.lexical.n_features if state.lexical is not None else 0,
                   "fallback_label": fallback, "threshold_rule": FALLBACK_RULE if fallback else None,
                   "top_k": options.top_k, "max_length": options.max_length, "threads": options.threads,
                   "base_model": BASE_MODEL_NAME, "quantization": DESCRIPTIONS[options.quantization],
                   "history": state.history},
        )
        return Trained(state=state, metadata=metadata)

    def save(self, trained: Trained[Any], directory: Path) -> None:
        """Write model.onnx (int8), tokenizer.json, lexical.npz, the drift reference (training texts), model.json."""
        from nivesh_ml.models.intent.onnx_export import export_int8

        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        state = trained.state
        export_int8(state.network, directory / MODEL_FILE, state.tokenizer, state.calibration_texts,
                    state.params.quantization)
        trained.state.tokenizer.save(str(directory / TOKENIZER_FILE))
        if state.lexical is not None:
            state.lexical.save(directory)
        texts = state.reference_texts or state.calibration_texts
        if texts:  # named like the route's logged input: {"query": ...} (a batch {"queries": [...]} matches too)
            save_reference(directory, pd.DataFrame({"query": texts}))
        trained.metadata.write(directory)

    def load(self, directory: Path) -> Predictor:
        """The ONNX predictor (no torch)."""
        return IntentPredictor(Path(directory))

    def evaluate(self, predictor: Predictor, dataset: IntentDataset) -> dict[str, Any]:
        """Accuracy, macro-F1, per-class F1 and confusion pairs on ``dataset``."""
        from nivesh_ml.models.intent.evaluation import evaluate_outputs

        outputs: list[dict[str, Any]] = []
        for start in range(0, len(dataset), EVAL_BATCH):
            outputs.extend(predictor.predict(dataset.texts[start:start + EVAL_BATCH]))
        return evaluate_outputs(dataset.labels, outputs)

    def load_eval_data(self, data: Path, options: Mapping[str, Any]) -> IntentDataset:
        """A whole labelled CSV as the evaluation set."""
        return read_labelled_csv(Path(data), *_columns(options))
