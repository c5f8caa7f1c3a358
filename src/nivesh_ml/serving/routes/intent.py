"""POST /predict/intent: one query or a batch of queries (one ONNX call) → intent, confidence, top_k."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator
from pydantic.json_schema import SkipJsonSchema

from nivesh_ml.data.schemas import NON_BLANK
from nivesh_ml.models.intent.predictor import IntentPredictor
from nivesh_ml.serving.auth import ApiKeyDep
from nivesh_ml.serving.deps import ServicesDep
from nivesh_ml.serving.schemas import IntentBatchResult, IntentResult

router = APIRouter(tags=["intent"], dependencies=[ApiKeyDep])

MAX_QUERY_CHARS = 2_000
MAX_BATCH = 256


def _not_blank(text: str) -> str:
    if not text.strip():
        raise ValueError("query must contain non-whitespace text")
    return text


Query = Annotated[str, Field(min_length=1, max_length=MAX_QUERY_CHARS, pattern=NON_BLANK),
                  AfterValidator(_not_blank)]


class IntentRequest(BaseModel):
    """Exactly one of ``query`` or ``queries``."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={
        "oneOf": [{"required": ["query"]}, {"required": ["queries"]}]})
    query: Query | SkipJsonSchema[None] = None
    queries: Annotated[list[Query], Field(min_length=1, max_length=MAX_BATCH)] | SkipJsonSchema[None] = None

    @model_validator(mode="before")
    @classmethod
    def _no_nulls(cls, data: Any) -> Any:
        # The schema has no null: omit the field you do not send.
        if isinstance(data, dict):
            for name in ("query", "queries"):
                if name in data and data[name] is None:
                    raise ValueError(f"{name!r} must not be null; omit it instead")
        return data

    @model_validator(mode="after")
    def _one_of(self) -> IntentRequest:
        if (self.query is None) == (self.queries is None):
            raise ValueError("send exactly one of 'query' or 'queries'")
        return self


def normalise(text: str) -> str:
    """What the (uncased) tokenizer sees: case and runs of whitespace do not change the answer."""
    return " ".join(text.split()).lower()


@router.post("/predict/intent", response_model=IntentResult | IntentBatchResult)
def predict_intent(request: IntentRequest, services: ServicesDep) -> IntentResult | IntentBatchResult:
    """Classify a query (or a batch) into one of the model's intents, with calibrated confidence."""
    model = services.models.get("intent", IntentPredictor)
    response: IntentResult | IntentBatchResult
    if request.query is not None:
        text = normalise(request.query)
        output = services.cached_predict("intent", model, {"query": text},
                                         lambda: model.predictor.predict_one(text))
        outputs = [output]
        response = IntentResult(**output, model_version=model.version)
        inputs: dict[str, Any] = {"query": request.query}
    else:
        texts = [normalise(q) for q in request.queries or []]
        batch = services.cached_predict("intent_batch", model, {"queries": texts},
                                        lambda: {"outputs": model.predictor.predict(texts)})
        outputs = list(batch["outputs"])
        response = IntentBatchResult(intent=[o["intent"] for o in outputs],
                                     confidence=[o["confidence"] for o in outputs],
                                     top_k=[o["top_k"] for o in outputs], fallback=[o["fallback"] for o in outputs],
                                     model_version=model.version)
        inputs = {"queries": request.queries}
    for output in outputs:
        services.metrics.confidence.labels(model="intent").observe(float(output["confidence"]))
    services.record(model, inputs, response.model_dump(exclude={"top_k"}))
    return response
