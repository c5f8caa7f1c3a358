"""A serving process is lean and stops gracefully.

Lean: a worker that has started (champions loaded, ``/health`` and ``/ready`` answered) holds none of the libraries
that only batch jobs, training, tests or an occasional route need; the first route that needs one imports it.
Graceful: SIGTERM to ``nivesh-ml serve`` lets a request in flight finish with 200, refuses new ones, and the
process exits 0. The slow request is a genuine one: a spending forecast over a 20,000-transaction inline history.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from nivesh_ml.config import Settings
from nivesh_ml.data.synthetic import generate_transactions
from nivesh_ml.pipelines.training import train_model
from tests.conftest import free_port
from tests.promoted import TINY_CREDIT

pytestmark = [pytest.mark.integration, pytest.mark.slow]

TINY_SPENDING = {"calibration_users": 3, "config": {"eligible": ["seasonal_naive", "mean_12", "ets"]}}
# Imported by no start-up path: batch (dask), training (torch, transformers), tests (pytest), and libraries that
# only some requests need (forecasting, plots, drift reports, the Gemini SDK, the advisor's keyword index).
ON_NEED_ONLY = ("prophet", "statsforecast", "statsmodels", "numba", "dask", "distributed", "matplotlib", "evidently",
                "google.genai", "bm25s", "pytest", "_pytest", "torch", "transformers")
CATEGORIES = ("groceries", "food", "fuel", "shopping", "utilities", "travel", "entertainment", "rent", "health",
              "education", "emi", "insurance")
GRACEFUL_S = 60  # the drain bound the servers under test are given (a slow request takes seconds)


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Credit and spending trained tiny and promoted: a skops model (anomaly's format too) and a forecaster."""
    root = tmp_path_factory.mktemp("lean-home")
    data = root / "transactions.csv"
    generate_transactions(4, 15, seed=11).to_csv(data, index=False)
    home = root / "var"
    for name, options, path in (("credit", TINY_CREDIT, None), ("spending", TINY_SPENDING, data)):
        result = train_model(Settings(home=home), name, path, options, promote=True)
        assert result.promotion and result.promotion["promoted"], (name, result.promotion)
    return home


def history(n: int, months: int = 36) -> list[dict[str, Any]]:
    """``n`` transactions spread over ``months`` months and a dozen categories."""
    rng = random.Random(7)
    return [{"timestamp": f"{2022 + (i % months) // 12}-{(i % months) % 12 + 1:02d}-{rng.randint(1, 28):02d}T10:00:00",
             "amount": round(rng.uniform(50, 5000), 2), "category": CATEGORIES[i % len(CATEGORIES)]}
            for i in range(n)]


STARTED = """
import json, sys
import nivesh_ml.serving.worker as worker
from fastapi.testclient import TestClient
from nivesh_ml.config import Settings
watched, history = json.loads(sys.argv[2]), json.loads(sys.argv[3])
out = {}
with TestClient(worker.create_app(Settings(home=sys.argv[1]))) as client:
    out["health"] = client.get("/health").status_code
    out["models"] = client.get("/ready").json()["models"]
    out["at_start"] = sorted(m for m in watched if m in sys.modules)
    forecast = client.post("/predict/spending", json={"user_id": "lean", "months": 3, "transactions": history})
    out["forecast"] = forecast.status_code
    out["after_forecast"] = sorted(m for m in watched if m in sys.modules)
print(json.dumps(out))
"""


def test_a_started_worker_holds_no_library_that_only_some_requests_need(home: Path) -> None:
    done = subprocess.run([sys.executable, "-c", STARTED, str(home), json.dumps(ON_NEED_ONLY),
                           json.dumps(history(400))], capture_output=True, text=True, timeout=600,
                          env={**os.environ, "HF_HUB_OFFLINE": "1"})
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["health"] == 200
    assert out["models"]["credit"] and out["models"]["spending"]  # both champions loaded at start-up
    assert out["at_start"] == []
    # The first forecast imports the forecasting library it needs (statsforecast's ETS) and answers.
    assert out["forecast"] == 200
    assert "statsforecast" in out["after_forecast"]


class Server:
    """``nivesh-ml serve`` over ``home`` on a free loopback port, its log in a file."""

    def __init__(self, home: Path, workers: int, log: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.workers = workers
        self.log = log
        env = {**os.environ, "NIVESH_HOME": str(home), "NIVESH_LOG_LEVEL": "INFO", "HF_HUB_OFFLINE": "1",
               "NIVESH_SERVER__LOG_JSON": "true", "NIVESH_SERVER__GRACEFUL_SHUTDOWN_S": str(GRACEFUL_S)}
        env.pop("PROMETHEUS_MULTIPROC_DIR", None)
        with log.open("wb") as stderr:
            self.proc = subprocess.Popen([sys.executable, "-m", "nivesh_ml.cli", "serve", "--no-bootstrap",
                                          "--port", str(self.port), "--workers", str(workers)],
                                         env=env, stdout=subprocess.DEVNULL, stderr=stderr)

    def wait_serving_spending(self, timeout: float = 300.0) -> None:
        """Until every worker serves the spending champion."""
        pids: set[int] = set()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and len(pids) < self.workers:
            assert self.proc.poll() is None, self.log.read_text()[-3000:]
            try:
                body = httpx.get(self.url + "/models", timeout=10).json()
            except httpx.HTTPError:
                time.sleep(0.2)
                continue
            if any(m["name"] == "spending" and m["version"] for m in body["models"]):
                pids.add(body["pid"])
        assert len(pids) == self.workers, f"workers serving spending: {pids}"

    def in_flight(self) -> float:
        text = httpx.get(self.url + "/metrics", timeout=10).text
        return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
                   if line.startswith("nivesh_http_requests_in_flight "))

    def lines(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.log.read_text().splitlines() if line.startswith("{")]

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=60)


@pytest.mark.parametrize("workers", [1, 2])
def test_sigterm_drains_the_request_in_flight_then_exits_0(home: Path, tmp_path: Path, workers: int) -> None:
    server = Server(home, workers, tmp_path / "server.log")
    try:
        server.wait_serving_spending()
        body = {"user_id": "drain", "months": 24, "transactions": history(20_000)}
        answers: dict[str, Any] = {}

        def slow_request() -> None:
            try:
                answers["slow"] = httpx.post(server.url + "/predict/spending", json=body, timeout=GRACEFUL_S * 2)
            except httpx.HTTPError as exc:  # recorded, so that the assertion below names it
                answers["slow"] = exc

        sender = threading.Thread(target=slow_request)
        sender.start()
        deadline = time.monotonic() + 120
        while server.in_flight() < 1:  # the forecast is being computed (the scrape itself is not counted)
            assert sender.is_alive() and time.monotonic() < deadline, f"never seen in flight: {answers}"
            time.sleep(0.01)
        server.proc.send_signal(signal.SIGTERM)

        # Once every worker has begun shutting down (listener closed) a new request is not served: refused, or,
        # with several workers, held unanswered in the supervisor's backlog until it exits and reset then.
        while sum(line["message"] == "Shutting down" for line in server.lines()) < workers:
            assert server.proc.poll() is None and time.monotonic() < deadline + GRACEFUL_S, server.lines()[-5:]
            time.sleep(0.05)
        with pytest.raises(httpx.HTTPError):
            httpx.get(server.url + "/health", timeout=GRACEFUL_S * 2)

        sender.join(GRACEFUL_S * 2)
        slow = answers["slow"]
        assert isinstance(slow, httpx.Response), repr(slow)
        assert slow.status_code == 200 and slow.json()["total"]
        assert server.proc.wait(timeout=GRACEFUL_S + 60) == 0
    finally:
        server.stop()
    # The worker that computed the forecast logged it before its application shut down: drained, not cut off.
    lines = server.lines()
    finished = next(i for i, line in enumerate(lines) if line.get("route") == "/predict/spending")
    shutdown = [i for i, line in enumerate(lines) if line["message"] == "Application shutdown complete."
                and line["pid"] == lines[finished]["pid"]]
    assert lines[finished]["status"] == 200 and shutdown and finished < shutdown[0]
