"""Custom pipeline components (registered on import, so ``spacy.load`` finds them)."""

from __future__ import annotations

from spacy.language import Language
from spacy.tokens import Doc, Span
from spacy.util import filter_spans

TRIM_COMPONENT = "nivesh_trim_entities"
_EDGE_PUNCT = set("*-/.,;:!?()[]'\"|")


def _trimmed(span: Span) -> Span | None:
    start, end = span.start, span.end
    while start < end and span.doc[start].text in _EDGE_PUNCT:
        start += 1
    while end > start and (span.doc[end - 1].text in _EDGE_PUNCT or span.doc[end - 1].is_space):
        end -= 1
    if start == end:
        return None
    return span if (start, end) == (span.start, span.end) else Span(span.doc, start, end, label=span.label)


@Language.component(TRIM_COMPONENT)
def trim_entities(doc: Doc) -> Doc:
    """Spans never start or end on punctuation (annotation guidelines); punctuation-only spans are dropped."""
    spans = [s for s in (_trimmed(ent) for ent in doc.ents) if s is not None]
    doc.ents = filter_spans(spans)
    return doc


GAZETTEER_COMPONENT = "nivesh_gazetteer_tags"


class GazetteerTags:
    """Marks tokens that rules recognise (``token.tag_ = "G_MERCHANT"`` ...) as a soft feature for the model.

    The pipeline has no tagger, so the ``TAG`` attribute is free to carry this hint into the embedding layer.
    """

    def __init__(self, kinds: tuple[str, ...]) -> None:
        self.kinds = kinds

    def __call__(self, doc: Doc) -> Doc:
        from nivesh_ml.models.ner.rules import rule_spans

        for span in rule_spans(doc, self.kinds):
            for token in span:
                token.tag_ = f"G_{span.label_}"
        return doc


@Language.factory(GAZETTEER_COMPONENT, default_config={"kinds": ["merchant", "category", "date", "account"]})
def make_gazetteer_tags(nlp: Language, name: str, kinds: list[str]) -> GazetteerTags:
    """The gazetteer-hint component (config: which rule kinds mark tokens)."""
    return GazetteerTags(tuple(kinds))
