"""POST /predict/advice: one advisor chat turn → reply, session_id, sources, safety flags, provider."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter
from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from nivesh_ml.advisor.service import MAX_MESSAGE_CHARS, advise, get_advisor
from nivesh_ml.data.schemas import NON_BLANK
from nivesh_ml.errors import NiveshError
from nivesh_ml.serving.auth import ApiKeyDep
from nivesh_ml.serving.deps import Services, ServicesDep
from nivesh_ml.serving.limits import AdviceRateDep

router = APIRouter(tags=["advice"], dependencies=[ApiKeyDep])


def _not_blank(text: str) -> str:
    if not text.strip():
        raise ValueError("message must contain non-whitespace text")
    return text


class AdviceBody(BaseModel):
    """A user's chat message; omit ``session_id`` to start a new conversation."""

    model_config = ConfigDict(extra="forbid")
    user_id: str = Field(min_length=1, max_length=128)
    message: Annotated[str, Field(min_length=1, max_length=MAX_MESSAGE_CHARS, pattern=NON_BLANK),
                       AfterValidator(_not_blank)]
    session_id: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_-]{1,64}$")


def _predictor_lookup(services: Services) -> Any:
    def lookup(name: str) -> Any | None:
        try:
            return services.models.get(name).predictor
        except NiveshError:
            return None

    return lookup


@router.post("/predict/advice", dependencies=[AdviceRateDep])
def predict_advice(body: AdviceBody, services: ServicesDep) -> dict[str, Any]:
    """Answer a personal-finance question, grounded in the knowledge base, with sources and safety flags."""
    return advise(get_advisor(services.settings), body.user_id, body.message, body.session_id,
                  transactions=services.transactions, model_lookup=_predictor_lookup(services),
                  metrics=services.metrics)
