"""Batch engine figures: time, CPU and peak memory of ``score anomaly`` and ``data ingest`` (SQLite, Redis).

Simulated data of 1k / 5k / 10k users x 24 months is written once as Parquet (row groups of 50 users, in user
order, as the simulator emits them; typed timestamps), straight from the simulator's Arrow chunks: writing
11 M rows as CSV would take longer than scoring them. Each run is the real CLI in a child process; the script
samples the whole process tree's resident memory (the CLI plus its Dask worker processes) every 0.1 s and reads
``/usr/bin/time -v`` for the CPU seconds of the tree and the largest single process. Redis runs are against a
real ``redis-server`` started here (persistence off), whose memory is reported beside the tree's (it is a
separate server, not part of the job). Prints one JSON object per run and, at the end, a Markdown table.

    .venv/bin/python benchmarks/bench_batch.py --users 1000,5000,10000 --months 24
    .venv/bin/python benchmarks/bench_batch.py --users 1000 --runs score     # one run, one size
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from itertools import pairwise
from pathlib import Path
from typing import Any

import psutil

CLI = [sys.executable, "-m", "nivesh_ml.cli"]
USERS_PER_ROW_GROUP = 50


def tree_rss(proc: psutil.Process) -> int:
    """Resident bytes of a process and all its descendants."""
    total = 0
    for p in [proc, *proc.children(recursive=True)]:
        try:
            total += p.memory_info().rss
        except psutil.Error:
            continue
    return total


def measure(args: list[str], env: dict[str, str]) -> dict[str, Any]:
    """Wall time, CPU seconds, peak process-tree RSS and /usr/bin/time's max single RSS of one CLI run."""
    started = time.perf_counter()
    load = os.getloadavg()[0]
    proc = subprocess.Popen(["/usr/bin/time", "-v", *CLI, *args], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    watcher = psutil.Process(proc.pid)
    peak = 0
    while proc.poll() is None:
        peak = max(peak, tree_rss(watcher))
        time.sleep(0.1)
    out, err = proc.communicate()
    seconds = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed:\n{err[-3000:]}")

    def field(pattern: str) -> float | None:
        found = re.search(pattern, err)
        return float(found.group(1)) if found else None

    max_rss, user, system = (field(r"Maximum resident set size \(kbytes\): (\d+)"),
                             field(r"User time \(seconds\): ([\d.]+)"), field(r"System time \(seconds\): ([\d.]+)"))
    summary = json.loads(out[out.index("{"):]) if "{" in out else {}
    return {"seconds": round(seconds, 1), "cpu_seconds": round((user or 0) + (system or 0), 1),
            "peak_tree_rss_mb": round(peak / 2**20), "max_single_rss_mb": round(max_rss / 1024) if max_rss else None,
            "load_1m_start": round(load, 1), "load_1m_end": round(os.getloadavg()[0], 1),
            "summary": {k: v for k, v in summary.items() if k not in {"rejected_rows"}}}


def write_parquet(out: Path, users: int, months: int, seed: int = 1) -> int:
    """The simulator's transactions as Parquet parts (one per chunk of users), row groups of whole users."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    from nivesh_ml.data.synthetic import transaction_tables

    tmp = out.with_name(out.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    rows = 0
    for i, table in enumerate(transaction_tables(users, months, seed=seed, workers=2)):
        table = table.set_column(table.schema.get_field_index("timestamp"), "timestamp",
                                 pc.cast(table["timestamp"], pa.timestamp("s")))
        uid = table["user_id"].to_numpy(zero_copy_only=False)
        starts = np.r_[0, np.flatnonzero(uid[1:] != uid[:-1]) + 1]
        cuts = [*starts[::USERS_PER_ROW_GROUP].tolist(), len(uid)]
        with pq.ParquetWriter(tmp / f"part-{i:05d}.parquet", table.schema) as writer:
            for a, b in pairwise(cuts):
                writer.write_table(table.slice(a, b - a))
        rows += table.num_rows
    tmp.rename(out)
    return rows


def prepare(folder: Path, users: int, months: int, env: dict[str, str]) -> tuple[Path, Path, int]:
    """The simulated Parquet data and a default-parameter anomaly model (made once, reused)."""
    data = folder / f"u{users}-m{months}" / "transactions.parquet"
    if not data.is_dir():
        started = time.perf_counter()
        rows = write_parquet(data, users, months)
        print(json.dumps({"prepared": str(data), "rows": rows, "seconds": round(time.perf_counter() - started, 1)}),
              flush=True)
    import pyarrow.parquet as pq

    rows = sum(pq.ParquetFile(f).metadata.num_rows for f in sorted(data.glob("*.parquet")))
    model = folder / "anomaly-model"
    if not model.is_dir():
        subprocess.run([*CLI, "train", "anomaly", "--no-register", "--output", str(model),
                        "--param", "users=200", "--param", "months=6"], env=env, check=True,
                       stdout=subprocess.DEVNULL)
    return data, model, rows


def start_redis(folder: Path) -> tuple[subprocess.Popen[bytes], str]:
    """A throwaway redis-server on a free loopback port (no persistence)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    folder.mkdir(parents=True, exist_ok=True)
    proc = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                             "--appendonly", "no", "--dir", str(folder)], stdout=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}/0"
    import redis

    for _ in range(100):
        try:
            if redis.Redis.from_url(url).ping():
                return proc, url
        except redis.ConnectionError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("redis-server did not start")


def redis_memory_mb(url: str) -> int:
    import redis

    return round(int(redis.Redis.from_url(url).info("memory")["used_memory"]) / 2**20)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", default="1000,5000,10000", help="comma-separated user counts")
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--workdir", type=Path, default=Path("var/bench-batch"))
    parser.add_argument("--runs", default="score,sqlite,redis")
    parser.add_argument("--workers", type=int, default=2, help="LocalCluster worker processes")
    parser.add_argument("--partition-mb", type=float, help="input MB per partition (default: the CLI's)")
    parser.add_argument("--keep", action="store_true", help="keep the outputs and stores")
    opts = parser.parse_args()
    opts.workdir.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "NIVESH_HOME": str(opts.workdir.resolve() / "home")}
    runs = opts.runs.split(",")
    size = ["--partition-mb", str(opts.partition_mb)] if opts.partition_mb else []
    engine = [*size, "--workers", str(opts.workers)]
    table: list[dict[str, Any]] = []
    for users in [int(u) for u in opts.users.split(",")]:
        data, model, rows = prepare(opts.workdir, users, opts.months, env)
        base = {"users": users, "rows": rows, "data_mb": round(sum(f.stat().st_size for f in data.glob("*")) / 2**20)}
        if "score" in runs:
            out = opts.workdir / f"scores-u{users}.parquet"
            result = measure(["score", "anomaly", "--data", str(data), "--model", str(model), *engine,
                              "--out", str(out)], env)
            table.append({"run": "score anomaly", **base, **result})
            print(json.dumps(table[-1]), flush=True)
            if not opts.keep:
                shutil.rmtree(out, ignore_errors=True)
        if "sqlite" in runs:
            home = opts.workdir / f"home-sqlite-u{users}"
            shutil.rmtree(home, ignore_errors=True)
            result = measure(["data", "ingest", str(data), *engine], {**env, "NIVESH_HOME": str(home.resolve())})
            db = sum(f.stat().st_size for f in home.rglob("*") if f.is_file())
            table.append({"run": "data ingest (SQLite)", **base, **result, "store_mb": round(db / 2**20)})
            print(json.dumps(table[-1]), flush=True)
            if not opts.keep:
                shutil.rmtree(home, ignore_errors=True)
        if "redis" in runs:
            server, url = start_redis(opts.workdir / "redis")
            try:
                result = measure(["data", "ingest", str(data), *engine], {**env, "NIVESH_REDIS_URL": url})
                table.append({"run": "data ingest (Redis)", **base, **result, "store_mb": redis_memory_mb(url)})
                print(json.dumps(table[-1]), flush=True)
            finally:
                server.terminate()
                server.wait(30)
    print("\n| run | users | rows | wall s | txn/s | CPU s | CPU µs/txn | peak tree RSS MB | load (1 min) |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---|")
    for r in table:
        print(f"| {r['run']} | {r['users']:,} | {r['rows']:,} | {r['seconds']} | {r['rows'] / r['seconds']:,.0f} | "
              f"{r['cpu_seconds']} | {1e6 * r['cpu_seconds'] / r['rows']:.0f} | {r['peak_tree_rss_mb']:,} | "
              f"{r['load_1m_start']} → {r['load_1m_end']} |")


if __name__ == "__main__":
    main()
