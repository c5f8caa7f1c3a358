"""``nivesh-ml parse-narration``: a bank narration or SMS → merchant, channel, amount, direction, category."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import typer

from nivesh_ml.commands.common import cli_settings, fail, print_json, resolve_model_dir


def parse_narration_command(
        text: Annotated[str, typer.Argument(help="a narration such as UPI/DR/4123.../SWIGGY/YESB/... or a bank SMS")],
        reference_date: Annotated[str | None, typer.Option("--reference-date",
                                                           help="YYYY-MM-DD for relative dates (default today)")]
        = None,
        model_ref: Annotated[str | None, typer.Option("--model", help="also use an NER model: dir, version or "
                                                                      "'champion' (rules only when omitted)")]
        = None) -> None:
    """Parse one bank narration / SMS and print its fields as JSON."""
    from nivesh_ml.errors import NiveshError
    from nivesh_ml.models.ner import FAMILY
    from nivesh_ml.models.ner.narration import parse_narration
    from nivesh_ml.models.ner.predictor import check_text, parse_reference_date

    try:
        reference: date = parse_reference_date(reference_date)
        predictor = None
        if model_ref:
            predictor = FAMILY.load(resolve_model_dir(cli_settings(), "ner", model_ref))
        print_json(parse_narration(check_text(text), reference, predictor).as_dict())
    except NiveshError as exc:
        fail(exc.message)


def register(app: typer.Typer) -> None:
    """Add ``parse-narration``."""
    app.command("parse-narration")(parse_narration_command)
