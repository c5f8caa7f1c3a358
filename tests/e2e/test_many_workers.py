"""Two servers with two workers each, one Redis, one real ``mlflow server``: they behave as one service.

A promotion through the CLI reaches all four workers within 5 s (Redis pub/sub; the alias poll is set far
beyond that so only the message can explain it); a scrape of either server reports the requests of both its
workers; every worker logs masked JSON. The registry is an ``mlflow server`` process (SQLite backend store, local
artefact destination served by it) that the servers and the CLI reach over HTTP; the servers share one home
(its registry cache).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from nivesh_ml.config import Settings
from nivesh_ml.models import get_family
from nivesh_ml.models.base import ModelMetadata
from nivesh_ml.pipelines.training import train_model
from nivesh_ml.registry import ModelRegistry
from tests.conftest import free_port

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

# Only the serving path matters here, not accuracy (as in test_schemathesis).
TINY_INTENT = {"epochs": 1, "max_steps": 20, "per_label": 20, "batch_size": 32, "max_length": 32, "threads": 1,
               "calibration_size": 32}
PROPAGATION_S = 5.0
POLL_S = 2.0
SECRETS = ("9876543210", "ravi.kumar@example.com")
NO_KEYS_NOTICE = "No API keys configured (NIVESH_API_KEYS): serving on loopback only."


class Fleet:
    """The servers under test, and every response received from each (what its counter must equal)."""

    def __init__(self, ports: list[int], logs: list[Path], redis_url: str, tracking_uri: str) -> None:
        self.redis_url = redis_url
        self.tracking_uri = tracking_uri
        self.ports = ports
        self.logs = logs
        self.sent: Counter[int] = Counter()

    def get(self, port: int, path: str) -> httpx.Response:
        # A new connection per request, so that the kernel hands requests to either worker.
        response = httpx.get(f"http://127.0.0.1:{port}{path}", timeout=10.0)
        if path != "/metrics":  # the server does not count its own scrapes
            self.sent[port] += 1
        return response

    def served(self, port: int) -> tuple[int, str | None]:
        body = self.get(port, "/models").json()
        return body["pid"], next(m["version"] for m in body["models"] if m["name"] == "intent")


@pytest.fixture(scope="module")
def tracking_uri(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real ``mlflow server``: SQLite backend store, artefacts in a local directory it serves."""
    root = tmp_path_factory.mktemp("mlflow-server")
    port = free_port()
    log_path = root / "server.log"
    with log_path.open("wb") as out:
        proc = subprocess.Popen([str(Path(sys.executable).with_name("mlflow")), "server",
                                 "--backend-store-uri", f"sqlite:///{root / 'mlflow.db'}",
                                 "--artifacts-destination", str(root / "artifacts"),
                                 "--host", "127.0.0.1", "--port", str(port), "--workers", "2"],
                                stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    uri = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 300
        while True:
            assert proc.poll() is None, log_path.read_text()[-3000:]
            assert time.monotonic() < deadline, "mlflow server did not answer /health"
            try:
                if httpx.get(f"{uri}/health", timeout=5).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.3)
        yield uri
    finally:
        os.killpg(proc.pid, signal.SIGTERM)  # the CLI and the uvicorn workers it started (its own session)
        proc.wait(timeout=60)


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory, tracking_uri: str) -> tuple[Path, str]:
    """A home whose registry is the mlflow server: intent v1 champion, v2 registered (not promoted)."""
    path = tmp_path_factory.mktemp("intent-home") / "var"
    settings = Settings(home=path, mlflow_tracking_uri=tracking_uri)
    result = train_model(settings, "intent", None, TINY_INTENT, promote=True)
    assert result.promotion and result.promotion["promoted"], result.promotion
    assert not (path / "mlflow.db").exists()  # the registry is the server, not the home's SQLite
    source = next((path / "models" / "runs").glob("intent-*"))  # v2: the same artefacts, registered again
    second = ModelRegistry(settings).log_model(get_family("intent"), source, ModelMetadata.read(source))
    return path, second.version


@pytest.fixture
def fleet(home: tuple[Path, str], tracking_uri: str, clean_redis: str, tmp_path: Path) -> Iterator[Fleet]:
    """Two servers that can learn of a promotion quickly only through pub/sub (their poll is 600 s)."""
    yield from _fleet(home[0], tracking_uri, clean_redis, tmp_path, poll_s=600)


@pytest.fixture
def polling_fleet(home: tuple[Path, str], tracking_uri: str, clean_redis: str, tmp_path: Path) -> Iterator[Fleet]:
    """Two servers that poll every 2 s and listen on a channel nobody publishes to (pub/sub out of play)."""
    yield from _fleet(home[0], tracking_uri, clean_redis, tmp_path, poll_s=POLL_S,
                      channel="nivesh:nobody-publishes-here")


def _fleet(home: Path, tracking_uri: str, redis_url: str, tmp_path: Path, poll_s: float,
           channel: str = "nivesh:champions") -> Iterator[Fleet]:
    env = {**os.environ, "NIVESH_HOME": str(home), "NIVESH_REDIS_URL": redis_url,
           "NIVESH_MLFLOW_TRACKING_URI": tracking_uri,
           "NIVESH_SERVER__CHAMPION_POLL_S": str(poll_s), "NIVESH_SERVER__CHAMPION_CHANNEL": channel,
           "NIVESH_LOG_LEVEL": "INFO", "NIVESH_SERVER__LOG_JSON": "true", "HF_HUB_OFFLINE": "1"}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    ports = [free_port(), free_port()]
    logs = [tmp_path / f"server-{i}.log" for i in range(2)]
    procs = []
    for port, log_path in zip(ports, logs, strict=True):
        with log_path.open("wb") as stderr:
            procs.append(subprocess.Popen(
                [sys.executable, "-m", "nivesh_ml.cli", "serve", "--workers", "2", "--port", str(port),
                 "--no-bootstrap"], env=env, stdout=subprocess.DEVNULL, stderr=stderr))
    fleet = Fleet(ports, logs, redis_url, tracking_uri)
    try:
        for port, proc in zip(ports, procs, strict=True):
            _wait_ready(fleet, port, proc)
        yield fleet
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(timeout=60)


def _wait_ready(fleet: Fleet, port: int, proc: subprocess.Popen[bytes], timeout: float = 300.0) -> None:
    """Until both workers of ``port`` serve intent (each loads it at start-up)."""
    deadline = time.monotonic() + timeout
    pids: set[int] = set()
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"server on {port} exited with {proc.returncode}")
        try:
            pid, version = fleet.served(port)
        except httpx.HTTPError:
            time.sleep(0.2)
            continue
        if version is not None:
            pids.add(pid)
        if len(pids) == 2:
            return
    raise AssertionError(f"server on {port}: workers serving intent {pids}, expected 2")


def _workers(fleet: Fleet, tries: int = 400) -> dict[int, int]:
    """pid -> port of every worker, found by asking until both of each server answered."""
    found: dict[int, int] = {}
    for _ in range(tries):
        for port in fleet.ports:
            found[fleet.served(port)[0]] = port
        if len(found) == 4:
            return found
    raise AssertionError(f"found workers {found}, expected 4")


def _promote_and_watch(fleet: Fleet, home: Path, version: str, workers: dict[int, int], within_s: float) -> None:
    """``nivesh-ml models promote intent <version> --force``, then every worker must serve it ``within_s``."""
    cli = subprocess.run([sys.executable, "-m", "nivesh_ml.cli", "models", "promote", "intent", version, "--force"],
                         env={**os.environ, "NIVESH_HOME": str(home), "NIVESH_REDIS_URL": fleet.redis_url,
                              "NIVESH_MLFLOW_TRACKING_URI": fleet.tracking_uri},
                         capture_output=True, text=True, timeout=120)
    assert cli.returncode == 0, cli.stderr
    promoted_at = time.monotonic()
    versions: dict[int, str | None] = {}
    while time.monotonic() - promoted_at < within_s:
        for port in fleet.ports:
            pid, served = fleet.served(port)
            versions[pid] = served
        if len(versions) == 4 and set(versions.values()) == {version}:
            break
        time.sleep(0.02)
    if versions != {pid: version for pid in workers}:
        said = [line for path in fleet.logs for line in path.read_text().splitlines() if "intent" in line]
        raise AssertionError(f"within {within_s}s: {versions}; the servers logged:\n" + "\n".join(said[-20:]))


def _requests_counted(fleet: Fleet, port: int) -> float:
    text = fleet.get(port, "/metrics").text
    return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
               if line.startswith("nivesh_http_requests_total{"))


def test_two_servers_of_two_workers_behave_as_one_service(fleet: Fleet, home: tuple[Path, str]) -> None:
    workers = _workers(fleet)
    assert len(workers) == 4

    # 1. A promotion through the CLI reaches every worker of every server within seconds.
    _promote_and_watch(fleet, home[0], home[1], workers, PROPAGATION_S)

    # 2. Personal data in a request reaches each worker's log (masked).
    for _ in range(40):
        for port in fleet.ports:
            assert fleet.get(port, f"/users/{SECRETS[0]}/{SECRETS[1]}").status_code == 404

    # 3. Either server's scrape counts the requests of both its workers.
    for port in fleet.ports:
        deadline = time.monotonic() + 3  # the count is recorded just after the response is sent
        while _requests_counted(fleet, port) != fleet.sent[port] and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _requests_counted(fleet, port) == fleet.sent[port]

    # 4. Every line every worker wrote is JSON, personal data masked; each worker logged its requests.
    text = "".join(path.read_text() for path in fleet.logs)
    raw = [line for line in text.splitlines() if line.strip()]
    # `serve` itself prints one console notice before the workers start; everything else is a log line.
    assert [line for line in raw if not line.startswith("{")] == [NO_KEYS_NOTICE] * 2
    lines = [json.loads(line) for line in raw if line.startswith("{")]
    assert not any(secret in text for secret in SECRETS)
    request_pids = {line["pid"] for line in lines if line["message"] == "request" and "/users/" in line["path"]}
    assert request_pids == set(workers)
    assert any(line["logger"].startswith("uvicorn") for line in lines)

    # 5. No serving worker (intent champion loaded) mapped torch; the resident memory of each is reported.
    for pid in workers:
        maps = Path(f"/proc/{pid}/maps").read_text()
        assert "libtorch" not in maps and "/torch/" not in maps
        rss_kb = next(int(line.split()[1]) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
                      if line.startswith("VmRSS:"))
        print(f"worker {pid}: VmRSS {rss_kb / 1024:.0f} MB")



def test_without_pub_sub_every_worker_follows_within_one_poll(polling_fleet: Fleet,
                                                               home: tuple[Path, str]) -> None:
    workers = _workers(polling_fleet)
    current = ModelRegistry(Settings(home=home[0], mlflow_tracking_uri=polling_fleet.tracking_uri)
                            ).champion_version("intent")
    target = "1" if current == home[1] else home[1]
    # One poll interval, plus the same allowance for loading as with pub/sub.
    _promote_and_watch(polling_fleet, home[0], target, workers, POLL_S + PROPAGATION_S)
