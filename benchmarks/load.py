"""Load test of the HTTP server: a realistic endpoint mix at several concurrencies, loopback only.

    .venv/bin/python benchmarks/load.py                       # starts `nivesh-ml serve` on a free port (var/)
    .venv/bin/python benchmarks/load.py --url http://127.0.0.1:8000 --api-key KEY

Each level is bounded by --requests and --duration. Prints JSON: requests/s and p50/p95/p99 (ms) per endpoint,
with error counts by status. Only /predict routes whose model is loaded are included.
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import json
import os
import random
import socket
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import httpx
import numpy as np

Payload = Callable[[random.Random], dict[str, Any]]

QUERIES = ["what is my account balance", "how much did I spend on food last month", "help me plan a budget",
           "I want to save 2 lakh for a bike", "should I invest in index funds", "how can I save tax under 80C",
           "can I afford a home loan of 40 lakh", "how do I improve my CIBIL score", "pay my electricity bill",
           "show my Swiggy orders from last week", "I did not make this UPI payment", "do I need term insurance",
           "how much should I put in NPS for retirement", "hi there", "thanks a lot"]
TEXTS = ["Rs. 1,250 debited from a/c XX7788 at Swiggy on 3rd March", "Paid ₹5,000 rent via UPI yesterday",
         "INR 20,000 credited to HDFC savings account on 15/08/2024", "spent 2k on fuel at HP last Friday"]
QUESTIONS = ["Should I choose the old or the new tax regime?", "How big should my emergency fund be?",
             "Is PPF better than an FD for 15 years?", "How much term insurance do I need?"]
CATEGORIES = ["groceries", "food", "fuel", "shopping", "utilities", "travel", "entertainment"]
MERCHANTS = ["BigBasket", "Swiggy", "Zomato", "Amazon", "Flipkart", "Uber", "IRCTC", "Jio", "HP Petrol"]
USERS = [f"load-user-{i:03d}" for i in range(50)]


def transaction(rng: random.Random) -> dict[str, Any]:
    return {"timestamp": f"2025-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}T{rng.randint(0, 23):02d}:15:00",
            "amount": round(rng.lognormvariate(6.5, 1.0), 2), "merchant": rng.choice(MERCHANTS),
            "category": rng.choice(CATEGORIES), "channel": rng.choice(["upi", "card", "netbanking"]),
            "city": "Bengaluru", "country": "IN"}


def applicant(rng: random.Random) -> dict[str, Any]:
    return {"age": rng.randint(21, 60), "monthly_income": rng.randint(20, 200) * 1000,
            "employment_type": rng.choice(["salaried", "self_employed", "business"]),
            "employment_tenure_years": rng.randint(0, 20), "existing_emi": rng.randint(0, 30) * 1000,
            "loan_amount": rng.randint(1, 50) * 50_000, "loan_tenure_months": rng.choice([12, 24, 36, 60]),
            "bureau_score": rng.randint(550, 850), "credit_utilisation": round(rng.random(), 2),
            "recent_enquiries": rng.randint(0, 5), "past_delinquencies": rng.randint(0, 2),
            "city_tier": rng.randint(1, 3), "dependents": rng.randint(0, 3),
            "residence": rng.choice(["owned", "rented", "family"])}


# (method, path, model needed or None, weight, payload)
ENDPOINTS: list[tuple[str, str, str | None, int, Payload | None]] = [
    ("GET", "/health", None, 1, None),
    ("GET", "/ready", None, 1, None),
    ("GET", "/models", None, 1, None),
    ("POST", "/transactions", None, 2,
     lambda r: {"user_id": r.choice(USERS), "transactions": [transaction(r) for _ in range(5)]}),
    ("POST", "/predict/intent", "intent", 4, lambda r: {"query": r.choice(QUERIES)}),
    ("POST", "/predict/ner", "ner", 2, lambda r: {"text": r.choice(TEXTS)}),
    ("POST", "/predict/credit-risk", "credit", 3, lambda r: {"applicant_data": applicant(r)}),
    ("POST", "/predict/anomaly", "anomaly", 3, lambda r: {"user_id": r.choice(USERS), "transaction": transaction(r)}),
    ("POST", "/predict/spending", "spending", 1, lambda r: {"user_id": r.choice(USERS), "months": 3}),
    ("POST", "/predict/advice", None, 1, lambda r: {"user_id": r.choice(USERS), "message": r.choice(QUESTIONS)}),
]


def loopback_only(url: str) -> None:
    host = urlparse(url).hostname or ""
    if host != "localhost" and not ipaddress.ip_address(host).is_loopback:
        sys.exit(f"refusing to load-test {host}: loopback addresses only")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(home: Path | None, workers: int) -> tuple[str, subprocess.Popen[bytes]]:
    """`nivesh-ml serve --no-bootstrap` on a free loopback port."""
    port = free_port()
    env = {**os.environ, "NIVESH_LOG_LEVEL": "WARNING"}
    if home:
        env["NIVESH_HOME"] = str(home)
    cli = Path(sys.executable).with_name("nivesh-ml")
    proc = subprocess.Popen([str(cli), "serve", "--no-bootstrap", "--host", "127.0.0.1", "--port", str(port),
                             "--workers", str(workers)],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        try:
            if httpx.get(url + "/health", timeout=1).status_code == 200:
                return url, proc
        except httpx.HTTPError:
            time.sleep(0.5)
    proc.terminate()
    sys.exit("server did not start")


def endpoint_mix(url: str, headers: dict[str, str]) -> list[tuple[str, str, int, Payload | None]]:
    """The endpoints this server has (routes in its OpenAPI, models loaded)."""
    paths = set(httpx.get(url + "/openapi.json", timeout=10).json()["paths"])
    ready = httpx.get(url + "/ready", timeout=10).json()
    loaded = {name for name, version in ready.get("models", {}).items() if version}
    return [(method, path, weight, payload) for method, path, model, weight, payload in ENDPOINTS
            if path in paths and (model is None or model in loaded)]


async def warm_up(client: httpx.AsyncClient, rng: random.Random) -> None:
    """Every load user gets a transaction history (anomaly and spending read it); the advisor builds its index."""
    await client.post("/predict/advice", json={"user_id": USERS[0], "message": QUESTIONS[0]}, timeout=300)
    for user in USERS:
        await client.post("/transactions", json={"user_id": user,
                                                 "transactions": [transaction(rng) for _ in range(60)]})


async def run_level(client: httpx.AsyncClient, mix: list[tuple[str, str, int, Payload | None]],
                    concurrency: int, max_requests: int, max_seconds: float, seed: int) -> dict[str, Any]:
    latencies: dict[str, list[float]] = defaultdict(list)
    errors: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    weights = [w for _, _, w, _ in mix]
    issued = 0
    deadline = time.perf_counter() + max_seconds

    async def worker(index: int) -> None:
        nonlocal issued
        rng = random.Random(seed * 1000 + index)
        while issued < max_requests and time.perf_counter() < deadline:
            issued += 1
            method, path, _, payload = rng.choices(mix, weights)[0]
            start = time.perf_counter()
            try:
                response = await client.request(method, path, json=payload(rng) if payload else None)
                status = str(response.status_code)
            except httpx.HTTPError as exc:
                status = type(exc).__name__
            latencies[path].append(time.perf_counter() - start)
            if not status.startswith("2"):
                errors[path][status] += 1

    began = time.perf_counter()
    await asyncio.gather(*(worker(i) for i in range(concurrency)))
    elapsed = time.perf_counter() - began
    total = sum(len(v) for v in latencies.values())
    per_endpoint = {path: {"requests": len(values), "rps": round(len(values) / elapsed, 1),
                           **{f"p{q}_ms": round(float(np.percentile(values, q)) * 1000, 2) for q in (50, 95, 99)},
                           "errors": dict(errors.get(path, {}))}
                    for path, values in sorted(latencies.items())}
    return {"concurrency": concurrency, "requests": total, "seconds": round(elapsed, 2),
            "rps": round(total / elapsed, 1), "errors": sum(sum(e.values()) for e in errors.values()),
            "endpoints": per_endpoint}


async def main_async(args: argparse.Namespace, url: str) -> dict[str, Any]:
    headers = {"X-API-Key": args.api_key} if args.api_key else {}
    mix = endpoint_mix(url, headers)
    limits = httpx.Limits(max_connections=max(args.concurrency), max_keepalive_connections=max(args.concurrency))
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=30, limits=limits) as client:
        await warm_up(client, random.Random(args.seed))
        levels = [await run_level(client, mix, c, args.requests, args.duration, args.seed) for c in args.concurrency]
    return {"url": url, "workers": args.workers if args.url is None else None,
            "endpoints": [p for _, p, _, _ in mix], "levels": levels}


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", help="a running server (loopback); default: start one")
    parser.add_argument("--home", type=Path, help="NIVESH_HOME of the server this script starts")
    parser.add_argument("--workers", type=int, default=1, help="workers of the server this script starts")
    parser.add_argument("--api-key", default=os.environ.get("NIVESH_LOAD_API_KEY"))
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 8, 32])
    parser.add_argument("--requests", type=int, default=600, help="max requests per concurrency level")
    parser.add_argument("--duration", type=float, default=30.0, help="max seconds per concurrency level")
    parser.add_argument("--seed", type=int, default=42)
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    proc = None
    url = args.url
    if url is None:
        url, proc = start_server(args.home, args.workers)
    loopback_only(url)
    try:
        result = asyncio.run(main_async(args, url.rstrip("/")))
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(timeout=30)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
