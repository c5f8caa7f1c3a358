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
from onnxruntime.quantization import CalibrationMethod, QuantFormat, QuantType, quantize_static

from nivesh_ml.models.intent import FAMILY
from nivesh_ml.models.intent.data import read_labelled_csv, stratified_split
from nivesh_ml.models.intent.onnx_export import calibration_reader, export_fp32, ffn_output_matmuls
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


def softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return np.asarray(e / e.sum(axis=1, keepdims=True))


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
        recipes: dict[str, tuple[list[str], dict[str, Any], QuantType]] = {
            "every MatMul int8 (previous)": (names, {}, QuantType.QUInt8),
            "feed-forward outputs kept fp32 (served)": (ffn, {}, QuantType.QUInt8),
            "last layer kept fp32": (last, {}, QuantType.QUInt8),
            "symmetric int8 activations": (names, {"ActivationSymmetric": True}, QuantType.QInt8),
        }
        for name, (exclude, extra, activation) in recipes.items():
            out = Path(tmp) / "int8.onnx"
            quantize_static(str(fp32), str(out), calibration_reader(state.tokenizer, state.calibration_texts),
                            quant_format=QuantFormat.QDQ, op_types_to_quantize=["MatMul"], per_channel=True,
                            activation_type=activation, weight_type=QuantType.QInt8,
                            calibrate_method=CalibrationMethod.MinMax, nodes_to_exclude=exclude,
                            extra_options={"MatMulConstBOnly": True, **extra})
            quantized = softmax(logits(out, state.tokenizer, evaluate))
            kl = np.sum(reference * (np.log(reference + 1e-12) - np.log(quantized + 1e-12)), axis=1).mean()
            print(json.dumps({"recipe": name, "top1_agreement_with_fp32":
                              round(float((quantized.argmax(1) == reference.argmax(1)).mean()), 4),
                              "mean_kl_to_fp32": round(float(kl), 5)}), flush=True)


if __name__ == "__main__":
    main()
