"""Intent benchmarks: BANKING77 vs baselines, bundled hold-out macro-F1, latency, training time.

Usage (prints JSON):
  .venv/bin/python benchmarks/bench_intent.py bundled [--runs 3] [--seeds 42,43,44]  # (b) F1, (c) latency, (d) time
  .venv/bin/python benchmarks/bench_intent.py banking77 [--device cuda]  # (a) fine-tuned vs two baselines
The BANKING77 figure uses only the shared *train* split: 20 % of it (stratified, seed 42) is held out.
"""

from __future__ import annotations

import argparse
import copy
import dataclasses
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from nivesh_ml.data import bundled_path
from nivesh_ml.models.intent import FAMILY
from nivesh_ml.models.intent.data import (
    BUNDLED_HOLDOUT,
    BUNDLED_TRAIN,
    IntentDataset,
    read_labelled_csv,
    stratified_split,
)

ROOT = Path(__file__).resolve().parents[1]
BANKING77 = ROOT.parent / "shared" / "data" / "banking77" / "train.csv"
SEED = 42


def percentiles(samples: list[float]) -> dict[str, float]:
    """p50 / p99 in milliseconds."""
    arr = np.array(samples) * 1000
    return {"p50_ms": round(float(np.percentile(arr, 50)), 3), "p99_ms": round(float(np.percentile(arr, 99)), 3)}


def time_calls(fn: Any, queries: list[str], warmup: int = 20) -> list[float]:
    """Wall time of ``fn(query)`` for each query (one at a time) after a warm-up."""
    for q in queries[:warmup]:
        fn(q)
    out = []
    for q in queries:
        start = time.perf_counter()
        fn(q)
        out.append(time.perf_counter() - start)
    return out


def torch_single(state: Any) -> Any:
    """Single-query prediction with the same fine-tuned network in PyTorch eager (fp32)."""
    import torch

    from nivesh_ml.models.intent.calibration import blend_probabilities
    from nivesh_ml.models.intent.tokens import encode

    def run(text: str) -> Any:
        ids, mask = encode(state.tokenizer, [text])
        with torch.inference_mode():
            logits = state.network(torch.from_numpy(ids), torch.from_numpy(mask)).numpy()
        lexical = state.lexical.log_probabilities([text]) if state.lexical is not None else None
        return blend_probabilities(logits, state.temperature, lexical, state.blend_weight, state.blend_temperature)

    return run


def median_percentiles(runs: list[dict[str, float]]) -> dict[str, float]:
    """Median over runs of each percentile."""
    return {m: statistics.median(r[m] for r in runs) for m in ("p50_ms", "p99_ms")}


def batch_invariance(predictor: Any, queries: list[str]) -> float:
    """Largest confidence difference between a query scored alone and inside a batch of 64."""
    batch = predictor.predict(queries[:64])
    singles = [predictor.predict_one(q) for q in queries[:64]]
    return max(abs(s["confidence"] - b["confidence"]) for s, b in zip(singles, batch, strict=True))


def quantized_variant(trained: Any, mode: str, holdout: IntentDataset, queries: list[str],
                      runs: int) -> dict[str, Any]:
    """Save with one quantisation mode; hold-out metrics, latency, batch invariance and file size."""
    variant = copy.copy(trained)
    variant.state = copy.copy(trained.state)
    variant.state.params = dataclasses.replace(trained.state.params, quantization=mode)
    with tempfile.TemporaryDirectory() as tmp:
        FAMILY.save(variant, Path(tmp))
        predictor = FAMILY.load(Path(tmp))
        metrics = FAMILY.evaluate(predictor, holdout)
        lat = [percentiles(time_calls(predictor.predict_one, queries)) for _ in range(runs)]
        return {"holdout_accuracy": metrics["accuracy"], "holdout_macro_f1": metrics["macro_f1"],
                "latency_median_of_runs": median_percentiles(lat), "latency_runs": lat,
                "max_confidence_diff_single_vs_batch64": round(batch_invariance(predictor, holdout.texts), 4),
                "model_mb": round((Path(tmp) / "model.onnx").stat().st_size / 2**20, 1),
                "metrics": {k: metrics[k] for k in ("per_class", "confusion_pairs", "fallback_rate", "ece")}}


def bench_bundled(args: argparse.Namespace) -> dict[str, Any]:
    """(b) hold-out macro-F1, (c) single-query latency, (d) training time on the bundled set.

    Trains once per seed (``--seeds``): hold-out figures and training time are reported per seed and as their
    median; latency and the dynamic-quantisation comparison use the first seed's model.
    """
    import torch

    train = read_labelled_csv(bundled_path(BUNDLED_TRAIN))
    holdout = read_labelled_csv(bundled_path(BUNDLED_HOLDOUT))
    queries = (holdout.texts * 2)[: args.queries]
    per_seed: list[dict[str, Any]] = []
    first: Any = None
    for seed in (int(s) for s in args.seeds.split(",")):
        options: dict[str, Any] = {"seed": seed, "device": args.device, **json.loads(args.params)}
        started = time.perf_counter()
        trained = FAMILY.train(train, options)
        seconds = round(time.perf_counter() - started, 1)
        with tempfile.TemporaryDirectory() as tmp:
            FAMILY.save(trained, Path(tmp))
            metrics = FAMILY.evaluate(FAMILY.load(Path(tmp)), holdout)
        per_seed.append({"seed": seed, "train_seconds": seconds, "epochs_run": len(trained.state.history),
                         "best_epoch": trained.state.validation.get("best_epoch"),
                         "validation_accuracy": trained.state.validation.get("validation_accuracy"),
                         "validation_accuracy_network": trained.state.validation.get("validation_accuracy_network"),
                         "validation_accuracy_lexical": trained.state.validation.get("validation_accuracy_lexical"),
                         "lexical_weight": trained.state.blend_weight,
                         "holdout_accuracy": metrics["accuracy"], "holdout_macro_f1": metrics["macro_f1"],
                         "fallback_rate": metrics["fallback_rate"], "threshold": trained.state.threshold})
        print(json.dumps(per_seed[-1]), file=sys.stderr, flush=True)
        first = first or trained
    medians = {key: statistics.median(r[key] for r in per_seed)
               for key in ("train_seconds", "holdout_accuracy", "holdout_macro_f1")}
    if args.skip_latency:
        return {"per_seed": per_seed, "median": medians}
    variants = {mode: quantized_variant(first, mode, holdout, queries, args.runs) for mode in ("static", "dynamic")}
    torch.set_num_threads(2)
    eager = median_percentiles([percentiles(time_calls(torch_single(first.state), queries))
                                for _ in range(args.runs)])
    served = variants[first.state.params.quantization]["latency_median_of_runs"]
    return {"per_seed": per_seed, "median": medians, "history_first_seed": first.state.history,
            "temperature": first.state.temperature, "threshold": first.state.threshold,
            "served_quantization": first.state.params.quantization,
            "quantization": variants, "torch_eager_fp32_latency": eager,
            "eager_over_onnx_p50": round(eager["p50_ms"] / served["p50_ms"], 2), "queries_per_run": len(queries)}


def frozen_embeddings(texts: list[str], device: str) -> np.ndarray:
    """Mean-pooled, L2-normalised all-MiniLM-L6-v2 sentence embeddings (no fine-tuning)."""
    import torch
    from transformers import AutoModel

    from nivesh_ml.models.intent.network import base_model_dir
    from nivesh_ml.models.intent.tokens import encode, load_tokenizer

    model_dir = base_model_dir()
    tokenizer = load_tokenizer(model_dir / "tokenizer.json", 64)
    encoder = AutoModel.from_pretrained(str(model_dir), local_files_only=True).to(device).eval()
    out = []
    with torch.inference_mode():
        for start in range(0, len(texts), 128):
            ids, mask = (torch.from_numpy(a).to(device) for a in encode(tokenizer, texts[start:start + 128]))
            hidden = encoder(input_ids=ids, attention_mask=mask).last_hidden_state
            m = mask.unsqueeze(-1).float()
            pooled = torch.nn.functional.normalize((hidden * m).sum(1) / m.sum(1), dim=-1)
            out.append(pooled.cpu().numpy())
    return np.concatenate(out)


def baselines(train: IntentDataset, test: IntentDataset, device: str) -> dict[str, Any]:
    """Frozen embeddings + logistic regression, char+word TF-IDF + linear SVM (C by 3-fold CV on train)."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import accuracy_score, f1_score
    from sklearn.model_selection import GridSearchCV
    from sklearn.pipeline import FeatureUnion, make_pipeline
    from sklearn.svm import LinearSVC

    results: dict[str, Any] = {}
    started = time.perf_counter()
    x_train, x_test = frozen_embeddings(train.texts, device), frozen_embeddings(test.texts, device)
    lr = GridSearchCV(LogisticRegression(max_iter=3000), {"C": [1.0, 10.0, 100.0]}, cv=3, n_jobs=-1)
    lr.fit(x_train, train.labels)
    pred = lr.predict(x_test)
    results["frozen_minilm_logreg"] = {"accuracy": round(float(accuracy_score(test.labels, pred)), 4),
                                       "macro_f1": round(float(f1_score(test.labels, pred, average="macro")), 4),
                                       "C": lr.best_params_["C"], "seconds": round(time.perf_counter() - started, 1)}
    started = time.perf_counter()
    features = FeatureUnion([("word", TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=1)),
                             ("char", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True))])
    svm = GridSearchCV(make_pipeline(features, LinearSVC()), {"linearsvc__C": [0.1, 0.5, 1.0, 2.0]}, cv=3,
                       n_jobs=-1)
    svm.fit(train.texts, train.labels)
    pred = svm.predict(test.texts)
    results["tfidf_char_word_linear_svm"] = {
        "accuracy": round(float(accuracy_score(test.labels, pred)), 4),
        "macro_f1": round(float(f1_score(test.labels, pred, average="macro")), 4),
        "C": svm.best_params_["linearsvc__C"], "seconds": round(time.perf_counter() - started, 1)}
    return results


def bench_banking77(args: argparse.Namespace) -> dict[str, Any]:
    """(a) BANKING77: fine-tuned MiniLM (ONNX int8) vs two baselines on one held-out 20 % of the train split."""
    from nivesh_ml.models.intent.calibration import blend_scores
    from nivesh_ml.models.intent.train import logits_for

    data = read_labelled_csv(Path(args.data), "text", "category")
    train, test = stratified_split(data, 0.2, SEED)
    out: dict[str, Any] = {"n_train": len(train), "n_test": len(test), "labels": len(data.label_names())}
    configs = [json.loads(c) for c in args.configs]
    candidates = []
    for config in configs:
        options = {"seed": SEED, "device": args.device, **config}
        started = time.perf_counter()
        trained = FAMILY.train(train, options)
        seconds = time.perf_counter() - started
        with tempfile.TemporaryDirectory() as tmp:
            FAMILY.save(trained, Path(tmp))
            metrics = FAMILY.evaluate(FAMILY.load(Path(tmp)), test)
        state = trained.state
        logits = logits_for(state.network, state.tokenizer, test.texts)
        lexical = state.lexical.log_probabilities(test.texts) if state.lexical is not None else None
        fp32 = blend_scores(logits, state.temperature, lexical, state.blend_weight).argmax(axis=1)
        labels = state.labels
        candidates.append({"config": config, "train_seconds": round(seconds, 1),
                           "validation_accuracy": state.validation["validation_accuracy"],
                           "validation_accuracy_network": state.validation.get("validation_accuracy_network"),
                           "lexical_weight": state.blend_weight,
                           "test_accuracy_network_alone_fp32": round(float(np.mean(
                               [labels[i] == t for i, t in zip(logits.argmax(axis=1), test.labels, strict=True)])), 4),
                           "epochs_run": len(trained.state.history),
                           "best_epoch": trained.state.validation.get("best_epoch"),
                           "history": trained.state.history,
                           "test_accuracy_onnx_int8": metrics["accuracy"], "test_macro_f1": metrics["macro_f1"],
                           "test_accuracy_torch_fp32": round(float(np.mean([labels[i] == t for i, t in
                                                                            zip(fp32, test.labels, strict=True)])), 4)})
        print(json.dumps(candidates[-1]), file=sys.stderr, flush=True)
    chosen = max(candidates, key=lambda c: c["validation_accuracy"])  # chosen on validation, never on the test part
    out["fine_tuned_minilm"] = {"chosen_by_validation": chosen, "all_configs": candidates}
    if not args.skip_baselines:
        out.update(baselines(train, test, args.device))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("bundled")
    b.add_argument("--runs", type=int, default=3)
    b.add_argument("--queries", type=int, default=300)
    b.add_argument("--device", default="cpu")
    b.add_argument("--params", default="{}", help="JSON of extra training options")
    b.add_argument("--seeds", default="42", help="comma-separated training seeds (figures per seed + median)")
    b.add_argument("--skip-latency", action="store_true", help="hold-out figures and training time only")
    k = sub.add_parser("banking77")
    k.add_argument("--data", default=str(BANKING77))
    k.add_argument("--device", default="cpu")
    k.add_argument("--configs", nargs="+", default=['{"epochs": 10, "batch_size": 32, "patience": 3}'])
    k.add_argument("--skip-baselines", action="store_true", help="only the fine-tuned model(s)")
    args = parser.parse_args()
    result = bench_bundled(args) if args.command == "bundled" else bench_banking77(args)
    print(json.dumps({"benchmark": f"intent/{args.command}", **result}, indent=2))


if __name__ == "__main__":
    main()
