"""Serving process figures for 1 vs 2 workers: start-to-ready, resident memory per worker, req/s under load.

    .venv/bin/python benchmarks/bench_serving.py --home var                  # every champion in var/
    .venv/bin/python benchmarks/bench_serving.py --home var --workers 1 2 --requests 5000

For each worker count it starts `nivesh-ml serve --no-bootstrap` on a free loopback port, times process start
to the first `/ready` 200 (or, when some model has no champion in ``--home``, to every worker serving the
champions that exist), runs the mixed load of ``benchmarks/load.py`` and reads each worker's VmRSS from
/proc (Linux) after start-up and after the load. Prints JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
import load


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    return float("nan")


def children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.is_file() else []


def start(home: Path, workers: int) -> tuple[str, subprocess.Popen[bytes], float, list[int]]:
    """Start a server; returns its URL, process, seconds to ready and the worker pids."""
    port = load.free_port()
    env = {**os.environ, "NIVESH_HOME": str(home), "NIVESH_LOG_LEVEL": "WARNING"}
    began = time.monotonic()
    proc = subprocess.Popen([sys.executable, "-m", "nivesh_ml.cli", "serve", "--no-bootstrap", "--port", str(port),
                             "--workers", str(workers)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    pids: set[int] = set()
    deadline = began + 600
    while time.monotonic() < deadline:
        try:
            ready = httpx.get(url + "/ready", timeout=2)
            served = httpx.get(url + "/models", timeout=2).json()
        except httpx.HTTPError:
            time.sleep(0.1)
            continue
        champions = {m["name"] for m in served["models"] if m["version"]}
        if ready.status_code == 200 or (champions and all("no champion" in reason for reason
                                                         in ready.json()["not_ready"].values())):
            pids.add(served["pid"])
            if len(pids) == workers:
                return url, proc, round(time.monotonic() - began, 2), sorted(pids)
        time.sleep(0.05)
    proc.terminate()
    sys.exit("server did not become ready")


def run(home: Path, workers: int, args: argparse.Namespace) -> dict[str, Any]:
    url, proc, ready_s, pids = start(home, workers)
    try:
        after_start = {pid: rss_mb(pid) for pid in pids}
        load_args = argparse.Namespace(api_key=None, concurrency=args.concurrency, requests=args.requests,
                                       duration=args.duration, seed=42, url=url, workers=workers)
        result = asyncio.run(load.main_async(load_args, url))
        after_load = {pid: rss_mb(pid) for pid in pids}
    finally:
        proc.terminate()
        proc.wait(timeout=60)
    return {"workers": workers, "start_to_ready_s": ready_s, "rss_mb_after_start": after_start,
            "rss_mb_after_load": after_load, "endpoints": result["endpoints"],
            "levels": [{k: level[k] for k in ("concurrency", "requests", "seconds", "rps", "errors")}
                       for level in result["levels"]]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--home", type=Path, default=Path("var"))
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--concurrency", type=int, nargs="+", default=[8])
    parser.add_argument("--requests", type=int, default=5000, help="max requests per concurrency level")
    parser.add_argument("--duration", type=float, default=120.0, help="max seconds per concurrency level")
    args = parser.parse_args()
    print(json.dumps([run(args.home.resolve(), n, args) for n in args.workers], indent=2))


if __name__ == "__main__":
    main()
