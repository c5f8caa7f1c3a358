"""The entry point of a serving worker process (what ``nivesh-ml serve`` hands to uvicorn).

Serving needs neither torch nor transformers (intent runs on ONNX Runtime with ``tokenizers``; spaCy and the
tabular models run without them), but they are imported as a side effect when installed: thinc (spaCy) and
scikit-learn's array-API shim probe for torch. Each costs hundreds of MB per worker and seconds of start-up.
This module refuses those imports before anything else is imported, so the probes see "not installed"; it is
imported first in each worker (uvicorn imports the app module named by ``serve``).

The same refusal keeps out libraries that only batch jobs and tests use but that a served model's loader drags in:
loading a skops file (the anomaly forest) walks every scikit-learn module, whose array-API shim probes for dask
and whose test helpers import pytest (with pygments, iniconfig...). Neither is needed to serve; together they cost
seconds of start-up and tens of MB per worker. Libraries a route needs only sometimes (statsforecast, Prophet,
matplotlib, evidently, google-genai, bm25s) are imported where they are used, on first need.

A worker that runs in the ``serve`` process itself (one worker, after ``serve`` trained missing champions) may
already hold torch from that training; the refusal cannot unload it, and never refuses a submodule of a library
that is already imported (that would break the library, not keep it out).
"""

from __future__ import annotations

import ctypes
import importlib.abc
import os
import sys
from collections.abc import Sequence
from importlib.machinery import ModuleSpec
from types import ModuleType

TRAINING_ONLY = ("torch", "transformers")
NOT_SERVING = ("dask", "distributed", "pytest", "_pytest")  # batch jobs and tests; probed by scikit-learn
REFUSED = frozenset(TRAINING_ONLY + NOT_SERVING)


class RefuseTrainingImports(importlib.abc.MetaPathFinder):
    """A finder that answers "no such module" for the libraries a serving process never needs."""

    def find_spec(self, fullname: str, path: Sequence[str] | None = None,
                  target: ModuleType | None = None) -> ModuleSpec | None:
        top = fullname.partition(".")[0]
        if top in REFUSED and top not in sys.modules:
            raise ModuleNotFoundError(f"No module named {fullname!r} (not loaded in a serving process)",
                                      name=fullname)
        return None


def refuse_training_imports() -> None:
    """Install the refusal once (idempotent); modules already imported stay."""
    if not any(isinstance(finder, RefuseTrainingImports) for finder in sys.meta_path):
        sys.meta_path.insert(0, RefuseTrainingImports())


# glibc gives each thread that allocates its own malloc arena (up to 8 × cores); a worker's request threads then
# hold freed memory in many arenas and RSS drifts upward under load. Two arenas keep it flat at no measurable cost.
MALLOC_ARENA_MAX = 2
_M_ARENA_MAX = -8  # mallopt parameter number in glibc's malloc.h


def limit_malloc_arenas(arenas: int = MALLOC_ARENA_MAX) -> bool:
    """``mallopt(M_ARENA_MAX, arenas)`` on glibc (a no-op elsewhere); True when applied."""
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return False
    return bool(libc.mallopt(_M_ARENA_MAX, arenas))


def limit_blas_threads(threads: int = 1) -> None:
    """One BLAS thread per worker (unless the operator set ``OPENBLAS_NUM_THREADS``): the server scales by worker
    processes, and BLAS threads on top of them only oversubscribe the cores (the NER's matrix products go through
    NumPy's OpenBLAS, models/ner/ops.py; a BLAS thread pool also spins after each call)."""
    if "OPENBLAS_NUM_THREADS" in os.environ:
        return
    os.environ["OPENBLAS_NUM_THREADS"] = str(threads)  # read when NumPy loads OpenBLAS
    if "numpy" in sys.modules:  # already loaded (a worker inside the serve process): set the live pool
        from threadpoolctl import threadpool_limits

        threadpool_limits(threads, user_api="blas")


refuse_training_imports()
limit_malloc_arenas()
limit_blas_threads()

from nivesh_ml.serving.app import create_app  # noqa: E402  (after the refusal, on purpose)

__all__ = ["create_app", "limit_blas_threads", "limit_malloc_arenas", "refuse_training_imports"]
