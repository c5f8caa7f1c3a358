"""Full fine-tuning of MiniLM for intents: seeded, early stopping, temperature and threshold on validation."""

from __future__ import annotations

import copy
import logging
import math
import random
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray
from tokenizers import Tokenizer
from torch import nn

from nivesh_ml.errors import InvalidInput
from nivesh_ml.models.intent.calibration import blend_probabilities, choose_blend, choose_threshold, fit_temperature
from nivesh_ml.models.intent.data import IntentDataset, cap_per_label, stratified_split
from nivesh_ml.models.intent.lexical import LexicalModel, fit_lexical
from nivesh_ml.models.intent.network import IntentNet, base_model_dir
from nivesh_ml.models.intent.params import FALLBACK_LABEL, IntentParams
from nivesh_ml.models.intent.tokens import encode, load_tokenizer, token_counts

log = logging.getLogger(__name__)


@dataclass
class IntentState:
    """What training produces: the torch network, its tokenizer, labels and calibration."""

    network: IntentNet
    tokenizer: Tokenizer
    labels: list[str]
    temperature: float
    threshold: float
    params: IntentParams
    history: list[dict[str, float]] = field(default_factory=list)
    validation: dict[str, float] = field(default_factory=dict)
    train_seconds: float = 0.0
    calibration_texts: list[str] = field(default_factory=list)
    reference_texts: list[str] = field(default_factory=list)  # training texts: the drift reference
    lexical: LexicalModel | None = None  # the TF-IDF half of the ensemble (None: network alone)
    blend_weight: float = 0.0  # weight of the lexical log-probabilities, chosen on validation
    blend_temperature: float = 1.0  # temperature of the blended scores, chosen on validation


def seed_everything(seed: int, threads: int) -> None:
    """Seed python, numpy and torch; pin torch to ``threads`` CPU threads."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.set_num_threads(threads)


def logits_for(network: IntentNet, tokenizer: Tokenizer, texts: list[str], batch_size: int = 64) -> NDArray[Any]:
    """Eval-mode logits of ``texts`` (numpy)."""
    network.eval()
    device = next(network.parameters()).device
    out = []
    with torch.inference_mode():
        for start in range(0, len(texts), batch_size):
            ids, mask = _tensors(tokenizer, texts[start:start + batch_size], device)
            out.append(network(ids, mask).float().cpu().numpy())
    return np.concatenate(out) if out else np.zeros((0, 0))


def _tensors(tokenizer: Tokenizer, texts: list[str], device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    ids, mask = encode(tokenizer, texts)
    return torch.from_numpy(ids).to(device), torch.from_numpy(mask).to(device)


def _optimizer(network: IntentNet, params: IntentParams, total_steps: int) -> tuple[Any, Any]:
    no_decay = ("bias", "LayerNorm.weight", "LayerNorm.bias")
    if params.freeze_embeddings:
        network.encoder.embeddings.word_embeddings.weight.requires_grad_(False)
    encoder = [(n, p) for n, p in network.encoder.named_parameters() if p.requires_grad]
    groups = [
        {"params": [p for n, p in encoder if not n.endswith(no_decay)], "weight_decay": params.weight_decay,
         "lr": params.learning_rate},
        {"params": [p for n, p in encoder if n.endswith(no_decay)], "weight_decay": 0.0, "lr": params.learning_rate},
        {"params": list(network.head.parameters()), "weight_decay": 0.0, "lr": params.head_learning_rate},
    ]
    optimizer = torch.optim.AdamW(groups)
    warmup = max(1, int(total_steps * params.warmup_fraction))

    def schedule(step: int) -> float:
        if step < warmup:
            return (step + 1) / warmup
        return max(0.0, (total_steps - step) / max(1, total_steps - warmup))

    return optimizer, torch.optim.lr_scheduler.LambdaLR(optimizer, schedule)


def _validation_loss(network: IntentNet, tokenizer: Tokenizer, data: IntentDataset,
                     index: dict[str, int]) -> tuple[float, float]:
    logits = logits_for(network, tokenizer, data.texts)
    targets = np.array([index[label] for label in data.labels])
    loss = float(nn.functional.cross_entropy(torch.from_numpy(logits), torch.from_numpy(targets)))
    return round(loss, 5), round(float((logits.argmax(axis=1) == targets).mean()), 4)


@dataclass
class _Loop:
    """Mutable state of the training loop."""

    network: IntentNet
    tokenizer: Tokenizer
    optimizer: Any
    scheduler: Any
    generator: torch.Generator
    targets: torch.Tensor
    device: torch.device
    lengths: list[int]
    step: int = 0


def epoch_batches(lengths: list[int], batch_size: int, generator: torch.Generator,
                  bucket: bool) -> list[list[int]]:
    """Shuffled mini-batches of row indices; with ``bucket``, rows of similar token length share a batch.

    Bucketing sorts each window of 50 shuffled batches by length before cutting it, then shuffles the
    batches, so padding (and CPU time) shrinks while every epoch still sees the rows in a random order.
    """
    order = torch.randperm(len(lengths), generator=generator).tolist()
    if not bucket:
        return [order[start:start + batch_size] for start in range(0, len(order), batch_size)]
    window = batch_size * 50
    batches: list[list[int]] = []
    for start in range(0, len(order), window):
        chunk = sorted(order[start:start + window], key=lambda i: lengths[i])
        batches.extend(chunk[pos:pos + batch_size] for pos in range(0, len(chunk), batch_size))
    shuffle = torch.randperm(len(batches), generator=generator).tolist()
    return [batches[i] for i in shuffle]


def _run_epoch(loop: _Loop, train: IntentDataset, params: IntentParams) -> float:
    loop.network.train()
    total, seen = 0.0, 0
    for batch in epoch_batches(loop.lengths, params.batch_size, loop.generator, params.bucket_by_length):
        ids, mask = _tensors(loop.tokenizer, [train.texts[i] for i in batch], loop.device)
        loss = nn.functional.cross_entropy(loop.network(ids, mask), loop.targets[batch],
                                           label_smoothing=params.label_smoothing)
        loop.optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(loop.network.parameters(), 1.0)
        loop.optimizer.step()
        loop.scheduler.step()
        total, seen, loop.step = total + float(loss.detach()) * len(batch), seen + len(batch), loop.step + 1
        if params.max_steps and loop.step >= params.max_steps:
            break
    return total / max(1, seen)


def fit(dataset: IntentDataset, params: IntentParams) -> IntentState:
    """Fine-tune on ``dataset`` (a validation part is split off it) and calibrate on that part.

    With ``params.refit`` a second network is then trained from the base weights on *all* of ``dataset`` for
    the number of epochs early stopping chose; it keeps the temperature and threshold of the first run.
    """
    started = time.perf_counter()
    seed_everything(params.seed, params.threads)
    given_texts = list(dataset.texts)  # the drift reference: every text given, even when per_label caps training
    if params.per_label:
        dataset = cap_per_label(dataset, params.per_label, params.seed)
    labels = dataset.label_names()
    if len(labels) < 2:
        raise InvalidInput(f"intent training needs at least 2 labels, got {labels}")
    train, valid = stratified_split(dataset, params.validation_fraction, params.seed)
    tokenizer = load_tokenizer(base_model_dir() / "tokenizer.json", params.max_length)
    network, history, best_epoch = _train_network(train, valid, labels, tokenizer, params, params.epochs)
    lexical = fit_lexical(train.texts, train.labels, labels, params.lexical_c) if params.lexical else None
    calibration = calibrate(network, tokenizer, valid if len(valid) else train, labels, params, lexical)
    calibration.validation["best_epoch"] = float(best_epoch)
    if params.refit and len(valid):
        seed_everything(params.seed, params.threads)
        network, refit_history, _ = _train_network(dataset, IntentDataset([], []), labels, tokenizer, params,
                                                    best_epoch)
        history.extend({**record, "refit": 1.0} for record in refit_history)
        train = dataset
        lexical = fit_lexical(train.texts, train.labels, labels, params.lexical_c) if params.lexical else None
    return IntentState(network=network, tokenizer=tokenizer, labels=labels, temperature=calibration.temperature,
                       threshold=calibration.threshold, params=params, history=history,
                       validation=calibration.validation, train_seconds=round(time.perf_counter() - started, 2),
                       calibration_texts=_calibration_sample(train, params), reference_texts=given_texts,
                       lexical=lexical if calibration.blend_weight > 0 else None,
                       blend_weight=calibration.blend_weight, blend_temperature=calibration.blend_temperature)


def _train_network(train: IntentDataset, valid: IntentDataset, labels: list[str], tokenizer: Tokenizer,
                   params: IntentParams, epochs: int) -> tuple[IntentNet, list[dict[str, float]], int]:
    """Train a fresh network for up to ``epochs``; with a validation part, keep its best epoch (early stopping)."""
    index = {label: i for i, label in enumerate(labels)}
    device = torch.device(params.device)
    network = IntentNet(base_model_dir(), len(labels)).to(device)
    total = epochs * math.ceil(len(train) / params.batch_size)
    optimizer, scheduler = _optimizer(network, params, min(total, params.max_steps or total))
    lengths = token_counts(tokenizer, train.texts)
    loop = _Loop(network, tokenizer, optimizer, scheduler, torch.Generator().manual_seed(params.seed),
                 torch.tensor([index[label] for label in train.labels], device=device), device, lengths)
    best: dict[str, Any] = {"loss": math.inf, "state": None, "epoch": 0}
    history: list[dict[str, float]] = []
    for epoch in range(1, epochs + 1):
        record = {"epoch": float(epoch), "train_loss": round(_run_epoch(loop, train, params), 5)}
        if len(valid):
            record["val_loss"], record["val_accuracy"] = _validation_loss(network, tokenizer, valid, index)
            if record["val_loss"] < best["loss"]:
                best = {"loss": record["val_loss"], "state": copy.deepcopy(network.state_dict()), "epoch": epoch}
        history.append(record)
        log.info("intent epoch %d: %s", epoch, record)
        out_of_steps = bool(params.max_steps) and loop.step >= params.max_steps
        if out_of_steps or (len(valid) and epoch - best["epoch"] >= params.patience):
            break
    if best["state"] is not None:
        network.load_state_dict(best["state"])
    network.to("cpu").eval()
    return network, history, int(best["epoch"] or len(history))


def _calibration_sample(train: IntentDataset, params: IntentParams) -> list[str]:
    """Training texts (seeded sample) that calibrate the int8 activation ranges at export."""
    rng = np.random.default_rng(params.seed)
    picked = rng.permutation(len(train))[: params.calibration_size]
    return [train.texts[i] for i in sorted(picked.tolist())]


@dataclass
class Calibration:
    """What the validation part decides: temperatures, the lexical blend weight, the fallback threshold."""

    temperature: float
    blend_weight: float
    blend_temperature: float
    threshold: float
    validation: dict[str, float]


def calibrate(network: IntentNet, tokenizer: Tokenizer, data: IntentDataset, labels: list[str],
              params: IntentParams, lexical: LexicalModel | None = None) -> Calibration:
    """Network temperature (min NLL), lexical blend weight + final temperature, fallback threshold, on ``data``."""
    logits = logits_for(network, tokenizer, data.texts)
    index = {label: i for i, label in enumerate(labels)}
    targets = np.array([index[label] for label in data.labels])
    temperature = fit_temperature(logits, targets)
    lexical_scores = lexical.log_probabilities(data.texts) if lexical is not None and len(targets) else None
    weight, blend_temperature = choose_blend(logits, temperature, lexical_scores, targets)
    probs = blend_probabilities(logits, temperature, lexical_scores, weight, blend_temperature)
    fallback = index.get(FALLBACK_LABEL)
    threshold = choose_threshold(probs, targets, fallback, params.fallback_tolerance, params.fallback_ceiling)
    validation = {"validation_accuracy": _accuracy(probs, targets), "validation_size": float(len(data)),
                  "validation_accuracy_network": _accuracy(logits, targets)}
    if lexical_scores is not None:
        validation["validation_accuracy_lexical"] = _accuracy(lexical_scores, targets)
    return Calibration(temperature, weight, blend_temperature, threshold, validation)


def _accuracy(scores: NDArray[Any], targets: NDArray[Any]) -> float:
    return round(float((scores.argmax(axis=1) == targets).mean()), 4) if len(targets) else 0.0
