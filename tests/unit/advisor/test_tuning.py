"""Gemini tuning export and the advisor CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from nivesh_ml.advisor.tuning import export_tuning, tuning_examples
from nivesh_ml.cli import app
from nivesh_ml.errors import InvalidInput
from nivesh_ml.pii import mask_pii


def test_tuning_set_is_in_gemini_format_without_pii(tmp_path: Path) -> None:
    summary = export_tuning(tmp_path / "tune.jsonl")
    rows = [json.loads(line) for line in (tmp_path / "tune.jsonl").read_text().splitlines()]
    assert summary["examples"] == len(rows) >= 100
    for row in rows:
        roles = [c["role"] for c in row["contents"]]
        assert roles == ["user", "model"]
        assert row["systemInstruction"]["parts"][0]["text"]
        for content in row["contents"]:
            assert mask_pii(content["parts"][0]["text"])[1] == []


def test_too_few_pairs_are_rejected(tmp_path: Path) -> None:
    small = tmp_path / "small.jsonl"
    small.write_text(json.dumps({"question": "q", "answer": "a"}) + "\n")
    with pytest.raises(InvalidInput):
        tuning_examples(small)


def test_cli_export_tuning(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["advisor", "export-tuning", "--out", str(tmp_path / "t.jsonl")])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["examples"] >= 100


def test_cli_chat_answers_each_line_with_sources(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                 keyword_retriever: object) -> None:
    from nivesh_ml.advisor import service
    from nivesh_ml.config import get_settings

    monkeypatch.setenv("NIVESH_HOME", str(tmp_path / "var"))
    get_settings.cache_clear()
    monkeypatch.setattr(service, "load_retriever", lambda *_a, **_k: keyword_retriever)
    result = CliRunner().invoke(app, ["advisor", "chat"],
                                input="What is the EMI on 30 lakh at 8.5% for 20 years?\nexit\n")
    get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert "nivesh (offline)>" in result.stdout and "₹26,035" in result.stdout
    assert "source: Managing Debt, EMIs and Prepayment" in result.stdout
