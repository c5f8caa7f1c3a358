import json
import logging

import pytest

from nivesh_ml.logs import JsonFormatter
from nivesh_ml.pii import luhn_valid, mask_pii, mask_value, verhoeff_valid


@pytest.mark.parametrize(("text", "kind"), [
    ("my PAN is ABCDE1234F", "PAN"),
    ("aadhaar 2345 6789 0124", "AADHAAR"),  # Verhoeff-valid
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


@pytest.mark.parametrize(("text", "kind"), [
    ("call 98765 43210 now", "PHONE"),
    ("call 98765.43210 now", "PHONE"),
    ("call +91 98765 43210 now", "PHONE"),
    ("call +91-98765-43210 now", "PHONE"),
    ("card 4111.1111.1111.1111 ok", "CARD"),
    ("card 4111  1111  1111  1111 ok", "CARD"),
    ("card 4111\t1111 1111\n1111 ok", "CARD"),
    ("aadhaar 2345.6789.0124 ok", "AADHAAR"),
    ("aadhaar 2345  6789  0124 ok", "AADHAAR"),
    ("a/c no:   XX1234 ok", "MASKED_ACCOUNT"),
])
def test_separated_identifiers_are_masked(text: str, kind: str) -> None:
    masked, kinds = mask_pii(text)
    assert kinds == [kind]
    assert f"[{kind}]" in masked and not any(ch.isdigit() for ch in masked)


@pytest.mark.parametrize("text", ["I have ₹1,50,00,000 saved", "worth Rs 15000000000000 today",
                                  "1,50,00,000 rupees", "₹5,000.50 spent"])
def test_large_rupee_amounts_are_not_identifiers(text: str) -> None:
    assert mask_pii(text) == (text, [])


def test_unmarked_long_or_grouped_number_failing_its_checksum_is_an_account() -> None:
    masked, kinds = mask_pii("ref 15000000000000 and 2345 6789 0123 and 4111 1111 1111 1112")
    assert kinds == ["ACCOUNT"] and masked == "ref [ACCOUNT] and [ACCOUNT] and [ACCOUNT]"


def test_a_decimal_number_whose_digits_pass_luhn_is_not_a_card() -> None:
    # a Unix time with microseconds (16 digits, Luhn-valid): CI once failed on such a timestamp in a JSON log line
    text = '{"received_at": 1764785361.123458, "card": "4111.1111.1111.1111"}'
    masked, kinds = mask_pii(text)
    assert kinds == ["CARD"] and masked == '{"received_at": 1764785361.123458, "card": "[CARD]"}'


def test_checksums() -> None:
    assert luhn_valid("4111111111111111") and not luhn_valid("4111111111111112")
    assert verhoeff_valid("234567890124") and not verhoeff_valid("234567890123")


def test_mask_value_masks_keys_and_nested_values() -> None:
    payload = {"9876543210": {"note": ["mail a.b@example.com", ("PAN ABCDE1234F", 5)]}, "amount": 5000}
    assert mask_value(payload) == {"[PHONE]": {"note": ["mail [EMAIL]", ("PAN [PAN]", 5)]}, "amount": 5000}


def test_whitespace_runs_are_collapsed_and_long_text_capped() -> None:
    assert mask_pii("a/c" + " " * 5000 + "z")[0] == "a/c z"
    assert mask_pii("a/c" + " " * 5000 + "z", max_chars=100)[0] == "a/c "
    assert len(mask_pii("x" * 50_000)[0]) == 20_000
