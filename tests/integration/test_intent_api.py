"""POST /predict/intent and `nivesh-ml evaluate intent` against a promoted, briefly trained model."""

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

SHORT = {"epochs": 2, "batch_size": 32, "learning_rate": 1.5e-4, "max_length": 32, "threads": 1, "calibration_size": 64}


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home, result = promoted_home(tmp_path_factory, "intent", SHORT)
    assert len(result.metrics["per_class"]) == 14
    return home


@pytest.fixture
def client(home: Path) -> Iterator[TestClient]:
    with app_client(home) as client:
        yield client


def test_single_query(client: TestClient) -> None:
    response = client.post("/predict/intent", json={"query": "mera balance kitna hai"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["intent"] == "account_balance" and body["model_version"]
    assert 0 < body["confidence"] <= 1 and body["top_k"][0]["intent"] == "account_balance"
    assert client.post("/predict/intent", json={"query": "Mera  Balance kitna hai"}).json() == body


def test_batch_of_64_in_order(client: TestClient) -> None:
    queries = ["mera balance kitna hai", "what's the capital of France"] * 32
    response = client.post("/predict/intent", json={"queries": queries})
    assert response.status_code == 200, response.text
    body = response.json()
    assert len(body["intent"]) == len(body["confidence"]) == len(body["top_k"]) == 64
    assert body["intent"][:2] == ["account_balance", "general_chat"] and body["model_version"]


@pytest.mark.parametrize("payload", [
    {"query": ""}, {"query": "   \n\t"}, {"query": "x" * 10_240}, {"queries": []}, {"queries": ["ok", " "]},
    {"queries": ["ok"] * 257}, {"query": "ok", "queries": ["ok"]}, {}, {"query": 42}, {"queries": "ok"},
    {"queries": [1, 2]}, {"query": "ok", "extra": 1},
])
def test_bad_input_is_422(client: TestClient, payload: dict[str, Any]) -> None:
    response = client.post("/predict/intent", json=payload)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "invalid_input"


def test_predictions_are_counted_in_metrics(client: TestClient) -> None:
    client.post("/predict/intent", json={"query": "block my card, someone stole it"})
    text = client.get("/metrics").text
    assert 'nivesh_prediction_confidence_count{model="intent"}' in text


def test_cli_evaluate_json_on_the_holdout(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from nivesh_ml.cli import app
    from nivesh_ml.config import get_settings

    monkeypatch.setenv("NIVESH_HOME", str(home))
    get_settings.cache_clear()
    result = CliRunner().invoke(app, ["evaluate", "intent", "--data", str(bundled_path("intents_holdout.csv")),
                                      "--json"])
    get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    metrics = json.loads(result.stdout)
    assert {"accuracy", "macro_f1", "per_class", "confusion_pairs"} <= set(metrics)
    assert len(metrics["per_class"]) == 14


def test_cli_evaluate_names_a_missing_column(home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from nivesh_ml.cli import app
    from nivesh_ml.config import get_settings

    monkeypatch.setenv("NIVESH_HOME", str(home))
    get_settings.cache_clear()
    data = tmp_path / "banking.csv"
    data.write_text("text,category\nwhere is my card,card_arrival\n")
    result = CliRunner().invoke(app, ["evaluate", "intent", "--data", str(data), "--json"])
    get_settings.cache_clear()
    assert result.exit_code != 0
    assert "label" in str(result.exception or "") + result.output


def test_cli_score_intent_over_a_text_column_equals_the_api(home: Path, client: TestClient, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """`nivesh-ml score intent` over a CSV column, in several partitions: the champion's answers, row for row
    (the served predictor), blank texts empty, ids and line numbers kept."""
    import pandas as pd

    from nivesh_ml.cli import app
    from nivesh_ml.config import get_settings

    texts = ["mera balance kitna hai", "", "block my card, someone stole it", None,
             "how much did I spend on food last month", "what's the capital of France"] * 300
    frame = pd.DataFrame({"query_id": [f"q{i}" for i in range(len(texts))], "message": texts})
    data = tmp_path / "queries.csv"
    frame.to_csv(data, index=False)
    api = client.post("/predict/intent", json={"queries": [t for t in texts[:6] if t]}).json()  # 4 texts
    monkeypatch.setenv("NIVESH_HOME", str(home))
    get_settings.cache_clear()
    result = CliRunner().invoke(app, ["score", "intent", "--data", str(data), "--column", "message",
                                      "--out", str(tmp_path / "intents.parquet"), "--scheduler", "inprocess",
                                      "--partition-mb", "0.01"])
    get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["partitions"] > 1 and summary["scored"] == 1200 and summary["blank"] == 600
    got = pd.read_parquet(tmp_path / "intents.parquet").sort_values("line").reset_index(drop=True)
    assert got["query_id"].tolist() == frame["query_id"].tolist() and got["line"].tolist() == list(range(2, 1802))
    scored = got[[bool(t) for t in texts]]
    assert scored["intent"].tolist() == api["intent"] * 300
    assert scored["confidence"].round(4).tolist() == [round(c, 4) for c in api["confidence"]] * 300
    assert got.loc[[not t for t in texts], "intent"].isna().all()
