"""The spending model family: prepare → train (global choices) → save (JSON) → load → evaluate."""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, ClassVar

import pandas as pd

from nivesh_ml.data.loaders import frame_sha256, load_transactions
from nivesh_ml.data.splits import split_users
from nivesh_ml.errors import InvalidInput
from nivesh_ml.models.base import ModelFamily, ModelMetadata, Predictor, Prepared, Trained
from nivesh_ml.models.spending.forecast import UserForecast, forecast_user
from nivesh_ml.models.spending.forecasters import ALL_FAMILIES
from nivesh_ml.models.spending.global_model import GlobalModel, train_global
from nivesh_ml.models.spending.metrics import evaluate_cases
from nivesh_ml.models.spending.params import DEFAULT_HORIZON, SpendingParams
from nivesh_ml.models.spending.selection import ForecastConfig
from nivesh_ml.models.spending.series import SpendHistory, spend_history
from nivesh_ml.models.spending.training import (
    EvalSet,
    HoldoutCase,
    earlier_windows,
    fit_config,
    holdout_cases,
    refit_cases,
    scheduled_categories,
    shared_profiles,
    user_histories,
)

log = logging.getLogger(__name__)
CONFIG_FILE = "forecast_config.json"
DEFAULT_USERS, DEFAULT_MONTHS, EVAL_SHARE = 32, 24, 0.25


def _clean(value: Any) -> Any:
    """NaN → None, recursively (metrics must be valid JSON)."""
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


def _split(frame: pd.DataFrame, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Training and held-out users; one user only is both (with a warning)."""
    if frame["user_id"].astype(str).nunique() < 2:
        log.warning("one user only: evaluating on the training user")
        return frame, frame
    return split_users(frame, EVAL_SHARE, seed)


@dataclass
class TrainedState:
    """What training produces: the JSON config and, when trained, the pooled model."""

    config: ForecastConfig
    global_model: GlobalModel | None = None


class SpendingPredictor(Predictor):
    """Forecasts a user's monthly spend from their transactions under the trained config."""

    def __init__(self, config: ForecastConfig, metadata: ModelMetadata,
                 global_model: GlobalModel | None = None) -> None:
        self.config = config
        self.metadata = metadata
        self.global_model = global_model

    def history(self, transactions: Sequence[Any]) -> SpendHistory:
        """Monthly spend per category from transaction records."""
        return spend_history(transactions, self.config.max_history_months, self.config.excluded_categories,
                             self.config.hygiene)

    def forecast(self, history: SpendHistory, months: int, category: str | None = None) -> UserForecast:
        """Forecast ``months`` ahead (one category, or all of them, plus the total)."""
        return forecast_user(history, months, self.config, category, global_model=self.global_model)

    def predict(self, batch: Sequence[Any]) -> list[Any]:
        """Each item: ``{"transactions": [...], "months": 1..24, "category"?: str}`` → forecast and total."""
        out = []
        for item in batch:
            if not isinstance(item, Mapping) or not item.get("transactions"):
                raise InvalidInput("each input needs a non-empty 'transactions' list")
            history = self.history(item["transactions"])
            result = self.forecast(history, int(item.get("months", 6)), item.get("category"))
            out.append(result.to_response())
        return out


class SpendingFamily(ModelFamily):
    """Per-user monthly spend forecasts with backtested model choice."""

    name: ClassVar[str] = "spending"
    primary_metric: ClassVar[str] = "rel_mae"
    higher_is_better: ClassVar[bool] = False
    # ``horizon`` is both: the held-out months of the evaluation set and of training's backtests.
    prepare_options: ClassVar[frozenset[str]] = frozenset({"users", "months"})

    def prepare(self, data: Path | None, options: Mapping[str, Any]) -> Prepared:
        """Simulated users (or a transactions file), split by user into train and held-out users."""
        seed = int(options.get("seed", 42))
        if data is None:
            from nivesh_ml.data.synthetic import generate_transactions

            users, months = int(options.get("users", DEFAULT_USERS)), int(options.get("months", DEFAULT_MONTHS))
            frame = generate_transactions(users, months, seed=seed)
            source = f"synthetic:{users}x{months}:seed={seed}"
        else:
            frame = load_transactions(data)
            source = str(data)
        train, evaluation = _split(frame, seed)
        horizon = int(options.get("horizon") or DEFAULT_HORIZON)
        return Prepared(train=train, evaluation=EvalSet(evaluation, horizon), data_hash=frame_sha256(frame),
                        source=source)

    def train(self, dataset: Any, params: Mapping[str, Any]) -> Trained[TrainedState]:
        """Learn eligible families and interval calibration from the training users' hidden months."""
        frame = dataset.frame if isinstance(dataset, EvalSet) else dataset
        options = SpendingParams.from_options(params)
        base = ForecastConfig.from_dict(options.config)
        horizon, max_users = options.horizon, options.calibration_users
        histories = user_histories(frame, base)
        ratios: dict[str, float] = {}
        if base.learn_scheduled:
            scheduled, ratios = scheduled_categories(histories, horizon, base)
            base = replace(base, scheduled=scheduled)
        base = replace(base, profiles=shared_profiles(histories, horizon, base))
        pooled, by_user = (train_global(histories, horizon, base, params=options.global_params)
                           if "global" in base.eligible else (None, {}))
        if pooled is None:
            base = replace(base, eligible=[f for f in base.eligible if f != "global"])
        cases = holdout_cases(histories[:max_users], horizon, base, global_models=by_user)
        if cases:
            def earlier(cfg: ForecastConfig) -> list[HoldoutCase]:
                return earlier_windows(histories[:max_users], horizon, cfg, options.calibration_windows, by_user)

            def refit(cfg: ForecastConfig) -> tuple[ForecastConfig, list[HoldoutCase]]:
                return refit_cases(histories, max_users, horizon, cfg, by_user)

            # The choices are made on profiles that never saw the held-out months; serving gets profiles
            # refitted on every month (the latest included), and the shrink and intervals are learned for them.
            cfg, report = fit_config(cases, base, options.blend_weights, earlier,
                                     refit if base.refit_profiles else None)
            calibration_cases = int(report.pop("calibration_cases", len(cases)))
        else:
            log.warning("no training user has 12+ months of history: keeping the default config")
            cfg, report, calibration_cases = base, {}, 0
        meta = ModelMetadata(
            name=self.name,
            metrics=_clean({f"train_relative_mae_{k}": v for k, v in report.items()}),
            params={"horizon": horizon, "calibration_users": max_users,
                    "calibration_windows": options.calibration_windows},
            feature_schema={"input": "a user's transactions (debits; timestamp, amount, category, currency)",
                            "output": "monthly spend per category and total with 80 % intervals",
                            "families": list(ALL_FAMILIES)},
            extra={"calibration_cases": calibration_cases, "choice_cases": len(cases),
                   "profiles": sorted(cfg.profiles), "eligible": cfg.eligible,
                   "expensive_top_k": cfg.expensive_top_k, "calibration": cfg.calibration,
                   "preferred": cfg.preferred, "weights": cfg.weights, "scheduled": cfg.scheduled,
                   "scheduled_error_ratio": ratios,
                   "global_model": pooled.info if pooled is not None else None},
        )
        return Trained(state=TrainedState(cfg, pooled), metadata=meta)

    def save(self, trained: Trained[Any], directory: Path) -> None:
        """Write the config as JSON and ``model.json``."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        state = trained.state if isinstance(trained.state, TrainedState) else TrainedState(trained.state)
        (directory / CONFIG_FILE).write_text(json.dumps(state.config.to_dict(), indent=2, sort_keys=True))
        if state.global_model is not None and "global" in state.config.eligible:
            state.global_model.save(directory)
        trained.metadata.write(directory)

    def load(self, directory: Path) -> SpendingPredictor:
        """Read the config (statsforecast is imported by the first forecast that needs it, not here)."""
        meta = ModelMetadata.read(Path(directory))
        path = Path(directory) / CONFIG_FILE
        if not path.is_file():
            raise InvalidInput(f"{directory} has no {CONFIG_FILE}: not a spending model")
        data = json.loads(path.read_text())
        # Saved before the total's level became configurable: keep the level it was trained with.
        data.setdefault("total_level_months", 12)
        data.setdefault("total_level", "mean")
        data.setdefault("total_level_halflife", 0.0)  # saved before session 7: a flat level
        config = ForecastConfig.from_dict(data)
        pooled = GlobalModel.load(Path(directory)) if "global" in config.eligible else None
        return SpendingPredictor(config, meta, pooled)

    def evaluate(self, predictor: Predictor, dataset: Any) -> dict[str, Any]:
        """Hide each held-out user's last months and score every model on them."""
        if not isinstance(predictor, SpendingPredictor):
            raise InvalidInput("not a spending predictor")
        data = dataset if isinstance(dataset, EvalSet) else EvalSet(dataset)
        histories = user_histories(data.frame, predictor.config)
        cases = holdout_cases(histories, data.horizon, predictor.config, families=list(ALL_FAMILIES),
                              global_models=predictor.global_model)
        return dict(_clean(evaluate_cases(cases, predictor.config)))

    def load_eval_data(self, data: Path, options: Mapping[str, Any]) -> EvalSet:
        """A transactions file; every user with 12+ months is scored on its last ``horizon`` months."""
        horizon = int(options.get("horizon") or DEFAULT_HORIZON)
        if not 1 <= horizon <= 12:
            raise InvalidInput(f"--horizon must be between 1 and 12, got {horizon}")
        return EvalSet(load_transactions(data), horizon)
