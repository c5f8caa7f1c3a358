"""Anomaly model figures (docs/benchmarks/anomaly.md); prints JSON.

1. Detection on simulated transactions with injected anomalies, users held out from training (25 %):
   ROC-AUC, PR-AUC, recall at 1 % FPR (overall and per anomaly kind), FPR and recall at the stored
   threshold, for (a) the model (IsolationForest over deviations + max-deviation rule + population evidence,
   scored by the supervised XGBoost head because the simulator's training users are labelled), (b) the same
   detector forced to the unsupervised score (``combiner=fisher``, what an unlabelled file gets),
   (c) the same forest without the rule blend, (d) the baseline a user would try first: a plain
   IsolationForest on raw (amount, hour, category code). (a) and (b) are also reported on the
   validation users (inside the training users; they set the threshold), the figures used to choose.
2. Training time of the default model (and of the Fisher-blend one).
3. Online scoring, in process: profile read from the feature store (SQLite; Redis when a
   ``redis-server`` binary is available) + features + score + reasons, p50/p95 per transaction.
4. Batch scoring throughput (``score_frame``: per-user replay, features, forest, reasons for flagged rows).
5. With ``--leave-one-kind-out``: for each anomaly kind, the model trained with that kind's rows removed from
   the fitting users (so its labels never reach the head), and its recall at 1 % FPR on that kind
   (validation and held-out users): how the head copes with a kind of anomaly absent from the labels.

6. With ``--periods``: the later-period comparison only (issue 17), for a **thin-history** scenario
   (``thin_history_transactions``: ``--thin-users`` users over 7 days, median ≈ 14 rows each, plus fraud episodes:
   large night-time online/grocery purchases) and a **thick-history** one (``--thick-users`` users × ``--thick-months``
   months of the ordinary simulator). Each is split by time: the first 60 % trains, the last 40 % is scored as
   a file of its own (what ``nivesh-ml train anomaly --data …`` then ``nivesh-ml score anomaly`` does).
   ROC-AUC, PR-AUC, the flag rate and FPR at the stored threshold, and the flag rate when the later period is
   served in time order through ``AnomalyPredictor.record_served`` (scheduled, guarded recalibration) for (a) a
   plain IsolationForest on (amount, hour, category code), default settings, (b) nivesh-ml trained without the
   label columns, (c) with them (XGBoost head); the median over ``--period-seeds`` (seeds never used for a design
   choice; 101 is the validation seed). One markdown table per scenario follows the JSON.

Timings are the median of ``--runs`` runs. Run: ``.venv/bin/python benchmarks/bench_anomaly.py``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import socket
import statistics
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.ensemble import IsolationForest
from sklearn.metrics import average_precision_score, roc_auc_score

from nivesh_ml.config import Settings
from nivesh_ml.data.schemas import Transaction
from nivesh_ml.data.splits import split_users
from nivesh_ml.data.synthetic_anomalies import NIGHT_FRAUD_KIND
from nivesh_ml.features.factory import create_store
from nivesh_ml.features.store import OnlineStore
from nivesh_ml.models.anomaly import FAMILY, AnomalyPredictor
from nivesh_ml.models.anomaly.evaluation import detection_metrics

RECORD_FIELDS = ("transaction_id", "amount", "currency", "direction", "merchant", "category", "channel", "city",
                 "country", "latitude", "longitude")


def _summary(metrics: dict[str, Any]) -> dict[str, Any]:
    keys = ("roc_auc", "pr_auc", "recall_at_1pct_fpr", "fpr_at_threshold", "recall_at_threshold",
            "precision_at_threshold", "n", "n_anomalies")
    out = {k: round(metrics[k], 4) if isinstance(metrics[k], float) else metrics[k] for k in keys if k in metrics}
    out["recall_at_1pct_fpr_per_kind"] = {k: round(v["recall_at_1pct_fpr"], 4)
                                          for k, v in metrics.get("per_kind", {}).items()}
    return out


def _raw_features(frame: pd.DataFrame, codes: dict[str, int]) -> np.ndarray:
    category = frame["category"].astype(object).fillna("").map(lambda c: codes.get(c, -1)).to_numpy(dtype=float)
    return np.column_stack([frame["amount"].to_numpy(float), frame["timestamp"].dt.hour.to_numpy(float), category])


def baseline(train: pd.DataFrame, evaluation: pd.DataFrame, seed: int, with_scores: bool = False) -> Any:
    """Plain IsolationForest on raw (amount, hour, category code), scikit-learn defaults."""
    codes = {c: i for i, c in enumerate(sorted(train["category"].dropna().unique()))}
    forest = IsolationForest(random_state=seed).fit(_raw_features(train, codes))
    scores = -forest.score_samples(_raw_features(evaluation, codes))
    labels = evaluation["is_anomaly"].astype(int).to_numpy()
    threshold = float(np.quantile(scores[labels == 0], 0.99, method="higher"))
    metrics = detection_metrics(scores, labels, threshold, evaluation["anomaly_kind"].astype(str).to_numpy())
    return (metrics, scores) if with_scores else metrics


def _record(row: pd.Series) -> Transaction:
    fields = {k: row[k] for k in RECORD_FIELDS if k in row and not pd.isna(row[k])}
    return Transaction(user_id=str(row["user_id"]), timestamp=row["timestamp"].to_pydatetime(), **fields)


def online_latency(predictor: AnomalyPredictor, store: OnlineStore, evaluation: pd.DataFrame,
                   users: int, probes: int, runs: int) -> dict[str, float]:
    """Per-transaction latency of read profile + score (+ reasons), ms."""
    from nivesh_ml.features.repository import TransactionRepository
    from nivesh_ml.models.anomaly import AnomalyProfileUpdater
    from nivesh_ml.models.anomaly.online import score_user_transaction

    repository = TransactionRepository(store, [AnomalyProfileUpdater()], ttl_s=86400, max_history=5000)
    chosen = evaluation["user_id"].drop_duplicates().head(users).tolist()
    rows = evaluation[evaluation["user_id"].isin(chosen)].sort_values("timestamp", kind="stable")
    probe_rows = rows.groupby("user_id").tail(max(1, probes // len(chosen)))
    history = rows.drop(probe_rows.index)
    for user, group in history.groupby("user_id"):
        repository.ingest(str(user), [_record(r) for _, r in group.iterrows()])
    txns = [_record(r) for _, r in probe_rows.iterrows()]
    p50s, p95s, cpu50s = [], [], []
    for _ in range(runs):
        times, cpu = [], []
        for txn in txns:
            start, cpu_start = time.perf_counter(), time.process_time()
            score_user_transaction(predictor, repository, txn.user_id, txn)
            times.append((time.perf_counter() - start) * 1000)
            cpu.append((time.process_time() - cpu_start) * 1000)
        p50s.append(float(np.percentile(times, 50)))
        p95s.append(float(np.percentile(times, 95)))
        cpu50s.append(float(np.percentile(cpu, 50)))
    # CPU time of this process (not the store's server): what a shared, loaded machine does not inflate.
    return {"p50_ms": round(statistics.median(p50s), 3), "p95_ms": round(statistics.median(p95s), 3),
            "cpu_p50_ms": round(statistics.median(cpu50s), 3),
            "transactions": len(txns), "users": len(chosen)}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def redis_server(workdir: Path) -> Iterator[str | None]:
    """A throwaway redis-server on loopback (None when the binary is absent)."""
    binary = shutil.which("redis-server")
    if binary is None:
        yield None
        return
    port = _free_port()
    proc = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly",
                             "no", "--dir", str(workdir)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def batch_throughput(predictor: AnomalyPredictor, evaluation: pd.DataFrame, runs: int) -> dict[str, float]:
    """Transactions per second of ``score_frame`` (reasons written for flagged rows)."""
    rates, cpu_rates = [], []
    for _ in range(runs):
        start, cpu_start = time.perf_counter(), time.process_time()
        predictor.score_frame(evaluation)
        rates.append(len(evaluation) / (time.perf_counter() - start))
        cpu_rates.append(len(evaluation) / max(time.process_time() - cpu_start, 1e-9))
    return {"transactions_per_s": round(statistics.median(rates)),
            "transactions_per_cpu_s": round(statistics.median(cpu_rates)), "rows": len(evaluation)}


def leave_one_kind_out(prepared: Any, validation: pd.DataFrame, seed: int) -> dict[str, Any]:
    """Per kind K: train without K's rows among the fitting users; recall at 1 % FPR on K, model vs Fisher."""
    fitting_users = set(split_users(prepared.train, 0.2, seed + 1)[0]["user_id"].astype(str))
    out: dict[str, Any] = {}
    for kind in sorted(set(prepared.train["anomaly_kind"].astype(str)) - {""}):
        drop = prepared.train["user_id"].astype(str).isin(fitting_users) & (prepared.train["anomaly_kind"] == kind)
        row: dict[str, Any] = {"dropped_rows": int(drop.sum())}
        for name, params in (("model", {"seed": seed}), ("unsupervised_fisher", {"seed": seed, "combiner": "fisher"})):
            with tempfile.TemporaryDirectory() as tmp:
                FAMILY.save(FAMILY.train(prepared.train[~drop].reset_index(drop=True), params), Path(tmp) / "m")
                predictor = FAMILY.load(Path(tmp) / "m")
            for part, frame in (("validation", validation), ("heldout", prepared.evaluation)):
                per_kind = FAMILY.evaluate(predictor, frame)["per_kind"][kind]
                row[f"{name}_{part}"] = f"{round(per_kind['recall_at_1pct_fpr'] * per_kind['n'])}/{per_kind['n']}"
        out[kind] = row
    return out


def time_split(frame: pd.DataFrame, share: float = 0.6) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Rows before / from the ``share`` quantile of time (all users in both parts)."""
    stamps = pd.to_datetime(frame["timestamp"])
    cut = pd.Timestamp(np.quantile(stamps.to_numpy().astype("datetime64[s]").astype(np.int64), share), unit="s")
    return frame[stamps < cut].reset_index(drop=True), frame[stamps >= cut].reset_index(drop=True)


def scenario_frame(name: str, seed: int, args: argparse.Namespace) -> pd.DataFrame:
    """The labelled transactions of one scenario, validated like a loaded file."""
    from datetime import date

    from nivesh_ml.data.synthetic import generate_transactions, thin_history_transactions
    from nivesh_ml.models.anomaly.family import load_frame

    if name == "thin":
        return load_frame(thin_history_transactions(args.thin_users, seed))
    return load_frame(generate_transactions(args.thick_users, args.thick_months, seed=seed, start=date(2024, 11, 1)))


def period_run(name: str, seed: int, args: argparse.Namespace) -> dict[str, Any]:
    """Train on the first 60 % by time, score the last 40 %: baseline, no labels, labels."""
    frame = scenario_frame(name, seed, args)
    train, later = time_split(frame)
    labels, kinds = later["is_anomaly"].astype(int).to_numpy(), later["anomaly_kind"].astype(str).to_numpy()
    out: dict[str, Any] = {"rows_train": len(train), "rows_later": len(later), "anomalies_later": int(labels.sum()),
                           "median_rows_per_user": float(frame.groupby("user_id").size().median()),
                           }
    base_metrics, base_scores = baseline(train, later, seed, with_scores=True)
    out["baseline"] = _period_summary(base_metrics, base_scores, kinds)
    unlabelled = train.drop(columns=["is_anomaly", "anomaly_kind"])
    for variant, data in (("no_labels", unlabelled), ("labels", train)):
        trained = FAMILY.train(data, {**json.loads(args.params), "seed": seed})
        with tempfile.TemporaryDirectory() as tmp:
            FAMILY.save(trained, Path(tmp) / "m")
            predictor = FAMILY.load(Path(tmp) / "m")
        assert isinstance(predictor, AnomalyPredictor)
        scores = predictor.score_frame(later, with_reasons=False)["score"].to_numpy()
        metrics = detection_metrics(scores, labels, predictor.threshold, kinds)
        out[variant] = {**_period_summary(metrics, scores, kinds), "target_fpr": trained.metadata.extra["target_fpr"],
                        "combiner": trained.metadata.extra["combiner"],
                        **_recalibration(predictor, scores, later["timestamp"])}
    return out


def _recalibration(predictor: AnomalyPredictor, scores: np.ndarray, stamps: pd.Series) -> dict[str, Any]:
    """Flag rate of the later period served in time order: the stored threshold vs the predictor's scheduled
    recalibration (``record_served``: every ``recalibrate_every`` scores, from its recent window, guarded)."""
    ordered = scores[np.argsort(pd.to_datetime(stamps).to_numpy(), kind="stable")]
    flagged = 0
    for score in ordered.tolist():
        flagged += score > predictor.threshold  # decided with the threshold in force when it was served
        predictor.record_served(score)
    return {"flag_rate_served_recalibrated": round(flagged / max(1, len(ordered)), 4),
            "recalibrate_every": predictor.recalibrate_every, "final_threshold": round(predictor.threshold, 6),
            "stored_threshold": round(predictor.detector.threshold, 6)}


def _period_summary(metrics: dict[str, Any], scores: np.ndarray, kinds: np.ndarray) -> dict[str, Any]:
    keys = ("roc_auc", "pr_auc", "flag_rate", "fpr_at_threshold")
    out: dict[str, Any] = {k: round(float(metrics[k]), 4) for k in keys if k in metrics}
    night = kinds == NIGHT_FRAUD_KIND
    if night.any():  # the population-level frauds alone against the normal rows
        keep = night | (kinds == "")
        out["night_roc_auc"] = round(float(roc_auc_score(night[keep], scores[keep])), 4)
        out["night_pr_auc"] = round(float(average_precision_score(night[keep], scores[keep])), 4)
    out["recall_at_1pct_fpr_per_kind"] = {k: round(v["recall_at_1pct_fpr"], 3)
                                          for k, v in metrics.get("per_kind", {}).items()}
    return out


def periods(args: argparse.Namespace) -> dict[str, Any]:
    """Per scenario: every seed's figures and the median over seeds."""
    result: dict[str, Any] = {}
    for name in args.scenarios.split(","):
        runs = {seed: period_run(name, seed, args) for seed in args.period_seeds}
        median = {variant: {k: round(statistics.median(r[variant][k] for r in runs.values()), 4)
                            for k in ("roc_auc", "pr_auc", "flag_rate", "fpr_at_threshold", "night_roc_auc",
                                      "night_pr_auc",
                                      "flag_rate_served_recalibrated")
                            if all(k in r[variant] for r in runs.values())}
                  for variant in ("baseline", "no_labels", "labels")}
        result[name] = {"median": median, "seeds": runs}
    return result


VARIANT_NAMES = {"baseline": "plain IsolationForest (amount, hour, category code), defaults",
                 "no_labels": "nivesh-ml, no labels (unsupervised)", "labels": "nivesh-ml, labels (XGBoost head)"}


def _cell(block: dict[str, Any], variant: str, key: str, pct: bool = False) -> str:
    """``median (seed1, seed2, ...)`` of one figure."""
    if key not in block["median"][variant]:
        return "–"

    def fmt(x: float) -> str:
        return f"{x * 100:.2f} %" if pct else f"{x:.3f}"
    per = [run[variant][key] for run in block["seeds"].values()]
    return f"{fmt(block['median'][variant][key])} ({', '.join(fmt(x) for x in per)})"


def period_tables(result: dict[str, Any], seeds: list[int]) -> str:
    """One markdown table per scenario: median over seeds (each seed's figure in brackets)."""
    lines = []
    for name, block in result.items():
        share = statistics.median(run["anomalies_later"] / run["rows_later"] for run in block["seeds"].values())
        lines += ["", f"### {name} (median of seeds {', '.join(map(str, seeds))}; per seed in brackets; "
                  f"anomalies in the later 40 %: {share * 100:.2f} % of rows)", "",
                  "| model | ROC-AUC | PR-AUC | flag rate later 40 %, stored threshold | normal rows flagged (FPR), "
                  "stored threshold | flag rate, served with scheduled recalibration | target |",
                  "|---|---|---|---|---|---|---|"]
        for variant, label in VARIANT_NAMES.items():
            first = next(iter(block["seeds"].values()))
            target = "–" if variant == "baseline" else f"{first[variant]['target_fpr'] * 100:g} %"
            lines.append(f"| {label} | {_cell(block, variant, 'roc_auc')} | {_cell(block, variant, 'pr_auc')} | "
                         f"{_cell(block, variant, 'flag_rate', True)} | "
                         f"{_cell(block, variant, 'fpr_at_threshold', True)} | "
                         f"{_cell(block, variant, 'flag_rate_served_recalibrated', True)} | {target} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=300)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--leave-one-kind-out", action="store_true", help="also run the leave-one-kind-out check")
    parser.add_argument("--periods", action="store_true", help="only the later-period scenarios (issue 17)")
    parser.add_argument("--scenarios", default="thin,thick")
    parser.add_argument("--period-seeds", type=int, nargs="+", default=[11, 12, 13])
    parser.add_argument("--thin-users", type=int, default=900)
    parser.add_argument("--thick-users", type=int, default=120)
    parser.add_argument("--thick-months", type=int, default=6)
    parser.add_argument("--params", default="{}", help="--periods: JSON training parameters (ablations)")
    args = parser.parse_args()
    if args.periods:
        by_scenario = periods(args)
        print(json.dumps(by_scenario, indent=2))
        print(period_tables(by_scenario, args.period_seeds))
        return
    options = {"users": args.users, "months": args.months, "seed": args.seed}
    prepared = FAMILY.prepare(None, options)
    timings, predictors, combiners = {}, {}, {}
    _, validation = split_users(prepared.train, 0.2, args.seed + 1)  # the validation users FAMILY.train uses
    variants = (("model", {"seed": args.seed}), ("unsupervised_fisher", {"seed": args.seed, "combiner": "fisher"}),
                ("forest_only", {"seed": args.seed, "blend": False}))
    with tempfile.TemporaryDirectory() as tmp:
        for name, params in variants:
            start = time.perf_counter()
            trained = FAMILY.train(prepared.train, params)
            timings[name] = round(time.perf_counter() - start, 1)
            combiners[name] = f"{trained.metadata.extra['combiner']}: {trained.metadata.extra['combiner_reason']}"
            FAMILY.save(trained, Path(tmp) / name)
            loaded = FAMILY.load(Path(tmp) / name)
            assert isinstance(loaded, AnomalyPredictor)
            predictors[name] = loaded
        model = predictors["model"]
        result: dict[str, Any] = {
            "data": {"users": args.users, "months": args.months, "train_rows": len(prepared.train),
                     "heldout_rows": len(prepared.evaluation),
                     "heldout_users": int(prepared.evaluation["user_id"].nunique())},
            "combiner": combiners,
            "model": _summary(FAMILY.evaluate(model, prepared.evaluation)),
            "model_validation_users": _summary(FAMILY.evaluate(model, validation)),
            "unsupervised_fisher": _summary(FAMILY.evaluate(predictors["unsupervised_fisher"], prepared.evaluation)),
            "unsupervised_fisher_validation_users": _summary(FAMILY.evaluate(predictors["unsupervised_fisher"],
                                                                             validation)),
            "forest_only": _summary(FAMILY.evaluate(predictors["forest_only"], prepared.evaluation)),
            "baseline_raw_isolation_forest": _summary(baseline(prepared.train, prepared.evaluation, args.seed)),
            "train_seconds": timings["model"],
            "train_seconds_unsupervised_fisher": timings["unsupervised_fisher"],
            "threshold": model.threshold,
        }
        settings = Settings(home=Path(tmp) / "var")
        result["online_sqlite"] = online_latency(model, create_store(settings), prepared.evaluation, 20, 400,
                                                 args.runs)
        with redis_server(Path(tmp)) as url:
            if url:
                store = create_store(Settings(home=Path(tmp) / "var", redis_url=url))
                result["online_redis"] = online_latency(model, store, prepared.evaluation, 20, 400, args.runs)
                store.close()
            else:
                result["online_redis"] = "skipped: redis-server not installed"
        result["batch"] = batch_throughput(model, prepared.evaluation, args.runs)
    if args.leave_one_kind_out:
        result["leave_one_kind_out"] = leave_one_kind_out(prepared, validation, args.seed)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
