"""The fitted detector: an IsolationForest over one-sided deviations of the engineered features.

Each raw feature becomes a deviation (0 at the training median, 1 at the training 99th percentile in the
suspicious direction). The forest's score and a max-deviation rule are each turned into a tail
probability among normal validation transactions and combined (Fisher's method); the anomaly score is
``1 - p``. When the training users' rows carry enough labels, a monotone XGBoost head over the same
features and the unsupervised evidence (``head.py``) is fitted too; see :meth:`Detector.blend_scores` for how
its output becomes the score. All are measured against a plain IsolationForest in ``benchmarks/bench_anomaly.py``.

Batch scoring calls scikit-learn; one transaction is scored by walking the same trees in plain Python
(scikit-learn's per-call overhead is milliseconds, the walk is a fraction of one).
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Final

import numpy as np
import pandas as pd
import skops.io as sio
from sklearn.ensemble import IsolationForest

from nivesh_ml.errors import ModelNotReady
from nivesh_ml.models.anomaly.features import DIRECTIONS, FEATURE_NAMES, INDEX
from nivesh_ml.models.anomaly.head import INPUT_NAMES, SupervisedHead, head_inputs

FOREST_FILE: Final = "forest.skops"
STATE_FILE: Final = "detector.json"
# The only non-default type an IsolationForest holds; anything else in the file is refused.
TRUSTED_TYPES: Final[tuple[str, ...]] = ("sklearn.tree._tree.Tree",)


def average_path_length(n: float) -> float:
    """c(n): average path length of an unsuccessful BST search (scikit-learn's formula)."""
    if n <= 1:
        return 0.0
    if n == 2:
        return 1.0
    return 2.0 * (math.log(n - 1.0) + float(np.euler_gamma)) - 2.0 * (n - 1.0) / n


@dataclass
class TreeWalker:
    """Plain-Python copies of the forest's trees for scoring one vector."""

    trees: list[tuple[list[int], list[int], list[int], list[float], list[float]]]
    denominator: float

    @classmethod
    def from_forest(cls, forest: IsolationForest) -> TreeWalker:
        """Extract node arrays (features mapped back to the full vector)."""
        trees = []
        for i, (est, feats) in enumerate(zip(forest.estimators_, forest.estimators_features_, strict=True)):
            tree = est.tree_
            feats = np.asarray(feats)
            feature = np.where(tree.feature >= 0, feats[np.clip(tree.feature, 0, None)], -1)
            leaf_value = (np.asarray(forest._decision_path_lengths[i], dtype=float)
                          + np.asarray(forest._average_path_length_per_tree[i], dtype=float) - 1.0)
            trees.append((tree.children_left.tolist(), tree.children_right.tolist(), feature.tolist(),
                          tree.threshold.tolist(), leaf_value.tolist()))
        denominator = len(forest.estimators_) * average_path_length(float(forest._max_samples))
        return cls(trees=trees, denominator=denominator)

    def score(self, vector: list[float]) -> float:
        """Anomaly score of one feature vector (compared in float32, as scikit-learn does)."""
        x = np.asarray(vector, dtype=np.float32).tolist()
        depth = 0.0
        for left, right, feature, threshold, leaf_value in self.trees:
            node = 0
            while left[node] != -1:
                node = left[node] if x[feature[node]] <= threshold[node] else right[node]
            depth += leaf_value[node]
        return 1.0 if self.denominator == 0 else float(2.0 ** (-depth / self.denominator))


# The rule half of the blend: the largest one-sided deviation among these (each is a clear signature).
RULE_FEATURES: Final[tuple[str, ...]] = (
    "amount_robust_z_category", "amount_z_category", "log_ratio_merchant", "category_hour_surprise",
    "log_seconds_since_prev", "country_new", "is_foreign_currency", "log_km_from_home", "log_amount",
)
_DIRS: Final = np.array([DIRECTIONS[name] for name in FEATURE_NAMES], dtype=float)
_RULE_IDX: Final = [INDEX[name] for name in RULE_FEATURES]
# The population half: how rare the amount is for anyone in its category and hour (features.population_features);
# category and merchant rarity alone fire on too many ordinary rows (the forest still sees them).
POPULATION_FEATURES: Final[tuple[str, ...]] = ("pop_amount_tail_category_hour", "pop_amount_hour_joint_rarity")
_POP_IDX: Final = [INDEX[name] for name in POPULATION_FEATURES]
_HISTORY_IDX: Final = INDEX["log_history_size"]
DEFAULT_MATURITY_K: Final = 5.0  # chosen on validation seed 101 among 0, 5, 20, 60 (docs/benchmarks/anomaly.md)
# Scale of the population evidence (nats): chosen on validation seeds 101 and 102 among 0.25, 0.5, 1 (at 1 it
# raised ROC-AUC on thin histories but cost PR-AUC: large legitimate baskets outranked users' own anomalies).
DEFAULT_POPULATION_WEIGHT: Final = 0.25


def maturity_weight(history: np.ndarray, k: float) -> np.ndarray:
    """Profile maturity ``w = n / (n + k)`` for ``n`` earlier transactions of the user (``k = 0``: always 1).

    The population evidence enters the score with weight ``1 - w``: in full for a newcomer, half for a
    user with ``k`` transactions, a tenth for one with ``9k``; own deviations always count in full (for a
    newcomer they are the population's statistics anyway, through the profile's prior).
    """
    n = np.maximum(np.asarray(history, dtype=float), 0.0)
    return n / (n + k) if k > 0 else np.ones_like(n)


def log_fisher(log_p_forest: np.ndarray, log_p_rule: np.ndarray) -> np.ndarray:
    """log p of Fisher's method for two p-values (no underflow for tiny p)."""
    s = log_p_forest + log_p_rule
    return s + np.log1p(-s)


def deviations(raw: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """One-sided deviations: 0 up to the training median, 1 at the training 99th (or 1st) percentile."""
    p01, p50, p99 = reference
    high = np.maximum(0.0, (raw - p50) / np.maximum(p99 - p50, 1e-3))
    low = np.maximum(0.0, (p50 - raw) / np.maximum(p50 - p01, 1e-3))
    return np.where(_DIRS > 0, high, np.where(_DIRS < 0, low, 0.0))


@dataclass
class Calibrator:
    """Maps a score to its tail probability among reference (e.g. normal validation) scores."""

    values: list[float]  # ascending scores at the quantiles below
    log_p: list[float]  # log P(normal score >= value)

    def __post_init__(self) -> None:
        # Arrays once, not per call: np.interp on the 2,000-point lists cost most of a single score's time.
        self._values = np.asarray(self.values, dtype=float)
        self._log_p = np.asarray(self.log_p, dtype=float)

    @classmethod
    def fit(cls, normal_scores: np.ndarray, points: int = 2000) -> Calibrator:
        """Quantile grid, dense in the upper tail."""
        n = len(normal_scores)
        p = np.unique(np.concatenate([np.geomspace(1.0 / (n + 1), 1.0, points), np.linspace(0, 1, 101)[1:]]))
        values = np.quantile(normal_scores, 1.0 - p, method="lower")[::-1]
        return cls(values=np.maximum.accumulate(values).tolist(), log_p=np.log(p)[::-1].tolist())

    def log_tail(self, scores: np.ndarray) -> np.ndarray:
        """log P(normal >= score), floored beyond the largest normal score seen."""
        out = np.interp(scores, self._values, self._log_p, left=0.0, right=self.log_p[-1])
        return np.where(scores > self.values[-1], self.log_p[-1] + math.log(0.5), out)


def tail_beyond(cal: Calibrator, stat: np.ndarray) -> np.ndarray:
    """log tail probability of a statistic in nats, extended beyond the largest normal value (one nat per nat),
    so transactions more extreme than every normal validation row keep their order."""
    beyond = stat - cal.values[-1]
    return np.where(beyond > 0, cal.log_p[-1] + math.log(0.5) - beyond, cal.log_tail(stat))


def history_sizes(raw: np.ndarray) -> np.ndarray:
    """Earlier transactions of each row's user (from the ``log_history_size`` feature)."""
    return np.expm1(raw[:, _HISTORY_IDX])


def tail_beyond_p(cal: Calibrator, prob: np.ndarray) -> np.ndarray:
    """:func:`tail_beyond` for a probability: beyond the largest normal value, one nat per nat of log-odds."""
    logit = np.log(np.clip(prob, 1e-12, 1.0 - 1e-12)) - np.log1p(-np.clip(prob, 1e-12, 1.0 - 1e-12))
    top = float(np.clip(cal.values[-1], 1e-12, 1.0 - 1e-12))
    beyond = logit - (math.log(top) - math.log1p(-top))
    return np.where(beyond > 0, cal.log_p[-1] + math.log(0.5) - beyond, cal.log_tail(prob))


def combine(log_p_forest: np.ndarray, log_p_rule: np.ndarray | None) -> np.ndarray:
    """Fisher's method (closed form for 2 p-values) → anomaly score 1 - p in [0, 1]."""
    if log_p_rule is None:
        return 1.0 - np.exp(log_p_forest)
    s = log_p_forest + log_p_rule
    return 1.0 - np.exp(s) * (1.0 - s)


@dataclass
class Detector:
    """Forest + rule + their calibration (+ the supervised head), the threshold and population statistics."""

    forest: IsolationForest
    population: dict[str, Any]
    reference: np.ndarray  # (3, n_features): training p01, p50, p99
    forest_cal: Calibrator | None = None
    rule_cal: Calibrator | None = None
    threshold: float = 1.0
    blend: bool = True
    walker: TreeWalker | None = None
    head: SupervisedHead | None = None  # None: the unsupervised score (the default)
    head_cal: Calibrator | None = None  # the head's scores among normal validation rows
    training_sample: pd.DataFrame | None = None  # drift reference rows; not part of the saved detector
    pop_cal: Calibrator | None = None  # the population rule (largest population deviation), normal validation rows
    unsup_cal: Calibrator | None = None  # the maturity-weighted statistic among normal validation rows
    maturity_k: float = DEFAULT_MATURITY_K
    population_weight: float = DEFAULT_POPULATION_WEIGHT

    def __post_init__(self) -> None:
        if self.walker is None:
            self.walker = TreeWalker.from_forest(self.forest)

    def components(self, raw: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Deviations, forest scores and rule scores (largest rule-feature deviation) of a raw matrix."""
        dev = deviations(raw, self.reference)
        forest = np.asarray(-self.forest.score_samples(dev.astype(np.float32)), dtype=float)
        return dev, forest, dev[:, _RULE_IDX].max(axis=1)

    def calibrate(self, forest_normal: np.ndarray, rule_normal: np.ndarray) -> None:
        """Fit both calibrators on normal validation scores."""
        self.forest_cal, self.rule_cal = Calibrator.fit(forest_normal), Calibrator.fit(rule_normal)

    def unsupervised_stat(self, forest: np.ndarray, rule: np.ndarray, dev: np.ndarray,
                          history: np.ndarray) -> np.ndarray:
        """``-(log p_user + a·(1 - w)·log p_population)``, ``w = maturity_weight(history)``, ``a = population_weight``.

        Chosen on validation users over ``-(w·log p_user + (1 - w)·log p_population)``, which let a thin
        history's population evidence dilute strong own evidence (a foreign country, a burst).

        ``p_user``: Fisher's method over the forest and rule tail probabilities; ``p_population``: the tail
        probability of the largest population deviation. Higher is more anomalous (nats).
        """
        if self.forest_cal is None or self.rule_cal is None or self.pop_cal is None:
            raise ModelNotReady("anomaly detector is not calibrated")
        log_user = log_fisher(self.forest_cal.log_tail(forest), self.rule_cal.log_tail(rule))
        log_pop = self.pop_cal.log_tail(dev[:, _POP_IDX].max(axis=1))
        w = maturity_weight(history, self.maturity_k)
        return -(log_user + self.population_weight * (1.0 - w) * log_pop)

    def calibrate_population(self, dev_normal: np.ndarray) -> None:
        """Fit the population rule's calibrator on normal validation deviations."""
        self.pop_cal = Calibrator.fit(dev_normal[:, _POP_IDX].max(axis=1))

    def evidence(self, forest: np.ndarray, rule: np.ndarray, dev: np.ndarray, history: np.ndarray) -> np.ndarray:
        """The unsupervised evidence in nats, ``(n, 4)``: forest, rule, population rule, the blended statistic."""
        if self.forest_cal is None or self.rule_cal is None or self.pop_cal is None:
            raise ModelNotReady("anomaly detector is not calibrated")
        return np.column_stack([-self.forest_cal.log_tail(forest), -self.rule_cal.log_tail(rule),
                                -self.pop_cal.log_tail(dev[:, _POP_IDX].max(axis=1)),
                                self.unsupervised_stat(forest, rule, dev, history)])

    def head_matrix(self, raw: np.ndarray) -> np.ndarray:
        """The supervised head's design matrix (``head.head_inputs``) of a raw feature matrix."""
        dev, forest, rule = self.components(raw)
        return head_inputs(dev, raw, self.evidence(forest, rule, dev, history_sizes(raw)))

    def head_probability_scores(self, prob: np.ndarray) -> np.ndarray:
        """0-1 scores of the head's P(anomaly): 1 - its tail probability among normal validation rows."""
        if self.head_cal is None:
            raise ModelNotReady("anomaly head is not calibrated")
        return 1.0 - np.exp(tail_beyond_p(self.head_cal, prob))

    def blend_scores(self, raw: np.ndarray, dev: np.ndarray, forest: np.ndarray, rule: np.ndarray) -> np.ndarray:
        """Final 0-1 anomaly scores: 1 - the tail probability among normal validation rows of the supervised
        head's output if fitted, else of the unsupervised maturity blend; or of the forest alone (``blend``
        off)."""
        if self.forest_cal is None or self.rule_cal is None:
            raise ModelNotReady("anomaly detector is not calibrated")
        if not self.blend:
            return combine(self.forest_cal.log_tail(forest), None)
        if self.head is not None:
            evidence = self.evidence(forest, rule, dev, history_sizes(raw))
            return self.head_probability_scores(self.head.scores(head_inputs(dev, raw, evidence)))
        if self.unsup_cal is None:
            raise ModelNotReady("anomaly detector is not calibrated")
        return 1.0 - np.exp(tail_beyond(self.unsup_cal, self.unsupervised_stat(forest, rule, dev, history_sizes(raw))))

    def score_matrix(self, raw: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Anomaly scores (0-1) and deviations of a raw feature matrix."""
        if len(raw) == 0:
            return np.zeros(0), np.zeros((0, len(FEATURE_NAMES)))
        dev, forest, rule = self.components(raw)
        return self.blend_scores(raw, dev, forest, rule), dev

    def score_vector(self, raw: list[float]) -> tuple[float, list[float]]:
        """Anomaly score (0-1) and deviations of one raw feature vector (no scikit-learn call)."""
        assert self.walker is not None
        dev = deviations(np.asarray(raw, dtype=float)[None, :], self.reference)
        forest = np.array([self.walker.score(dev[0].tolist())])
        score = self.blend_scores(np.asarray(raw, dtype=float)[None, :], dev, forest, dev[:, _RULE_IDX].max(axis=1))
        return float(score[0]), dev[0].tolist()

    def save(self, directory: Path) -> None:
        """Forest as skops, everything else as JSON."""
        directory.mkdir(parents=True, exist_ok=True)
        sio.dump(self.forest, directory / FOREST_FILE)
        state = {"population": self.population, "threshold": self.threshold, "blend": self.blend,
                 "reference": self.reference.tolist(), "feature_names": list(FEATURE_NAMES),
                 "directions": [DIRECTIONS[name] for name in FEATURE_NAMES],
                 "forest_cal": asdict(self.forest_cal) if self.forest_cal else None,
                 "rule_cal": asdict(self.rule_cal) if self.rule_cal else None,
                 "head": self.head.state() if self.head else None,
                 "head_cal": asdict(self.head_cal) if self.head_cal else None,
                 "pop_cal": asdict(self.pop_cal) if self.pop_cal else None,
                 "unsup_cal": asdict(self.unsup_cal) if self.unsup_cal else None, "maturity_k": self.maturity_k,
                 "population_weight": self.population_weight}
        if self.head is not None:
            self.head.save(directory)
        (directory / STATE_FILE).write_text(json.dumps(state))

    @classmethod
    def load(cls, directory: Path) -> Detector:
        """Load a saved detector, refusing any unexpected type in the skops file."""
        path = directory / FOREST_FILE
        if not path.is_file() or not (directory / STATE_FILE).is_file():
            raise ModelNotReady(f"{directory} is not a saved anomaly model")
        untrusted = set(sio.get_untrusted_types(file=path))
        if not untrusted <= set(TRUSTED_TYPES):
            raise ModelNotReady(f"{path.name} holds unexpected types: {sorted(untrusted - set(TRUSTED_TYPES))}")
        forest = sio.load(path, trusted=list(TRUSTED_TYPES))
        if not isinstance(forest, IsolationForest):
            raise ModelNotReady(f"{path.name} does not hold an IsolationForest")
        state = json.loads((directory / STATE_FILE).read_text())
        if state.get("feature_names") != list(FEATURE_NAMES):
            raise ModelNotReady("saved anomaly model was built for another feature set; retrain it")
        # The forest was fitted on deviations in these directions, and a logistic "combiner" (retired) set the
        # threshold of a score this code no longer computes: scoring either silently would be wrong.
        if state.get("directions") != [DIRECTIONS[name] for name in FEATURE_NAMES] or state.get("combiner"):
            raise ModelNotReady("saved anomaly model predates the current deviations or supervised head; retrain it")
        head = state.get("head")
        if head is not None and head.get("inputs") != list(INPUT_NAMES):
            raise ModelNotReady("saved anomaly head was built for other inputs; retrain it")
        return cls(forest=forest, population=state["population"], reference=np.asarray(state["reference"]),
                   forest_cal=Calibrator(**state["forest_cal"]), rule_cal=Calibrator(**state["rule_cal"]),
                   threshold=float(state["threshold"]), blend=bool(state["blend"]),
                   head=SupervisedHead.load(directory, head["inputs"]) if head is not None else None,
                   head_cal=_calibrator(state.get("head_cal")),
                   pop_cal=_calibrator(state.get("pop_cal")), unsup_cal=_calibrator(state.get("unsup_cal")),
                   maturity_k=float(state.get("maturity_k", DEFAULT_MATURITY_K)),
                   population_weight=float(state.get("population_weight", DEFAULT_POPULATION_WEIGHT)))


def _calibrator(state: dict[str, Any] | None) -> Calibrator | None:
    return Calibrator(**state) if state is not None else None


def feature_reference(features: np.ndarray) -> np.ndarray:
    """Per-feature p01, p50, p99 of the training features (what "usual" means), shape (3, n_features)."""
    return np.asarray(np.quantile(features, [0.01, 0.5, 0.99], axis=0), dtype=float)


def fit_forest(features: np.ndarray, params: dict[str, Any], seed: int) -> IsolationForest:
    """Fit the IsolationForest on deviations (float32 input, as it is scored)."""
    forest = IsolationForest(n_estimators=int(params.get("n_estimators", 200)),
                             max_samples=min(int(params.get("max_samples", 2048)), len(features)),
                             max_features=float(params.get("max_features", 1.0)),
                             random_state=seed, n_jobs=1)
    forest.fit(features.astype(np.float32))
    return forest
