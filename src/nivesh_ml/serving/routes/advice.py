"""POST /predict/advice: one advisor chat turn → reply, session_id, sources, safety flags, provider."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter
from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from nivesh_ml.advisor.service import MAX_MESSAGE_CHARS, advise
from nivesh_ml.data.schemas import NON_BLANK
from nivesh_ml.serving.auth import ApiKeyDep
from nivesh_ml.serving.deps import ServicesDep
from nivesh_ml.serving.limits import AdviceRateDep
from nivesh_ml.serving.schemas import AdviceResult

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


@router.post("/predict/advice", dependencies=[AdviceRateDep], response_model=AdviceResult,
             response_model_exclude_unset=True)
def predict_advice(body: AdviceBody, services: ServicesDep) -> AdviceResult:
    """Answer a personal-finance question, grounded in the knowledge base, with sources and safety flags."""
    return AdviceResult(**advise(services.advisor, body.user_id, body.message, body.session_id,
                                 transactions=services.transactions, model_lookup=services.model_lookup,
                                 metrics=services.metrics))
