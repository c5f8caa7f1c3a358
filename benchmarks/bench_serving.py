"""Serving process figures for 1 vs 2 workers: import cost, start-to-ready, resident memory per worker, req/s.

    .venv/bin/python benchmarks/bench_serving.py --home var                  # every champion in var/
    .venv/bin/python benchmarks/bench_serving.py --home var --workers 1 2 --requests 5000 --starts 3

Figures, each printed as a table and then as JSON:

* **import profile**: ``python -X importtime`` of a worker that builds the app and runs its start-up (champions
  loaded, ``/health`` and ``/ready`` answered) in-process: the summed import time, the module count, the packages
  that cost most, and which of the libraries only some requests need are already loaded (should be none).
* **start to ready**: ``nivesh-ml serve --no-bootstrap`` on a free loopback port, process start to every worker
  answering ``/ready`` 200 (or, when some model has no champion in ``--home``, to every worker serving the
  champions that exist), median of ``--starts`` starts. Champions are cached when ``--home`` has served them
  before (the first start downloads them from the registry into the home's cache).
* **load**: the mixed load of ``benchmarks/load.py`` (``--requests`` per concurrency level) against the last
  start; each worker's VmRSS from /proc (Linux) after start-up and after the load, and requests/s.

Run with ``PYTHONPATH=<another checkout>/src`` to measure another revision the same way (the servers inherit it).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import statistics
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
import load

# Libraries a started worker should not hold (training, batch, tests, and those only some requests need).
ON_NEED_ONLY = ("torch", "transformers", "dask", "distributed", "pytest", "prophet", "statsforecast",
                "statsmodels", "numba", "matplotlib", "evidently", "google.genai", "bm25s")
STARTED = """
import json, sys, time
began = time.perf_counter()
import nivesh_ml.serving.worker as worker
from fastapi.testclient import TestClient
from nivesh_ml.config import Settings
imported = time.perf_counter()
with TestClient(worker.create_app(Settings(home=sys.argv[1]))) as client:
    client.get("/health")
    ready = client.get("/ready").status_code
    on_need = [m for m in json.loads(sys.argv[2]) if m in sys.modules]
    print(json.dumps({"import_s": round(imported - began, 2), "start_up_s": round(time.perf_counter() - imported, 2),
                      "cpu_s": round(time.process_time(), 2), "ready": ready, "modules": len(sys.modules),
                      "on_need_loaded": on_need}))
"""
IMPORT_LINE = re.compile(r"import time:\s+(\d+) \|\s+(\d+) \|(\s*)(\S+)")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    return float("nan")


def cpu_s(pid: int) -> float:
    """User + system CPU seconds of ``pid`` and its children (less sensitive to a busy machine than wall time)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for each in [pid, *children(pid)]:
        fields = Path(f"/proc/{each}/stat").read_text().rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
    return round(total, 2)


def children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.is_file() else []


def import_profile(home: Path) -> dict[str, Any]:
    """Start-up of one in-process worker under ``-X importtime``: what it imports and what that costs."""
    done = subprocess.run([sys.executable, "-X", "importtime", "-c", STARTED, str(home), json.dumps(ON_NEED_ONLY)],
                          capture_output=True, text=True, timeout=900,
                          env={**os.environ, "NIVESH_LOG_LEVEL": "WARNING"})
    if done.returncode != 0:
        sys.exit(f"import profile failed:\n{done.stderr[-3000:]}")
    by_package: Counter[str] = Counter()
    for line in done.stderr.splitlines():
        match = IMPORT_LINE.match(line)
        if match:
            by_package[match[4].partition(".")[0]] += int(match[1])
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    return {**summary, "importtime_self_s": round(sum(by_package.values()) / 1e6, 2),
            "top_packages_s": {name: round(us / 1e6, 2) for name, us in by_package.most_common(12)}}


def start(home: Path, workers: int) -> tuple[str, subprocess.Popen[bytes], float, list[int], float]:
    """Start a server; returns its URL, process, seconds to ready, the worker pids and CPU seconds used by then."""
    port = load.free_port()
    env = {**os.environ, "NIVESH_HOME": str(home), "NIVESH_LOG_LEVEL": "WARNING"}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    began = time.monotonic()
    proc = subprocess.Popen([sys.executable, "-m", "nivesh_ml.cli", "serve", "--no-bootstrap", "--port", str(port),
                             "--workers", str(workers)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    pids: set[int] = set()
    deadline = began + 600
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            ready = httpx.get(url + "/ready", timeout=2)
            served = httpx.get(url + "/models", timeout=2).json()
        except httpx.HTTPError:
            time.sleep(0.05)
            continue
        champions = {m["name"] for m in served["models"] if m["version"]}
        if ready.status_code == 200 or (champions and all("no champion" in reason for reason
                                                         in ready.json()["not_ready"].values())):
            pids.add(served["pid"])
            if len(pids) == workers:
                return url, proc, round(time.monotonic() - began, 2), sorted(pids), cpu_s(proc.pid)
        time.sleep(0.05)
    stop(proc)
    sys.exit(f"server with {workers} worker(s) did not become ready (exit status {proc.returncode})")


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=120)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=30)


def run(home: Path, workers: int, args: argparse.Namespace) -> dict[str, Any]:
    """``args.starts`` starts (median start-to-ready), the last one loaded with the mixed load."""
    ready_times, cpu_times = [], []
    for _ in range(args.starts - 1):
        _, proc, ready_s, _, cpu = start(home, workers)
        ready_times.append(ready_s)
        cpu_times.append(cpu)
        stop(proc)
    url, proc, ready_s, pids, cpu = start(home, workers)
    ready_times.append(ready_s)
    cpu_times.append(cpu)
    try:
        after_start = {pid: rss_mb(pid) for pid in pids}
        load_args = argparse.Namespace(api_key=None, concurrency=args.concurrency, requests=args.requests,
                                       duration=args.duration, seed=42, url=url, workers=workers)
        result = asyncio.run(load.main_async(load_args, url))
        after_load = {pid: rss_mb(pid) for pid in pids}
    finally:
        stop(proc)
    return {"workers": workers, "start_to_ready_s": ready_times,
            "start_to_ready_median_s": round(statistics.median(ready_times), 2), "cpu_s_to_ready": cpu_times,
            "rss_mb_after_start": after_start, "rss_mb_after_load": after_load, "endpoints": result["endpoints"],
            "levels": [{k: level[k] for k in ("concurrency", "requests", "seconds", "rps", "errors")}
                       | {"errors_by_status": errors_by_status(level)} for level in result["levels"]]}


def errors_by_status(level: dict[str, Any]) -> dict[str, int]:
    counts: Counter[str] = Counter()
    for endpoint in level["endpoints"].values():
        counts.update(endpoint["errors"])
    return dict(counts)


def table(profile: dict[str, Any] | None, runs: list[dict[str, Any]]) -> str:
    lines = []
    if profile is not None:
        lines += [f"import profile: {profile['importtime_self_s']} s summed import time (-X importtime), "
                  f"{profile['modules']} modules, import {profile['import_s']} s + start-up {profile['start_up_s']} s "
                  f"= {profile['cpu_s']} CPU-s "
                  f"(/ready {profile['ready']}); on-need libraries loaded: {profile['on_need_loaded'] or 'none'}",
                  "  top: " + ", ".join(f"{k} {v}" for k, v in profile["top_packages_s"].items()), ""]
    lines += ["| workers | start to ready, median (runs) | CPU-s to ready | RSS per worker after start "
              "| after the load | requests | req/s | non-2xx |", "|---|---|---|---|---|---|---|---|"]
    for r in runs:
        starts = ", ".join(map(str, r["start_to_ready_s"]))
        for level in r["levels"]:
            lines.append(f"| {r['workers']} | {r['start_to_ready_median_s']} s ({starts})"
                         f" | {statistics.median(r['cpu_s_to_ready'])}"
                         f" | {', '.join(f'{v:.0f}' for v in r['rss_mb_after_start'].values())} MB"
                         f" | {', '.join(f'{v:.0f}' for v in r['rss_mb_after_load'].values())} MB"
                         f" | {level['requests']} (c={level['concurrency']}) | {level['rps']}"
                         f" | {level['errors']} {level['errors_by_status'] or ''} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--home", type=Path, default=Path("var"))
    parser.add_argument("--workers", type=int, nargs="*", default=[1, 2], help="worker counts (none: profile only)")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[8])
    parser.add_argument("--requests", type=int, default=5000, help="max requests per concurrency level")
    parser.add_argument("--duration", type=float, default=600.0, help="max seconds per concurrency level")
    parser.add_argument("--starts", type=int, default=3, help="starts per worker count (median start-to-ready)")
    parser.add_argument("--no-import-profile", action="store_true", help="skip the -X importtime run")
    args = parser.parse_args()
    home = args.home.resolve()
    profile = None if args.no_import_profile else import_profile(home)
    runs = [run(home, n, args) for n in args.workers]
    print(table(profile, runs))
    print(json.dumps({"import_profile": profile, "runs": runs}, indent=2))


if __name__ == "__main__":
    main()
