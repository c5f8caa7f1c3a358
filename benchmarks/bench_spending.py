"""Spending forecasts: accuracy per model on simulator users, serving latency, batch throughput.

    .venv/bin/python benchmarks/bench_spending.py [--users 120] [--batch-users 500] [--skip-batch]
    .venv/bin/python benchmarks/bench_spending.py --users 60 --skip-batch --skip-latency --noisy --oracle-reps 100
    .venv/bin/python benchmarks/bench_spending.py --users 60 --seeds default --oracle-reps 100   # issue 20 table

Prints JSON. The model is trained on the default simulator users (seed 42); accuracy is measured on
*other* simulated users (seed 2024, or ``--eval-seed``), each with 24 months, hiding their last 3 months.

``--oracle-reps N`` also scores the oracle that knows every simulated user's parameters (bench_spending_noise.py)
on the same users and reports the served MAPE as a multiple of it (issue 20 target: at most 1.10). ``--noisy``
adds the served forecast of the same users' data with real-data noise (refunds, own-account transfers, card
bills, other spellings, missing months: ``synthetic_messy``), scored against their true consumption, and what
switching off per-user recurrence (rule 1), the series hygiene (rule 2) or the robust median level (rule 3)
changes there (typed switches of the served config: ``per_user_recurrence``, ``hygiene``, ``eligible``).

``--seeds default`` trains once and scores the evaluation seeds fixed in ``EVAL_SEEDS`` (2024, 7, 99): per seed
the served total on clean and noisy data with each rule switched off in turn, the oracle ratio, and the median
over seeds; the per-seed and per-rule tables are also written to stderr as Markdown.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np
import pandas as pd

from nivesh_ml.config import Settings
from nivesh_ml.data.synthetic import generate_transactions
from nivesh_ml.models.spending import FAMILY
from nivesh_ml.models.spending.training import EvalSet

HORIZON = 3
EVAL_SEED = 2024  # the benchmark's evaluation users; develop on another seed (--eval-seed)
# Issue 20, robustness: the evaluation seeds of ``--seeds``, chosen before any measurement; every one is reported.
EVAL_SEEDS = (2024, 7, 99)
# Seeds to tune on (``--seeds 11,12,13``; bench_spending_tune.TUNING_SEEDS), never the evaluation seeds.
TUNING_SEEDS = (11, 12, 13)


def _pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


def train(workdir: Path, params: dict[str, Any] | None = None,
          train_users: int | None = None) -> tuple[Any, Any, float, Path]:
    """Train as ``nivesh-ml bootstrap`` does (simulated users, seed 42), save, load: (trained, predictor, s, dir)."""
    started = time.perf_counter()
    prepared = FAMILY.prepare(None, {"seed": 42, **({"users": train_users} if train_users else {})})
    trained = FAMILY.train(prepared.train, params or {})
    train_s = time.perf_counter() - started
    model_dir = workdir / "spending-model"
    FAMILY.save(trained, model_dir)
    return trained, FAMILY.load(model_dir), train_s, model_dir


def train_and_evaluate(users: int, workdir: Path, params: dict[str, Any] | None = None,
                       train_users: int | None = None, eval_seed: int = EVAL_SEED,
                       noisy: bool | str = False) -> tuple[dict[str, Any], Path]:
    """Bootstrap-style training, then the per-model table on unseen simulator users."""
    trained, predictor, train_s, model_dir = train(workdir, params, train_users)
    if noisy == "only":
        return {"train_seconds": round(train_s, 1), "eval_seed": eval_seed,
                "noisy": noisy_accuracy(predictor, users, eval_seed)}, model_dir
    frame = generate_transactions(users, 24, seed=eval_seed)
    started = time.perf_counter()
    metrics = FAMILY.evaluate(predictor, EvalSet(frame, HORIZON))
    eval_s = time.perf_counter() - started
    config = trained.state.config
    table = {model: {k: (round(v, 4) if isinstance(v, float) else v) for k, v in row.items()}
             for model, row in metrics["per_model"].items()}
    return {
        "train_seconds": round(train_s, 1), "eval_seconds": round(eval_s, 1), "eval_users": metrics["n_users"],
        "eval_seed": eval_seed,
        "params": params or {}, "eligible": config.eligible, "expensive_top_k": config.expensive_top_k,
        "preferred": config.preferred, "weights": config.weights, "scheduled": config.scheduled,
        "total_shrink": config.total_shrink,
        "scheduled_error_ratio": trained.metadata.extra.get("scheduled_error_ratio"),
        "calibration": config.calibration, "train_report": trained.metadata.metrics,
        "total_spend": {k: round(metrics[k], 4) for k in ("mape", "smape", "rel_mae", "coverage_80")},
        "total_spend_per_model": table,
        "categories_pooled": {k: round(v, 4) if isinstance(v, float) else v
                              for k, v in metrics["categories"].items()},
        "chosen_models": metrics["chosen_models"],
        "global_model": trained.metadata.extra.get("global_model"),
        **({"noisy": noisy_accuracy(predictor, users, eval_seed)} if noisy else {}),
    }, model_dir


def oracle(users: int, seed: int, reps: int, served_mape: float) -> dict[str, Any]:
    """The parameter-knowing oracle's MAPE on the same users, and the served MAPE as a multiple of it."""
    sys.path.insert(0, str(Path(__file__).parent))
    from bench_spending_noise import replicates, score, weighted_median

    real, draws = replicates(users, seed, reps)
    fit = draws[: reps // 2]
    out: dict[str, Any] = {"replicates": reps}
    for name, forecast in (("median", np.median(fit, axis=0)), ("mape_optimal", weighted_median(fit))):
        scored = score(real, forecast)
        out[name] = {k: round(v, 4) for k, v in scored.items()}
        out[f"served_mape_over_{name}_mape"] = round(served_mape / scored["mape"], 3)
    return out


def held_out_users(predictor: Any, frame: pd.DataFrame) -> Iterator[tuple[Any, Any, Any]]:
    """``(user, history, past)`` for each user whose last ``HORIZON`` months can be scored (at least 15 months, none
    of the hidden ones missing); ``past`` is the history without them."""
    from nivesh_ml.models.spending.series import truncate

    for user, rows in frame.groupby("user_id", sort=True):
        history = predictor.history(rows.to_dict("records"))
        n = history.n_months
        if n < 15 or set(history.missing_months) & {str(m) for m in history.months[n - HORIZON:]}:
            continue
        yield user, history, truncate(history, n - HORIZON)


def score_served(predictor: Any, frame: pd.DataFrame, truth: pd.Series | None = None) -> dict[str, Any]:
    """Served total forecasts (``predictor.forecast``, the API's path), last 3 months of each user hidden.

    ``truth``: true consumption by (user, month) for noisy data; without it a user's own series is the truth
    (as ``FAMILY.evaluate`` scores it). Seasonal naive is the same months a year earlier of the same truth.
    Each request asks for the user's biggest category only: the total is the same as in a full request (it is
    forecast from the total series, never summed from categories), at a fraction of the cost.
    """
    from nivesh_ml.models.spending.forecast import major_categories

    ape, err, snaive_err, inside, models = [], 0.0, 0.0, [], {}
    for user, history, past in held_out_users(predictor, frame):
        n = history.n_months
        forecast = predictor.forecast(past, HORIZON, (major_categories(past, 1) or [None])[0])
        months = history.months[n - HORIZON:]
        if truth is None:
            actual, snaive = history.total[n - HORIZON:], history.total[n - HORIZON - 12:n - 12]
        else:
            actual = truth[user].reindex(months).to_numpy(float)
            snaive = truth[user].reindex(months - 12).to_numpy(float)
        if np.isnan(actual).any() or np.isnan(snaive).any():
            continue
        point = forecast.total.point
        positive = actual > 0
        ape += list(np.abs(actual - point)[positive] / actual[positive])
        err += float(np.abs(actual - point).sum())
        snaive_err += float(np.abs(actual - snaive).sum())
        inside += list((actual >= forecast.total.lower) & (actual <= forecast.total.upper))
        models[forecast.total.model] = models.get(forecast.total.model, 0) + 1
    return {"users": len(inside) // HORIZON, "mape": round(float(np.mean(ape)), 4),
            "rel_mae": round(err / snaive_err, 4), "coverage_80": round(float(np.mean(inside)), 4),
            "total_models": models}


RULES = {"rule1_per_user_recurrence": "per-user recurrence (rule 1)", "rule2_hygiene": "series hygiene (rule 2)",
         "rule3_median_level": "robust median level (rule 3)"}


def without_median(cfg: Any, train_metrics: dict[str, Any]) -> Any:
    """The config with ``median_12`` removed: off the eligible list and the learned blend; a kind that training
    fixed to it gets the family training ranked next on its held-out months (its report)."""
    from dataclasses import replace

    weights = {kind: {k: w for k, w in ws.items() if k != "median_12"} for kind, ws in cfg.weights.items()}
    preferred = {}
    for kind, family in cfg.preferred.items():
        if family == "median_12":
            prefix = f"train_relative_mae_{kind}_"
            ranked = {k[len(prefix):]: v for k, v in train_metrics.items()
                      if k.startswith(prefix) and v is not None and k[len(prefix):] not in ("median_12", "per_series")}
            family = min(ranked, key=lambda k: ranked[k]) if ranked else None
        if family is not None:
            preferred[kind] = family
    return replace(cfg, eligible=[f for f in cfg.eligible if f != "median_12"], weights=weights, preferred=preferred)


def rule_configs(predictor: Any) -> dict[str, Any]:
    """The served config, and the same with each of issue 20's rules 1-3 switched off (typed config fields)."""
    from dataclasses import replace

    cfg = predictor.config
    return {"all_rules": cfg,
            "without_rule1_per_user_recurrence": replace(cfg, per_user_recurrence=False),
            "without_rule2_hygiene": replace(cfg, hygiene=False),
            "without_rule3_median_level": without_median(cfg, predictor.metadata.metrics)}


def score_rules(predictor: Any, frame: pd.DataFrame, truth: pd.Series | None, rules: bool) -> dict[str, Any]:
    """:func:`score_served` under the served config and, with ``rules``, each rule switched off."""
    configs = rule_configs(predictor) if rules else {"all_rules": predictor.config}
    served = predictor.config
    out = {}
    try:
        for label, cfg in configs.items():
            predictor.config = cfg
            out[label] = score_served(predictor, frame, truth)
    finally:
        predictor.config = served
    return out


def noisy_accuracy(predictor: Any, users: int, eval_seed: int, ablations: bool = True) -> dict[str, Any]:
    """The same users with real-data noise, scored against their true consumption (and rule ablations)."""
    from nivesh_ml.data.synthetic_messy import RealDataNoise, add_real_data_noise, consumption_truth

    clean = generate_transactions(users, 24, seed=eval_seed)
    noisy = add_real_data_noise(clean, RealDataNoise(seed=eval_seed))
    truth = consumption_truth(clean, noisy)
    scored = score_rules(predictor, noisy, truth, ablations)
    return {"served": scored.pop("all_rules"), **scored}


def seed_report(predictor: Any, users: int, seed: int, oracle_reps: int, rules: bool) -> dict[str, Any]:
    """One evaluation seed: served total on clean and noisy data (each rule off in turn), and the oracle."""
    from nivesh_ml.data.synthetic_messy import RealDataNoise, add_real_data_noise, consumption_truth

    started = time.perf_counter()
    clean = generate_transactions(users, 24, seed=seed)
    noisy = add_real_data_noise(clean, RealDataNoise(seed=seed))
    out: dict[str, Any] = {"seed": seed, "clean": score_rules(predictor, clean, None, rules),
                           "noisy": score_rules(predictor, noisy, consumption_truth(clean, noisy), rules)}
    if oracle_reps:
        out["oracle"] = oracle(users, seed, oracle_reps, out["clean"]["all_rules"]["mape"])
    out["seconds"] = round(time.perf_counter() - started, 1)
    return out


def seeds_summary(reports: list[dict[str, Any]]) -> dict[str, Any]:
    """Per seed and median over seeds: the issue 20 targets (clean), the noisy figures, the per-rule table."""
    rows = []
    for r in reports:
        clean, noisy = r["clean"]["all_rules"], r["noisy"]["all_rules"]
        row = {"seed": r["seed"], "users": clean["users"], "served_mape": clean["mape"], "rel_mae": clean["rel_mae"],
               "coverage_80": clean["coverage_80"], "noisy_mape": noisy["mape"], "noisy_rel_mae": noisy["rel_mae"],
               "noisy_coverage_80": noisy["coverage_80"]}
        if "oracle" in r:
            row["oracle_mape"] = r["oracle"]["mape_optimal"]["mape"]
            row["ratio"] = r["oracle"]["served_mape_over_mape_optimal_mape"]
            row["ratio_median_oracle"] = r["oracle"]["served_mape_over_median_mape"]
        rows.append(row)
    median = {k: round(float(np.median([row[k] for row in rows])), 4) for k in rows[0] if k != "seed"}
    per_rule = {}
    for data in ("clean", "noisy"):
        for label in reports[0][data]:
            cell = {m: round(float(np.median([r[data][label][m] for r in reports])), 4)
                    for m in ("mape", "rel_mae", "coverage_80")}
            per_rule[f"{data}/{label}"] = cell
    return {"per_seed": rows, "median_over_seeds": median, "per_rule_median_over_seeds": per_rule}


def markdown_tables(summary: dict[str, Any]) -> str:
    """The per-seed and per-rule tables as Markdown (what docs/benchmarks/spending.md shows)."""
    lines = ["| seed | oracle MAPE | served MAPE | ratio (≤ 1.10) | rel_mae (≤ 0.75) | 80 % coverage (75–85 %) "
             "| noisy MAPE / rel_mae / coverage |", "|---|---|---|---|---|---|---|"]
    for row in [*summary["per_seed"], {"seed": "median", **summary["median_over_seeds"]}]:
        oracle_mape = f"{100 * row['oracle_mape']:.2f} %" if "oracle_mape" in row else "–"
        lines.append(f"| {row['seed']} | {oracle_mape} | {100 * row['served_mape']:.2f} % | {row.get('ratio', '–')} "
                     f"| {row['rel_mae']:.3f} | {100 * row['coverage_80']:.1f} % | {100 * row['noisy_mape']:.2f} % / "
                     f"{row['noisy_rel_mae']:.3f} / {100 * row['noisy_coverage_80']:.1f} % |")
    lines += ["", "| rules (median over seeds) | clean MAPE / rel_mae / coverage | noisy MAPE / rel_mae / coverage |",
              "|---|---|---|"]
    per_rule = summary["per_rule_median_over_seeds"]
    for label in [k.split("/", 1)[1] for k in per_rule if k.startswith("clean/")]:
        cells = [per_rule[f"{data}/{label}"] for data in ("clean", "noisy")]
        lines.append(f"| {label} | " + " | ".join(f"{100 * c['mape']:.2f} % / {c['rel_mae']:.3f} / "
                                                  f"{100 * c['coverage_80']:.1f} %" for c in cells) + " |")
    return "\n".join(lines)


def _ten_category_requests(n: int) -> list[list[dict[str, Any]]]:
    """Inline 24-month histories restricted to each user's 10 biggest categories."""
    frame = generate_transactions(max(n * 2, 10), 24, seed=77)
    debits = frame[frame["direction"] == "debit"]
    out = []
    for _, rows in debits.groupby("user_id"):
        top = rows.groupby("category")["amount"].sum().nlargest(10).index
        if len(top) < 10:
            continue
        keep = rows[rows["category"].isin(top)]
        out.append([{"timestamp": r["timestamp"], "amount": float(r["amount"]), "category": r["category"]}
                    for r in keep.to_dict("records")])
        if len(out) == n:
            break
    return out


def latency(home: Path, requests: int, repeats: int) -> dict[str, Any]:
    """p50/p95 of POST /predict/spending: cold (new user, 24 months inline, 10 categories) and cached."""
    from fastapi.testclient import TestClient

    from nivesh_ml.pipelines.training import train_model
    from nivesh_ml.serving.app import create_app

    settings = Settings(home=home)
    train_model(settings, "spending", None, {"seed": 42}, promote=True)
    histories = _ten_category_requests(requests)
    cold_p95, cold_p50, hot_p95, hot_p50, inline_p95 = [], [], [], [], []
    with TestClient(create_app(settings)) as client:
        for run in range(repeats):
            cold = []
            for i, txns in enumerate(histories):
                body = {"user_id": f"bench-{run}-{i}", "months": 24, "transactions": txns}
                t0 = time.perf_counter()
                response = client.post("/predict/spending", json=body)
                cold.append(time.perf_counter() - t0)
                assert response.status_code == 200, response.text
            user = f"stored-{run}"
            ingest = [{**t, "transaction_id": f"t{j}"} for j, t in enumerate(histories[0])]
            assert client.post("/transactions", json={"user_id": user, "transactions": ingest}).status_code == 200
            client.post("/predict/spending", json={"user_id": user, "months": 24})
            hot, hot_inline = [], []
            inline = {"user_id": f"bench-{run}-0", "months": 24, "transactions": histories[0]}
            for _ in range(100):
                t0 = time.perf_counter()
                client.post("/predict/spending", json={"user_id": user, "months": 24})
                hot.append(time.perf_counter() - t0)
                t0 = time.perf_counter()
                client.post("/predict/spending", json=inline)
                hot_inline.append(time.perf_counter() - t0)
            cold_p95.append(_pct(cold, 95))
            cold_p50.append(_pct(cold, 50))
            hot_p95.append(_pct(hot, 95))
            hot_p50.append(_pct(hot, 50))
            inline_p95.append(_pct(hot_inline, 95))
    return {"requests_per_run": len(histories), "repeats": repeats,
            "cold_24m_10cat_p50_s": round(statistics.median(cold_p50), 3),
            "cold_24m_10cat_p95_s": round(statistics.median(cold_p95), 3),
            "cached_stored_user_p50_ms": round(1000 * statistics.median(hot_p50), 2),
            "cached_stored_user_p95_ms": round(1000 * statistics.median(hot_p95), 2),
            "cached_inline_24m_p95_ms": round(1000 * statistics.median(inline_p95), 2)}


def batch(home: Path, model_dir: Path, users: int, workers: int) -> dict[str, Any]:
    """Throughput of `nivesh-ml forecast batch` on a LocalCluster, extrapolated to 10,000 users."""
    from nivesh_ml.data.schemas import Transaction
    from nivesh_ml.features.factory import create_store
    from nivesh_ml.features.repository import TransactionRepository
    from nivesh_ml.models.spending.batch import BatchOptions, run_batch

    settings = Settings(home=home / "batch")
    store = create_store(settings)
    repository = TransactionRepository(store, [], ttl_s=86400, max_history=5000)
    frame = generate_transactions(users, 24, seed=99)
    cols = ["transaction_id", "timestamp", "amount", "direction", "category", "currency"]
    for user_id, rows in frame.groupby("user_id"):
        txns = [Transaction(user_id=str(user_id), **{str(k): v for k, v in r.items()})
                for r in rows[cols].to_dict("records")]
        repository.ingest(str(user_id), txns)
    store.close()
    summary = run_batch(settings, model_dir, options=BatchOptions(months=6, n_workers=workers))
    per_user = summary["series"] / max(summary["users"], 1)
    rate = summary["series_per_second"] or float("nan")
    cpu_rate = summary["series_per_cpu_second"] or float("nan")
    return {**summary, "series_per_user": round(per_user, 1),
            "extrapolated_10k_users_minutes_as_measured": round(10_000 * per_user / rate / 60, 1),
            "extrapolated_10k_users_minutes_2_dedicated_cores": round(10_000 * per_user / (2 * cpu_rate) / 60, 1),
            "note": f"measured on {users} users, extrapolated linearly to 10,000; the dedicated-core figure "
                    "divides the workers' CPU time by 2 cores (the machine was shared while measuring)"}


def _prophet_daily(daily: pd.Series, months: pd.PeriodIndex) -> np.ndarray:
    """Prophet on daily spend (India holidays + festival windows, weekly + yearly), summed per month."""
    from prophet import Prophet

    from nivesh_ml.models.spending.forecasters import quiet_prophet
    from nivesh_ml.models.spending.holidays import prophet_holidays

    quiet_prophet()
    years = sorted({d.year for d in daily.index} | {m.year for m in months})
    model = Prophet(holidays=prophet_holidays(years), yearly_seasonality=True, weekly_seasonality=True,
                    daily_seasonality=False, uncertainty_samples=0)
    model.fit(pd.DataFrame({"ds": daily.index, "y": daily.to_numpy()}))
    future = pd.DataFrame({"ds": pd.date_range(months[0].start_time, months[-1].end_time.normalize(), freq="D")})
    pred = model.predict(future)
    per_month = pred.groupby(pred["ds"].dt.to_period("M"))["yhat"].sum().clip(lower=0)
    return np.asarray(per_month.reindex(months).to_numpy(), dtype=float)


def granularity(users: int) -> dict[str, Any]:
    """Measure: Prophet on daily spend then summed, vs Prophet on monthly spend with festival regressors."""
    from nivesh_ml.models.spending.forecasters import ProphetMonthly, SeasonalNaive
    from nivesh_ml.models.spending.holidays import monthly_festival_features
    from nivesh_ml.models.spending.selection import ForecastConfig
    from nivesh_ml.models.spending.series import monthly_spend

    frame = generate_transactions(users, 24, seed=31)
    frame["timestamp"] = pd.to_datetime(frame["timestamp"])
    cfg = ForecastConfig()
    errors: dict[str, list[float]] = {"daily": [], "monthly": [], "seasonal_naive": []}
    actuals: list[float] = []
    seconds: dict[str, list[float]] = {"daily": [], "monthly": []}
    for _, rows in frame.groupby("user_id"):
        history = monthly_spend(rows)
        y, n = history.total, history.n_months
        months = history.months[n - HORIZON:]
        cut = months[0].start_time
        debits = rows[(rows["direction"] == "debit") & (rows["timestamp"] < cut)]
        daily = debits.groupby(debits["timestamp"].dt.normalize())["amount"].sum()
        daily = daily.reindex(pd.date_range(history.months[0].start_time, cut - pd.Timedelta(days=1)), fill_value=0)
        t0 = time.perf_counter()
        errors["daily"] += list(np.abs(_prophet_daily(daily, months) - y[n - HORIZON:]))
        seconds["daily"].append(time.perf_counter() - t0)
        exog = monthly_festival_features(history.months, cfg.windows, cfg.wedding_months)
        t0 = time.perf_counter()
        point = ProphetMonthly(regressors=cfg.regressors).forecast(y[: n - HORIZON], history.start, exog, HORIZON)
        seconds["monthly"].append(time.perf_counter() - t0)
        errors["monthly"] += list(np.abs(point - y[n - HORIZON:]))
        snaive = SeasonalNaive().forecast(y[: n - HORIZON], history.start, exog, HORIZON)
        errors["seasonal_naive"] += list(np.abs(snaive - y[n - HORIZON:]))
        actuals += list(y[n - HORIZON:])
    sn = float(np.sum(errors["seasonal_naive"]))
    return {"users": users, "series": "total spend, last 3 months hidden",
            **{k: {"mape": round(float(np.mean(np.array(v) / np.array(actuals))), 4),
                   "rel_mae": round(float(np.sum(v)) / sn, 4),
                   **({"median_fit_seconds": round(statistics.median(seconds[k]), 3)} if k in seconds else {})}
               for k, v in errors.items()}}


def multi_seed(args: argparse.Namespace) -> dict[str, Any]:
    """``--seeds``: one training, then :func:`seed_report` per seed and the summary over seeds."""
    seeds = list(EVAL_SEEDS) if args.seeds == "default" else [int(x) for x in args.seeds.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        trained, predictor, train_s, model_dir = train(Path(tmp), json.loads(args.params), args.train_users or None)
        if args.save_model:
            shutil.copytree(model_dir, args.save_model, dirs_exist_ok=True)
    config = predictor.config
    reports = []
    for seed in seeds:
        reports.append(seed_report(predictor, args.users, seed, args.oracle_reps, not args.no_rules))
        print(f"seed {seed} done in {reports[-1]['seconds']} s", file=sys.stderr, flush=True)
    return {"train_seconds": round(train_s, 1), "params": json.loads(args.params), "users": args.users,
            "seeds": seeds, "preferred": config.preferred, "weights": config.weights,
            "total_shrink": config.total_shrink, "calibration": config.calibration,
            "train_report": trained.metadata.metrics, "summary": seeds_summary(reports), "reports": reports,
            "load_average_end": round(os.getloadavg()[0], 1)}


def main() -> None:
    """Run the benchmarks and print JSON."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=120)
    parser.add_argument("--batch-users", type=int, default=500)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--requests", type=int, default=12)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--skip-batch", action="store_true")
    parser.add_argument("--skip-latency", action="store_true")
    parser.add_argument("--params", default="{}", help='training params as JSON, e.g. '
                        '\'{"config": {"winsorise": 0}, "blend_weights": false}\' (ablations)')
    parser.add_argument("--granularity-users", type=int, default=0, help="also compare daily vs monthly")
    parser.add_argument("--train-users", type=int, default=0, help="simulated users to train on (default: as "
                        "bootstrap, 32); 75 %% of them train, the rest are the pipeline's own evaluation")
    parser.add_argument("--eval-seed", type=int, default=EVAL_SEED, help="seed of the simulated evaluation "
                        "users (default 2024, the benchmark's); use another one (e.g. 7) while developing")
    parser.add_argument("--noisy", action="store_true", help="also score the users' data with real-data noise")
    parser.add_argument("--noisy-only", action="store_true", help="only the noisy scoring (no clean evaluation)")
    parser.add_argument("--oracle-reps", type=int, default=0, help="also score the parameter-knowing oracle "
                        "on the same users with this many replicates (e.g. 100) and report the MAPE ratio")
    parser.add_argument("--seeds", default="", help="evaluate on several seeds with one trained model: "
                        "'default' (2024,7,99) or a comma list; per seed the served total on clean and noisy "
                        "data, each of rules 1-3 off in turn, and the oracle (--oracle-reps); Markdown on stderr")
    parser.add_argument("--no-rules", action="store_true", help="with --seeds: skip the per-rule ablations")
    parser.add_argument("--save-model", default="", help="with --seeds: also save the trained model here")
    args = parser.parse_args()
    out: dict[str, Any] = {"machine": f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}"}
    if args.seeds:
        out.update(multi_seed(args))
        json.dump(out, sys.stdout, indent=2, default=str)
        sys.stdout.write("\n")
        sys.stderr.write(markdown_tables(out["summary"]) + "\n")
        return
    if args.granularity_users:
        out["granularity"] = granularity(args.granularity_users)
    with tempfile.TemporaryDirectory() as tmp:
        accuracy, model_dir = train_and_evaluate(args.users, Path(tmp), json.loads(args.params),
                                                 args.train_users or None, args.eval_seed,
                                                 "only" if args.noisy_only else args.noisy)
        out["accuracy"] = accuracy
        if args.oracle_reps and not args.noisy_only:
            out["oracle"] = oracle(args.users, args.eval_seed, args.oracle_reps, accuracy["total_spend"]["mape"])
        if not args.skip_latency:
            out["latency"] = latency(Path(tmp) / "serve", args.requests, args.repeats)
        if not args.skip_batch:
            out["batch"] = batch(Path(tmp), model_dir, args.batch_users, args.workers)
    out["load_average_end"] = round(os.getloadavg()[0], 1)
    json.dump(out, sys.stdout, indent=2, default=str)
    sys.stdout.write("\n")


if __name__ == "__main__":
    pd.options.mode.chained_assignment = None
    main()
