"""Tokenisation shared by training and serving (``tokenizers`` only, so serving needs no torch)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from tokenizers import Tokenizer

IntArray = NDArray[np.int64]


def load_tokenizer(path: Path, max_length: int) -> Tokenizer:
    """A tokenizer that truncates to ``max_length`` and pads each batch to its longest text."""
    tokenizer = Tokenizer.from_file(str(path))
    tokenizer.enable_truncation(max_length=max_length)
    pad_batches(tokenizer)
    return tokenizer


def pad_batches(tokenizer: Tokenizer, pad_id: int = 0) -> None:
    """Right-pad every ``encode_batch`` to its longest encoding with ``pad_id`` (the word-piece ``[PAD]``)."""
    tokenizer.enable_padding(pad_id=pad_id, pad_token=tokenizer.id_to_token(pad_id) or "[PAD]")


def encode(tokenizer: Tokenizer, texts: Sequence[str]) -> tuple[IntArray, IntArray]:
    """``input_ids`` and ``attention_mask`` of a batch, padded by the tokenizer (see :func:`pad_batches`)."""
    encodings = tokenizer.encode_batch(list(texts))
    if not encodings:
        return np.zeros((0, 1), dtype=np.int64), np.zeros((0, 1), dtype=np.int64)
    ids = np.array([e.ids for e in encodings], dtype=np.int64)
    mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
    return ids, mask


def token_counts(tokenizer: Tokenizer, texts: Sequence[str]) -> list[int]:
    """Tokens of each text after truncation, padding excluded."""
    return [sum(e.attention_mask) for e in tokenizer.encode_batch(list(texts))]
