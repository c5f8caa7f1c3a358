"""``nivesh-ml advisor``: interactive chat, tuning-set export and the retrieval index."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import typer

from nivesh_ml.commands.common import cli_settings, fail, print_json

advisor_app = typer.Typer(help="The LLM financial advisor.", no_args_is_help=True)


@advisor_app.command("chat")
def chat(user_id: Annotated[str, typer.Option("--user-id", help="whose transactions give personal context")]
         = "cli-user",
         session_id: Annotated[str | None, typer.Option("--session-id", help="continue a conversation")] = None,
         ) -> None:
    """Chat on stdin: one message per line; replies print with their sources (Ctrl-D or 'exit' ends)."""
    from nivesh_ml.advisor.service import Advisor, advise
    from nivesh_ml.errors import NiveshError
    from nivesh_ml.features.factory import create_store
    from nivesh_ml.pipelines.wiring import transaction_repository

    settings = cli_settings()
    try:
        advisor = Advisor(settings)
        transactions = transaction_repository(settings, create_store(settings))
    except NiveshError as exc:
        fail(exc.message)
        return
    if sys.stdin.isatty():
        typer.echo("Nivesh advisor — ask about saving, investing, loans, insurance or tax. 'exit' to quit.")
    for line in _lines():
        message = line.strip()
        if message.lower() in {"exit", "quit"}:
            break
        if not message:
            continue
        try:
            result = advise(advisor, user_id, message, session_id, transactions=transactions)
        except NiveshError as exc:
            typer.echo(f"error: {exc.message}", err=True)
            continue
        session_id = result["session_id"]
        typer.echo(f"\nnivesh ({result['provider']})> {result['reply']}")
        for source in result["sources"]:
            typer.echo(f"  source: {source['title']}")
        typer.echo("")


def _lines() -> Iterator[str]:
    """Lines typed at a ``you>`` prompt (a terminal) or piped in, until end of input."""
    if not sys.stdin.isatty():
        yield from sys.stdin
        return
    while True:
        try:
            yield input("you> ")
        except (EOFError, KeyboardInterrupt):
            return


@advisor_app.command("export-tuning")
def export_tuning_cmd(out: Annotated[Path, typer.Option("--out", help="output JSONL")],
                      source: Annotated[Path | None, typer.Option("--source", help="Q/A JSONL (default bundled)")]
                      = None) -> None:
    """Write the Gemini supervised-tuning data set (JSONL) from the curated Q/A pairs."""
    from nivesh_ml.advisor.tuning import export_tuning
    from nivesh_ml.errors import NiveshError

    try:
        print_json(export_tuning(out, source))
    except NiveshError as exc:
        fail(exc.message)


@advisor_app.command("build-index")
def build_index_cmd() -> None:
    """Export the MiniLM encoder to ONNX (once) and embed the knowledge base."""
    from nivesh_ml.advisor.retrieval import build_index
    from nivesh_ml.errors import NiveshError

    try:
        print_json(build_index(cli_settings()))
    except NiveshError as exc:
        fail(exc.message)


def register(app: typer.Typer) -> None:
    """Add the ``advisor`` command group."""
    app.add_typer(advisor_app, name="advisor")
