"""``nivesh-ml forecast USER_ID`` (one user, optional chart) and ``nivesh-ml forecast batch`` (Dask)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from nivesh_ml.commands.common import cli_settings, fail, print_json, resolve_model_dir


class UserOrCommandGroup(TyperGroup):
    """``forecast USER_ID ...`` runs the ``user`` command; ``forecast batch ...`` the batch job."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if args and not args[0].startswith("-") and args[0] not in self.commands:
            args = ["user", *args]
        return super().parse_args(ctx, args)


forecast_app = typer.Typer(cls=UserOrCommandGroup, no_args_is_help=True,
                           help="Spending forecasts: `forecast USER_ID --months 6 --plot out.png` or "
                                "`forecast batch [--scheduler tcp://host:8786]`.")


def _model(settings: Any, ref: str | None) -> tuple[Path, str]:
    from nivesh_ml.models.base import ModelMetadata

    directory = resolve_model_dir(settings, "spending", ref)
    return directory, ModelMetadata.read(directory).version


@forecast_app.command("user")
def forecast_user_command(
    user_id: Annotated[str, typer.Argument(help="the user to forecast")],
    months: Annotated[int, typer.Option(min=1, max=24, help="months ahead")] = 6,
    category: Annotated[str | None, typer.Option(help="only this category")] = None,
    plot: Annotated[Path | None, typer.Option(help="write a PNG chart here")] = None,
    data: Annotated[Path | None, typer.Option(help="transactions file (else the feature store)")] = None,
    model_ref: Annotated[str | None, typer.Option("--model", help="dir, version or champion")] = None,
) -> None:
    """Forecast one user's monthly spend per category and in total (JSON on stdout)."""
    from nivesh_ml.data.loaders import load_transactions
    from nivesh_ml.features.factory import create_store
    from nivesh_ml.models.spending import FAMILY
    from nivesh_ml.models.spending.service import forecast_user_id
    from nivesh_ml.pipelines.wiring import transaction_repository

    settings = cli_settings()
    directory, version = _model(settings, model_ref)
    predictor = FAMILY.load(directory)
    if data is not None:
        frame = load_transactions(data)
        rows = frame[frame["user_id"] == user_id]
        if rows.empty:
            fail(f"user {user_id!r} has no transactions in {data}")
        history = predictor.history(rows.to_dict(orient="records"))
        result = predictor.forecast(history, months, category)
    else:
        store = create_store(settings)
        try:
            history, result = forecast_user_id(predictor, transaction_repository(settings, store), user_id, months,
                                               category)
        finally:
            store.close()
    if plot is not None:
        from nivesh_ml.models.spending.plot import plot_forecast

        plot_forecast(history, result, plot, title=f"Monthly spending of {user_id}")
    print_json({"user_id": user_id, "months": months, "model_version": version, **result.to_response(),
                **({"plot": str(plot)} if plot else {})})


@forecast_app.command("batch")
def forecast_batch_command(
    scheduler: Annotated[str | None, typer.Option(help="Dask scheduler address (default: a LocalCluster)")] = None,
    months: Annotated[int, typer.Option(min=1, max=24, help="months ahead")] = 6,
    workers: Annotated[int, typer.Option(min=1, help="LocalCluster worker processes")] = 2,
    partition_size: Annotated[int, typer.Option(min=1, help="users per task")] = 25,
    prophet_categories: Annotated[int | None, typer.Option(
        min=0, help="categories per user Prophet may model (default 0: the total only, the batch budget; "
                    "the trained serving setting is usually 2)")] = 0,
    model_ref: Annotated[str | None, typer.Option("--model", help="dir, version or champion")] = None,
    data: Annotated[Path | None, typer.Option(
        help="transactions file (.csv/.parquet): forecast its users, no feature store")] = None,
    out: Annotated[Path | None, typer.Option(
        help="with --data: output .parquet (a folder of parts) or .csv")] = None,
    partition_mb: Annotated[float, typer.Option(min=0.01, help="with --data: MB of input per partition")] = 8.0,
) -> None:
    """Forecast every user with a stored history into the feature store (namespace ``forecast``), or every
    user of ``--data`` into ``--out``."""
    from rich.progress import Progress

    from nivesh_ml.models.spending.batch import BatchOptions, run_batch

    if data is None and out is not None:
        fail("--out goes with --data (without --data, forecasts go to the feature store)")
    settings = cli_settings()
    directory, version = _model(settings, model_ref)
    with Progress(transient=True) as bar:
        task = bar.add_task("forecasting", total=None)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        if data is not None:
            from nivesh_ml.pipelines.batch import EngineOptions
            from nivesh_ml.pipelines.forecast_files import forecast_file

            engine = EngineOptions(scheduler=scheduler, workers=workers, partition_mb=partition_mb)
            summary = forecast_file(data, out or settings.var_dir / "forecasts.parquet", directory, months,
                                    engine, prophet_categories, progress)
            summary["model_version"] = version
        else:
            options = BatchOptions(months=months, partition_size=partition_size, n_workers=workers,
                                   prophet_categories=prophet_categories)
            summary = run_batch(settings, directory, scheduler, options, model_version=version,
                                progress=progress)
    print_json(summary)


def register(app: typer.Typer) -> None:
    """Add the ``forecast`` group to the CLI."""
    app.add_typer(forecast_app, name="forecast")
