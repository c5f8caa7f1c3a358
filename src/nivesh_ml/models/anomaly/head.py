"""Supervised head: gradient-boosted trees (XGBoost) on the detector's features and unsupervised evidence.

Used when the training file carries ``is_anomaly`` labels with enough anomalies among the fitting users;
otherwise the detector keeps its unsupervised score (the default). Inputs (:func:`head_inputs`): the
one-sided deviation of every directional feature, per-user and population ones alike (capped); three context
values (history length, night, credit); and the unsupervised evidence in nats (``-log p`` of the forest, of
the max-deviation rule, of the population rule and the maturity-weighted statistic). Monotone constraints:
the score never falls as a deviation or the unsupervised evidence grows (a larger amount percentile, a rarer
hour or a smaller tail probability cannot make a transaction look *more* normal); context values are free.

The booster is saved as XGBoost's own JSON (``head.json``; no pickle) and served through the same predictor:
one ``inplace_predict`` call, for one transaction (a 1-row array) as for a batch, so the server's score equals
the batch job's exactly (a plain-Python walk of the trees was 0.27 ms faster per row but summed the leaves in
double, XGBoost in float32: scores differed by more than 1e-6).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import numpy as np
import xgboost as xgb

from nivesh_ml.models.anomaly.features import DIRECTIONS, FEATURE_NAMES, INDEX

HEAD_FILE: Final = "head.json"
MIN_POSITIVES: Final = 20  # fewer labelled anomalies (or normal rows) among fitting users → unsupervised score
DEVIATION_CAP: Final = 10.0  # deviations are 1 at the training p99; beyond 10× that adds nothing
_DEV_IDX: Final = [i for i, name in enumerate(FEATURE_NAMES) if DIRECTIONS[name] != 0]
CONTEXT: Final[tuple[str, ...]] = ("log_history_size", "is_night", "is_credit")
_CONTEXT_IDX: Final = [INDEX[name] for name in CONTEXT]
EVIDENCE: Final[tuple[str, ...]] = ("nats_forest", "nats_rule", "nats_population", "nats_unsupervised")
INPUT_NAMES: Final[tuple[str, ...]] = (*(f"dev_{FEATURE_NAMES[i]}" for i in _DEV_IDX), *CONTEXT, *EVIDENCE)
MONOTONE: Final[tuple[int, ...]] = (*(1 for _ in _DEV_IDX), *(0 for _ in CONTEXT), *(1 for _ in EVIDENCE))


def head_inputs(dev: np.ndarray, raw: np.ndarray, evidence: np.ndarray) -> np.ndarray:
    """Design matrix ``(n, len(INPUT_NAMES))``: capped deviations, context, evidence (``(n, 4)``, nats)."""
    return np.column_stack([np.minimum(dev[:, _DEV_IDX], DEVIATION_CAP), raw[:, _CONTEXT_IDX],
                            evidence]).astype(np.float32)


def supervision_plan(labels: np.ndarray | None, requested: str) -> tuple[str, str]:
    """Which score training will use (``"xgboost"`` head or ``"unsupervised"``) and why, in words."""
    if requested == "fisher":
        return "unsupervised", "unsupervised score requested (combiner=fisher)"
    if labels is None:
        return "unsupervised", "training data has no is_anomaly labels"
    positives, negatives = int(labels.sum()), int(len(labels) - labels.sum())
    if positives < MIN_POSITIVES or negatives < MIN_POSITIVES:
        return "unsupervised", (f"only {positives} labelled anomalies and {negatives} normal rows among training "
                                f"users (need at least {MIN_POSITIVES} of each)")
    return "xgboost", f"{positives} labelled anomalies among {len(labels)} training-user rows"


@dataclass(frozen=True)
class HeadParams:
    """Boosting settings (chosen on validation seed 101 of the later-period benchmark, docs/benchmarks/anomaly.md)."""

    n_estimators: int = 200
    max_depth: int = 3
    learning_rate: float = 0.05
    subsample: float = 0.8
    colsample_bytree: float = 0.8
    min_child_weight: float = 1.0
    reg_lambda: float = 1.0
    max_pos_weight: float = 1.0  # up-weighting the rare positives (≤ this factor) lost PR-AUC on validation


@dataclass
class SupervisedHead:
    """A fitted XGBoost booster over :data:`INPUT_NAMES`."""

    booster: xgb.Booster
    inputs: list[str] = field(default_factory=lambda: list(INPUT_NAMES))

    @classmethod
    def fit(cls, x: np.ndarray, y: np.ndarray, seed: int, params: HeadParams | None = None) -> SupervisedHead:
        """Fit on a :func:`head_inputs` matrix and 0/1 labels."""
        p = params or HeadParams()
        positives = max(1, int(y.sum()))
        model = xgb.XGBClassifier(
            n_estimators=p.n_estimators, max_depth=p.max_depth, learning_rate=p.learning_rate,
            subsample=p.subsample, colsample_bytree=p.colsample_bytree, min_child_weight=p.min_child_weight,
            reg_lambda=p.reg_lambda, monotone_constraints=MONOTONE, tree_method="hist", n_jobs=1,
            random_state=seed, scale_pos_weight=min(p.max_pos_weight, (len(y) - positives) / positives),
            objective="binary:logistic", eval_metric="aucpr")
        model.fit(np.asarray(x, dtype=np.float32), np.asarray(y, dtype=int))
        return cls(booster=model.get_booster())

    def scores(self, x: np.ndarray) -> np.ndarray:
        """Estimated P(anomaly) (0-1) per row of a :func:`head_inputs` matrix."""
        if len(x) == 0:
            return np.zeros(0)
        out = self.booster.inplace_predict(np.asarray(x, dtype=np.float32), validate_features=False)
        return np.asarray(out, dtype=float).reshape(-1)

    def save(self, directory: Path) -> None:
        """The booster in XGBoost's JSON format."""
        self.booster.save_model(str(Path(directory) / HEAD_FILE))

    @classmethod
    def load(cls, directory: Path, inputs: list[str]) -> SupervisedHead:
        """Load ``head.json`` (single-threaded prediction, as it is served)."""
        booster = xgb.Booster()
        booster.load_model(str(Path(directory) / HEAD_FILE))
        booster.set_param({"nthread": 1})
        return cls(booster=booster, inputs=inputs)

    def state(self) -> dict[str, Any]:
        """What ``detector.json`` records about the head (the booster itself is ``head.json``)."""
        return {"file": HEAD_FILE, "inputs": self.inputs}
