"""Model families. Each subpackage exposes ``FAMILY``, a :class:`~nivesh_ml.models.base.ModelFamily`."""

from __future__ import annotations

import importlib
from typing import Final

from nivesh_ml.errors import NotFound
from nivesh_ml.models.base import ModelFamily

MODEL_NAMES: Final[tuple[str, ...]] = ("intent", "ner", "spending", "anomaly", "credit")


def available_models() -> list[str]:
    """Model families whose package is present in this install."""
    out = []
    for name in MODEL_NAMES:
        try:
            module = importlib.import_module(f"nivesh_ml.models.{name}")
        except ModuleNotFoundError as exc:
            if exc.name and exc.name.startswith(f"nivesh_ml.models.{name}"):
                continue
            raise
        if hasattr(module, "FAMILY"):
            out.append(name)
    return out


def get_family(name: str) -> ModelFamily:
    """The model family called ``name`` (intent, ner, spending, anomaly, credit)."""
    if name not in MODEL_NAMES:
        raise NotFound(f"unknown model {name!r}; expected one of {', '.join(MODEL_NAMES)}")
    try:
        module = importlib.import_module(f"nivesh_ml.models.{name}")
    except ModuleNotFoundError as exc:
        if exc.name and exc.name.startswith(f"nivesh_ml.models.{name}"):
            raise NotFound(f"model {name!r} is not implemented in this build") from exc
        raise
    family: ModelFamily | None = getattr(module, "FAMILY", None)
    if family is None:
        raise NotFound(f"model {name!r} is not implemented in this build")
    return family
