"""Operations commands: ``drift check`` and ``pipeline run`` / ``pipeline step`` (what the Airflow DAGs run)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from nivesh_ml.commands.common import cli_settings, fail, parse_params, print_json

PIPELINES = ("weekly-retrain", "drift-check")
STEP_NAMES = ("validate", "train", "promote", "reload", "drift", "retrain-if-drifted")
# BashOperator's default skip_on_exit_code: a retraining task whose model did not drift shows as skipped.
SKIP_EXIT_CODE = 99

drift_app = typer.Typer(help="Data drift of served models vs their training data (Evidently).",
                        no_args_is_help=True)
pipeline_app = typer.Typer(help="The pipelines the Airflow DAGs run, locally.", no_args_is_help=True)

ModelsOpt = Annotated[list[str] | None, typer.Option("--model", help="limit to these models (repeatable)")]
DataOpt = Annotated[Path | None, typer.Option("--data", help="training data file (bundled data when omitted)")]
ParamOpt = Annotated[list[str] | None, typer.Option("--param", help="training option key=value")]
SinceOpt = Annotated[float, typer.Option("--since", min=0.01, help="days of logged predictions to compare")]


@drift_app.command("check")
def drift_check(model: Annotated[str, typer.Argument(help="intent, ner, spending, anomaly or credit")],
                since: SinceOpt = 7.0,
                report: Annotated[Path | None, typer.Option(help="HTML report path")] = None,
                model_dir: Annotated[Path | None, typer.Option(help="a saved model dir instead of the champion")]
                = None) -> None:
    """Evidently drift share of MODEL's recent logged inputs vs its reference data; exit 1 when drifted."""
    from nivesh_ml.pipelines.drift_check import check_model_drift, drift_summary

    result = check_model_drift(cli_settings(), model, since, report, model_dir)
    print_json(drift_summary(result))
    if result.drift_detected:
        raise typer.Exit(1)


@pipeline_app.command("run")
def pipeline_run(name: Annotated[str, typer.Argument(help=" or ".join(PIPELINES))],
                 model: ModelsOpt = None, data: DataOpt = None, param: ParamOpt = None, since: SinceOpt = 7.0,
                 retrain: Annotated[bool, typer.Option(help="drift-check: retrain drifted models")] = True) -> None:
    """Run a whole pipeline in this process (the same steps as the Airflow DAG)."""
    from nivesh_ml.pipelines.drift_check import drift_check_and_retrain
    from nivesh_ml.pipelines.retrain import weekly_retrain

    settings = cli_settings()
    options = parse_params(param)
    if name == "weekly-retrain":
        print_json(weekly_retrain(settings, model, data, options))
    elif name == "drift-check":
        print_json(drift_check_and_retrain(settings, model, since, data, options, retrain=retrain))
    else:
        fail(f"unknown pipeline {name!r}; expected one of {', '.join(PIPELINES)}")


@pipeline_app.command("step")
def pipeline_step(step: Annotated[str, typer.Argument(help=", ".join(STEP_NAMES))],
                  model: Annotated[str | None, typer.Argument(help="model (all for drift)")] = None,
                  run_id: Annotated[str, typer.Option(help="pipeline run id (the Airflow run_id)")] = "manual",
                  data: DataOpt = None, param: ParamOpt = None, since: SinceOpt = 7.0) -> None:
    """Run one pipeline step (an Airflow task); prints its result as JSON on one line."""
    import json

    from nivesh_ml.pipelines import drift_check as dc
    from nivesh_ml.pipelines import retrain as rt

    settings = cli_settings()
    options = parse_params(param)
    if step == "drift":
        result: Any = dc.step_drift(settings, run_id, [model] if model else None, since)
    elif model is None:
        fail(f"step {step!r} needs a MODEL")
        return
    elif step == "retrain-if-drifted":
        if model not in dc.drifted_models(settings, run_id):
            typer.echo(json.dumps({"model": model, "retrained": False, "reason": "no drift"}))
            raise typer.Exit(SKIP_EXIT_CODE)
        result = rt.retrain_model(settings, model, data, options, run_id)
    elif step == "validate":
        result = rt.step_validate(settings, run_id, model, data)
    elif step == "train":
        result = rt.step_train(settings, run_id, model, options)
    elif step == "promote":
        result = rt.step_promote(settings, run_id, model)
    elif step == "reload":
        result = rt.step_reload(settings, run_id, model)
        if result["failed"]:
            typer.echo(json.dumps(result, default=str))
            raise typer.Exit(1)
    else:
        fail(f"unknown step {step!r}; expected one of {', '.join(STEP_NAMES)}")
    typer.echo(json.dumps(result, default=str))


def data_ingest(
    file: Annotated[Path, typer.Argument(help="transactions file (.csv or .parquet)")],
    scheduler: Annotated[str | None, typer.Option(
        help="Dask scheduler address (tcp://host:8786); default: a LocalCluster, or this process for a small "
             "file; 'inprocess' forces this process")] = None,
    workers: Annotated[int, typer.Option(min=1, help="LocalCluster worker processes")] = 2,
    partition_mb: Annotated[float, typer.Option(min=0.01, help="MB of input per partition")] = 8.0,
) -> None:
    """Bulk backfill of the feature store: every user's history and profiles from FILE (idempotent).

    Rows that fail validation are reported with their line numbers and skipped; the rest are stored.
    """
    from rich.progress import Progress

    from nivesh_ml.pipelines.backfill import ingest_file
    from nivesh_ml.pipelines.batch import EngineOptions

    options = EngineOptions(scheduler=scheduler, workers=workers, partition_mb=partition_mb)
    with Progress(transient=True) as bar:
        task = bar.add_task("ingesting", total=None)
        summary = ingest_file(cli_settings(), file, options,
                              progress=lambda done, total: bar.update(task, completed=done, total=total))
    print_json(summary)


def register(app: typer.Typer) -> None:
    """Add the ``drift`` and ``pipeline`` command groups and ``data ingest``."""
    app.add_typer(drift_app, name="drift")
    app.add_typer(pipeline_app, name="pipeline")
    data_group(app).command("ingest")(data_ingest)


def data_group(app: typer.Typer) -> typer.Typer:
    """The CLI's ``data`` group (defined with the CLI), to which the batch backfill command belongs."""
    for group in app.registered_groups:
        if group.name == "data" and group.typer_instance is not None:
            return group.typer_instance
    raise RuntimeError("the CLI has no 'data' group to add 'ingest' to")
