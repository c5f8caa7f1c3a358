"""Export the fine-tuned network to ONNX and quantise it to int8 (torch is needed here only).

Static quantisation (activation scales calibrated on training texts) is the default because it keeps a
query's answer independent of the other queries in its batch: dynamic quantisation computes one activation
scale over the whole padded batch, so the same query scored alone or in a batch could differ by ~1e-2.
"""

from __future__ import annotations

import tempfile
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
from tokenizers import Tokenizer

from nivesh_ml.errors import InvalidInput
from nivesh_ml.models.intent.network import IntentNet
from nivesh_ml.models.intent.tokens import encode

OPSET = 17
INPUTS = ("input_ids", "attention_mask")
OUTPUT = "logits"
QUANTIZATION_MODES = ("static", "dynamic")
DESCRIPTIONS = {
    "static": "onnxruntime static int8 QDQ: per-channel int8 MatMul weights, uint8 activations calibrated "
              "(MinMax) on training texts; the feed-forward output projections stay float32",
    "dynamic": "onnxruntime dynamic int8: int8 weights, per-batch dynamic activation scales",
}


def export_fp32(network: IntentNet, path: Path) -> Path:
    """Write a float32 ONNX graph with dynamic batch and sequence axes."""
    network.eval()
    ids = torch.tensor([[101, 2054, 2003, 2026, 5703, 102], [101, 7592, 102, 0, 0, 0]], dtype=torch.long)
    mask = (ids != 0).long()
    dynamic: dict[str, Any] = {name: {0: "batch", 1: "sequence"} for name in INPUTS}
    dynamic[OUTPUT] = {0: "batch"}
    # The tracer warns that shape-derived Python values become constants: for this bidirectional encoder they
    # are (no causal mask, no KV cache), and exported logits match eager ones at any batch size and length.
    with torch.inference_mode(), warnings.catch_warnings():
        warnings.simplefilter("ignore", category=torch.jit.TracerWarning)
        torch.onnx.export(network, (ids, mask), str(path), input_names=list(INPUTS), output_names=[OUTPUT],
                          dynamic_axes=dynamic, opset_version=OPSET, do_constant_folding=True, dynamo=False)
    return path


def calibration_reader(tokenizer: Tokenizer, texts: Sequence[str]) -> Any:
    """onnxruntime calibration data: one unpadded training text at a time (shared with the quantisation bench)."""
    from onnxruntime.quantization import CalibrationDataReader

    class TextReader(CalibrationDataReader):  # type: ignore[misc]
        """Feeds one unpadded text at a time, so padding never shapes the activation ranges."""

        def __init__(self) -> None:
            self._texts = iter(list(texts))

        def get_next(self) -> dict[str, Any] | None:
            text = next(self._texts, None)
            if text is None:
                return None
            ids, mask = encode(tokenizer, [text])
            return {"input_ids": ids, "attention_mask": mask}

    return TextReader()


def ffn_output_matmuls(path: Path) -> list[str]:
    """Names of the feed-forward down-projection MatMuls (``layer.N/output/dense``) of an exported encoder.

    Their inputs are GELU outputs with a few very large values, so one uint8 scale per tensor loses the rest:
    keeping these 6 of 48 MatMuls in float32 cut the int8 model's mean KL divergence from the float32 model
    ~10x (0.023 -> 0.0024) and raised top-1 agreement from 96.1 % to 98.3 % (BANKING77 training texts).
    """
    import onnx

    graph = onnx.load(str(path)).graph
    return [node.name for node in graph.node
            if node.op_type == "MatMul" and "/output/dense/" in node.name and "/attention/" not in node.name]


def quantize_static_int8(fp32: Path, path: Path, tokenizer: Tokenizer, calibration_texts: Sequence[str],
                         exclude: Sequence[str] | None = None, symmetric_activations: bool = False) -> Path:
    """Static QDQ int8 of an fp32 export; ``exclude`` MatMuls stay fp32 (default: the feed-forward outputs)."""
    from onnxruntime.quantization import CalibrationMethod, QuantFormat, QuantType, quantize_static

    excluded = ffn_output_matmuls(fp32) if exclude is None else list(exclude)
    activation = QuantType.QInt8 if symmetric_activations else QuantType.QUInt8
    quantize_static(str(fp32), str(path), calibration_reader(tokenizer, calibration_texts),
                    quant_format=QuantFormat.QDQ, op_types_to_quantize=["MatMul"], per_channel=True,
                    activation_type=activation, weight_type=QuantType.QInt8,
                    calibrate_method=CalibrationMethod.MinMax, nodes_to_exclude=excluded,
                    extra_options={"MatMulConstBOnly": True, "ActivationSymmetric": symmetric_activations})
    return path


def export_int8(network: IntentNet, path: Path, tokenizer: Tokenizer, calibration_texts: Sequence[str],
                mode: str = "static") -> Path:
    """Write the int8 ONNX model to ``path`` (``mode``: static or dynamic quantisation)."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    if mode not in QUANTIZATION_MODES:
        raise InvalidInput(f"quantization must be one of {QUANTIZATION_MODES}, got {mode!r}")
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        fp32 = export_fp32(network, Path(tmp) / "model-fp32.onnx")
        if mode == "dynamic":
            quantize_dynamic(str(fp32), str(path), weight_type=QuantType.QInt8)
            return path
        quantize_static_int8(fp32, path, tokenizer, calibration_texts)
    return path
