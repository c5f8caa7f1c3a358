"""What every command shares: settings with CLI logging, clean failures, JSON output, ``--param`` and ``--model``."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, NoReturn

import typer
from rich.console import Console

from nivesh_ml.config import Settings, get_settings
from nivesh_ml.logs import configure_logging

console = Console(stderr=True)
out = Console()


def cli_settings() -> Settings:
    """The settings, with plain-text logging configured for a terminal."""
    settings = get_settings()
    configure_logging(settings.log_level, json_logs=False)
    return settings


def fail(message: str, code: int = 2) -> NoReturn:
    """Print a clear error and exit (no traceback)."""
    console.print(f"[bold red]error:[/] {message}")
    raise typer.Exit(code)


def print_json(obj: Any) -> None:
    """``obj`` as indented JSON on stdout."""
    sys.stdout.write(json.dumps(obj, indent=2, default=str) + "\n")


def parse_params(params: list[str] | None) -> dict[str, Any]:
    """``key=value`` pairs; values parsed as JSON when they look like it."""
    parsed: dict[str, Any] = {}
    for item in params or []:
        if "=" not in item:
            fail(f"--param expects key=value, got {item!r}")
        key, value = item.split("=", 1)
        try:
            parsed[key.strip()] = json.loads(value)
        except json.JSONDecodeError:
            parsed[key.strip()] = value
    return parsed


def resolve_model_dir(settings: Settings, model: str, ref: str | None) -> Path:
    """A model directory from ``--model``: a path, a registry version number, or the champion."""
    from nivesh_ml.registry import ModelRegistry

    if ref and Path(ref).is_dir():
        return Path(ref)
    registry = ModelRegistry(settings)
    if ref and ref.lstrip("v").isdigit():
        return registry._materialise(model, ref.lstrip("v")).directory
    if ref and ref != "champion":
        fail(f"--model {ref!r} is neither a directory nor a version number")
    local = registry.champion(model)
    if local is None:
        fail(f"no champion for {model}: train one with `nivesh-ml train {model} --promote`")
    return local.directory
