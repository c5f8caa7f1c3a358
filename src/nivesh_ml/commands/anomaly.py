"""``nivesh-ml score anomaly|credit|intent|ner``: batch scoring of a file on the batch engine (local or cluster)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from nivesh_ml.commands.common import cli_settings, print_json, resolve_model_dir

score_app = typer.Typer(help="Batch scoring of data files (CSV or Parquet in, Parquet or CSV out).",
                        no_args_is_help=True)

DataOpt = Annotated[Path, typer.Option("--data", help="input file (.csv or .parquet)")]
OutOpt = Annotated[Path, typer.Option("--out", help="output: .parquet (a folder of parts) or .csv (one file)")]
ModelOpt = Annotated[str | None, typer.Option("--model", help="dir, version or champion")]
SchedulerOpt = Annotated[str | None, typer.Option(
    help="Dask scheduler address (tcp://host:8786); default: a LocalCluster, or this process for a small file; "
         "'inprocess' forces this process")]
WorkersOpt = Annotated[int, typer.Option(min=1, help="LocalCluster worker processes")]
PartitionOpt = Annotated[float, typer.Option(min=0.01, help="MB of input per partition (bounds worker memory)")]


def run_scoring(model: str, data: Path, out: Path, model_ref: str | None, scheduler: str | None, workers: int,
                partition_mb: float, column: str = "text") -> dict[str, Any]:
    """Score ``data`` with ``model``'s champion (or ``--model``) on the batch engine, with a progress bar."""
    from rich.progress import Progress

    from nivesh_ml.models.base import ModelMetadata
    from nivesh_ml.pipelines.batch import EngineOptions
    from nivesh_ml.pipelines.scoring import score_file

    settings = cli_settings()
    directory = resolve_model_dir(settings, model, model_ref)
    options = EngineOptions(scheduler=scheduler, workers=workers, partition_mb=partition_mb)
    with Progress(transient=True) as bar:
        task = bar.add_task(f"scoring {model}", total=None)
        summary = score_file(model, data, out, directory, options,
                             progress=lambda done, total: bar.update(task, completed=done, total=total),
                             column=column)
    return {**summary, "model_version": ModelMetadata.read(directory).version}


@score_app.command("anomaly")
def score_anomaly(data: DataOpt, out: OutOpt, model_ref: ModelOpt = None, scheduler: SchedulerOpt = None,
                  workers: WorkersOpt = 2, partition_mb: PartitionOpt = 8.0) -> None:
    """Score every transaction against its user's earlier rows: transaction_id, user_id, line, score,
    is_anomaly, reasons."""
    print_json(run_scoring("anomaly", data, out, model_ref, scheduler, workers, partition_mb))


@score_app.command("credit")
def score_credit(data: DataOpt, out: OutOpt, model_ref: ModelOpt = None, scheduler: SchedulerOpt = None,
                 workers: WorkersOpt = 2, partition_mb: PartitionOpt = 8.0) -> None:
    """Score every applicant: (applicant_id,) line, default_probability, risk_score, risk_category."""
    print_json(run_scoring("credit", data, out, model_ref, scheduler, workers, partition_mb))


ColumnOpt = Annotated[str, typer.Option(help="the column holding the text")]


@score_app.command("intent")
def score_intent(data: DataOpt, out: OutOpt, column: ColumnOpt = "text", model_ref: ModelOpt = None,
                 scheduler: SchedulerOpt = None, workers: WorkersOpt = 2, partition_mb: PartitionOpt = 8.0) -> None:
    """Intent of every text of a column (the served ONNX predictor): (id,) line, intent, confidence, fallback,
    top_k (JSON); blank texts get an empty intent."""
    print_json(run_scoring("intent", data, out, model_ref, scheduler, workers, partition_mb, column))


@score_app.command("ner")
def score_ner(data: DataOpt, out: OutOpt, column: ColumnOpt = "text", model_ref: ModelOpt = None,
              scheduler: SchedulerOpt = None, workers: WorkersOpt = 2, partition_mb: PartitionOpt = 8.0) -> None:
    """Entities of every text of a column (the served spaCy pipeline): (id,) line, entities (JSON list of text,
    label, start, end, value); blank texts get none."""
    print_json(run_scoring("ner", data, out, model_ref, scheduler, workers, partition_mb, column))


def register(app: typer.Typer) -> None:
    """Add the ``score`` command group."""
    app.add_typer(score_app, name="score")
