"""The loaded NER model: spaCy pipeline + value normalisation, one text or a batch."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

import spacy

from nivesh_ml.errors import InvalidInput
from nivesh_ml.models.base import ModelMetadata, Predictor
from nivesh_ml.models.ner import components, rules  # noqa: F401  (register custom components for spacy.load)
from nivesh_ml.models.ner.grammar import GRAMMAR_COMPONENT
from nivesh_ml.models.ner.normalise import normalise_entities
from nivesh_ml.models.ner.ops import use_numpy_blas

PIPELINE_DIR = "pipeline"
MAX_TEXT_CHARS = 5000
MIN_YEAR, MAX_YEAR = 1900, 2200
# Control characters other than tab/newline/carriage return mark binary junk, not text.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")


def parse_reference_date(value: Any) -> date:
    """A ``reference_date`` given as ``date`` or ISO string; ``None`` means today."""
    if value is None:
        return date.today()
    if isinstance(value, date):
        parsed = value
    elif isinstance(value, str):
        try:
            parsed = date.fromisoformat(value.strip())
        except ValueError as exc:
            raise InvalidInput(f"reference_date {value!r} is not a date (YYYY-MM-DD)") from exc
    else:
        raise InvalidInput("reference_date must be a YYYY-MM-DD string")
    if not MIN_YEAR <= parsed.year <= MAX_YEAR:
        raise InvalidInput(f"reference_date year {parsed.year} is outside {MIN_YEAR}..{MAX_YEAR}")
    return parsed


def check_text(text: Any) -> str:
    """The text to analyse, or ``InvalidInput`` when it is empty, too long or not text."""
    if not isinstance(text, str):
        raise InvalidInput("text must be a string")
    if not text.strip():
        raise InvalidInput("text is empty")
    if len(text) > MAX_TEXT_CHARS:
        raise InvalidInput(f"text has {len(text)} characters; the limit is {MAX_TEXT_CHARS}")
    if _CONTROL.search(text):
        raise InvalidInput("text contains control characters (binary data?)")
    return text


def parse_item(item: Any) -> tuple[str, date]:
    """``(text, reference_date)`` of one input: a string or ``{"text", "reference_date"?}``."""
    if isinstance(item, str):
        return check_text(item), date.today()
    if isinstance(item, dict):
        return check_text(item.get("text")), parse_reference_date(item.get("reference_date"))
    raise InvalidInput("each input must be a string or an object with 'text'")


class NerPredictor(Predictor):
    """Entities with normalised values for each input text."""

    def __init__(self, directory: Path) -> None:
        self.metadata = ModelMetadata.read(directory)
        self.nlp = use_numpy_blas(spacy.load(Path(directory) / PIPELINE_DIR))
        if GRAMMAR_COMPONENT not in self.nlp.pipe_names:  # a model saved before the grammar layer existed
            self.nlp.add_pipe(GRAMMAR_COMPONENT)

    def predict(self, batch: Sequence[Any]) -> list[dict[str, Any]]:
        """``[{"entities": [{text, label, start, end, value}]}]``, one per input, in order."""
        items = [parse_item(item) for item in batch]
        out = []
        for (_, reference), doc in zip(items, self.nlp.pipe([t for t, _ in items], batch_size=128), strict=True):
            values = normalise_entities([(ent.label_, ent.text) for ent in doc.ents], reference)
            entities = [{"text": ent.text, "label": ent.label_, "start": ent.start_char, "end": ent.end_char,
                         "value": value} for ent, value in zip(doc.ents, values, strict=True)]
            out.append({"entities": entities})
        return out

    def spans(self, texts: Sequence[str]) -> list[list[tuple[int, int, str]]]:
        """Raw ``(start, end, label)`` spans (for evaluation)."""
        return [[(e.start_char, e.end_char, e.label_) for e in doc.ents]
                for doc in self.nlp.pipe(list(texts), batch_size=128)]
