"""Training options of the intent model: a dataclass that rejects bad values and names the culprit."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, fields
from typing import Any

from nivesh_ml.errors import InvalidInput
from nivesh_ml.models.options import flag

FALLBACK_LABEL = "general_chat"


@dataclass(frozen=True)
class IntentParams:
    """Hyper-parameters of fine-tuning; defaults keep bundled training within ~3 minutes on 2 cores."""

    epochs: int = 8  # the learning rate decays to 0 over these; the best validation-loss epoch is kept
    batch_size: int = 16
    learning_rate: float = 5e-5
    head_learning_rate: float = 2e-3
    weight_decay: float = 0.01
    label_smoothing: float = 0.1
    warmup_fraction: float = 0.1
    max_length: int = 64
    patience: int = 5
    validation_fraction: float = 0.15
    max_steps: int = 0
    per_label: int = 0
    threads: int = 2
    seed: int = 42
    top_k: int = 3
    fallback_tolerance: float = 0.01
    fallback_ceiling: float = 0.5
    device: str = "cpu"
    quantization: str = "static"
    calibration_size: int = 200
    bucket_by_length: bool = True
    refit: bool = False
    freeze_embeddings: bool = True  # keep the word-piece embedding table at its pre-trained values
    lexical: bool = True  # blend with a char/word TF-IDF logistic regression (weight chosen on validation)
    lexical_c: float = 20.0

    def __post_init__(self) -> None:
        checks = {
            "epochs": self.epochs >= 1, "batch_size": self.batch_size >= 1,
            "learning_rate": self.learning_rate > 0, "head_learning_rate": self.head_learning_rate > 0,
            "weight_decay": self.weight_decay >= 0, "label_smoothing": 0 <= self.label_smoothing < 1,
            "warmup_fraction": 0 <= self.warmup_fraction < 1,
            "max_length": 8 <= self.max_length <= 512, "patience": self.patience >= 1,
            "validation_fraction": 0 < self.validation_fraction <= 0.5, "max_steps": self.max_steps >= 0,
            "per_label": self.per_label >= 0, "threads": self.threads >= 1, "top_k": self.top_k >= 1,
            "fallback_tolerance": 0 <= self.fallback_tolerance < 1,
            "fallback_ceiling": 0 <= self.fallback_ceiling < 1,
            "device": self.device in ("cpu", "cuda"), "quantization": self.quantization in ("static", "dynamic"),
            "calibration_size": self.calibration_size >= 1, "lexical_c": self.lexical_c > 0,
        }
        bad = [name for name, ok in checks.items() if not ok]
        if bad:
            raise InvalidInput(f"invalid intent option(s): {', '.join(f'{b}={getattr(self, b)!r}' for b in bad)}")

    @classmethod
    def from_options(cls, options: Mapping[str, Any]) -> IntentParams:
        """Pick the known keys from CLI/pipeline options (others belong to other stages)."""
        types = {f.name: f.type for f in fields(cls)}
        values: dict[str, Any] = {}
        for name, kind in types.items():
            if options.get(name) is None:
                continue
            try:
                values[name] = _CONVERTERS.get(str(kind), str)(options[name])
            except (TypeError, ValueError) as exc:
                raise InvalidInput(f"intent option {name} must be a {kind}, got {options[name]!r}") from exc
        return cls(**values)

    def as_dict(self) -> dict[str, Any]:
        """Plain dict for model.json."""
        return asdict(self)


_CONVERTERS: dict[str, Callable[[Any], Any]] = {"float": float, "int": int, "bool": flag}
