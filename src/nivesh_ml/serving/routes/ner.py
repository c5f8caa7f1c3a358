"""POST /predict/ner: entities (MONEY, DATE, CATEGORY, MERCHANT, ACCOUNT) with normalised values."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated

from fastapi import APIRouter
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema

from nivesh_ml.data.schemas import NON_BLANK
from nivesh_ml.models.ner.predictor import MAX_TEXT_CHARS, NerPredictor, check_text, parse_reference_date
from nivesh_ml.serving.auth import ApiKeyDep
from nivesh_ml.serving.deps import ServicesDep
from nivesh_ml.serving.schemas import NerResult

router = APIRouter(tags=["ner"], dependencies=[ApiKeyDep])


def _text(value: str) -> str:
    try:
        return check_text(value)
    except Exception as exc:  # InvalidInput → a pydantic validation error (422 with the field's location)
        raise ValueError(getattr(exc, "message", str(exc))) from exc


def _reference(value: date) -> date:
    try:
        return parse_reference_date(value)
    except Exception as exc:
        raise ValueError(getattr(exc, "message", str(exc))) from exc


# What check_text and parse_reference_date accept, as the OpenAPI states it.
_NO_CONTROL = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]*$"
_REFERENCE_DATE = r"^(19[0-9][0-9]|2[01][0-9][0-9]|2200)-[0-9][0-9]-[0-9][0-9]$"
_REFERENCE_DATE_RE = re.compile(_REFERENCE_DATE)


def _date_string(value: object) -> object:
    if not isinstance(value, str) or not _REFERENCE_DATE_RE.match(value):
        raise ValueError("reference_date must be a YYYY-MM-DD string with a year in 1900..2200")
    return value


class NerRequest(BaseModel):
    """One text; relative dates resolve against ``reference_date`` (today when omitted)."""

    model_config = ConfigDict(extra="forbid")

    text: Annotated[str, Field(min_length=1, max_length=MAX_TEXT_CHARS), AfterValidator(_text), WithJsonSchema({
        "type": "string", "minLength": 1, "maxLength": MAX_TEXT_CHARS,
        "allOf": [{"pattern": NON_BLANK}, {"pattern": _NO_CONTROL}],
        "description": "text to analyse: not blank, no control characters other than tab and line breaks"})]
    reference_date: Annotated[date, BeforeValidator(_date_string), AfterValidator(_reference), WithJsonSchema({
        "type": "string", "format": "date", "pattern": _REFERENCE_DATE})] | None = None


@router.post("/predict/ner", response_model=NerResult)
def predict_ner(request: NerRequest, services: ServicesDep) -> NerResult:
    """Financial entities in ``text`` with values: MONEY {amount, currency}, DATE {start, end}, ..."""
    model = services.models.get("ner", NerPredictor)
    reference = (request.reference_date or date.today()).isoformat()
    item = {"text": request.text, "reference_date": reference}
    result = services.cached_predict("ner", model, item, lambda: model.predictor.predict_one(item))
    response = NerResult(entities=result["entities"], reference_date=reference, model_version=model.version)
    # Log labels only: SMS text can carry (masked) account numbers and names.
    services.record(model, {"chars": len(request.text)}, {"labels": [e.label for e in response.entities]})
    return response
