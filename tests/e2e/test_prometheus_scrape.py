"""A real server (uvicorn) scraped by a real Prometheus on loopback: request metrics and alert rules arrive."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import free_port

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

PROMETHEUS_DIR = Path(__file__).resolve().parents[2] / "deploy" / "prometheus"


def wait_for(url: str, proc: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"{proc.args!r} exited with {proc.returncode}")
        try:
            if httpx.get(url, timeout=1.0).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"{url} did not answer within {timeout}s")


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    """``nivesh-ml``'s app under uvicorn in a subprocess, on a free loopback port."""
    port = free_port()
    env = {**os.environ, "NIVESH_HOME": str(tmp_path / "var"), "NIVESH_LOG_LEVEL": "WARNING"}
    proc = subprocess.Popen([sys.executable, "-m", "uvicorn", "nivesh_ml.serving.app:create_app", "--factory",
                             "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(url + "/health", proc, timeout=120)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@pytest.fixture
def prometheus(server: str, tmp_path: Path) -> Iterator[str]:
    """A real Prometheus scraping ``server`` every second, with the project's alert rules loaded."""
    binary = shutil.which("prometheus")
    if binary is None:
        pytest.fail("prometheus is not installed: run `make services` (apt-get install prometheus)")
    config_dir = tmp_path / "prometheus"
    config_dir.mkdir()
    shutil.copy(PROMETHEUS_DIR / "alerts.yml", config_dir / "alerts.yml")
    target = server.removeprefix("http://")
    (config_dir / "prometheus.yml").write_text(
        "global: {scrape_interval: 1s, evaluation_interval: 1s}\n"
        "rule_files: [alerts.yml]\n"
        f"scrape_configs:\n  - job_name: nivesh-ml\n    static_configs: [{{targets: ['{target}']}}]\n")
    port = free_port()
    proc = subprocess.Popen([binary, f"--config.file={config_dir / 'prometheus.yml'}",
                             f"--storage.tsdb.path={tmp_path / 'tsdb'}", f"--web.listen-address=127.0.0.1:{port}"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(url + "/-/ready", proc)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def query(prometheus: str, expr: str) -> list[dict[str, object]]:
    body = httpx.get(f"{prometheus}/api/v1/query", params={"query": expr}, timeout=5).json()
    assert body["status"] == "success", body
    result: list[dict[str, object]] = body["data"]["result"]
    return result


def test_prometheus_scrapes_request_metrics_from_the_real_server(server: str, prometheus: str) -> None:
    with httpx.Client(base_url=server, timeout=10) as client:
        for _ in range(20):
            assert client.get("/health").status_code == 200
        client.get("/models")
        client.post("/transactions", json={"user_id": "u1", "transactions": [
            {"timestamp": "2025-01-05", "amount": 120.0, "category": "food"}]})

    deadline = time.monotonic() + 60
    health: list[dict[str, object]] = []
    while time.monotonic() < deadline:
        health = query(prometheus, 'sum(nivesh_http_requests_total{route="/health", status="200"})')
        if health and float(health[0]["value"][1]) >= 20:  # type: ignore[index]
            break
        time.sleep(0.5)
    assert health and float(health[0]["value"][1]) >= 20  # type: ignore[index]

    assert query(prometheus, 'up{job="nivesh-ml"} == 1')
    routes = {r["metric"]["route"] for r in query(prometheus, "nivesh_http_requests_total")}  # type: ignore[index]
    assert {"/health", "/models", "/transactions"} <= routes
    assert query(prometheus, "nivesh_http_request_duration_seconds_count")
    rules = httpx.get(f"{prometheus}/api/v1/rules", timeout=5).json()["data"]["groups"]
    assert sum(len(g["rules"]) for g in rules) == 8
