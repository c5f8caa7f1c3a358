"""Intent tokenisation: the tokenizer pads each batch to its longest text and says which tokens are padding."""

from __future__ import annotations

import numpy as np

from nivesh_ml.models.intent.network import base_model_dir
from nivesh_ml.models.intent.tokens import encode, load_tokenizer, token_counts


def test_a_batch_is_right_padded_with_zeros_and_masked() -> None:
    tokenizer = load_tokenizer(base_model_dir() / "tokenizer.json", max_length=16)
    texts = ["hi", "how much did i spend on food last month", "word " * 40]
    ids, mask = encode(tokenizer, texts)
    counts = token_counts(tokenizer, texts)
    assert ids.shape == mask.shape == (3, 16)  # the longest text, truncated to max_length
    assert mask.sum(axis=1).tolist() == counts and counts[0] < counts[1] < counts[2] == 16
    for row, n in enumerate(counts):
        assert mask[row, :n].all() and not mask[row, n:].any()
        assert (ids[row, n:] == 0).all() and (ids[row, :n] != 0).all()
    alone, _ = encode(tokenizer, ["hi"])
    assert alone.shape == (1, counts[0]) and np.array_equal(alone[0], ids[0, : counts[0]])


def test_an_empty_batch_has_no_rows() -> None:
    ids, mask = encode(load_tokenizer(base_model_dir() / "tokenizer.json", max_length=16), [])
    assert ids.shape[0] == mask.shape[0] == 0
