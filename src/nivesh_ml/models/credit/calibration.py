"""Probability calibration of XGBoost margins: Platt (logistic) or isotonic, stored as plain JSON."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold

Method = Literal["platt", "isotonic"]
P_MIN, P_MAX = 1e-4, 1 - 1e-4  # a calibrated probability is never exactly 0 or 1


@dataclass
class Calibrator:
    """Maps a margin (log-odds) to a probability; non-decreasing, so model monotonicity survives."""

    method: Method
    a: float = 1.0
    b: float = 0.0
    thresholds: list[float] = field(default_factory=list)
    values: list[float] = field(default_factory=list)

    def __call__(self, margin: np.ndarray) -> np.ndarray:
        """Calibrated probabilities of ``margin``."""
        margin = np.asarray(margin, dtype=float)
        if self.method == "isotonic":
            p = np.interp(margin, self.thresholds, self.values)
        else:
            p = 1.0 / (1.0 + np.exp(-(self.a * margin + self.b)))
        return np.clip(p, P_MIN, P_MAX)

    def to_dict(self) -> dict[str, Any]:
        """JSON form (isotonic as threshold arrays)."""
        if self.method == "isotonic":
            return {"method": "isotonic", "thresholds": self.thresholds, "values": self.values}
        return {"method": "platt", "a": self.a, "b": self.b}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Calibrator:
        """Rebuild from ``to_dict`` output."""
        if data["method"] == "isotonic":
            return cls("isotonic", thresholds=list(data["thresholds"]), values=list(data["values"]))
        return cls("platt", a=float(data["a"]), b=float(data["b"]))


def centred_isotonic(margin: np.ndarray, y: np.ndarray) -> tuple[list[float], list[float]]:
    """Isotonic fit interpolated between the centres of its flat blocks (centred isotonic regression).

    Plain isotonic steps tie many applicants at one probability, which throws away ranking (ROC-AUC);
    joining block centres keeps the fit's calibration and stays strictly increasing between them.
    """
    order = np.argsort(margin, kind="stable")
    xs, ys = margin[order], np.asarray(y, dtype=float)[order]
    fitted = IsotonicRegression(y_min=0.0, y_max=1.0, increasing=True).fit_transform(xs, ys)
    starts = np.flatnonzero(np.r_[True, np.diff(fitted) != 0])
    ends = np.r_[starts[1:], len(xs)]
    centres = [float(xs[a:b].mean()) for a, b in zip(starts, ends, strict=True)]
    return centres, [float(fitted[a]) for a in starts]


def fit_calibrator(method: Method, margin: np.ndarray, y: np.ndarray) -> Calibrator:
    """Fit one calibration method on (margin, label) pairs."""
    margin = np.asarray(margin, dtype=float)
    if method == "isotonic":
        thresholds, values = centred_isotonic(margin, y)
        return Calibrator("isotonic", thresholds=thresholds, values=values)
    lr = LogisticRegression(C=1e6, max_iter=1000)
    lr.fit(margin.reshape(-1, 1), y)
    a, b = float(lr.coef_[0, 0]), float(lr.intercept_[0])
    if a <= 0:  # a useless model; keep the ordering rather than invert it
        a, b = 1e-6, float(np.log(max(y.mean(), P_MIN) / max(1 - y.mean(), P_MIN)))
    return Calibrator("platt", a=a, b=b)


def choose_calibrator(margin: np.ndarray, y: np.ndarray, seed: int = 0,
                      folds: int = 5) -> tuple[Calibrator, dict[str, float]]:
    """Pick Platt or isotonic by cross-validated Brier score on validation margins, then fit it on all."""
    y = np.asarray(y, dtype=int)
    k = int(min(folds, np.bincount(y, minlength=2).min()))
    scores: dict[str, float] = {}
    if k >= 2:
        splitter = StratifiedKFold(n_splits=k, shuffle=True, random_state=seed)
        for method in ("platt", "isotonic"):
            losses = []
            for fit_idx, test_idx in splitter.split(margin.reshape(-1, 1), y):
                cal = fit_calibrator(method, margin[fit_idx], y[fit_idx])  # type: ignore[arg-type]
                losses.append(float(np.mean((cal(margin[test_idx]) - y[test_idx]) ** 2)))
            scores[method] = float(np.mean(losses))
        best: Method = "isotonic" if scores["isotonic"] < scores["platt"] else "platt"
    else:
        best = "platt"
    return fit_calibrator(best, margin, y), scores
