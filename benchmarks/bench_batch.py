"""Batch engine figures: time and peak memory of ``score anomaly`` and ``data ingest`` on simulated data.

Each run is the real CLI in a child process; the script samples the whole process tree's resident memory
(the CLI plus any Dask worker processes) every 0.1 s, and reads ``/usr/bin/time -v``'s maximum resident set
size (the largest single process). Prints one JSON object per run.

    .venv/bin/python benchmarks/bench_batch.py --users 500 --months 24
    # the in-process scorer of an older checkout, for comparison:
    git archive 4bb49f6 src | tar -x -C /tmp/old && \
        .venv/bin/python benchmarks/bench_batch.py --users 500 --months 24 --before-src /tmp/old/src
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import psutil

CLI = [sys.executable, "-m", "nivesh_ml.cli"]


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
    """Wall time, peak process-tree RSS and /usr/bin/time's max RSS of one CLI run."""
    started = time.perf_counter()
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
    max_rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", err)
    summary = json.loads(out[out.index("{"):]) if "{" in out else {}
    return {"seconds": round(seconds, 1), "peak_tree_rss_mb": round(peak / 2**20),
            "max_single_rss_mb": round(int(max_rss.group(1)) / 1024) if max_rss else None,
            "summary": {k: v for k, v in summary.items() if k not in {"rejected_rows"}}}


def prepare(folder: Path, users: int, months: int, env: dict[str, str]) -> tuple[Path, Path]:
    """The simulated file and a default-parameter anomaly model (made once, reused)."""
    data = folder / f"u{users}-m{months}" / "transactions.csv"
    if not data.is_file():
        subprocess.run([*CLI, "data", "generate", "--users", str(users), "--months", str(months), "--seed", "1",
                        "--out", str(data.parent)], env=env, check=True, stdout=subprocess.DEVNULL)
    model = folder / "anomaly-model"
    if not model.is_dir():
        subprocess.run([*CLI, "train", "anomaly", "--no-register", "--output", str(model),
                        "--param", "users=200", "--param", "months=6"], env=env, check=True,
                       stdout=subprocess.DEVNULL)
    return data, model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--users", type=int, default=500)
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--workdir", type=Path, default=Path("var/bench-batch"))
    parser.add_argument("--before-src", type=Path, help="src/ of an older checkout: its in-process scorer")
    parser.add_argument("--runs", default="before,local,inprocess,ingest")
    parser.add_argument("--partition-mb", type=float, help="input MB per partition (default: the CLI's)")
    opts = parser.parse_args()
    opts.workdir.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "NIVESH_HOME": str(opts.workdir.resolve() / "home")}
    data, model = prepare(opts.workdir, opts.users, opts.months, env)
    runs = opts.runs.split(",")
    base = ["score", "anomaly", "--data", str(data), "--model", str(model)]
    size = ["--partition-mb", str(opts.partition_mb)] if opts.partition_mb else []
    if "before" in runs and opts.before_src:
        old_env = {**env, "PYTHONPATH": str(opts.before_src.resolve())}
        print(json.dumps({"run": "score anomaly, in-process (before)", "file_mb": round(data.stat().st_size / 2**20),
                          **measure([*base, "--out", str(opts.workdir / "before.csv")], old_env)}), flush=True)
    if "local" in runs:
        print(json.dumps({"run": "score anomaly, Dask LocalCluster 2 workers", "partition_mb": opts.partition_mb,
                          **measure([*base, *size, "--out", str(opts.workdir / "scores.parquet")], env)}), flush=True)
    if "inprocess" in runs:
        print(json.dumps({"run": "score anomaly, Dask in-process",
                          **measure([*base, *size, "--scheduler", "inprocess",
                                     "--out", str(opts.workdir / "scores-inprocess.parquet")], env)}), flush=True)
    if "ingest" in runs:
        ingest = ["data", "ingest", str(data), *size, "--scheduler", "inprocess"]
        print(json.dumps({"run": "data ingest, SQLite, in-process", **measure(ingest, env)}), flush=True)


if __name__ == "__main__":
    main()
