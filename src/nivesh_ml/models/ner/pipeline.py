"""Build and train the spaCy pipeline.

Default (chosen by dev/CV F1, docs/benchmarks/ner.md): blank English tokenizer → rule hints in ``TAG`` →
regex rules for currency amounts and masked cards (preset entities the model respects) → CNN tok2vec + NER
(embedding NORM, PREFIX, SUFFIX, SHAPE and the hint) → trimming of edge punctuation → the MONEY/DATE grammar
layer (grammar.py: proposes MONEY/DATE spans and drops model fragments it rejects) → the merchant gazetteer
(components.py: merchant-table names the model left outside every entity or cut into fragments).
"""

from __future__ import annotations

import logging
import random
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, fields
from typing import Any

from spacy.language import Language
from spacy.pipeline import EntityRecognizer
from spacy.training import Example
from spacy.util import compounding, fix_random_seed, minibatch

from nivesh_ml.errors import InvalidInput
from nivesh_ml.models.ner.components import GAZETTEER_COMPONENT, MERCHANT_GAZETTEER_COMPONENT, TRIM_COMPONENT
from nivesh_ml.models.ner.data import NerExample, labels_of
from nivesh_ml.models.ner.grammar import GRAMMAR_COMPONENT
from nivesh_ml.models.ner.metrics import span_scores
from nivesh_ml.models.ner.rules import ALL_KINDS, DEFAULT_KINDS, RULES_COMPONENT
from nivesh_ml.models.ner.tokens import make_blank_nlp

log = logging.getLogger(__name__)
RULE_MODES = ("none", "before", "after")
# Options the CLI passes to every model family; NER ignores them.
_SHARED_OPTIONS = {"text_col", "label_col", "target", "positive", "slice", "horizon", "data"}


@dataclass(frozen=True)
class NerParams:
    """Training options; ``from_options`` rejects unknown keys and bad values by name."""

    epochs: int = 30
    patience: int = 6
    dropout: float = 0.2
    width: int = 96
    depth: int = 4
    embed_size: int = 2000
    hidden_width: int = 64
    rules: str = "before"
    gazetteers: str = ""
    hints: str = "merchant,category,date,account"
    dev_fraction: float = 0.15
    # Template-generated sentences drawn afresh each epoch (0: all of them every epoch). The hand-written
    # sentences are all used every epoch; a fresh sample keeps the generated phrasing from outweighing them.
    generated_per_epoch: int = 500
    seed: int = 42

    @classmethod
    def from_options(cls, options: Mapping[str, Any]) -> NerParams:
        """Parse CLI/``--param`` options (``None`` values mean "default")."""
        known = {f.name: f for f in fields(cls)}
        values: dict[str, Any] = {}
        for key, value in options.items():
            if value is None or key in _SHARED_OPTIONS:
                continue
            if key not in known:
                raise InvalidInput(f"unknown ner option {key!r}; expected one of {', '.join(sorted(known))}")
            caster = {"int": int, "float": float, "str": str}[str(known[key].type)]
            try:
                values[key] = caster(value)
            except (TypeError, ValueError) as exc:
                raise InvalidInput(f"ner option {key}={value!r} is not a valid {known[key].type}") from exc
        params = cls(**values)
        params.validate()
        return params

    def validate(self) -> None:
        """Raise ``InvalidInput`` naming the first bad value."""
        checks = {"epochs": 1 <= self.epochs <= 500, "patience": self.patience >= 1,
                  "dropout": 0.0 <= self.dropout < 1.0, "width": 8 <= self.width <= 1024,
                  "depth": 1 <= self.depth <= 12, "embed_size": 100 <= self.embed_size <= 100_000,
                  "hidden_width": 8 <= self.hidden_width <= 1024, "rules": self.rules in RULE_MODES,
                  "gazetteers": set(self.gazetteer_kinds()) <= {"merchant", "category"},
                  "hints": set(self.hint_kinds()) <= set(ALL_KINDS),
                  "dev_fraction": 0.0 <= self.dev_fraction < 0.5,
                  "generated_per_epoch": 0 <= self.generated_per_epoch <= 1_000_000}
        for name, ok in checks.items():
            if not ok:
                raise InvalidInput(f"ner option {name}={getattr(self, name)!r} is out of range")

    def gazetteer_kinds(self) -> tuple[str, ...]:
        """The gazetteers the entity ruler carries ("merchant", "category")."""
        return tuple(k.strip() for k in re.split(r"[,+]", self.gazetteers) if k.strip())

    def hint_kinds(self) -> tuple[str, ...]:
        """Rule kinds whose matches the model sees as token features (``TAG``)."""
        return tuple(k.strip() for k in re.split(r"[,+]", self.hints) if k.strip())

    def as_dict(self) -> dict[str, Any]:
        """Plain dict for ``model.json``."""
        return asdict(self)


def _ner_config(params: NerParams) -> dict[str, Any]:
    tok2vec: dict[str, Any] = {
        "@architectures": "spacy.HashEmbedCNN.v2", "pretrained_vectors": None, "width": params.width,
        "depth": params.depth, "embed_size": params.embed_size, "window_size": 1, "maxout_pieces": 3,
        "subword_features": True}
    if params.hint_kinds():  # the default CNN, plus an embedding of the rule hints carried in TAG
        size = params.embed_size
        tok2vec = {"@architectures": "spacy.Tok2Vec.v2",
                   "embed": {"@architectures": "spacy.MultiHashEmbed.v2", "width": params.width,
                             "attrs": ["NORM", "PREFIX", "SUFFIX", "SHAPE", "TAG"],
                             "rows": [size, size // 2, size // 2, size // 2, 50], "include_static_vectors": False},
                   "encode": {"@architectures": "spacy.MaxoutWindowEncoder.v2", "width": params.width,
                              "depth": params.depth, "window_size": 1, "maxout_pieces": 3}}
    return {"model": {"@architectures": "spacy.TransitionBasedParser.v2", "state_type": "ner",
                      "extra_state_tokens": False, "hidden_width": params.hidden_width, "maxout_pieces": 2,
                      "use_upper": True, "nO": None, "tok2vec": tok2vec}}


def build_nlp(labels: Sequence[str], params: NerParams) -> Language:
    """An untrained pipeline: tokenizer, optional entity ruler before/after the statistical NER."""
    nlp = make_blank_nlp()
    if params.hint_kinds():
        nlp.add_pipe(GAZETTEER_COMPONENT, config={"kinds": list(params.hint_kinds())})
    if params.rules == "before":
        _add_ruler(nlp, params)
    ner = nlp.add_pipe("ner", config=_ner_config(params))
    assert isinstance(ner, EntityRecognizer)
    for label in labels:
        ner.add_label(label)
    if params.rules == "after":
        _add_ruler(nlp, params)  # rules fill only the gaps the model left: they never overwrite a predicted entity
    nlp.add_pipe(TRIM_COMPONENT)
    nlp.add_pipe(GRAMMAR_COMPONENT)  # the MONEY/DATE grammar decides the final MONEY and DATE spans
    nlp.add_pipe(MERCHANT_GAZETTEER_COMPONENT)  # merchant-table names the model left out or cut
    return nlp


def _add_ruler(nlp: Language, params: NerParams) -> None:
    kinds = [*DEFAULT_KINDS, *params.gazetteer_kinds()]
    nlp.add_pipe(RULES_COMPONENT, config={"kinds": kinds, "overwrite": False})


def to_example(nlp: Language, item: NerExample) -> Example:
    """A spaCy training example from an annotated sentence (rule hints applied, as at prediction time)."""
    doc = nlp.make_doc(item.text)
    if GAZETTEER_COMPONENT in nlp.pipe_names:
        doc = nlp.get_pipe(GAZETTEER_COMPONENT)(doc)
    return Example.from_dict(doc, {"entities": [list(e) for e in item.entities]})


def predict_spans(nlp: Language, texts: Sequence[str], batch_size: int = 64) -> list[list[tuple[int, int, str]]]:
    """Entity spans ``(start, end, label)`` for each text."""
    return [[(e.start_char, e.end_char, e.label_) for e in doc.ents]
            for doc in nlp.pipe(texts, batch_size=batch_size)]


def score(nlp: Language, examples: Sequence[NerExample]) -> dict[str, Any]:
    """Exact-span scores of ``nlp`` on annotated examples."""
    predicted = predict_spans(nlp, [ex.text for ex in examples])
    return span_scores([ex.entities for ex in examples], predicted)


def train_pipeline(train: Sequence[NerExample], dev: Sequence[NerExample], params: NerParams,
                   generated: Sequence[NerExample] = ()) -> tuple[Language, dict[str, Any]]:
    """Train with a seeded shuffle; keep the epoch with the best dev micro-F1 (patience-based stop).

    ``generated`` (template sentences) are trained on next to ``train``: ``params.generated_per_epoch`` of them,
    drawn afresh each epoch (all of them when it is 0 or larger than their number).
    """
    if not train and not generated:
        raise InvalidInput("no training sentences")
    fix_random_seed(params.seed)
    rng = random.Random(params.seed)
    nlp = build_nlp(labels_of([*train, *generated, *dev]), params)
    written = [to_example(nlp, ex) for ex in train]
    extra = [to_example(nlp, ex) for ex in generated]
    per_epoch = len(extra) if params.generated_per_epoch <= 0 else min(params.generated_per_epoch, len(extra))
    started = time.perf_counter()
    with nlp.select_pipes(enable=["ner"]):
        optimizer = nlp.initialize(lambda: [*written, *extra])
    ner = nlp.get_pipe("ner")
    assert isinstance(ner, EntityRecognizer)
    history: list[dict[str, Any]] = []
    best_f1, best_bytes, stale = -1.0, ner.to_bytes(), 0
    for epoch in range(1, params.epochs + 1):
        examples = [*written, *(rng.sample(extra, per_epoch) if per_epoch < len(extra) else extra)]
        rng.shuffle(examples)
        losses: dict[str, float] = {}
        with nlp.select_pipes(enable=["ner"]):
            for batch in minibatch(examples, size=compounding(4.0, 32.0, 1.001)):
                nlp.update(batch, drop=params.dropout, sgd=optimizer, losses=losses)
        with nlp.use_params(optimizer.averages):
            dev_f1 = score(nlp, dev)["micro_f1"] if dev else float(epoch)
            if dev_f1 > best_f1:
                best_f1, best_bytes, stale = dev_f1, ner.to_bytes(), 0
            else:
                stale += 1
        history.append({"epoch": epoch, "loss": round(losses.get("ner", 0.0), 3), "dev_micro_f1": dev_f1})
        if dev and stale >= params.patience:
            break
    ner.from_bytes(best_bytes)
    info: dict[str, Any] = {"history": history, "best_dev_micro_f1": best_f1 if dev else None,
            "epochs_run": len(history), "train_seconds": round(time.perf_counter() - started, 2),
            "n_train": len(train), "n_generated": len(generated), "generated_per_epoch": per_epoch,
            "n_dev": len(dev)}
    if dev:
        info["dev"] = score(nlp, dev)
    return nlp, info
