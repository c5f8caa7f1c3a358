"""Adversarial bodies against a real server while /health is polled: no request may stall the worker.

Starts ``nivesh-ml serve`` (one uvicorn worker) on a free loopback port with ``NIVESH_HOME`` in a temporary
directory (or ``--home``, an existing home with trained champions, to skip the bootstrap), then sends to every
text endpoint the largest adversarial body the API accepts (runs of spaces after ``a/c``, digit runs, ``Rs ``
repeated, ...) while a thread polls ``/health`` every 20 ms. Prints JSON with each endpoint's max latency and
/health p50/p99 (median over ``--runs`` runs); exits 1 when a request took >= 1 s or /health p99 >= 100 ms.

    .venv/bin/python benchmarks/bench_adversarial.py --home /tmp/var --runs 3
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from nivesh_ml.advisor.service import MAX_MESSAGE_CHARS
from nivesh_ml.config import Settings
from nivesh_ml.models.ner.predictor import MAX_TEXT_CHARS
from nivesh_ml.serving.routes.intent import MAX_BATCH, MAX_QUERY_CHARS

REQUEST_LIMIT_S = 1.0
HEALTH_P99_LIMIT_S = 0.100
POLL_S = 0.020
DESCRIPTION_CHARS, MERCHANT_CHARS = 500, 200  # data/schemas.py limits


def fill(unit: str, n: int, prefix: str = "", suffix: str = "") -> str:
    body = (unit * (n // len(unit) + 1))[:n - len(prefix) - len(suffix)]
    return prefix + body + suffix


def texts(n: int) -> dict[str, str]:
    """The adversarial inputs of the issue (and their relatives), each ``n`` characters long."""
    return {"ac_spaces": fill(" ", n, "a/c", "z"), "ac2_spaces": fill(" ", n, "ac", "x"), "digits": fill("9", n),
            "rs": fill("Rs ", n), "ac_digits": fill(" 9", n, "a/c"), "nine_dot": fill("9.", n),
            "one_comma": fill("1,", n), "x_at": fill("x@", n), "xs": fill("X", n), "tabs": fill("\t\n ", n, "a/c")}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def server(home: Path) -> Iterator[str]:
    port = free_port()
    env = {**os.environ, "NIVESH_HOME": str(home), "NIVESH_LOG_LEVEL": "WARNING", "HF_HUB_OFFLINE": "1",
           "NIVESH_SERVER__ADVICE_RATE_PER_MINUTE": "0"}
    cli = Path(sys.executable).with_name("nivesh-ml")
    proc = subprocess.Popen([str(cli), "serve", "--host", "127.0.0.1", "--port", str(port)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 3600  # a fresh home bootstraps every model first
        while True:
            if proc.poll() is not None:
                raise SystemExit(f"server exited with {proc.returncode}")
            try:
                if httpx.get(url + "/health", timeout=1.0).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit("server did not start")
            time.sleep(0.5)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=60)


def transaction(description: str, merchant: str, i: int) -> dict[str, Any]:
    return {"timestamp": f"2024-05-{i % 28 + 1:02d}T10:00:00", "amount": 100.0 + i, "merchant": merchant,
            "description": description, "category": "food", "channel": "upi", "transaction_id": f"adv-{i}"}


def requests_to_send(max_body_bytes: int) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """``(endpoint label, path, body)``: the largest adversarial body each text endpoint accepts."""
    for name, text in texts(MAX_QUERY_CHARS).items():
        yield f"intent/{name}", "/predict/intent", {"query": text}
    batch = list(texts(MAX_QUERY_CHARS).values())
    yield "intent_batch", "/predict/intent", {"queries": (batch * (MAX_BATCH // len(batch) + 1))[:MAX_BATCH]}
    for name, text in texts(MAX_TEXT_CHARS).items():
        yield f"ner/{name}", "/predict/ner", {"text": text}
    for name, text in texts(MAX_MESSAGE_CHARS).items():
        yield f"advice/{name}", "/predict/advice", {"user_id": "adv", "message": text}
    descriptions = texts(DESCRIPTION_CHARS)
    merchants = texts(MERCHANT_CHARS)
    per_row = len(json.dumps(transaction(descriptions["ac_spaces"], merchants["ac_spaces"], 0))) + 2
    rows = [transaction(d, m, i) for i, (d, m) in
            enumerate(zip(list(descriptions.values()) * 10_000, list(merchants.values()) * 10_000, strict=False))]
    n_rows = max(1, int(max_body_bytes * 0.9) // per_row)  # as many rows as the body limit lets through
    yield "transactions", "/transactions", {"user_id": "adv", "transactions": rows[:n_rows]}
    for name, d in descriptions.items():
        yield f"anomaly/{name}", "/predict/anomaly", {"user_id": "adv",
                                                      "transaction": transaction(d, merchants[name], 99_999)}
    yield "spending", "/predict/spending", {"user_id": "adv", "months": 6,
                                            "transactions": rows[:min(n_rows, 2_000)]}


def one_run(url: str, max_body_bytes: int) -> dict[str, Any]:
    health: list[float] = []
    stop = threading.Event()

    def poll() -> None:
        with httpx.Client(base_url=url, timeout=120) as client:
            while not stop.is_set():
                start = time.perf_counter()
                client.get("/health")
                health.append(time.perf_counter() - start)
                time.sleep(POLL_S)

    poller = threading.Thread(target=poll, daemon=True)
    poller.start()
    latency: dict[str, float] = {}
    statuses: dict[str, int] = {}
    with httpx.Client(base_url=url, timeout=600) as client:
        for label, path, body in requests_to_send(max_body_bytes):
            start = time.perf_counter()
            response = client.post(path, json=body)
            took = time.perf_counter() - start
            endpoint = label.split("/")[0]
            latency[endpoint] = max(latency.get(endpoint, 0.0), took)
            statuses[label] = response.status_code
    stop.set()
    poller.join()
    ordered = sorted(health)
    return {"max_latency_s": latency, "statuses": statuses, "health_samples": len(ordered),
            "health_p50_s": statistics.median(ordered),
            "health_p99_s": ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--home", type=Path, help="NIVESH_HOME with trained champions (default: a fresh temp dir)")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    max_body = Settings().server.max_body_bytes
    with tempfile.TemporaryDirectory() as tmp, server(args.home or Path(tmp) / "var") as url:
        runs = [one_run(url, max_body) for _ in range(args.runs)]
    endpoints = runs[0]["max_latency_s"].keys()
    report = {
        "runs": args.runs,
        "max_latency_s": {e: round(statistics.median(r["max_latency_s"][e] for r in runs), 4) for e in endpoints},
        "health_p50_s": round(statistics.median(r["health_p50_s"] for r in runs), 4),
        "health_p99_s": round(statistics.median(r["health_p99_s"] for r in runs), 4),
        "health_samples": [r["health_samples"] for r in runs],
        "statuses": runs[-1]["statuses"],
    }
    print(json.dumps(report, indent=2))
    slow = {e: s for e, s in report["max_latency_s"].items() if s >= REQUEST_LIMIT_S}
    if slow or report["health_p99_s"] >= HEALTH_P99_LIMIT_S:
        print(f"FAIL: requests >= {REQUEST_LIMIT_S}s: {slow}; /health p99 {report['health_p99_s']}s", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
