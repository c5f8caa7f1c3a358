"""The NER model family: bundled data → spaCy pipeline → ``to_disk`` + ``model.json``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from spacy.language import Language

from nivesh_ml.data import bundled_path
from nivesh_ml.data.loaders import file_sha256
from nivesh_ml.errors import InvalidInput
from nivesh_ml.models.base import ModelFamily, ModelMetadata, Predictor, Prepared, Trained
from nivesh_ml.models.ner.data import NerExample, labels_of, load_ner_jsonl, split_examples
from nivesh_ml.models.ner.metrics import span_scores
from nivesh_ml.models.ner.pipeline import NerParams, train_pipeline
from nivesh_ml.models.ner.predictor import MAX_TEXT_CHARS, PIPELINE_DIR, NerPredictor

TRAIN_FILE, HOLDOUT_FILE = "ner.jsonl", "ner_holdout.jsonl"
# Template-generated international sentences (models/ner/synthetic.py), trained on next to the hand-written ones.
INTERNATIONAL_TRAIN_FILE = "ner_international_train.jsonl"


class NerFamily(ModelFamily):
    """Financial NER: MONEY, DATE, CATEGORY, MERCHANT, ACCOUNT with normalised values."""

    name = "ner"
    primary_metric = "micro_f1"
    higher_is_better = True

    def prepare(self, data: Path | None, options: Mapping[str, Any]) -> Prepared:
        """Bundled: train on ner.jsonl plus the generated international sentences, evaluate on ner_holdout.jsonl;
        a file: seeded 80/20 split."""
        if data is None:
            train_path, holdout_path = bundled_path(TRAIN_FILE), bundled_path(HOLDOUT_FILE)
            international = bundled_path(INTERNATIONAL_TRAIN_FILE)
            generated = [replace(ex, generated=True) for ex in load_ner_jsonl(international)]
            train = [*load_ner_jsonl(train_path), *generated]
            return Prepared(train=train, evaluation=load_ner_jsonl(holdout_path),
                            data_hash=file_sha256(train_path, international, holdout_path),
                            source=f"bundled:{TRAIN_FILE}+{INTERNATIONAL_TRAIN_FILE}")
        examples = load_ner_jsonl(data)
        if len(examples) < 5:
            raise InvalidInput(f"{Path(data).name} has {len(examples)} sentence(s); at least 5 are needed")
        train, evaluation = split_examples(examples, int(options.get("seed", 42)), 0.2)
        return Prepared(train=train, evaluation=evaluation, data_hash=file_sha256(Path(data)), source=str(data))

    def train(self, dataset: Any, params: Mapping[str, Any]) -> Trained[Any]:
        """Train the pipeline; a seeded part of ``dataset`` is the dev set for early stopping."""
        options = NerParams.from_options(params)
        examples: list[NerExample] = list(dataset)
        rest, dev = (split_examples(examples, options.seed + 1, options.dev_fraction)
                     if options.dev_fraction > 0 and len(examples) >= 10 else (examples, []))
        nlp, info = train_pipeline([ex for ex in rest if not ex.generated], dev, options,
                                   generated=[ex for ex in rest if ex.generated])
        metrics: dict[str, Any] = {}
        if info["best_dev_micro_f1"] is not None:
            metrics["dev_micro_f1"] = info["best_dev_micro_f1"]
        schema = {"input": {"text": f"str (1..{MAX_TEXT_CHARS} chars)", "reference_date": "YYYY-MM-DD, optional"},
                  "labels": labels_of(examples), "pipeline": list(nlp.pipe_names)}
        meta = ModelMetadata(name=self.name, metrics=metrics, params=options.as_dict(), feature_schema=schema,
                             seed=options.seed, extra={"training": info})
        return Trained(state=nlp, metadata=meta)

    def save(self, trained: Trained[Any], directory: Path) -> None:
        """``nlp.to_disk`` under ``pipeline/`` plus ``model.json``."""
        nlp: Language = trained.state
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        nlp.to_disk(directory / PIPELINE_DIR)
        trained.metadata.write(directory)

    def load(self, directory: Path) -> Predictor:
        """Load a saved NER model."""
        return NerPredictor(Path(directory))

    def evaluate(self, predictor: Predictor, dataset: Any) -> dict[str, Any]:
        """Exact-span precision/recall/F1 per label and micro-F1."""
        if not isinstance(predictor, NerPredictor):
            raise InvalidInput("not an NER predictor")
        examples: list[NerExample] = list(dataset)
        if not examples:
            raise InvalidInput("no sentences to evaluate on")
        predicted = predictor.spans([ex.text for ex in examples])
        return span_scores([ex.entities for ex in examples], predicted)

    def load_eval_data(self, data: Path, options: Mapping[str, Any]) -> Any:
        """A whole JSONL file as the evaluation set."""
        return load_ner_jsonl(data)


FAMILY = NerFamily()
