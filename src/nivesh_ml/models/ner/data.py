"""NER data: JSONL loading, the span checker (line numbers for every bad span) and seeded splits."""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from spacy.language import Language

from nivesh_ml.data.loaders import jsonl_objects
from nivesh_ml.errors import InvalidInput
from nivesh_ml.models.ner.tokens import make_blank_nlp

LABELS: tuple[str, ...] = ("MONEY", "DATE", "CATEGORY", "MERCHANT", "ACCOUNT")
MAX_REPORTED_ERRORS = 50
_TRAILING_PUNCT = ".,;:!?"


@dataclass(frozen=True)
class NerExample:
    """One annotated sentence: text and ``(start, end, label)`` character spans (end exclusive)."""

    text: str
    entities: tuple[tuple[int, int, str], ...] = field(default_factory=tuple)
    # Template-generated (models/ner/synthetic.py) rather than hand-written: training samples these per epoch.
    generated: bool = False

    def as_dict(self) -> dict[str, Any]:
        """The JSONL record of this example."""
        return {"text": self.text, "entities": [list(e) for e in self.entities]}


def span_errors(text: Any, entities: Any, nlp: Language) -> list[str]:
    """Everything wrong with one record's spans (empty when it is valid)."""
    if not isinstance(text, str) or not text.strip():
        return ["'text' must be a non-empty string"]
    if not isinstance(entities, list):
        return ["'entities' must be a list of [start, end, LABEL]"]
    doc = nlp.make_doc(text)
    errors: list[str] = []
    previous_end = -1
    for index, entity in enumerate(sorted(entities, key=_sort_key)):
        if (not isinstance(entity, list | tuple) or len(entity) != 3 or not isinstance(entity[2], str)
                or not all(isinstance(v, int) and not isinstance(v, bool) for v in entity[:2])):
            errors.append(f"entity {index}: expected [start, end, LABEL], got {entity!r}")
            continue
        start, end, label = entity
        errors.extend(_one_span_errors(text, start, end, label, previous_end, doc))
        previous_end = max(previous_end, end)
    return errors


def _sort_key(entity: Any) -> tuple[int, int]:
    try:
        return int(entity[0]), int(entity[1])
    except (TypeError, ValueError, IndexError, KeyError):
        return -1, -1


def _one_span_errors(text: str, start: int, end: int, label: str, previous_end: int, doc: Any) -> list[str]:
    where = f"[{start}, {end}, {label}]"
    if not label.strip() or label != label.strip():
        return [f"{where}: empty or padded label"]
    if not 0 <= start < end <= len(text):
        return [f"{where}: offsets out of range for a text of {len(text)} characters"]
    surface = text[start:end]
    if surface != surface.strip():
        return [f"{where}: span {surface!r} has leading or trailing whitespace"]
    if start < previous_end:
        return [f"{where}: overlaps the previous span"]
    if doc.char_span(start, end) is None:
        return [f"{where}: span {surface!r} does not start and end on token boundaries"]
    if surface[-1] in _TRAILING_PUNCT and len(surface) > 1 and not surface.endswith(("Rs.", "rs.")):
        return [f"{where}: span {surface!r} ends in punctuation"]
    return []


@lru_cache(maxsize=1)
def _checker_nlp() -> Language:
    return make_blank_nlp()


def parse_records(lines: Iterable[str], source: str, nlp: Language | None = None) -> list[NerExample]:
    """Parse JSONL lines into examples; raise ``InvalidInput`` listing every bad line."""
    nlp = nlp or _checker_nlp()
    examples: list[NerExample] = []
    records, errors = jsonl_objects(lines)
    for line_no, record in records:
        text, entities = record.get("text"), record.get("entities", [])
        problems = span_errors(text, entities, nlp)
        errors.extend({"line": line_no, "error": p} for p in problems)
        if not problems:
            spans = tuple(sorted((int(s), int(e), str(lab)) for s, e, lab in entities))
            examples.append(NerExample(text=str(text), entities=spans))
    if errors:
        errors.sort(key=lambda e: e["line"])
        raise InvalidInput(f"{len(errors)} problem(s) in {source}; first at line {errors[0]['line']}: "
                           f"{errors[0]['error']}", details=errors[:MAX_REPORTED_ERRORS])
    if not examples:
        raise InvalidInput(f"{source} holds no annotated sentences")
    return examples


def load_ner_jsonl(path: Path | str, nlp: Language | None = None) -> list[NerExample]:
    """Read and check an NER JSONL file (``{"text", "entities": [[start, end, LABEL], ...]}``)."""
    path = Path(path)
    if not path.is_file():
        raise InvalidInput(f"file not found: {path}")
    try:
        content = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"{path.name} is not UTF-8 text: {exc.reason}") from exc
    return parse_records(content.splitlines(), path.name, nlp)


def split_examples(examples: Sequence[NerExample], seed: int,
                   fraction: float = 0.2) -> tuple[list[NerExample], list[NerExample]]:
    """A seeded split: ``(rest, held_out)`` with ``fraction`` of the examples held out (at least one)."""
    order = list(range(len(examples)))
    random.Random(seed).shuffle(order)
    n_out = max(1, round(len(examples) * fraction)) if len(examples) > 1 else 0
    held = set(order[:n_out])
    rest = [ex for i, ex in enumerate(examples) if i not in held]
    return rest, [examples[i] for i in sorted(held)]


def labels_of(examples: Iterable[NerExample]) -> list[str]:
    """The labels used in ``examples``, the five standard ones first."""
    seen = {label for ex in examples for _, _, label in ex.entities}
    return [lab for lab in LABELS if lab in seen] + sorted(seen - set(LABELS))
