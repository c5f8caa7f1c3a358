"""A backfill task keeps profiles without loading the anomaly model's stack (scikit-learn, skops, XGBoost, torch):
each Dask worker would pay seconds of CPU and hundreds of MB for it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

SCRIPT = """
import json, sys
import pandas as pd
from nivesh_ml.config import Settings
from nivesh_ml.models.spending.batch import store_settings
from nivesh_ml.pipelines.backfill import ingest_part
from nivesh_ml.pipelines.batch import LINE
part = pd.DataFrame({"user_id": ["u1", "u1", "u2"], "timestamp": ["2025-01-01T10:00:00", "2025-01-02T11:00:00",
                     "2025-01-03T12:00:00"], "amount": [120.0, 80.5, 999.0], "merchant": ["Swiggy", None, "Amazon"],
                     "category": ["Food", "food", "shopping"], LINE: [2, 3, 4]})
settings = Settings(home=sys.argv[1])
summary = ingest_part(part, 0, {**store_settings(settings), "anomaly": settings.anomaly.model_dump(mode="json")})
heavy = sorted(m for m in ("sklearn", "skops", "xgboost", "torch", "scipy.stats") if m in sys.modules)
print(json.dumps({"added": summary["added"], "users": summary["users"], "heavy": heavy}))
"""


def test_a_backfill_task_does_not_load_the_model_stack(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-c", SCRIPT, str(tmp_path)], capture_output=True, text=True,
                          timeout=120, check=True)
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result == {"added": 3, "users": 2, "heavy": []}
