"""The credit model family: prepare → train (search + calibration) → save (XGBoost JSON) → load → evaluate."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar, cast

import pandas as pd
import xgboost as xgb

from nivesh_ml.errors import InvalidInput, ModelNotReady
from nivesh_ml.models.base import ModelFamily, ModelMetadata, Predictor, Prepared, Trained
from nivesh_ml.models.credit.calibration import Calibrator
from nivesh_ml.models.credit.data import CreditData, load_credit_eval, prepare_credit
from nivesh_ml.models.credit.features import APPLICANT_MONOTONE, Encoder, Encoding
from nivesh_ml.models.credit.metrics import credit_metrics, sliced_metrics
from nivesh_ml.models.credit.params import CreditParams
from nivesh_ml.models.credit.predictor import CreditPredictor, feature_medians
from nivesh_ml.models.credit.schema import FeatureSchema
from nivesh_ml.models.credit.search import FitResult, fit_credit_model
from nivesh_ml.monitoring.reference import DEFAULT_MAX_ROWS, save_reference

BOOSTER_FILE = "xgb_model.json"  # model.json is the metadata file
CALIBRATION_FILE = "calibration.json"


def reference_sample(frame: pd.DataFrame, schema: FeatureSchema, seed: int) -> pd.DataFrame:
    """Training applicants' input fields only (what the route logs as ``applicant_data``; no target, no IDs)."""
    rows = frame[[spec.name for spec in schema.fields if spec.name in frame.columns]]
    rows = rows.sample(n=DEFAULT_MAX_ROWS, random_state=seed) if len(rows) > DEFAULT_MAX_ROWS else rows.copy()
    for spec in schema.fields:  # a CSV is read as text: numbers stay numbers (and are never PII-masked)
        if spec.kind == "numeric" and spec.name in rows.columns:
            rows[spec.name] = pd.to_numeric(rows[spec.name], errors="coerce")
    return rows


class CreditFamily(ModelFamily):
    """Calibrated XGBoost default-probability model with reason codes."""

    name = "credit"
    primary_metric = "roc_auc"
    higher_is_better = True
    prepare_options: ClassVar[frozenset[str]] = frozenset({"n_applicants", "target", "positive", "test_size",
                                                           "slice"})

    def prepare(self, data: Path | None, options: Mapping[str, Any]) -> Prepared:
        """Simulated applicants when ``data`` is None, else a CSV with ``target`` and ``positive``."""
        return prepare_credit(data, options)

    def train(self, dataset: CreditData, params: Mapping[str, Any]) -> Trained[FitResult]:
        """Search encoding and hyper-parameters by CV, calibrate, refit on all training rows."""
        schema = dataset.schema
        if schema is None:
            raise InvalidInput("training data carries no feature schema; use prepare()")
        options = CreditParams.from_options(params)
        settings = options.search()
        monotone = dict(APPLICANT_MONOTONE) if schema.applicant else {}
        monotone.update(options.monotone)
        unknown = sorted(set(monotone) - set(Encoder(schema).features))
        if unknown:
            raise InvalidInput(f"monotone constraint on unknown column(s): {', '.join(unknown)}")
        y = dataset.labels()
        columns = Encoder(schema).feature_columns(dataset.frame)
        encoding = cast(Encoding | None, options.encoding)  # checked by CreditParams
        fit = fit_credit_model(columns, y, schema, monotone, settings, encoding)
        meta = ModelMetadata(name=self.name, feature_schema=schema.to_dict(),
                             params={"xgboost": fit.params, "rounds": fit.rounds,
                                     "learning_rate": settings.learning_rate, "monotone": monotone},
                             metrics={"cv_roc_auc": fit.report["cv_auc"]},
                             extra={"encoding": fit.encoder.encoding, "search": fit.report,
                                    "medians": feature_medians(fit.encoder, columns),
                                    "low_below": options.low_below, "high_from": options.high_from,
                                    "n_train": len(y), "train_default_rate": float(y.mean())})
        fit.reference = reference_sample(dataset.frame, schema, options.seed)
        return Trained(state=fit, metadata=meta)

    def save(self, trained: Trained[FitResult], directory: Path) -> None:
        """XGBoost JSON + calibration JSON + drift reference sample + ``model.json``; nothing pickled."""
        directory.mkdir(parents=True, exist_ok=True)
        trained.state.booster.save_model(str(directory / BOOSTER_FILE))
        (directory / CALIBRATION_FILE).write_text(json.dumps(trained.state.calibrator.to_dict()))
        if trained.state.reference is not None and not trained.state.reference.empty:
            save_reference(directory, trained.state.reference)
        trained.metadata.write(directory)

    def load(self, directory: Path) -> Predictor:
        """Load a saved credit model for scoring."""
        meta = ModelMetadata.read(directory)
        if not (directory / BOOSTER_FILE).is_file():
            raise ModelNotReady(f"no {BOOSTER_FILE} in {directory}")
        booster = xgb.Booster()
        booster.load_model(str(directory / BOOSTER_FILE))
        booster.set_param({"nthread": 1})  # one applicant at a time: threads cost more than they save
        calibrator = Calibrator.from_dict(json.loads((directory / CALIBRATION_FILE).read_text()))
        encoder = Encoder(FeatureSchema.from_dict(meta.feature_schema), meta.extra.get("encoding", "native"))
        return CreditPredictor(booster, encoder, calibrator, meta)

    def evaluate(self, predictor: Predictor, dataset: CreditData) -> dict[str, Any]:
        """ROC-AUC, PR-AUC, KS, Gini, Brier, ECE; the same per value of each slice column."""
        if not isinstance(predictor, CreditPredictor):
            raise InvalidInput("not a credit model")
        schema = predictor.schema
        y = dataset.labels(schema.target, schema.positive)
        p = predictor.probabilities(dataset.frame)
        metrics = credit_metrics(y, p)
        if dataset.slices:
            missing = [s for s in dataset.slices if s not in dataset.frame]
            if missing:
                raise InvalidInput(f"slice column(s) not in the data: {', '.join(missing)}")
            metrics["slices"] = sliced_metrics(y, p, {s: dataset.frame[s] for s in dataset.slices})
        return metrics

    def load_eval_data(self, data: Path, options: Mapping[str, Any]) -> CreditData:
        """A labelled CSV; ``--target``/``--positive`` default to the model's own."""
        return load_credit_eval(data, options)
