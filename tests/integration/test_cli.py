"""The command line as a user runs it: clean messages, never a traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration


def run_cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NIVESH_HOME": str(tmp_path / "var"), "HF_HUB_OFFLINE": "1"}
    return subprocess.run([sys.executable, "-m", "nivesh_ml.cli", *args], capture_output=True, text=True,
                          env=env, timeout=300, cwd=tmp_path)


def test_help_lists_the_contract_commands(tmp_path: Path) -> None:
    result = run_cli(tmp_path, "--help")
    assert result.returncode == 0
    for command in ("bootstrap", "serve", "data", "train", "evaluate", "models"):
        assert command in result.stdout


def test_data_generate_writes_files(tmp_path: Path) -> None:
    out = tmp_path / "data"
    result = run_cli(tmp_path, "data", "generate", "--users", "5", "--months", "3", "--seed", "7", "--out", str(out))
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["counts"]
    assert (out / "transactions.csv").is_file() and (out / "applicants.csv").is_file()


@pytest.mark.parametrize("args", [
    ("train", "nonsense"),
    ("evaluate", "credit", "--data", "missing.csv", "--model", "nowhere"),
    ("models", "promote", "nonsense", "1"),
])
def test_bad_input_gives_a_message_not_a_traceback(tmp_path: Path, args: tuple[str, ...]) -> None:
    result = run_cli(tmp_path, *args)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr + result.stdout
    assert "error" in (result.stderr + result.stdout).lower()


def test_help_lists_every_command_group(tmp_path: Path) -> None:
    result = run_cli(tmp_path, "--help")
    assert result.returncode == 0
    for command in ("parse-narration", "forecast", "score", "advisor", "drift", "pipeline"):
        assert command in result.stdout, command


def test_data_ingest_reports_bad_rows_by_line_and_is_idempotent(tmp_path: Path) -> None:
    source = tmp_path / "txns.csv"
    assert run_cli(tmp_path, "data", "generate", "--users", "4", "--months", "2", "--seed", "3", "--out",
                   str(tmp_path / "gen")).returncode == 0
    import pandas as pd

    rows = pd.read_csv(tmp_path / "gen" / "transactions.csv", dtype=str)
    rows.loc[4, "amount"] = "not-a-number"  # line 6: the header is line 1
    rows.to_csv(source, index=False)
    first = run_cli(tmp_path, "data", "ingest", str(source))
    assert first.returncode == 0, first.stderr
    summary = json.loads(first.stdout)
    assert summary["users"] == 4 and summary["rejected"] == 1
    assert summary["rejected_rows"][0]["line"] == 6 and summary["rejected_rows"][0]["error"].startswith("amount")
    assert summary["transactions"] == summary["added"] == len(rows) - 1
    again = json.loads(run_cli(tmp_path, "data", "ingest", str(source)).stdout)
    assert again["added"] == 0 and again["transactions"] == summary["transactions"]


def test_batch_commands_reject_an_unsupported_file_cleanly(tmp_path: Path) -> None:
    source = tmp_path / "txns.xlsx"
    source.write_text("nope")
    result = run_cli(tmp_path, "data", "ingest", str(source))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr + result.stdout
    assert "unsupported file type" in result.stderr


@pytest.mark.parametrize(("name", "content", "said"), [
    ("folder.csv", None, "is a folder"),
    ("empty.csv", b"", "cannot read empty.csv as CSV"),
    ("binary.csv", bytes(range(128, 256)) * 20, "cannot read binary.csv as CSV"),
    ("quote.csv", b'user_id,timestamp,amount\nu1,"2025-01-01T00:00:00,5\n', "cannot read quote.csv as CSV"),
])
def test_batch_commands_reject_an_unreadable_csv_cleanly(tmp_path: Path, name: str, content: bytes | None,
                                                         said: str) -> None:
    source = tmp_path / name
    if content is None:
        source.mkdir()
    else:
        source.write_bytes(content)
    result = run_cli(tmp_path, "data", "ingest", str(source))
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert said in result.stderr


def test_forecast_batch_out_needs_data(tmp_path: Path) -> None:
    result = run_cli(tmp_path, "forecast", "batch", "--out", str(tmp_path / "f.parquet"))
    assert result.returncode == 2
    assert "--out goes with --data" in result.stderr and "Traceback" not in result.stderr
