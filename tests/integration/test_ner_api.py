"""POST /predict/ner and `nivesh-ml train/evaluate ner` against a promoted tiny model (real MLflow on SQLite)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from nivesh_ml.data import bundled_path
from tests.promoted import app_client, promoted_home

pytestmark = [pytest.mark.integration, pytest.mark.slow]

TINY = {"epochs": 2, "width": 32, "depth": 2, "embed_size": 500, "hidden_width": 32}


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home, result = promoted_home(tmp_path_factory, "ner", TINY)
    assert set(result.metrics["per_label"]) <= {"MONEY", "DATE", "CATEGORY", "MERCHANT", "ACCOUNT"}
    return home


@pytest.fixture
def client(home: Path) -> Iterator[TestClient]:
    with app_client(home) as client:
        yield client


def test_entities_with_values_and_model_version(client: TestClient) -> None:
    text = "Rs.2,500.00 debited from A/c XX7788 on 15/08/2024"
    response = client.post("/predict/ner", json={"text": text, "reference_date": "2025-01-15"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["model_version"] and body["reference_date"] == "2025-01-15"
    for ent in body["entities"]:
        assert text[ent["start"]:ent["end"]] == ent["text"]
        assert ent["label"] in {"MONEY", "DATE", "CATEGORY", "MERCHANT", "ACCOUNT"}
    assert client.post("/predict/ner", json={"text": text, "reference_date": "2025-01-15"}).json() == body


def test_international_money_and_relative_dates(client: TestClient) -> None:
    """Issue 16: even a 2-epoch model answers these through the grammar layer (DESIGN.md §8)."""
    text = "I sent 300 euros to my sister 5 days ago and will pay 45 pounds by the end of this year"
    response = client.post("/predict/ner", json={"text": text, "reference_date": "2025-01-15"})
    assert response.status_code == 200, response.text
    found = {(e["text"], e["label"]): e["value"] for e in response.json()["entities"]}
    assert found[("300 euros", "MONEY")] == {"amount": 300.0, "currency": "EUR"}
    assert found[("45 pounds", "MONEY")] == {"amount": 45.0, "currency": "GBP"}
    assert found[("5 days ago", "DATE")] == {"start": "2025-01-10", "end": "2025-01-10"}
    assert found[("by the end of this year", "DATE")] == {"start": "2025-01-15", "end": "2025-12-31"}
    clock = client.post("/predict/ner", json={"text": "call me back at 5 pm, it's been 10 days"}).json()
    assert all(e["label"] != "MONEY" for e in clock["entities"]), clock


def test_reference_date_is_optional(client: TestClient) -> None:
    response = client.post("/predict/ner", json={"text": "paid 5k yesterday"})
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("payload", [
    {"text": ""}, {"text": "   "}, {"text": "x" * 10_240}, {"text": "\x00\x01\x02\xff binary"},
    {"text": "ok", "reference_date": "2025-13-45"}, {"text": "ok", "reference_date": "yesterday"},
    {"text": "ok", "reference_date": "0001-01-01"}, {"text": "ok", "reference_date": "9999-12-31"},
    {"text": 42}, {}, {"text": "ok", "extra": 1},
])
def test_bad_input_is_422(client: TestClient, payload: dict[str, Any]) -> None:
    response = client.post("/predict/ner", json=payload)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "invalid_input"


def test_cli_evaluate_json_on_a_user_file(home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from nivesh_ml.cli import app
    from nivesh_ml.config import get_settings

    monkeypatch.setenv("NIVESH_HOME", str(home))
    get_settings.cache_clear()
    data = tmp_path / "eval.jsonl"
    data.write_text("\n".join(bundled_path("ner_holdout.jsonl").read_text().splitlines()[:20]) + "\n")
    result = CliRunner().invoke(app, ["evaluate", "ner", "--data", str(data), "--json"])
    get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    metrics = json.loads(result.stdout)
    assert "micro_f1" in metrics and "per_label" in metrics
    for scores in metrics["per_label"].values():
        assert set(scores) >= {"precision", "recall", "f1"}
