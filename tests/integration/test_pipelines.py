"""Weekly retraining through the gate (real MLflow on SQLite) and the drift-check pipeline."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import httpx
import numpy as np
import pandas as pd
import pytest
from pydantic import SecretStr

from nivesh_ml.config import Settings
from nivesh_ml.errors import InvalidInput, NotFound
from nivesh_ml.models import available_models
from nivesh_ml.monitoring.prediction_log import PredictionLog
from nivesh_ml.monitoring.reference import save_reference
from nivesh_ml.pipelines import drift_check, retrain, training
from nivesh_ml.registry import ModelRegistry
from tests.conftest import free_port
from tests.toy_family import ToyFamily

pytestmark = pytest.mark.integration


class ToyWithReference(ToyFamily):
    """The toy family, saving reference data like the real models do."""

    def save(self, trained: Any, directory: Path) -> None:
        super().save(trained, directory)
        rng = np.random.default_rng(0)
        save_reference(directory, pd.DataFrame({"amount": rng.normal(100, 10, 300),
                                                "channel": rng.choice(["upi", "card"], 300)}))


@pytest.fixture
def toy(monkeypatch: pytest.MonkeyPatch) -> ToyWithReference:
    family = ToyWithReference()
    for module in (training, retrain):
        monkeypatch.setattr(module, "get_family", lambda name: family)
    for module in (retrain, drift_check):
        monkeypatch.setattr(module, "available_models", lambda: ["toy"])
    return family


class _Recorder(BaseHTTPRequestHandler):
    calls: ClassVar[list[dict[str, Any]]] = []

    def do_POST(self) -> None:
        self.calls.append({"path": self.path, "key": self.headers.get("X-API-Key")})
        body = json.dumps({"reloaded": {"name": "toy", "version": "3"}}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        return


@pytest.fixture
def model_server() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """A stand-in for a running model server that records reload calls."""
    _Recorder.calls = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", _Recorder.calls
    server.shutdown()


def test_weekly_retrain_promotes_better_and_keeps_champion_over_worse(
        settings: Settings, toy: ToyFamily, model_server: tuple[str, list[dict[str, Any]]]) -> None:
    url, calls = model_server
    settings = settings.model_copy(update={"reload_urls": [url], "admin_api_key": SecretStr("admin-secret")})
    registry = ModelRegistry(settings)

    first = retrain.weekly_retrain(settings, ["toy"], options={"accuracy": 0.8})[0]
    assert first["promote"]["promoted"] and first["reload"]["reloaded"]
    assert calls == [{"path": "/models/toy/reload", "key": "admin-secret"}]

    worse = retrain.weekly_retrain(settings, ["toy"], options={"accuracy": 0.7})[0]
    assert not worse["promote"]["promoted"]
    assert "worse than champion" in worse["promote"]["reason"]
    assert not worse["reload"]["reloaded"] and len(calls) == 1  # servers keep the champion
    assert registry.champion("toy").version == first["train"]["version"]  # type: ignore[union-attr]

    better = retrain.weekly_retrain(settings, ["toy"], options={"accuracy": 0.9})[0]
    assert better["promote"]["promoted"] and better["reload"]["servers"][0]["ok"]
    assert registry.champion("toy").version == better["train"]["version"]  # type: ignore[union-attr]
    assert len(calls) == 2


def test_unreachable_server_is_reported_not_hidden(settings: Settings, toy: ToyFamily) -> None:
    settings = settings.model_copy(update={"reload_urls": ["http://127.0.0.1:9"]})
    result = retrain.retrain_model(settings, "toy", options={"accuracy": 0.8})
    assert result["reload"]["failed"] == 1 and not result["reload"]["servers"][0]["ok"]


def test_validation_rejects_bad_training_data(tmp_path: Path) -> None:
    with pytest.raises(NotFound):
        retrain.validate_data("credit", tmp_path / "missing.csv")
    tiny = tmp_path / "tiny.csv"
    tiny.write_text("a,b\n1,2\n")
    with pytest.raises(InvalidInput, match="at least"):
        retrain.validate_data("credit", tiny)
    broken = tmp_path / "txns.csv"
    broken.write_text("user_id,timestamp,amount\nu1,2024-01-01,-5\n")
    with pytest.raises(InvalidInput):
        retrain.validate_data("anomaly", broken)


def test_a_step_needs_the_previous_one(settings: Settings, toy: ToyFamily) -> None:
    with pytest.raises(NotFound, match="has not run"):
        retrain.step_train(settings, "run-1", "toy")


def test_drift_check_retrains_only_when_drift_exceeds_the_threshold(settings: Settings, toy: ToyFamily) -> None:
    retrain.retrain_model(settings, "toy", options={"accuracy": 0.8})
    plog = PredictionLog(settings.var_dir / "predictions.db", 10_000)
    rng = np.random.default_rng(1)
    for amount, channel in zip(rng.normal(100, 10, 100), rng.choice(["upi", "card"], 100), strict=True):
        plog.append("toy", "1", {"transaction": {"amount": float(amount), "channel": str(channel)}}, {})
    calm = drift_check.drift_check_and_retrain(settings, options={"accuracy": 0.85})
    assert calm["checks"][0]["status"] == "ok" and calm["retrained"] == []

    for amount in rng.normal(400, 10, 400):
        plog.append("toy", "1", {"transaction": {"amount": float(amount), "channel": "card"}}, {})
    drifted = drift_check.drift_check_and_retrain(settings, options={"accuracy": 0.85})
    assert drifted["drifted"] == ["toy"]
    assert drifted["retrained"][0]["promote"]["promoted"]


def test_drift_check_skips_models_it_cannot_check(settings: Settings, toy: ToyFamily) -> None:
    result = drift_check.drift_check_and_retrain(settings)
    assert result["checks"][0]["status"] == "skipped" and "no champion" in result["checks"][0]["reason"]
    assert result["retrained"] == []


def run_cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NIVESH_HOME": str(tmp_path / "var"), "HF_HUB_OFFLINE": "1"}
    return subprocess.run([sys.executable, "-m", "nivesh_ml.cli", *args], capture_output=True, text=True,
                          env=env, timeout=300, cwd=tmp_path, check=False)


def test_cli_drift_check_reports_drift_with_exit_code_and_html(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "var")
    model_dir = tmp_path / "model"
    ToyWithReference().save(ToyFamily().train([], {}), model_dir)
    plog = PredictionLog(settings.var_dir / "predictions.db", 10_000)
    for amount in np.random.default_rng(3).normal(300, 10, 100):
        plog.append("anomaly", "1", {"transaction": {"amount": float(amount), "channel": "card"}}, {})
    report = tmp_path / "report.html"
    result = run_cli(tmp_path, "drift", "check", "anomaly", "--since", "1", "--report", str(report),
                     "--model-dir", str(model_dir))
    assert result.returncode == 1, result.stderr  # drifted
    body = json.loads(result.stdout)
    assert body["drift_detected"] and body["drift_share"] >= 0.3 and "amount" in body["drifted_columns"]
    assert report.is_file()


@pytest.mark.parametrize(("args", "message"), [
    (("drift", "check", "credit"), "no champion"),
    (("pipeline", "run", "nightly"), "unknown pipeline"),
    (("pipeline", "step", "train", "credit", "--run-id", "r1"), "has not run"),
])
def test_cli_errors_are_clear_messages(tmp_path: Path, args: tuple[str, ...], message: str) -> None:
    result = run_cli(tmp_path, *args)
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr


@pytest.mark.slow
def test_promotion_reloads_a_real_running_server(tmp_path: Path) -> None:
    """Retrain credit with a server running: the pipeline's reload makes the server serve the new version."""
    if "credit" not in available_models():
        pytest.skip("the credit model is not in this build")
    tiny = {"n_applicants": 400, "n_trials": 1, "max_rounds": 100}
    settings = Settings(home=tmp_path / "var", admin_api_key=SecretStr("admin-key"), api_keys=["client-key"])
    first = retrain.retrain_model(settings, "credit", options=tiny)
    assert first["promote"]["promoted"]

    port = free_port()
    env = {**os.environ, "NIVESH_HOME": str(settings.home), "NIVESH_ADMIN_API_KEY": "admin-key",
           "NIVESH_API_KEYS": "client-key", "NIVESH_LOG_LEVEL": "WARNING", "HF_HUB_OFFLINE": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "uvicorn", "nivesh_ml.serving.app:create_app", "--factory",
                             "--host", "127.0.0.1", "--port", str(port)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(url, proc)
        assert served_version(url, "credit") == first["train"]["version"]
        with_servers = settings.model_copy(update={"reload_urls": [url]})
        second = retrain.retrain_model(with_servers, "credit", options=tiny)  # same data: ties pass the gate
        assert second["promote"]["promoted"]
        assert second["reload"]["servers"] == [{"url": url, "status": 200, "ok": True,
                                                "version": second["train"]["version"]}]
        assert served_version(url, "credit") == second["train"]["version"] != first["train"]["version"]
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def served_version(url: str, model: str) -> str:
    models = httpx.get(f"{url}/models", timeout=10).json()["models"]
    return str(next(m["version"] for m in models if m["name"] == model))


def wait_until_up(url: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        assert proc.poll() is None, "server exited"
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise AssertionError("server did not start")
