"""The feature store's record codec: plain JSON both ways, readable by json and reading what json wrote."""

from __future__ import annotations

import json

import numpy as np
import pytest

from nivesh_ml.features.codec import decode, encode, encode_text


def test_round_trip_and_plain_json() -> None:
    record = {"transactions": [{"id": "t1", "ts": "2025-01-02T03:04:05", "amount": 12.5, "merchant": None,
                                "city": "Pune ₹"}], "n": 3, "ok": True, "hour": [0, 1]}
    assert decode(encode(record)) == record
    assert json.loads(encode_text(record)) == record  # any JSON reader (an older worker) reads it


def test_reads_what_json_dumps_wrote() -> None:
    legacy = {"amt": {"d": [3, 1.25, 0.5]}, "x": float("nan")}
    back = decode(json.dumps(legacy))  # NaN: a token only Python's json reads
    assert back["amt"] == {"d": [3, 1.25, 0.5]} and np.isnan(back["x"])
    assert decode(json.dumps({"a": 1}).encode()) == {"a": 1}


def test_numpy_scalars_are_written_as_numbers() -> None:
    assert decode(encode({"f": np.float64(1.5), "i": np.int64(7), "b": np.bool_(True)})) == \
        {"f": 1.5, "i": 7, "b": True}


def test_unknown_types_and_non_objects_are_refused() -> None:
    with pytest.raises(TypeError):
        encode({"when": object()})
    with pytest.raises(ValueError, match="JSON object"):
        decode("[1, 2]")
