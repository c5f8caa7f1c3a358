"""The ``nivesh-ml`` command line: parses, calls one library function, prints."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from nivesh_ml.commands import advisor, anomaly, ner, ops, spending
from nivesh_ml.commands.common import cli_settings, console, out, parse_params, print_json, resolve_model_dir
from nivesh_ml.commands.progress import bootstrap_display, summary_table
from nivesh_ml.config import Settings
from nivesh_ml.errors import NiveshError
from nivesh_ml.logs import configure_logging
from nivesh_ml.pipelines.training import TrainResult

app = typer.Typer(name="nivesh-ml", help="ML services of the Nivesh personal-finance assistant.",
                  no_args_is_help=True, pretty_exceptions_enable=False)
data_app = typer.Typer(help="Data sets: synthetic Indian transactions and credit applicants.", no_args_is_help=True)
models_app = typer.Typer(help="Registered models: list, promote, roll back.", no_args_is_help=True)
app.add_typer(data_app, name="data")
app.add_typer(models_app, name="models")

# The command groups of the feature areas, each with register(app); adding one is an edit here.
COMMAND_GROUPS = (ner, spending, anomaly, advisor, ops)


ModelArg = Annotated[str, typer.Argument(help="intent, ner, spending, anomaly or credit")]
DataOpt = Annotated[Path | None, typer.Option("--data", help="CSV/JSONL file (bundled data when omitted)")]


@app.command()
def bootstrap(force: Annotated[bool, typer.Option(help="promote even if worse than the champion")] = False,
              only: Annotated[list[str] | None, typer.Option(help="train only these models")] = None) -> None:
    """Make bundled data, train every model, register, promote to champion."""
    settings = cli_settings()
    out.print(summary_table(_bootstrap_with_display(settings, only, force)))


def _bootstrap_with_display(settings: Settings, models: list[str] | None, force: bool = False) -> list[TrainResult]:
    """A bootstrap behind one progress display (third-party output goes to the home's bootstrap log)."""
    from nivesh_ml.models import available_models
    from nivesh_ml.pipelines.training import bootstrap as run_bootstrap

    names = list(models or available_models())
    with bootstrap_display(settings, names, console) as display:
        return run_bootstrap(settings, models=models, force=force, observer=display)


@app.command()
def train(model: ModelArg, data: DataOpt = None,
          text_col: Annotated[str | None, typer.Option(help="intent: text column")] = None,
          label_col: Annotated[str | None, typer.Option(help="intent: label column")] = None,
          epochs: Annotated[int | None, typer.Option(help="intent: max epochs")] = None,
          target: Annotated[str | None, typer.Option(help="credit: target column")] = None,
          positive: Annotated[str | None, typer.Option(help="credit: value meaning default")] = None,
          output: Annotated[Path | None, typer.Option(help="directory for the saved model")] = None,
          register: Annotated[bool, typer.Option(help="log and register in MLflow")] = True,
          promote: Annotated[bool, typer.Option(help="promote to champion if it passes the gate")] = False,
          force: Annotated[bool, typer.Option(help="promote even if worse")] = False,
          seed: Annotated[int | None, typer.Option(help="random seed")] = None,
          param: Annotated[list[str] | None, typer.Option(help="extra model option key=value")] = None) -> None:
    """Train a model, evaluate it on held-out data, optionally register and promote."""
    from nivesh_ml.pipelines.training import train_model

    settings = cli_settings()
    options = {"text_col": text_col, "label_col": label_col, "epochs": epochs, "target": target,
               "positive": positive, **parse_params(param)}
    if seed is not None:
        options["seed"] = seed
    options = {k: v for k, v in options.items() if v is not None}
    result = train_model(settings, model, data, options, output, register=register, promote=promote,
                         force=force)
    print_json(result.as_dict())


@app.command()
def evaluate(model: ModelArg, data: Annotated[Path, typer.Option("--data", help="labelled data file")],
             model_ref: Annotated[str | None, typer.Option("--model", help="dir, version or champion")] = None,
             as_json: Annotated[bool, typer.Option("--json", help="print metrics as JSON")] = False,
             text_col: Annotated[str | None, typer.Option()] = None,
             label_col: Annotated[str | None, typer.Option()] = None,
             target: Annotated[str | None, typer.Option()] = None,
             positive: Annotated[str | None, typer.Option()] = None,
             slice_col: Annotated[list[str] | None, typer.Option("--slice", help="credit: slice column")] = None,
             horizon: Annotated[int | None, typer.Option(help="spending: months ahead")] = None) -> None:
    """Evaluate a model on a labelled file."""
    from nivesh_ml.models import get_family

    settings = cli_settings()
    family = get_family(model)
    options = {k: v for k, v in {"text_col": text_col, "label_col": label_col, "target": target,
                                 "positive": positive, "slice": slice_col, "horizon": horizon}.items() if v}
    directory = resolve_model_dir(settings, model, model_ref)
    predictor = family.load(directory)
    dataset = family.load_eval_data(data, options)
    metrics = family.evaluate(predictor, dataset)
    if as_json:
        print_json(metrics)
    else:
        table = Table("metric", "value")
        for key, value in metrics.items():
            if isinstance(value, int | float):
                table.add_row(key, f"{value:.4f}")
        out.print(table)


@app.command()
def serve(host: Annotated[str | None, typer.Option(help="bind address")] = None,
          port: Annotated[int | None, typer.Option(help="port")] = None,
          workers: Annotated[int | None, typer.Option(help="worker processes")] = None,
          no_bootstrap: Annotated[bool, typer.Option(help="do not train missing models")] = False) -> None:
    """Start the HTTP server (loads champions; bootstraps missing ones first)."""
    import uvicorn

    from nivesh_ml.pipelines.training import after_bootstrap, missing_champions

    settings = cli_settings()
    bind = host or settings.server.host
    if not settings.api_keys and bind not in ("127.0.0.1", "localhost", "::1"):
        console.print("[yellow]NIVESH_API_KEYS is not set: binding to 127.0.0.1 only.[/]")
        bind = "127.0.0.1"
    elif not settings.api_keys:
        console.print("[yellow]No API keys configured (NIVESH_API_KEYS): serving on loopback only.[/]")
    if not no_bootstrap:
        missing = missing_champions(settings)
        if missing:
            console.print(f"No champion for {', '.join(missing)}: training them first.")
            console.print(summary_table(_bootstrap_with_display(settings, missing)))
        after_bootstrap(settings)
    from nivesh_ml.logs import uvicorn_log_config
    from nivesh_ml.serving.process import server_environment

    configure_logging(settings.log_level, json_logs=settings.server.log_json)
    n_workers = workers or settings.server.workers
    with server_environment(settings, n_workers):  # metrics directory and worker count, before workers start
        uvicorn.run("nivesh_ml.serving.worker:create_app", factory=True, host=bind,
                    port=port or settings.server.port, workers=n_workers, access_log=False,
                    log_config=uvicorn_log_config(settings.log_level, settings.server.log_json),
                    timeout_graceful_shutdown=settings.server.graceful_shutdown_s)


@data_app.command("generate")
def data_generate(users: Annotated[int, typer.Option(min=1, help="number of users")] = 200,
                  months: Annotated[int, typer.Option(min=1, max=120, help="months of history")] = 24,
                  seed: Annotated[int, typer.Option(help="random seed")] = 42,
                  applicants: Annotated[int | None, typer.Option(help="credit applicants")] = None,
                  out_dir: Annotated[Path, typer.Option("--out", help="output directory")] = Path("var/data")) -> None:
    """Synthetic Indian transactions (with labelled anomalies), users and credit applicants."""
    from nivesh_ml.data.synthetic import write_dataset

    cli_settings()
    summary = write_dataset(out_dir, users, months, seed=seed, n_applicants=applicants)
    print_json(summary)


@models_app.command("list")
def models_list(model: ModelArg) -> None:
    """Registered versions of a model with metrics; the champion marked."""
    from nivesh_ml.registry import ModelRegistry

    print_json(ModelRegistry(cli_settings()).versions(model))


@models_app.command("promote")
def models_promote(model: ModelArg, version: Annotated[str, typer.Argument(help="version number")],
                   force: Annotated[bool, typer.Option(help="skip the gate (roll back)")] = False) -> None:
    """Promote a version to champion through the gate (``--force`` to roll back or forward by hand)."""
    from nivesh_ml.models import get_family
    from nivesh_ml.registry import ModelRegistry

    decision = ModelRegistry(cli_settings()).promote(get_family(model), version, force=force)
    print_json(decision.as_dict())
    if not decision.promoted:
        raise typer.Exit(1)


for group in COMMAND_GROUPS:
    group.register(app)


def main() -> None:
    """Entry point with clean error messages instead of tracebacks."""
    try:
        app()
    except NiveshError as exc:
        console.print(f"[bold red]error:[/] {exc.message}")
        if exc.details:
            console.print_json(json.dumps(exc.details, default=str)[:4000])
        sys.exit(2)
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
