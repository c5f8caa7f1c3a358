"""Which static int8 recipe answers most like the fp32 intent model? Label-free: agreement and KL on training texts.

Usage: .venv/bin/python benchmarks/bench_intent_quant.py   (BANKING77 train split beside the repo; ~4 min on 2 cores)
Trains one epoch on the 80 % training part of BANKING77 (the 20 % test part is never touched), exports fp32 ONNX,
then scores each quantisation recipe by top-1 agreement and mean KL divergence to the fp32 model on 1,500 training
texts not used for calibration.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort

from nivesh_ml.models.intent import FAMILY
from nivesh_ml.models.intent.calibration import softmax
from nivesh_ml.models.intent.data import read_labelled_csv, stratified_split
from nivesh_ml.models.intent.onnx_export import export_fp32, ffn_output_matmuls, quantize_static_int8
from nivesh_ml.models.intent.tokens import encode

BANKING77 = Path(__file__).resolve().parents[2] / "shared" / "data" / "banking77" / "train.csv"


def logits(path: Path, tokenizer: Any, texts: list[str]) -> np.ndarray:
    """One text at a time, as served."""
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    out = []
    for text in texts:
        ids, mask = encode(tokenizer, [text])
        out.append(session.run(None, {"input_ids": ids, "attention_mask": mask})[0][0])
    return np.array(out)


def main() -> None:
    if not BANKING77.is_file():
        print(json.dumps({"skipped": f"{BANKING77} not found"}))
        return
    train, _test = stratified_split(read_labelled_csv(BANKING77, "text", "category"), 0.2, 42)
    state = FAMILY.train(train, {"epochs": 1, "batch_size": 32, "learning_rate": 5e-5, "threads": 1, "seed": 42}).state
    order = np.random.default_rng(7).permutation(len(train))
    evaluate = [train.texts[i] for i in order[1000:2500]]
    with tempfile.TemporaryDirectory() as tmp:
        fp32 = export_fp32(state.network, Path(tmp) / "fp32.onnx")
        reference = softmax(logits(fp32, state.tokenizer, evaluate))
        import onnx

        ffn, names = ffn_output_matmuls(fp32), list[str]()
        last = [n.name for n in onnx.load(str(fp32)).graph.node if n.op_type == "MatMul" and "layer.5/" in n.name]
        recipes: dict[str, tuple[list[str], bool]] = {
            "every MatMul int8 (previous)": (names, False),
            "feed-forward outputs kept fp32 (served)": (ffn, False),
            "last layer kept fp32": (last, False),
            "symmetric int8 activations": (names, True),
        }
        for name, (exclude, symmetric) in recipes.items():
            out = quantize_static_int8(fp32, Path(tmp) / "int8.onnx", state.tokenizer, state.calibration_texts,
                                       exclude, symmetric_activations=symmetric)
            quantized = softmax(logits(out, state.tokenizer, evaluate))
            kl = np.sum(reference * (np.log(reference + 1e-12) - np.log(quantized + 1e-12)), axis=1).mean()
            print(json.dumps({"recipe": name, "top1_agreement_with_fp32":
                              round(float((quantized.argmax(1) == reference.argmax(1)).mean()), 4),
                              "mean_kl_to_fp32": round(float(kl), 5)}), flush=True)


if __name__ == "__main__":
    main()
