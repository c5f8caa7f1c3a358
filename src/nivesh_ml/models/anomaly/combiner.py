"""Supervised combiner: a monotone logistic regression over the forest, the rule and the deviations.

Used when the training file carries labels (``is_anomaly``) with enough anomalies among the training
users; otherwise the detector keeps the unsupervised Fisher blend (``model.py``). Its inputs are the
calibrated log tail probabilities of the IsolationForest and of the max-deviation rule plus the
one-sided deviation of every directional feature (capped). Coefficients are constrained so that a larger
deviation or a smaller tail probability never lowers the score, which keeps the model monotone in the
evidence the reasons describe and less prone to learning quirks of one data set. The fit is plain
L2-regularised logistic loss (scipy L-BFGS-B with bounds); the state is a handful of JSON numbers.

The detector does not use the combiner alone: a transaction scores by whichever of the combiner and the
unsupervised Fisher blend puts it further into the tail of normal validation scores (``model.either_tail``).
Fitted on labels, the combiner learns the anomaly kinds in them; with one kind's rows removed from training
it caught far fewer of that kind than the Fisher blend does, and the either-tail score keeps those.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
from scipy.optimize import minimize

from nivesh_ml.models.anomaly.features import DIRECTIONS, FEATURE_NAMES

MIN_POSITIVES: Final = 20  # fewer labelled anomalies among training users → unsupervised Fisher blend
DEVIATION_CAP: Final = 10.0  # deviations are 1 at the training p99; beyond 10× that adds nothing
DEFAULT_C: Final = 0.1  # inverse L2 strength on standardised inputs (chosen on validation users)
_DEV_IDX: Final = [i for i, name in enumerate(FEATURE_NAMES) if DIRECTIONS[name] != 0]
INPUT_NAMES: Final[tuple[str, ...]] = ("log_p_forest", "log_p_rule",
                                       *(f"dev_{FEATURE_NAMES[i]}" for i in _DEV_IDX))


def combiner_inputs(log_p_forest: np.ndarray, log_p_rule: np.ndarray, dev: np.ndarray) -> np.ndarray:
    """Design matrix: forest and rule log tail probabilities, then capped deviations (n, len(INPUT_NAMES))."""
    return np.column_stack([log_p_forest, log_p_rule, np.minimum(dev[:, _DEV_IDX], DEVIATION_CAP)])


def supervision_plan(labels: np.ndarray | None, requested: str) -> tuple[str, str]:
    """Which combiner training will use (``"logistic"`` or ``"fisher"``) and why, in words."""
    if requested == "fisher":
        return "fisher", "unsupervised Fisher blend requested (combiner=fisher)"
    if labels is None:
        return "fisher", "training data has no is_anomaly labels"
    positives, negatives = int(labels.sum()), int(len(labels) - labels.sum())
    if positives < MIN_POSITIVES or negatives < MIN_POSITIVES:
        return "fisher", (f"only {positives} labelled anomalies and {negatives} normal rows among training users "
                          f"(need at least {MIN_POSITIVES} of each)")
    return "logistic", f"{positives} labelled anomalies among {len(labels)} training-user rows"


@dataclass
class LogisticCombiner:
    """Standardise, then a linear logit; sign-constrained coefficients (monotone in the evidence)."""

    mean: list[float]
    scale: list[float]
    coef: list[float]
    intercept: float
    inputs: list[str]

    @classmethod
    def fit(cls, x: np.ndarray, y: np.ndarray, c: float = DEFAULT_C) -> LogisticCombiner:
        """Fit on a design matrix from :func:`combiner_inputs` and 0/1 labels."""
        mean, scale = x.mean(axis=0), x.std(axis=0)
        scale = np.where(scale > 1e-9, scale, 1.0)
        z = (x - mean) / scale
        target = y.astype(float)

        def loss(theta: np.ndarray) -> tuple[float, np.ndarray]:
            logit = z @ theta[1:] + theta[0]
            grad = 1.0 / (1.0 + np.exp(-logit)) - target
            value = float(np.sum(np.logaddexp(0.0, logit) - target * logit) + 0.5 * theta[1:] @ theta[1:] / c)
            return value, np.concatenate([[grad.sum()], z.T @ grad + theta[1:] / c])

        # Log tail probabilities: lower is more suspicious (coefficient ≤ 0); deviations: higher (≥ 0).
        bounds = [(None, None), (None, 0.0), (None, 0.0)] + [(0.0, None)] * (x.shape[1] - 2)
        result = minimize(loss, np.zeros(x.shape[1] + 1), jac=True, method="L-BFGS-B", bounds=bounds,
                          options={"maxiter": 5000})
        return cls(mean=mean.tolist(), scale=scale.tolist(), coef=result.x[1:].tolist(),
                   intercept=float(result.x[0]), inputs=list(INPUT_NAMES))

    def scores(self, x: np.ndarray) -> np.ndarray:
        """Estimated probability of an anomaly (0-1) for each row of a design matrix."""
        logit = ((x - np.asarray(self.mean)) / np.asarray(self.scale)) @ np.asarray(self.coef) + self.intercept
        return np.asarray(1.0 / (1.0 + np.exp(-logit)), dtype=float)
