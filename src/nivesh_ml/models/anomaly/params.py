"""Training parameters of the anomaly model: a frozen dataclass that rejects unknown keys and bad values."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from nivesh_ml.models.anomaly.model import DEFAULT_MATURITY_K, DEFAULT_POPULATION_WEIGHT
from nivesh_ml.models.options import check_ranges, parse_options

COMBINERS = ("auto", "fisher")


@dataclass(frozen=True)
class AnomalyParams:
    """IsolationForest size, the validation split and how the score is combined and thresholded."""

    seed: int = 42
    target_fpr: float | None = None  # None: settings.anomaly.target_fpr
    combiner: str = "auto"  # auto: the XGBoost head when there are enough labels; fisher: unsupervised always
    validation: float = 0.2  # share of training users that set calibration and threshold
    n_estimators: int = 200
    max_samples: int = 2048
    max_features: float = 1.0
    blend: bool = True  # Fisher blend of forest and rule tail probabilities (False: the forest alone)
    maturity_k: float = DEFAULT_MATURITY_K  # history length at which own deviations and population weigh equally
    population_weight: float = DEFAULT_POPULATION_WEIGHT  # scale of the population evidence for a newcomer

    def __post_init__(self) -> None:
        check_ranges("anomaly", self, {
            "target_fpr": self.target_fpr is None or 0 < self.target_fpr < 0.5,
            "combiner": self.combiner in COMBINERS, "validation": 0 < self.validation < 1,
            "n_estimators": self.n_estimators >= 1, "max_samples": self.max_samples >= 2,
            "max_features": 0 < self.max_features <= 1,
            "maturity_k": self.maturity_k >= 0, "population_weight": 0 <= self.population_weight <= 1,
        })

    @classmethod
    def from_options(cls, options: Mapping[str, Any]) -> AnomalyParams:
        """Parse CLI/``--param`` options (``None`` values mean "default")."""
        return parse_options(cls, "anomaly", options)

    def as_dict(self) -> dict[str, Any]:
        """Plain dict for ``model.json``."""
        return asdict(self)
