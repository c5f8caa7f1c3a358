"""Gemini supervised-tuning data set (JSONL) from the curated advisor Q/A pairs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from nivesh_ml.advisor.safety import redact
from nivesh_ml.data import bundled_path
from nivesh_ml.data.loaders import read_jsonl_records
from nivesh_ml.errors import InvalidInput

TUNING_SYSTEM = ("You are Nivesh, a careful personal-finance assistant for people in India. Answer briefly, cite "
                 "rules with their as-of date, never promise returns or recommend specific securities.")
MIN_PAIRS = 100


def tuning_examples(source: Path | None = None, system: str | None = TUNING_SYSTEM) -> list[dict[str, Any]]:
    """One Gemini tuning example per curated pair (question and answer passed through PII redaction).

    Raises:
        InvalidInput: a record lacks its question or answer, or there are fewer than 100 pairs.
    """
    path = source or bundled_path("advisor_tuning.jsonl")
    examples = []
    for i, record in enumerate(read_jsonl_records(path), 1):
        question, answer = str(record.get("question", "")).strip(), str(record.get("answer", "")).strip()
        if not question or not answer:
            raise InvalidInput(f"{path}: record {i} needs 'question' and 'answer'")
        example: dict[str, Any] = {}
        if system:
            example["systemInstruction"] = {"role": "system", "parts": [{"text": system}]}
        example["contents"] = [{"role": "user", "parts": [{"text": redact(question)[0]}]},
                               {"role": "model", "parts": [{"text": redact(answer)[0]}]}]
        examples.append(example)
    if len(examples) < MIN_PAIRS:
        raise InvalidInput(f"{path}: {len(examples)} pairs, a tuning set needs at least {MIN_PAIRS}")
    return examples


def export_tuning(out: Path, source: Path | None = None) -> dict[str, Any]:
    """Write the tuning JSONL to ``out``; returns a summary."""
    examples = tuning_examples(source)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8") as handle:
        for example in examples:
            handle.write(json.dumps(example, ensure_ascii=False) + "\n")
    return {"examples": len(examples), "out": str(out)}
