"""POST /predict/ner: entities (MONEY, DATE, CATEGORY, MERCHANT, ACCOUNT) with normalised values."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter
from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from nivesh_ml.models.ner.predictor import MAX_TEXT_CHARS, check_text, parse_reference_date
from nivesh_ml.serving.auth import ApiKeyDep
from nivesh_ml.serving.deps import ServicesDep

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


class NerRequest(BaseModel):
    """One text; relative dates resolve against ``reference_date`` (today when omitted)."""

    model_config = ConfigDict(extra="forbid")

    text: Annotated[str, Field(min_length=1, max_length=MAX_TEXT_CHARS), AfterValidator(_text)]
    reference_date: Annotated[date, Field(strict=False), AfterValidator(_reference)] | None = None


@router.post("/predict/ner")
def predict_ner(request: NerRequest, services: ServicesDep) -> dict[str, Any]:
    """Financial entities in ``text`` with values: MONEY {amount, currency}, DATE {start, end}, ..."""
    model = services.models.get("ner")
    reference = (request.reference_date or date.today()).isoformat()
    item = {"text": request.text, "reference_date": reference}
    result = services.cached_predict("ner", model, item, lambda: model.predictor.predict_one(item))
    response = {"entities": result["entities"], "reference_date": reference, "model_version": model.version}
    # Log labels only: SMS text can carry (masked) account numbers and names.
    services.record(model, {"chars": len(request.text)}, {"labels": [e["label"] for e in result["entities"]]})
    return response
