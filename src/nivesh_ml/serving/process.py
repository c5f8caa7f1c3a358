"""What ``nivesh-ml serve`` prepares before uvicorn starts the workers (they inherit the environment)."""

from __future__ import annotations

import os
import shutil
import signal
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType

from nivesh_ml.config import Settings

# Not imported from serving.metrics: prometheus_client decides single- or multiprocess values when it is first
# imported, so nothing here may import it before the variable is set.
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


@contextmanager
def server_environment(settings: Settings, workers: int) -> Iterator[Path | None]:
    """A fresh Prometheus multiprocess directory for this server start, and the worker count, in the environment.

    One worker keeps ordinary in-process metrics (no directory, unless the operator set one). An operator-set
    ``PROMETHEUS_MULTIPROC_DIR`` is emptied (values of a previous start would be summed in); otherwise a
    directory of its own under ``<home>/run`` is made, so two servers on one home never mix, and is removed on
    exit. ``NIVESH_SERVER__WORKERS`` tells each worker how many share its in-process cache.

    SIGTERM ends the server with status 0 once uvicorn has drained it (see :func:`_exit_cleanly`).
    """
    given = os.environ.get(MULTIPROC_ENV)
    directory: Path | None = None
    if given:
        directory = Path(given)
        shutil.rmtree(directory, ignore_errors=True)
        directory.mkdir(parents=True, exist_ok=True)
    elif workers > 1:
        parent = settings.var_dir / "run"
        parent.mkdir(parents=True, exist_ok=True)
        directory = Path(tempfile.mkdtemp(prefix=f"metrics-{os.getpid()}-", dir=parent))
    saved = {k: os.environ.get(k) for k in (MULTIPROC_ENV, "NIVESH_SERVER__WORKERS")}
    if directory is not None:
        os.environ[MULTIPROC_ENV] = str(directory)
    os.environ["NIVESH_SERVER__WORKERS"] = str(workers)
    previous = signal.signal(signal.SIGTERM, _exit_cleanly)
    try:
        yield directory
    finally:
        signal.signal(signal.SIGTERM, previous)
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        if directory is not None and not given:
            shutil.rmtree(directory, ignore_errors=True)


def _exit_cleanly(signum: int, frame: FrameType | None) -> None:
    """SIGTERM: leave through ``SystemExit(0)`` (cleanup runs, exit status 0) instead of dying by the signal.

    uvicorn drains in-flight requests on SIGTERM (up to ``server.graceful_shutdown_s``), then raises the signal
    again with the handler it found installed; with the default handler a drained single-process server would
    die by the signal (status -15 / 143, the metrics directory left behind). With several workers uvicorn's
    supervisor installs its own handler, drains every worker and returns normally.
    """
    raise SystemExit(0)
