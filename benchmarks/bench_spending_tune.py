"""Where the served total's error comes from, on TUNING seeds only (never the evaluation seeds 2024 / 7 / 99).

    .venv/bin/python benchmarks/bench_spending_tune.py --save-model /tmp/spend-model     # train once, save
    .venv/bin/python benchmarks/bench_spending_tune.py --model /tmp/spend-model --seeds 11,12,13 --users 60 \
        --profile-users 0

Issue 20, seventh pass: the tuning seeds are ``TUNING_SEEDS`` (11, 12, 13), fixed before any measurement. For
each user the last 3 months are hidden (as ``bench_spending.py`` scores them) and the total's candidate points
are recomputed from the served pieces (scheduled part, winsorised rest, shared profile of the total): the served
point (unshrunk), level estimators of the seasonal index (12, 18 or all months; mean, median, trimmed, geometric),
ETS, the pooled model and simple blends, each with the shrink on a grid. ``--profile-users N`` adds the same levels
under the total's profile refitted on every month of N bootstrap-style training users (``full<N>_``) and, as a
control, on training users whose 24 months end just before the scored months (``shift<N>_``: no calendar overlap).
Prints JSON: MAPE and relative MAE (pooled against seasonal naive) of each variant per seed and pooled.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))

TUNING_SEEDS = (11, 12, 13)  # never 2024, 7 or 99 (bench_spending.EVAL_SEEDS)
HORIZON = 3


def full_profile(users: int, shift: int = 0) -> list[float]:
    """The total's shared profile refitted on every month of the bootstrap training users (seed 42); ``shift``:
    their 24 months start that many months earlier (ending before the scored months: no calendar overlap)."""
    from nivesh_ml.data.synthetic import DEFAULT_START, generate_transactions
    from nivesh_ml.data.synthetic_calendar import add_months
    from nivesh_ml.models.spending.family import _split
    from nivesh_ml.models.spending.selection import ForecastConfig
    from nivesh_ml.models.spending.training import shared_profiles, user_histories

    frame = generate_transactions(users or 32, 24, seed=42, start=add_months(DEFAULT_START, -shift))
    train, _ = _split(frame, 42)
    cfg = ForecastConfig()
    return shared_profiles(user_histories(train, cfg), 0, cfg)["total"]


PROFILES: dict[str, list[float]] = {}


def candidates(predictor: Any, past: Any) -> dict[str, np.ndarray]:
    """The served total point and alternative seasonal-index levels, unshrunk, for the 3 months after ``past``."""
    import pandas as pd

    from nivesh_ml.models.spending.forecast import major_categories
    from nivesh_ml.models.spending.holidays import monthly_festival_features
    from nivesh_ml.models.spending.profiles import design
    from nivesh_ml.models.spending.recurring import project, scheduled_part
    from nivesh_ml.models.spending.selection import winsorise

    cfg = predictor.config
    served = predictor.forecast(past, HORIZON, (major_categories(past, 1) or [None])[0]).total
    out = {"served": served.point / cfg.total_shrink, f"served_model:{served.model}": served.point * 0}
    y = past.total
    n = len(y)
    known = scheduled_part(past, cfg)
    add = np.zeros(HORIZON) if known is None else project(known, n, HORIZON)
    base = y if known is None else y - known
    fitted = winsorise(base, cfg.winsorise)
    future = pd.period_range(past.months[-1] + 1, periods=HORIZON, freq="M")
    exog = monthly_festival_features(pd.PeriodIndex(past.months.append(future)), cfg.windows, cfg.wedding_months)
    for prof, coefs in (("", cfg.profiles["total"]), *((f"{k}_", v) for k, v in PROFILES.items())):
        factors = np.clip(1.0 + design(past.start, exog) @ np.asarray(coefs), 0.2, 5.0)
        ratio = fitted / factors[:n]
        for label, window in (("12", slice(max(0, n - 12), n)), ("all", slice(0, n)),
                              ("18", slice(max(0, n - 18), n))):
            r = ratio[window]
            out[f"{prof}si_mean_{label}"] = float(np.mean(r)) * factors[n:] + add
            if label == "all":
                lr = np.log(np.maximum(r, 1.0))
                out[f"{prof}si_geo_all"] = float(np.exp(lr.mean())) * factors[n:] + add
                out[f"{prof}si_lnopt_all"] = float(np.exp(lr.mean() - lr.var())) * factors[n:] + add
                out[f"{prof}si_lnmix_all"] = float(np.mean(r) * np.exp(-lr.var())) * factors[n:] + add
                lo, hi = np.quantile(r, [0.1, 0.9])
                out[f"{prof}si_trim_all"] = float(np.mean(np.clip(r, lo, hi))) * factors[n:] + add
            if not prof:
                out[f"si_median_{label}"] = float(np.median(r)) * factors[n:] + add
                lo, hi = np.quantile(r, [0.1, 0.9])
                out[f"si_trim_{label}"] = float(np.mean(np.clip(r, lo, hi))) * factors[n:] + add
    from nivesh_ml.models.spending.forecast import series_runs

    _, runs = series_runs(past, HORIZON, cfg, (major_categories(past, 1) or [None])[0],
                          families=["ets", "global", "seasonal_naive"], global_model=predictor.global_model)
    for fam, point in runs["total"].forecasts.items():
        out[fam] = point
    if "global" in runs["total"].forecasts:
        out["blend_si18_global"] = 0.5 * (out["si_mean_18"] + out["global"])
        out["blend_si18_ets"] = 0.5 * (out["si_mean_18"] + out["ets"])
        if "full0_si_mean_all" in out:
            out["blend_full0all_global"] = 0.5 * (out["full0_si_mean_all"] + out["global"])
            out["blend_full0all_global_73"] = 0.7 * out["full0_si_mean_all"] + 0.3 * out["global"]
    out["mean_12"] = np.full(HORIZON, np.mean(fitted[-12:])) + add
    out["median_12"] = np.full(HORIZON, np.median(fitted[-12:])) + add
    return out


def seed_points(predictor: Any, users: int, seed: int) -> list[dict[str, Any]]:
    """Per user: actual hidden months, seasonal naive of them, and each candidate's point."""
    from bench_spending import held_out_users
    from nivesh_ml.data.synthetic import generate_transactions

    frame = generate_transactions(users, 24, seed=seed)
    rows_out = []
    for _, history, past in held_out_users(predictor, frame):
        n = history.n_months
        rows_out.append({"actual": history.total[n - HORIZON:], "snaive": history.total[n - HORIZON - 12:n - 12],
                         "points": candidates(predictor, past)})
    return rows_out


def score(rows: list[dict[str, Any]], key: str, shrink: float) -> tuple[float, float]:
    ape, err, sn = [], 0.0, 0.0
    for r in rows:
        a, p = r["actual"], r["points"][key] * shrink
        ok = a > 0
        ape += list(np.abs(a - p)[ok] / a[ok])
        err += float(np.abs(a - p).sum())
        sn += float(np.abs(a - r["snaive"]).sum())
    return float(np.mean(ape)), err / sn


def main() -> None:
    """Train (or load) a model, then score the variants on the tuning seeds."""
    from nivesh_ml.models.spending import FAMILY

    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default="")
    parser.add_argument("--save-model", default="")
    parser.add_argument("--params", default="{}")
    parser.add_argument("--config", default="{}", help="JSON: override served config fields of the loaded model "
                        '(e.g. {"total_level_halflife": 12})')
    parser.add_argument("--train-users", type=int, default=0)
    parser.add_argument("--seeds", default=",".join(map(str, TUNING_SEEDS)))
    parser.add_argument("--users", type=int, default=60)
    parser.add_argument("--profile-users", default="", help="comma list: also refit the total profile on every "
                        "month of this many bootstrap-style users (seed 42; 0 = the bootstrap default)")
    args = parser.parse_args()
    seeds = [int(s) for s in args.seeds.split(",") if s]
    if {2024, 7, 99} & set(seeds):
        raise SystemExit("evaluation seeds are not for tuning")
    if args.model:
        predictor = FAMILY.load(Path(args.model))
    else:
        from bench_spending import train

        with tempfile.TemporaryDirectory() as tmp:
            _trained, predictor, train_s, model_dir = train(Path(tmp), json.loads(args.params),
                                                           args.train_users or None)
            print(f"trained in {train_s:.0f} s", file=sys.stderr)
            if args.save_model:
                import shutil

                shutil.copytree(model_dir, args.save_model, dirs_exist_ok=True)
    override = json.loads(args.config)
    if override:
        from dataclasses import replace

        predictor.config = replace(predictor.config, **override)
    for users in [int(u) for u in args.profile_users.split(",") if u]:
        PROFILES[f"full{users}"] = full_profile(users)
        PROFILES[f"shift{users}"] = full_profile(users, HORIZON)
    cfg = predictor.config
    out: dict[str, Any] = {"preferred": cfg.preferred, "weights": cfg.weights, "shrink": cfg.total_shrink,
                           "calibration": cfg.calibration, "seeds": {}}
    every: list[dict[str, Any]] = []
    for seed in seeds:
        rows = seed_points(predictor, args.users, seed)
        every += rows
        out["seeds"][seed] = rows
    keys = [k for k in every[0]["points"] if not k.startswith("served_model")]
    table: dict[str, Any] = {}
    for key in keys:
        for shrink in (1.0, 0.97, 0.95, 0.93, 0.90):
            per_seed = [score(out["seeds"][s], key, shrink) for s in seeds]
            pooled = score(every, key, shrink)
            table[f"{key}@{shrink}"] = {"mape": [round(m, 4) for m, _ in per_seed],
                                        "rel_mae": [round(r, 4) for _, r in per_seed],
                                        "pooled": [round(pooled[0], 4), round(pooled[1], 4)]}
    out["seeds"] = {s: len(r) for s, r in out["seeds"].items()}
    out["models"] = sorted({k for r in every for k in r["points"] if k.startswith("served_model")})
    out["table"] = table
    json.dump(out, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
