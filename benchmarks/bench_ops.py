"""Operations figures: prediction-log append rate and drift-check time (median of 3 runs), as JSON.

    .venv/bin/python benchmarks/bench_ops.py
"""

from __future__ import annotations

import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from nivesh_ml.monitoring.drift import compute_drift
from nivesh_ml.monitoring.prediction_log import PredictionLog

RUNS = 3


def transactions(n: int, seed: int, shift: bool = False) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "amount": rng.lognormal(8.0 if shift else 6.5, 0.8, n).round(2),
        "category": rng.choice(["groceries", "fuel", "rent", "dining", "shopping"], n),
        "channel": rng.choice(["upi", "card", "netbanking"], n),
        "country": rng.choice(["IN", "IN", "IN", "AE"], n),
        "hour": rng.integers(0, 24, n),
    })


def log_appends(n: int = 2000) -> float:
    """Appends per second to the SQLite prediction log (PII masking included)."""
    with tempfile.TemporaryDirectory() as tmp:
        plog = PredictionLog(Path(tmp) / "predictions.db", max_rows=200_000)
        inputs = {"user_id": "u1", "transaction": {"amount": 1250.0, "merchant": "Swiggy", "channel": "upi"}}
        start = time.perf_counter()
        for _ in range(n):
            plog.append("anomaly", "1", inputs, {"score": 0.12, "is_anomaly": False})
        return n / (time.perf_counter() - start)


def drift_seconds(n_reference: int, n_current: int) -> dict[str, Any]:
    reference, current = transactions(n_reference, 1), transactions(n_current, 2, shift=True)
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        result = compute_drift(reference, current, threshold=0.3)
        times.append(time.perf_counter() - start)
    return {"reference_rows": n_reference, "current_rows": n_current, "columns": len(reference.columns),
            "median_s": round(statistics.median(times), 3), "drift_share": result.drift_share}


def main() -> None:
    appends = [log_appends() for _ in range(RUNS)]
    report = {
        "prediction_log_appends_per_s": round(statistics.median(appends), 1),
        "drift_check": [drift_seconds(5000, 1000), drift_seconds(5000, 10_000), drift_seconds(5000, 50_000)],
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
