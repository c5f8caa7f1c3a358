"""Serving-time intent predictor: onnxruntime + ``tokenizers`` + numpy (no torch, no transformers)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort

from nivesh_ml.errors import InvalidInput, ModelNotReady
from nivesh_ml.models.base import ModelMetadata, Predictor
from nivesh_ml.models.intent.calibration import FloatArray, blend_probabilities
from nivesh_ml.models.intent.lexical import FILE_NAME as LEXICAL_FILE
from nivesh_ml.models.intent.lexical import LexicalModel
from nivesh_ml.models.intent.tokens import encode, load_tokenizer

MODEL_FILE = "model.onnx"
TOKENIZER_FILE = "tokenizer.json"
SCORE_DIGITS = 4


class IntentPredictor(Predictor):
    """Loads ``model.onnx`` (int8), ``tokenizer.json`` and ``lexical.npz``; a batch is one ONNX call."""

    def __init__(self, directory: Path, threads: int | None = None) -> None:
        directory = Path(directory)
        self.metadata = ModelMetadata.read(directory)
        extra = self.metadata.extra
        missing = [f for f in (MODEL_FILE, TOKENIZER_FILE) if not (directory / f).is_file()]
        if missing or "labels" not in extra:
            raise ModelNotReady(f"{directory} is not an intent model (missing {missing or ['labels']})")
        self.labels: list[str] = list(extra["labels"])
        self.temperature = float(extra.get("temperature", 1.0))
        self.lexical_weight = float(extra.get("lexical_weight", 0.0))
        self.blend_temperature = float(extra.get("blend_temperature", 1.0))
        self.lexical: LexicalModel | None = None
        if self.lexical_weight > 0:
            if not (directory / LEXICAL_FILE).is_file():
                raise ModelNotReady(f"{directory} lacks {LEXICAL_FILE} (its lexical weight is {self.lexical_weight})")
            self.lexical = LexicalModel.load(directory / LEXICAL_FILE)
        self.threshold = float(extra.get("threshold", 0.0))
        fallback = extra.get("fallback_label")
        self.fallback: str | None = fallback if fallback in self.labels else None
        self.top_k = min(int(extra.get("top_k", 3)), len(self.labels))
        self.tokenizer = load_tokenizer(directory / TOKENIZER_FILE, int(extra.get("max_length", 64)))
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or int(extra.get("threads", 2))
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self.session = ort.InferenceSession(str(directory / MODEL_FILE), options,
                                            providers=["CPUExecutionProvider"])

    def probabilities(self, texts: Sequence[str]) -> FloatArray:
        """Calibrated class probabilities, one row per text (columns follow ``labels``)."""
        ids, mask = encode(self.tokenizer, texts)
        (logits,) = self.session.run(["logits"], {"input_ids": ids, "attention_mask": mask})
        lexical = self.lexical.log_probabilities(texts) if self.lexical is not None else None
        return blend_probabilities(logits, self.temperature, lexical, self.lexical_weight, self.blend_temperature)

    def predict(self, batch: Sequence[Any]) -> list[dict[str, Any]]:
        """``{intent, confidence, top_k, fallback}`` for each query of the batch."""
        texts = _checked_texts(batch)
        if not texts:
            return []
        return [self._decode(row) for row in self.probabilities(texts)]

    def _decode(self, row: FloatArray) -> dict[str, Any]:
        order = np.argsort(-row, kind="stable")[: self.top_k]
        best = int(order[0])
        confidence = round(float(row[best]), SCORE_DIGITS)
        fallback = self.fallback is not None and confidence < self.threshold and self.labels[best] != self.fallback
        return {
            "intent": self.fallback if fallback else self.labels[best],
            "confidence": confidence,
            "top_k": [{"intent": self.labels[i], "score": round(float(row[i]), SCORE_DIGITS)} for i in order],
            "fallback": bool(fallback),
        }


def _checked_texts(batch: Sequence[Any]) -> list[str]:
    bad = [i for i, text in enumerate(batch) if not isinstance(text, str) or not text.strip()]
    if bad:
        raise InvalidInput("intent queries must be non-empty strings", details={"indices": bad[:50]})
    return [text.strip() for text in batch]
