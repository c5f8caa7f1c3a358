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


# Words that name no particular payee or account: a MERCHANT, ACCOUNT or CATEGORY made only of these (and stop
# words) is a fragment of the model's, never a name ("charged {extra}", "{This} is a basic transfer", "the
# {right account}", "{the account}").
_GENERIC_WORDS = frozenset({"extra", "additional", "right", "wrong", "other", "same", "new", "old", "different",
                            "main", "account", "accounts", "card", "cards", "a/c", "acct", "ac"})


def _is_fragment(span: Span) -> bool:
    return span.label_ in ("MERCHANT", "ACCOUNT", "CATEGORY") and all(
        t.is_stop or t.is_punct or t.lower_ in _GENERIC_WORDS for t in span)


@Language.component(TRIM_COMPONENT)
def trim_entities(doc: Doc) -> Doc:
    """Spans never start or end on punctuation (annotation guidelines); punctuation-only spans are dropped, and
    so are MERCHANT/ACCOUNT/CATEGORY spans made only of stop words and generic words ("extra", "the account")."""
    spans = [s for s in (_trimmed(ent) for ent in doc.ents) if s is not None and not _is_fragment(s)]
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


MERCHANT_GAZETTEER_COMPONENT = "nivesh_merchant_gazetteer"
# Aliases of the merchant table that are everyday words or too short to be a merchant on their own in free text:
# they stay model hints (TAG) but the gazetteer does not propose them.
_AMBIGUOUS_ALIASES = frozenset({"metro", "shell", "subway", "apple", "audible", "kindle", "youtube", "vi", "mmt",
                                "psn", "ccd", "igl", "mgl", "cred", "apollo", "prime video", "vodafone", "inox"})
# Words that follow a merchant's name without being part of it in the annotated data (`{Uber} trip`,
# `{Jio} recharge`, `{Airtel} postpaid`, `{AMAZON} IN MUMBAI`): an alias that is a shorter name or alias of the
# same merchant plus only such words is not proposed (the shorter one is); canonical names always are.
_TRAILING_WORDS = frozenset({"trip", "trips", "rides", "ride", "prepaid", "postpaid", "recharge", "plan", "in", "com",
                             "food", "order", "bill"})


def _proposed_aliases() -> list[str]:
    """The merchant-table names and aliases the gazetteer proposes (lower case)."""
    from nivesh_ml.models.ner.merchants import MERCHANTS

    keep: set[str] = set()
    for name, _, more in MERCHANTS:
        forms = {a.lower() for a in (name, *more)}
        for form in forms:
            words = form.split()
            cut = form != name.lower() and any(
                " ".join(words[:i]) in forms and set(words[i:]) <= _TRAILING_WORDS for i in range(1, len(words)))
            if len(form) >= 3 and form not in _AMBIGUOUS_ALIASES and not cut:
                keep.add(form)
    return sorted(keep)


class MerchantGazetteer:
    """Proposes MERCHANT spans for names in the merchant table (``merchants.MERCHANTS``, case-insensitive).

    Runs after the statistical model: a table name becomes a MERCHANT where the model left its tokens outside
    every entity, or where the model's MERCHANT spans there are fragments of it ("ENTERTAINMENT" inside
    "BIGTREE ENTERTAINMENT"). Every other entity the model found is kept: the table never contradicts a MONEY,
    DATE, ACCOUNT or CATEGORY span, nor a MERCHANT span that reaches beyond the name. One ``PhraseMatcher`` pass
    on the lower-cased tokens and a token → entity index: linear in the text.
    """

    def __init__(self, nlp: Language) -> None:
        from spacy.matcher import PhraseMatcher

        self.matcher = PhraseMatcher(nlp.vocab, attr="LOWER")
        self.matcher.add("MERCHANT", [nlp.make_doc(a) for a in _proposed_aliases()])

    def __call__(self, doc: Doc) -> Doc:
        from nivesh_ml.models.ner.merchants import lookup_merchant

        matches = self.matcher(doc, as_spans=True)
        if not matches:
            return doc
        ents = list(doc.ents)
        owner: list[int | None] = [None] * len(doc)  # token → index in ``ents`` (one pass: linear in the text)
        for index, ent in enumerate(ents):
            owner[ent.start:ent.end] = [index] * (ent.end - ent.start)
        dropped: set[int] = set()
        for span in filter_spans(matches):  # non-overlapping table names, longest first
            inside = {owner[i] for i in range(span.start, span.end)} - {None}
            found = [ents[i] for i in inside if i is not None]
            if any(e.label_ != "MERCHANT" or e.start < span.start or e.end > span.end for e in found):
                continue  # another label, or a MERCHANT reaching beyond the name: the model's span stays
            if any(lookup_merchant(e.text) is not None for e in found):
                continue  # the model found a whole known name ("Jio" in "Jio Fiber"): not a fragment
            if len(found) == 1 and (found[0].start, found[0].end) == (span.start, span.end):
                continue
            dropped.update(i for i in inside if i is not None)
            ents.append(Span(doc, span.start, span.end, label="MERCHANT"))
        if len(ents) > len(doc.ents):
            doc.ents = sorted((e for i, e in enumerate(ents) if i not in dropped), key=lambda s: s.start)
        return doc


@Language.factory(MERCHANT_GAZETTEER_COMPONENT)
def make_merchant_gazetteer(nlp: Language, name: str) -> MerchantGazetteer:
    """The merchant-table gazetteer (no config: the table is ``merchants.MERCHANTS``)."""
    return MerchantGazetteer(nlp)
