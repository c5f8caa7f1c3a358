import json
import logging

import pytest

from nivesh_ml.logs import JsonFormatter
from nivesh_ml.pii import mask_pii


@pytest.mark.parametrize(("text", "kind"), [
    ("my PAN is ABCDE1234F", "PAN"),
    ("aadhaar 2345 6789 0123", "AADHAAR"),
    ("card 4111 1111 1111 1111", "CARD"),
    ("call +91 98765 43210", "PHONE"),
    ("acct 123456789012", "ACCOUNT"),
    ("mail me at a.b@example.com", "EMAIL"),
    ("pay rahul@okhdfcbank", "UPI_ID"),
])
def test_identifiers_are_masked(text: str, kind: str) -> None:
    masked, kinds = mask_pii(text)
    assert kind in kinds
    assert f"[{kind}]" in masked


def test_ordinary_amounts_survive() -> None:
    masked, kinds = mask_pii("I spent ₹5,000 on 15/08/2024 at Swiggy")
    assert masked == "I spent ₹5,000 on 15/08/2024 at Swiggy" and kinds == []


def test_json_logs_mask_pii() -> None:
    record = logging.makeLogRecord({"msg": "user card %s", "args": ("4111111111111111",), "levelname": "INFO"})
    line = json.loads(JsonFormatter().format(record))
    assert "4111111111111111" not in line["message"]
