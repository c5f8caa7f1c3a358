from pathlib import Path

import pytest

from nivesh_ml.data.loaders import load_transactions, read_jsonl_records
from nivesh_ml.errors import InvalidInput


def test_csv_bad_rows_reported_with_line_numbers(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text(
        "user_id,timestamp,amount,currency,direction\n"
        "u1,2025-01-05T10:00:00,250.5,INR,debit\n"
        "u1,not-a-date,100,INR,debit\n"
        "u2,2025-01-06,-5,INR,debit\n"
        "u2,2025-01-07,50,XYZ,debit\n"
        "u3,2025-01-08,75,INR,sideways\n"
    )
    with pytest.raises(InvalidInput) as err:
        load_transactions(path)
    lines = sorted({d["line"] for d in err.value.details})
    assert lines == [3, 4, 5, 6]
    messages = " ".join(d["error"] for d in err.value.details)
    assert "timestamp" in messages and "amount" in messages and "currency" in messages


def test_valid_csv_loads_every_row_with_defaults(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("user_id,timestamp,amount,category,extra\n"
                    "u1,2025-01-05,10,Groceries,x\nu1,2025-01-06 08:30,20,,y\n")
    frame = load_transactions(path)
    assert len(frame) == 2
    assert list(frame["currency"]) == ["INR", "INR"]
    assert list(frame["direction"]) == ["debit", "debit"]
    assert frame["category"].iloc[0] == "groceries"


def test_jsonl_bad_json_line_named(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    path.write_text('{"user_id": "u1", "timestamp": "2025-01-01", "amount": 5}\n{oops\n')
    with pytest.raises(InvalidInput) as err:
        load_transactions(path)
    assert err.value.details[0]["line"] == 2


def test_jsonl_schema_errors_use_file_lines(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    path.write_text('{"user_id": "u1", "timestamp": "2025-01-01", "amount": 5}\n\n'
                    '{"user_id": "u1", "timestamp": "2025-01-01", "amount": 0}\n')
    with pytest.raises(InvalidInput) as err:
        load_transactions(path)
    assert err.value.details[0]["line"] == 3


def test_missing_required_column_and_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("user_id,amount\nu1,5\n")
    with pytest.raises(InvalidInput, match="timestamp"):
        load_transactions(path)
    with pytest.raises(InvalidInput, match="not found"):
        load_transactions(tmp_path / "absent.csv")


def test_read_jsonl_records(tmp_path: Path) -> None:
    path = tmp_path / "n.jsonl"
    path.write_text('{"text": "a", "entities": []}\n{"text": "b", "entities": [[0, 1, "MONEY"]]}\n')
    assert read_jsonl_records(path)[1]["entities"] == [[0, 1, "MONEY"]]
