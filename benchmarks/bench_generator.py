"""Time the synthetic data generator end to end (simulate + write CSV) and print one JSON line.

    python benchmarks/bench_generator.py --users 10000 --months 24 --repeats 3
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import tempfile
import time
from pathlib import Path

from nivesh_ml.data.synthetic import write_dataset


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def run_once(users: int, months: int, seed: int, workers: int) -> tuple[float, float, dict[str, int], int]:
    """One timed ``write_dataset`` into a fresh temporary directory: (wall s, CPU s, counts, bytes written)."""
    with tempfile.TemporaryDirectory(prefix="nivesh-bench-") as tmp:
        started, cpu = time.perf_counter(), _cpu_seconds()
        summary = write_dataset(Path(tmp), users, months, seed=seed, workers=workers)
        elapsed, cpu = time.perf_counter() - started, _cpu_seconds() - cpu
        size = sum(Path(p).stat().st_size for p in summary["paths"].values())
    return elapsed, cpu, summary["counts"], size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--workers", type=int, default=1, help="threads simulating chunks ahead of the writer")
    args = parser.parse_args()
    times: list[float] = []
    cpus: list[float] = []
    counts: dict[str, int] = {}
    size = 0
    for _ in range(args.repeats):
        elapsed, cpu, counts, size = run_once(args.users, args.months, args.seed, args.workers)
        times.append(elapsed)
        cpus.append(cpu)
    median = statistics.median(times)
    rows = counts["transactions"]
    print(json.dumps({
        "benchmark": "generator", "users": args.users, "months": args.months, "seed": args.seed,
        "workers": args.workers, "repeats": args.repeats, "median_s": round(median, 3),
        "runs_s": [round(t, 3) for t in times], "median_cpu_s": round(statistics.median(cpus), 3),
        "rows": rows, "rows_per_s": round(rows / median),
        "rows_per_user_month": round(rows / (args.users * args.months), 1),
        "anomalies": counts["anomalies"], "applicants": counts["applicants"], "csv_mb": round(size / 1e6, 1),
        "cpus": os.cpu_count(), "load_avg_1m": round(os.getloadavg()[0], 2), "python": platform.python_version(),
    }))


if __name__ == "__main__":
    main()
