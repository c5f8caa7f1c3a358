"""POST /predict/spending against a promoted tiny model (real MLflow on SQLite), and the forecast CLI."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from nivesh_ml.data.synthetic import generate_transactions
from tests.promoted import app_client, promoted_home

pytestmark = [pytest.mark.integration, pytest.mark.slow]

TINY = {"calibration_users": 3, "config": {"eligible": ["seasonal_naive", "mean_12", "ets"]}}


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("spending-data") / "transactions.csv"
    generate_transactions(4, 15, seed=11).to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory, data: Path) -> Path:
    return promoted_home(tmp_path_factory, "spending", TINY, data)[0]


@pytest.fixture
def client(home: Path) -> Iterator[TestClient]:
    with app_client(home) as client:
        yield client


def _records(data: Path, user: str, months: list[str] | None = None) -> list[dict[str, Any]]:
    frame = pd.read_csv(data, dtype=str)
    rows = frame[frame["user_id"] == user]
    if months is not None:
        rows = rows[rows["timestamp"].str[:7].isin(months)]
    cols = ["transaction_id", "timestamp", "amount", "direction", "category", "currency"]
    return [{str(k): v for k, v in r.items() if isinstance(v, str)} for r in rows[cols].to_dict("records")]


def test_inline_history_gives_forecasts_per_category_and_total(client: TestClient, data: Path) -> None:
    body = {"user_id": "new-user", "months": 4, "transactions": _records(data, "u00001")}
    response = client.post("/predict/spending", json=body)
    assert response.status_code == 200, response.text
    out = response.json()
    assert out["model_version"] and len(out["total"]) == 4
    months = [r["month"] for r in out["total"]]
    assert months == sorted(months)
    for row in out["forecast"] + out["total"]:
        assert {"month", "amount", "lower", "upper", "model"} <= set(row)
        assert row["lower"] <= row["amount"] <= row["upper"]
    assert {r["category"] for r in out["forecast"]} >= {"groceries"}
    # Money moved is not spending: no transfer or investment series, and asking for one says why.
    assert not {r["category"] for r in out["forecast"]} & {"transfers", "investments"}
    moved = client.post("/predict/spending", json={**body, "category": "transfers"})
    assert moved.status_code == 404 and "not spending" in moved.json()["error"]["message"]
    one = client.post("/predict/spending", json={**body, "category": "groceries"}).json()
    assert {r["category"] for r in one["forecast"]} == {"groceries"} and len(one["total"]) == 4


def test_unknown_user_without_history_is_404_with_a_clear_message(client: TestClient) -> None:
    response = client.post("/predict/spending", json={"user_id": "nobody", "months": 3})
    assert response.status_code == 404
    message = response.json()["error"]["message"]
    assert "nobody" in message and "transactions" in message


@pytest.mark.parametrize("months", [0, 100])
def test_months_out_of_range_is_422(client: TestClient, months: int) -> None:
    response = client.post("/predict/spending", json={"user_id": "u00001", "months": months})
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_input"


def test_inline_transactions_of_another_user_are_rejected(client: TestClient, data: Path) -> None:
    txns = [{**t, "user_id": "someone-else"} for t in _records(data, "u00002")[:5]]
    response = client.post("/predict/spending", json={"user_id": "u00002", "months": 3, "transactions": txns})
    assert response.status_code == 422


def test_new_transactions_invalidate_the_cached_forecast(client: TestClient, data: Path) -> None:
    user = "u00003"
    months = sorted({r["timestamp"][:7] for r in _records(data, user)})
    first, later = months[:12], months[12:]
    assert client.post("/transactions", json={"user_id": user,
                                              "transactions": _records(data, user, first)}).status_code == 200
    before = client.post("/predict/spending", json={"user_id": user, "months": 3}).json()
    again = client.post("/predict/spending", json={"user_id": user, "months": 3}).json()
    assert again == before
    assert client.post("/transactions", json={"user_id": user,
                                              "transactions": _records(data, user, later)}).status_code == 200
    after = client.post("/predict/spending", json={"user_id": user, "months": 3}).json()
    assert after["total"][0]["month"] > before["total"][0]["month"]
    assert after["total"] != before["total"]


def test_forecast_cli_prints_json_and_draws_a_chart(home: Path, data: Path, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    from nivesh_ml.cli import app
    from nivesh_ml.config import get_settings

    monkeypatch.setenv("NIVESH_HOME", str(home))
    get_settings.cache_clear()
    chart = tmp_path / "out.png"
    result = CliRunner().invoke(app, ["forecast", "u00001", "--months", "6", "--plot", str(chart),
                                      "--data", str(data)])
    get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert len(out["total"]) == 6 and out["model_version"]
    assert chart.is_file() and chart.stat().st_size > 10_000


def test_evaluate_cli_reports_metrics_per_model_and_category(home: Path, data: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    from nivesh_ml.cli import app
    from nivesh_ml.config import get_settings

    monkeypatch.setenv("NIVESH_HOME", str(home))
    get_settings.cache_clear()
    result = CliRunner().invoke(app, ["evaluate", "spending", "--data", str(data), "--horizon", "3", "--json"])
    get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    metrics = json.loads(result.stdout)
    for key in ("mape", "smape", "rel_mae", "coverage_80"):
        assert isinstance(metrics[key], float)
    assert "seasonal_naive" in metrics["per_model"] and "chosen" in metrics["per_model"]
    assert "groceries" in metrics["per_category"]
