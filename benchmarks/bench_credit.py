"""Credit model figures (docs/benchmarks/credit.md); prints JSON.

1. 5-fold cross-validated ROC-AUC on German credit (target ``creditability``, positive ``bad``) of the full
   pipeline (encoding + hyper-parameter search + calibration, all inside each training fold) beside
   logistic regression (one-hot + standardised numbers) and default-parameter XGBoost (one-hot) on the
   same folds; the same comparison on simulated applicants, so the pipeline is not judged on one set.
2. Expected calibration error of the default model on held-out simulated applicants (its own 20 % test
   split and a fresh 20,000-applicant sample from another seed), and its training time.
3. Single-applicant scoring with reason codes, in process: p50/p95 latency (median of 3 runs).

Run: ``.venv/bin/python benchmarks/bench_credit.py [--skip-german] [--folds 5]``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xgboost as xgb
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from nivesh_ml.data.synthetic import generate_applicants
from nivesh_ml.models.credit import FAMILY
from nivesh_ml.models.credit.data import CreditData, labels_of
from nivesh_ml.models.credit.metrics import expected_calibration_error
from nivesh_ml.models.credit.predictor import CreditPredictor
from nivesh_ml.models.credit.schema import FeatureSchema, application_schema, detect_schema

GERMAN = Path(__file__).resolve().parents[2] / "shared" / "data" / "german_credit" / "germancredit.csv"


def _baselines(train: pd.DataFrame, test: pd.DataFrame, schema: FeatureSchema, y: np.ndarray,
               seed: int) -> dict[str, np.ndarray]:
    num = [f.name for f in schema.fields if f.kind == "numeric"]
    cat = [f.name for f in schema.fields if f.kind == "categorical"]

    def prep(scale: bool) -> ColumnTransformer:
        numeric = make_pipeline(SimpleImputer(strategy="median"), *([StandardScaler()] if scale else []))
        categorical = make_pipeline(SimpleImputer(strategy="constant", fill_value="(missing)"),
                                    OneHotEncoder(handle_unknown="ignore"))
        return ColumnTransformer([("num", numeric, num), ("cat", categorical, cat)])

    def frame(df: pd.DataFrame) -> pd.DataFrame:
        out = df[num + cat].copy()
        out[num] = out[num].apply(pd.to_numeric, errors="coerce")
        out[cat] = out[cat].astype(object).where(out[cat].notna(), None).astype(str)
        return out

    lr = make_pipeline(prep(True), LogisticRegression(max_iter=2000)).fit(frame(train), y)
    xg = make_pipeline(prep(False), xgb.XGBClassifier(n_jobs=1, random_state=seed)).fit(frame(train), y)
    return {"logistic_regression": lr.predict_proba(frame(test))[:, 1],
            "xgboost_default": xg.predict_proba(frame(test))[:, 1]}


def cross_validated_auc(frame: pd.DataFrame, target: str, positive: str, applicant: bool, folds: int,
                        seed: int = 42) -> dict[str, Any]:
    """Per-fold ROC-AUC of the pipeline and the two baselines on the same stratified folds."""
    y = labels_of(frame[target], positive)
    scores: dict[str, list[float]] = {"pipeline": [], "logistic_regression": [], "xgboost_default": []}
    choices = []
    for fit_idx, test_idx in StratifiedKFold(folds, shuffle=True, random_state=seed).split(frame, y):
        train, test = frame.iloc[fit_idx].reset_index(drop=True), frame.iloc[test_idx].reset_index(drop=True)
        schema = application_schema(train) if applicant else detect_schema(train, target, positive)
        trained = FAMILY.train(CreditData(train, target, positive, schema), {"seed": seed})
        predictor = _reload(trained)
        scores["pipeline"].append(float(roc_auc_score(y[test_idx], predictor.probabilities(test))))
        for name, p in _baselines(train, test, schema, y[fit_idx], seed).items():
            scores[name].append(float(roc_auc_score(y[test_idx], p)))
        search = trained.metadata.extra["search"]
        choices.append({"encoding": search["encoding"], "calibration": search["calibration"]})
    return {"folds": folds, "n": len(frame), "default_rate": round(float(y.mean()), 4), "choices": choices,
            **{k: {"mean": round(statistics.mean(v), 4), "sd": round(statistics.stdev(v), 4),
                   "per_fold": [round(s, 4) for s in v]} for k, v in scores.items()}}


def _reload(trained: Any) -> CreditPredictor:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        FAMILY.save(trained, Path(tmp))
        predictor = FAMILY.load(Path(tmp))
    assert isinstance(predictor, CreditPredictor)
    return predictor


def default_model_figures() -> tuple[dict[str, Any], CreditPredictor, pd.DataFrame]:
    """Train the default model as bootstrap does; ECE on its test split and on fresh applicants."""
    start = time.perf_counter()
    prepared = FAMILY.prepare(None, {"seed": 42})
    trained = FAMILY.train(prepared.train, {"seed": 42})
    train_s = time.perf_counter() - start
    predictor = _reload(trained)
    held_out = FAMILY.evaluate(predictor, prepared.evaluation)
    fresh = generate_applicants(20_000, seed=2024)
    p = predictor.probabilities(fresh)
    y = fresh["default"].to_numpy()
    search = trained.metadata.extra["search"]
    return ({"train_seconds": round(train_s, 1), "encoding": search["encoding"],
             "encoding_cv_auc": search["encoding_cv_auc"], "calibration": search["calibration"],
             "calibration_cv_brier": search["calibration_cv_brier"],
             "held_out_test_split": {k: round(v, 4) for k, v in held_out.items() if isinstance(v, float)},
             "fresh_20000": {"ece": round(expected_calibration_error(y, p), 4),
                             "roc_auc": round(float(roc_auc_score(y, p)), 4)}},
            predictor, fresh)


def latency(predictor: CreditPredictor, applicants: pd.DataFrame, calls: int = 2000) -> dict[str, Any]:
    """p50/p95 of predict_one (validation, score, calibration, TreeSHAP reasons), median of 3 runs."""
    fields = predictor.schema.names
    records = [{k: (v.item() if hasattr(v, "item") else v) for k, v in row.items()}
               for row in applicants[fields].head(calls).to_dict(orient="records")]
    p50s, p95s = [], []
    for _ in range(3):
        times = []
        for record in records:
            start = time.perf_counter()
            predictor.predict_one(record)
            times.append((time.perf_counter() - start) * 1000)
        p50s.append(float(np.percentile(times, 50)))
        p95s.append(float(np.percentile(times, 95)))
    return {"calls_per_run": len(records), "p50_ms": round(statistics.median(p50s), 3),
            "p95_ms": round(statistics.median(p95s), 3), "p50_runs_ms": [round(v, 3) for v in p50s]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--skip-german", action="store_true")
    args = parser.parse_args()
    out: dict[str, Any] = {}
    if not args.skip_german and GERMAN.is_file():
        german = pd.read_csv(GERMAN, dtype=str, keep_default_na=False, na_values=[""])
        out["german_credit_cv_auc"] = cross_validated_auc(german, "creditability", "bad", False, args.folds)
    simulated = generate_applicants(3000, seed=7).drop(columns=["applicant_id"])
    out["simulated_cv_auc"] = cross_validated_auc(simulated, "default", "1", True, args.folds)
    figures, predictor, fresh = default_model_figures()
    out["default_model"] = figures
    out["single_scoring"] = latency(predictor, fresh)
    sys.stdout.write(json.dumps(out, indent=2) + "\n")


if __name__ == "__main__":
    main()
