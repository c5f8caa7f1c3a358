"""A global forecaster pooled across users: gradient-boosted trees on level-normalised monthly spend.

One user's two years say little about how a series moves; thousands of (user, series, month) windows do.
The model predicts ``log(y[t] / level + 0.1)`` (its median, absolute-error loss) for the target month ``t``
from the series' own recent shape relative to its 12-month level (last month, 3/6-month means, median,
spread, active share, same month one and two years before), the target month's calendar (month of year,
festival-window shares, wedding season; those of the month a year before) and the series' kind and category.
Nothing depends on the currency or the size of the amounts, so it transfers between households.

Trained on the training users' months before their held-out months only. Saved with skops (no pickle)
next to a JSON file with the category vocabulary; loading trusts scikit-learn and numpy types only.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from nivesh_ml.errors import InvalidInput
from nivesh_ml.models.spending.holidays import monthly_festival_features
from nivesh_ml.models.spending.recurring import fitted_total
from nivesh_ml.models.spending.selection import ForecastConfig, is_sparse, winsorise
from nivesh_ml.models.spending.series import TOTAL, SpendHistory, truncate

log = logging.getLogger(__name__)
NAME = "global"
MODEL_FILE, META_FILE = "global_model.skops", "global_model.json"
OFFSET = 0.1  # keeps log() finite on empty months, relative to the level
MAX_STEP = 12  # horizons beyond this reuse the 12-step features (no seasonal lag inside the history)
MIN_TRAIN_MONTHS = 9
MIN_USERS = 8  # fewer training users with 12+ months: no global model (the per-user families remain)
MAX_CATEGORIES = 60
HGB_PARAMS: dict[str, Any] = {"loss": "absolute_error", "max_iter": 300, "learning_rate": 0.05,
                              "max_leaf_nodes": 15, "min_samples_leaf": 40, "l2_regularization": 1.0,
                              "early_stopping": False, "random_state": 0}
TRUSTED_PREFIXES = ("sklearn.", "numpy.")
TRUSTED_TYPES = ("functools.partial",)  # wraps a function whose own type is checked too


def _stats(r: np.ndarray) -> list[float]:
    """Shape of a level-normalised history (the state at the forecast origin)."""
    recent = r[-12:]
    return [float(r[-1]), float(np.mean(r[-3:])), float(np.mean(r[-6:])), float(np.median(recent)),
            float(np.std(recent)), float(np.mean(recent > 0)), float(min(len(r), 36))]


def feature_rows(y: np.ndarray, start: pd.Period, exog: np.ndarray, horizon: int, is_total: bool,
                 category_code: float) -> np.ndarray:
    """One feature row per step ahead (1..horizon) after history ``y`` (``exog``: festival features, all months)."""
    n = len(y)
    level = float(np.mean(y[-12:]))
    r = y / level if level > 0 else np.zeros(n)
    state = _stats(r)
    rows = []
    for step in range(1, horizon + 1):
        target = n + step - 1
        lag12, lag24 = target - 12, target - 24
        lag_exog = exog[lag12] if 0 <= lag12 < len(exog) else np.full(exog.shape[1], np.nan)
        rows.append([min(step, MAX_STEP), float((start.month - 1 + target) % 12 + 1), *exog[target],
                     r[lag12] if 0 <= lag12 < n else np.nan, r[lag24] if 0 <= lag24 < n else np.nan,
                     *lag_exog, *state, float(is_total), category_code])
    return np.asarray(rows, dtype=float)


def _exog(start: pd.Period, n: int, windows: dict[str, list[Any]], wedding: Sequence[int]) -> np.ndarray:
    return monthly_festival_features(pd.period_range(start, periods=n, freq="M"), windows, wedding)


@cache
def _openmp() -> Any:
    """threadpoolctl's view of the loaded thread pools (built once: discovering them is slow)."""
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


@dataclass
class GlobalModel:
    """The fitted trees and the category vocabulary (category name → code)."""

    model: Any
    categories: dict[str, int] = field(default_factory=dict)
    info: dict[str, Any] = field(default_factory=dict)

    def code(self, series: str, total_name: str = TOTAL) -> tuple[bool, float]:
        """(is_total, category code; NaN for a category unseen in training)."""
        if series == total_name:
            return True, np.nan
        return False, float(self.categories.get(series, np.nan))

    def predict_rows(self, x: np.ndarray, levels: np.ndarray) -> np.ndarray:
        """Spend from feature rows and each row's level (one OpenMP thread: a few rows per call)."""
        # With the default thread count every tree waits at an OpenMP barrier; on a busy machine that
        # made a 12-row prediction take 0.5 s instead of 1.5 ms (measured).
        with _openmp().limit(limits=1, user_api="openmp"):
            z = np.asarray(self.model.predict(x), dtype=float)
        return np.clip(levels * (np.exp(z) - OFFSET), 0, None)

    def forecaster(self, series: str, total_name: str = TOTAL) -> GlobalForecaster:
        """The forecaster of one series (it needs to know which series it models)."""
        is_total, code = self.code(series, total_name)
        return GlobalForecaster(self, is_total, code)

    def to_payload(self) -> dict[str, Any]:
        """Plain data (skops bytes + JSON-ready vocabulary): what batch workers receive."""
        import skops.io as sio

        return {"skops": sio.dumps(self.model), "categories": self.categories, "info": self.info}

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> GlobalModel:
        """Rebuild from :meth:`to_payload`; rejects types outside scikit-learn/numpy (no arbitrary code)."""
        import skops.io as sio

        data = bytes(payload["skops"])
        untrusted = sio.get_untrusted_types(data=data)
        odd = [t for t in untrusted if not t.startswith(TRUSTED_PREFIXES) and t not in TRUSTED_TYPES]
        if odd:
            raise InvalidInput(f"the global spending model holds types outside scikit-learn/numpy: {odd}")
        return cls(sio.loads(data, trusted=untrusted), dict(payload["categories"]), dict(payload.get("info", {})))

    def save(self, directory: Path) -> None:
        """``global_model.skops`` (skops, no pickle) and ``global_model.json``."""
        payload = self.to_payload()
        (Path(directory) / MODEL_FILE).write_bytes(payload["skops"])
        (Path(directory) / META_FILE).write_text(json.dumps({"categories": self.categories, "info": self.info},
                                                            indent=2, sort_keys=True))

    @classmethod
    def load(cls, directory: Path) -> GlobalModel | None:
        """The saved model, or ``None`` when training kept none."""
        path = Path(directory) / MODEL_FILE
        if not path.is_file():
            return None
        meta = json.loads((Path(directory) / META_FILE).read_text())
        return cls.from_payload({"skops": path.read_bytes(), **meta})


@cache
def _cached(payload_bytes: bytes, meta: str) -> GlobalModel:
    return GlobalModel.from_payload({"skops": payload_bytes, **json.loads(meta)})


def from_payload_cached(payload: dict[str, Any] | None) -> GlobalModel | None:
    """:meth:`GlobalModel.from_payload`, once per process (batch workers get many partitions)."""
    if payload is None:
        return None
    return _cached(bytes(payload["skops"]), json.dumps({"categories": payload["categories"],
                                                        "info": payload.get("info", {})}, sort_keys=True))


@dataclass
class GlobalForecaster:
    """The global model behind the per-series forecaster interface."""

    name: ClassVar[str] = NAME
    expensive: ClassVar[bool] = False
    model: GlobalModel
    is_total: bool
    category_code: float

    def forecast(self, y: np.ndarray, start: pd.Period, exog: np.ndarray, horizon: int,
                 n_spec: int | None = None) -> np.ndarray:
        """Point forecasts."""
        return self.forecast_many([y], start, exog, [horizon])[0]

    def forecast_many(self, ys: Sequence[np.ndarray], start: pd.Period, exog: np.ndarray,
                      horizons: Sequence[int]) -> list[np.ndarray]:
        """Point forecasts after several histories of the same series (backtest origins) in one predict call."""
        x = np.vstack([feature_rows(np.asarray(y, float), start, exog, h, self.is_total, self.category_code)
                       for y, h in zip(ys, horizons, strict=True)])
        levels = np.repeat([max(float(np.mean(np.asarray(y)[-12:])), 0.0) for y in ys], horizons)
        out = self.model.predict_rows(x, levels)
        ends = np.cumsum(horizons)
        return [out[end - h:end] for end, h in zip(ends, horizons, strict=True)]


def training_rows(series: Sequence[tuple[str, pd.Period, np.ndarray]], categories: dict[str, int],
                  total_name: str, windows: dict[str, list[Any]], wedding: Sequence[int],
                  clip: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """Every (origin, step) window of the given series: features and the log relative target.

    The features see the past as serving does (winsorised by ``clip`` robust sigmas); targets are raw.
    """
    xs, zs = [], []
    for name, start, y in series:
        n = len(y)
        exog = _exog(start, n, windows, wedding)
        is_total = name == total_name
        code = np.nan if is_total else float(categories.get(name, np.nan))
        for origin in range(MIN_TRAIN_MONTHS, n):
            past = winsorise(y[:origin], clip)
            level = float(np.mean(past[-12:]))
            if level <= 0:
                continue
            steps = min(MAX_STEP, n - origin)
            xs.append(feature_rows(past, start, exog, steps, is_total, code))
            zs.append(np.log(y[origin:origin + steps] / level + OFFSET))
    if not xs:
        return np.zeros((0, 0)), np.zeros(0)
    return np.vstack(xs), np.concatenate(zs)


def fit_global(series: Sequence[tuple[str, pd.Period, np.ndarray]], total_name: str,
               windows: dict[str, list[Any]], wedding: Sequence[int], clip: float = 0.0,
               params: dict[str, Any] | None = None, categories: dict[str, int] | None = None) -> GlobalModel | None:
    """Fit the trees on every window of ``series`` (None when there are too few)."""
    from sklearn.ensemble import HistGradientBoostingRegressor
    from threadpoolctl import threadpool_limits

    if categories is None:
        counts = pd.Series([name for name, _, _ in series if name != total_name]).value_counts()
        categories = {str(c): i for i, c in enumerate(sorted(counts.index[:MAX_CATEGORIES]))}
    x, z = training_rows(series, categories, total_name, windows, wedding, clip)
    if len(z) < 200:
        return None
    # A feature never observed in training (the 24-month lag on short histories) cannot be binned.
    x[:, np.isnan(x).all(axis=0)] = 0.0
    model = HistGradientBoostingRegressor(**{**HGB_PARAMS, **(params or {})},
                                          categorical_features=[x.shape[1] - 1])
    with threadpool_limits(1):  # the machine is shared; the data are small
        model.fit(x, z)
    return GlobalModel(model, categories, {"rows": len(z), "series": len(series)})


def history_series(history: SpendHistory, cfg: ForecastConfig) -> list[tuple[str, pd.Period, np.ndarray]]:
    """The total (less scheduled categories) and every non-sparse category of a history (the pooled model's data)."""
    out = [(TOTAL, history.start, fitted_total(history, cfg))]
    for c in history.categories:
        y, counts = history.amounts[c].to_numpy(float), history.counts[c].to_numpy(float)
        if not is_sparse(y, counts, cfg):
            out.append((c, history.start, y))
    return out


def train_global(histories: Sequence[tuple[str, SpendHistory]], horizon: int, cfg: ForecastConfig,
                 folds: int = 4, params: dict[str, Any] | None = None,
                 ) -> tuple[GlobalModel | None, dict[str, GlobalModel]]:
    """The served model and, per training user, one fitted without that user's fold (cross-fitting).

    Every model sees only the months before each user's held-out ``horizon`` months, so the training users'
    backtests and held-out months judge the pooled model on users it was not fitted to, like any family.
    Returns ``(None, {})`` with fewer than ``MIN_USERS`` users of 12+ months.
    """
    users = [(u, truncate(h, h.n_months - horizon)) for u, h in histories if h.n_months - horizon >= 12]
    if len(users) < max(MIN_USERS, folds):
        log.warning("%d training users with 12+ months: no global model (needs %d)", len(users), MIN_USERS)
        return None, {}
    per_user = {u: history_series(h, cfg) for u, h in users}

    def fit(keep: Sequence[str], categories: dict[str, int] | None = None) -> GlobalModel | None:
        series = [s for u in keep for s in per_user[u]]
        return fit_global(series, TOTAL, cfg.windows, cfg.wedding_months, cfg.winsorise, params, categories)

    final = fit([u for u, _ in users])
    if final is None:
        return None, {}
    by_user: dict[str, GlobalModel] = {}
    for k in range(folds):
        held = [u for i, (u, _) in enumerate(users) if i % folds == k]
        model = fit([u for u, _ in users if u not in held], final.categories)
        by_user.update({u: model for u in held if model is not None})
    return final, by_user
