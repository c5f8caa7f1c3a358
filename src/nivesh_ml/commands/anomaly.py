"""``nivesh-ml score anomaly``: batch scoring of a transactions file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from nivesh_ml.commands.common import cli_settings, print_json, resolve_model_dir

score_app = typer.Typer(help="Batch scoring of data files.", no_args_is_help=True)


@score_app.command("anomaly")
def score_anomaly(data: Annotated[Path, typer.Option("--data", help="transactions CSV/JSONL")],
                  out: Annotated[Path, typer.Option("--out", help="output CSV")],
                  model_ref: Annotated[str | None, typer.Option("--model", help="dir, version or champion")]
                  = None) -> None:
    """Score every transaction (against its user's earlier rows): transaction_id, score, is_anomaly, reasons."""
    from nivesh_ml.data.loaders import load_transactions
    from nivesh_ml.models.anomaly import FAMILY, AnomalyPredictor

    settings = cli_settings()
    predictor = FAMILY.load(resolve_model_dir(settings, "anomaly", model_ref))
    assert isinstance(predictor, AnomalyPredictor)
    scored = predictor.score_frame(load_transactions(data))
    out.parent.mkdir(parents=True, exist_ok=True)
    scored[["transaction_id", "score", "is_anomaly", "reasons"]].to_csv(out, index=False)
    print_json({"scored": len(scored), "flagged": int(scored["is_anomaly"].sum()), "out": str(out),
                "threshold": predictor.threshold, "model_version": predictor.metadata.version})


def register(app: typer.Typer) -> None:
    """Add the ``score`` command group."""
    app.add_typer(score_app, name="score")
