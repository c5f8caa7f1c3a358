"""The operator's view of a bootstrap: one live progress display, a summary table, third-party noise in a log file.

While models train, every log record and Python warning goes to ``<home>/logs/bootstrap.log`` (PII-masked, the
same text format as the CLI); the terminal shows only the progress line and nivesh-ml's own warnings and errors.
The time estimate comes from the previous bootstrap on this home (``<home>/logs/bootstrap_times.json``), or from
figures measured on a 2-core laptop CPU when there is none.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from rich.console import Console
from rich.logging import RichHandler
from rich.progress import Progress, ProgressColumn, SpinnerColumn, Task, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from nivesh_ml.config import Settings
from nivesh_ml.logs import TEXT_FORMAT, MaskingFormatter
from nivesh_ml.pipelines.training import TrainResult

# Seconds per model of a bootstrap on the development machine (2 cores, no GPU): the first estimate on a new home.
DEFAULT_SECONDS = {"intent": 240.0, "ner": 120.0, "spending": 60.0, "anomaly": 20.0, "credit": 20.0}
FALLBACK_SECONDS = 60.0
# Progress bars and chatter that libraries print straight to the terminal (not through logging).
QUIET_ENV = {"TQDM_DISABLE": "1", "HF_HUB_DISABLE_PROGRESS_BARS": "1", "TRANSFORMERS_VERBOSITY": "error",
             "TRANSFORMERS_NO_ADVISORY_WARNINGS": "1"}


class RemainingColumn(ProgressColumn):
    """``~ 3 min left``: the estimate of the current model less its elapsed time (never below a tenth of it, so an
    overrunning model does not read "0 s"), plus the estimates of the models still to come."""

    def render(self, task: Task) -> Text:
        current_until, current_s, rest_s = (task.fields.get(k) for k in ("current_until", "current_s", "rest_s"))
        if current_until is None or current_s is None or rest_s is None:
            return Text("")
        left = max(float(current_until) - time.monotonic(), 0.1 * float(current_s)) + float(rest_s)
        label = f"~ {left / 60:.0f} min left" if left >= 90 else f"~ {left:.0f} s left"
        return Text(label, style="dim")


class BootstrapDisplay:
    """A :class:`~nivesh_ml.pipelines.training.BootstrapObserver` that draws the progress line."""

    def __init__(self, progress: Progress, estimates: dict[str, float], models: list[str]) -> None:
        self.progress = progress
        self.estimates = estimates
        self.models = models
        self.task = progress.add_task("starting", total=len(models), current_until=None, current_s=None,
                                      rest_s=None)
        self.seconds: dict[str, float] = {}

    def estimate(self, model: str) -> float:
        return self.estimates.get(model, DEFAULT_SECONDS.get(model, FALLBACK_SECONDS))

    def started(self, model: str, index: int, total: int) -> None:
        rest = self.models[index:] if self.models[index - 1:index] == [model] else []
        current_s = self.estimate(model)
        self.progress.update(self.task, description=f"training [bold]{model}[/] ({index}/{total})",
                             current_until=time.monotonic() + current_s, current_s=current_s,
                             rest_s=sum(self.estimate(m) for m in rest))

    def finished(self, result: TrainResult) -> None:
        self.seconds[result.model] = result.seconds
        self.progress.advance(self.task)


def timings_path(settings: Settings) -> Path:
    return settings.var_dir / "logs" / "bootstrap_times.json"


def load_estimates(settings: Settings) -> dict[str, float]:
    """Seconds per model from the last bootstrap on this home (empty when none or unreadable)."""
    try:
        raw = json.loads(timings_path(settings).read_text(encoding="utf-8"))
        return {str(k): float(v) for k, v in raw.items() if isinstance(v, int | float) and v > 0}
    except (OSError, ValueError, AttributeError):
        return {}


def save_estimates(settings: Settings, seconds: dict[str, float]) -> None:
    path = timings_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    merged = {**load_estimates(settings), **{k: round(v, 1) for k, v in seconds.items()}}
    path.write_text(json.dumps(merged, indent=2, sort_keys=True), encoding="utf-8")


@contextmanager
def noise_to_file(log_path: Path, console: Console) -> Iterator[None]:
    """All logging and warnings to ``log_path``; the terminal gets nivesh-ml warnings and any errors."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    root = logging.getLogger()
    saved_handlers, saved_level = root.handlers[:], root.level
    saved_env = {key: os.environ.get(key) for key in QUIET_ENV}
    file_handler = logging.FileHandler(log_path, encoding="utf-8")
    file_handler.setFormatter(MaskingFormatter(TEXT_FORMAT))
    terminal = RichHandler(console=console, show_path=False, show_time=False, markup=False)
    terminal.setFormatter(MaskingFormatter("%(name)s: %(message)s"))
    terminal.addFilter(lambda r: r.levelno >= logging.ERROR
                       or (r.levelno >= logging.WARNING and r.name.startswith("nivesh_ml")))
    # libraries that installed their own terminal handler send their records to ours for the duration
    own = {name: (lg.handlers[:], lg.propagate) for name, lg in logging.Logger.manager.loggerDict.items()
           if isinstance(lg, logging.Logger) and lg.handlers and not name.startswith("nivesh_ml")}
    for name in own:
        logging.getLogger(name).handlers, logging.getLogger(name).propagate = [], True
    root.handlers = [file_handler, terminal]
    root.setLevel(min(saved_level, logging.INFO) if saved_level else logging.INFO)
    logging.captureWarnings(True)
    os.environ.update(QUIET_ENV)
    try:
        yield
    finally:
        logging.captureWarnings(False)
        root.handlers, root.level = saved_handlers, saved_level
        for name, (handlers, propagate) in own.items():
            logging.getLogger(name).handlers, logging.getLogger(name).propagate = handlers, propagate
        file_handler.close()
        for key, value in saved_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@contextmanager
def bootstrap_display(settings: Settings, models: list[str], console: Console) -> Iterator[BootstrapDisplay]:
    """The live display around a bootstrap of ``models``; remembers each model's seconds for the next estimate."""
    log_path = settings.var_dir / "logs" / "bootstrap.log"
    progress = Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), RemainingColumn(),
                        console=console, transient=True)
    with noise_to_file(log_path, console), progress:
        display = BootstrapDisplay(progress, load_estimates(settings), models)
        try:
            yield display
        finally:
            if display.seconds:
                save_estimates(settings, display.seconds)
    console.print(f"[dim]Training log: {log_path}[/]")


def summary_table(results: list[TrainResult]) -> Table:
    """model, version, key metric (the family's promotion metric), seconds, promoted."""
    table = Table("model", "version", "key metric", "seconds", "promoted")
    for r in results:
        value = r.metrics.get(r.primary_metric)
        metric = f"{r.primary_metric} {value:.4f}" if isinstance(value, int | float) else "-"
        promoted = (r.promotion or {}).get("promoted")
        table.add_row(r.model, str(r.version or "-"), metric, f"{r.seconds:.0f}", "yes" if promoted else "no")
    return table
