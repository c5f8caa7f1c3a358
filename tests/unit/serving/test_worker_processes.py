"""What several worker processes share: summed metrics, the same masked JSON logging, no stale per-user cache."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import pytest

from nivesh_ml.config import CacheSettings, ServerSettings, Settings
from nivesh_ml.serving.app import build_services, per_user_cache_shared
from nivesh_ml.serving.models import LoadedModel
from nivesh_ml.serving.process import MULTIPROC_ENV, server_environment

WORKER = """
import sys
from nivesh_ml.serving.metrics import Metrics
m = Metrics()
for _ in range(int(sys.argv[1])):
    m.requests.labels(route="/health", method="GET", status="200").inc()
m.model_ready.labels(model="intent").set(int(sys.argv[2]))
"""

SCRAPE = """
from nivesh_ml.serving.metrics import Metrics, exposition
print(exposition(Metrics().registry).decode())
"""


def _run(code: str, env: dict[str, str], *args: str) -> str:
    done = subprocess.run([sys.executable, "-c", code, *args], env=env, capture_output=True, text=True,
                          timeout=120, check=True)
    return done.stdout


def _sample(text: str, prefix: str) -> float:
    return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines() if line.startswith(prefix))


def test_a_scrape_of_any_worker_sums_every_worker(tmp_path: Path) -> None:
    env = {**os.environ, MULTIPROC_ENV: str(tmp_path)}
    _run(WORKER, env, "3", "1")
    _run(WORKER, env, "4", "0")  # this worker has not loaded intent
    text = _run(SCRAPE, env)
    assert _sample(text, 'nivesh_http_requests_total{method="GET",route="/health",status="200"}') == 7
    # livemin: ready only when every live worker is (the two exited ones were not marked dead)
    assert _sample(text, 'nivesh_model_ready{model="intent"}') == 0


def test_without_the_directory_metrics_are_per_process(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != MULTIPROC_ENV}
    assert "nivesh_http_requests_total{" not in _run(SCRAPE, env)


def test_serve_makes_one_fresh_metrics_directory_per_start(tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(MULTIPROC_ENV, raising=False)
    settings = Settings(home=tmp_path / "var")
    with server_environment(settings, 2) as first:
        assert first is not None and first.is_dir() and os.environ[MULTIPROC_ENV] == str(first)
        assert os.environ["NIVESH_SERVER__WORKERS"] == "2"
    assert not first.exists() and MULTIPROC_ENV not in os.environ
    with server_environment(settings, 2) as second:  # the next start (or another server on this home): its own
        assert second is not None and second != first and list(second.iterdir()) == []
    with server_environment(settings, 1) as single:
        assert single is None and MULTIPROC_ENV not in os.environ


def test_an_operator_set_directory_is_emptied(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    given = tmp_path / "prom"
    given.mkdir()
    (given / "counter_123.db").write_bytes(b"old values")
    monkeypatch.setenv(MULTIPROC_ENV, str(given))
    with server_environment(Settings(home=tmp_path / "var"), 1) as directory:
        assert directory == given and list(given.iterdir()) == []
    assert given.is_dir()


LOGGING = """
import logging, logging.config, warnings
from nivesh_ml.logs import uvicorn_log_config
logging.config.dictConfig(uvicorn_log_config("INFO", True))
logging.getLogger("uvicorn.error").info("started for ravi@example.com")
try:
    raise ValueError("account 123456789012 rejected")
except ValueError:
    logging.getLogger("nivesh_ml.server").exception("unhandled error for 9876543210")
warnings.warn("PAN ABCDE1234F seen")
"""


@pytest.mark.parametrize("secret", ["ravi@example.com", "123456789012", "9876543210", "ABCDE1234F"])
def test_worker_logging_is_masked_json_with_tracebacks(secret: str) -> None:
    done = subprocess.run([sys.executable, "-c", LOGGING], capture_output=True, text=True, timeout=60, check=True)
    lines = [json.loads(line) for line in done.stderr.splitlines() if line.strip()]
    assert {line["logger"] for line in lines} >= {"uvicorn.error", "nivesh_ml.server", "py.warnings"}
    assert all(line["pid"] > 0 for line in lines)
    traceback = next(line["traceback"] for line in lines if "traceback" in line)
    assert "ValueError" in traceback
    assert secret not in done.stderr


def _model() -> LoadedModel[Any]:
    return cast(LoadedModel[Any], SimpleNamespace(version="1", name="spending"))


@pytest.mark.parametrize(("workers", "cache", "computed"), [(1, "memory", 1), (2, "memory", 2), (2, "none", 2)])
def test_per_user_answers_are_not_cached_per_worker_when_several_workers(
        tmp_path: Path, workers: int, cache: str, computed: int) -> None:
    settings = Settings(home=tmp_path / "var", server=ServerSettings(workers=workers),
                        cache=CacheSettings(type=cache))  # type: ignore[arg-type]
    services = build_services(settings, model_names=[])
    calls: list[int] = []

    def compute() -> dict[str, Any]:
        calls.append(1)
        return {"forecast": 1}

    for _ in range(2):
        assert services.cached_predict("spending", _model(), {"m": 3}, compute, user_id="u1") == {"forecast": 1}
    assert len(calls) == computed
    # answers that do not depend on a user's stored history are still cached in each worker
    shared: list[int] = []

    def compute_shared() -> dict[str, Any]:
        shared.append(1)
        return {"i": 1}

    for _ in range(2):
        services.cached_predict("intent", _model(), {"t": "x"}, compute_shared)
    assert len(shared) == (1 if cache == "memory" else 2)


def test_per_user_cache_is_shared_only_with_redis_or_one_worker() -> None:
    assert per_user_cache_shared(Settings(server=ServerSettings(workers=1)))
    assert not per_user_cache_shared(Settings(server=ServerSettings(workers=4)))
    assert per_user_cache_shared(Settings(server=ServerSettings(workers=4), redis_url="redis://localhost:1/0"))


SERVING = """
import sys
import nivesh_ml.serving.worker as worker
from fastapi.testclient import TestClient
from nivesh_ml.config import Settings
with TestClient(worker.create_app(Settings(home=sys.argv[1]))) as client:
    assert client.get("/health").status_code == 200
    client.post("/predict/intent", json={"text": "pay my electricity bill"})
loaded = [m for m in ("torch", "transformers") if m in sys.modules]
try:
    import torch  # noqa: F401
    refused = False
except ModuleNotFoundError:
    refused = True
print(loaded, refused)
"""


def test_a_serving_worker_never_imports_torch_or_transformers(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-c", SERVING, str(tmp_path / "var")], capture_output=True, text=True,
                          timeout=300, env={**os.environ, "HF_HUB_OFFLINE": "1"})
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip().splitlines()[-1] == "[] True"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc malloc")
def test_a_worker_limits_its_malloc_arenas() -> None:
    """The worker module sets M_ARENA_MAX through glibc's mallopt when it is imported (RSS flat under threads)."""
    probe = "import nivesh_ml.serving.worker as w; print(w.limit_malloc_arenas())"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "HF_HUB_OFFLINE": "1"})
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.split()[-1:] == ["True"]


@pytest.mark.parametrize(("preset", "expected"), [(None, 1), ("2", 2)])
def test_a_worker_runs_one_blas_thread_unless_told_otherwise(preset: str | None, expected: int) -> None:
    """Workers scale by processes: NumPy's OpenBLAS gets one thread each (the operator's OPENBLAS_NUM_THREADS
    wins), whether NumPy loads after the worker module or was loaded before it."""
    probe = ("import sys; import numpy; import nivesh_ml.serving.worker; from threadpoolctl import threadpool_info; "
             "print([i['num_threads'] for i in threadpool_info() if i['user_api'] == 'blas'])")
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    if preset is not None:
        env["OPENBLAS_NUM_THREADS"] = preset
    for code in (probe, probe.replace("import numpy; ", "")):  # NumPy loaded before / after the worker module
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
                              env={**env, "HF_HUB_OFFLINE": "1"})
        assert done.returncode == 0, done.stderr[-3000:]
        pools = json.loads(done.stdout.strip().splitlines()[-1])
        assert pools and set(pools) == {expected}, (code, pools)
