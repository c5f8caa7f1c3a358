"""Rules that beat a small model on their forms: currency amounts, masked card numbers, known names.

One compiled regular expression per label runs over the text (much faster than token patterns with
``REGEX`` predicates); matches become entities only where they fall on token boundaries.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from spacy.language import Language
from spacy.tokens import Doc, Span
from spacy.util import filter_spans

from nivesh_ml.text.money import MONEY_SOURCE

RULES_COMPONENT = "nivesh_rules"
DEFAULT_KINDS = ("money", "card")
ALL_KINDS = ("money", "card", "merchant", "category", "date", "account")

_CARD = r"(?<![\w])[0-9]{4,6}[Xx*]{4,20}+[0-9]{4}(?![\w])"
_MONTHS = (r"(?:january|february|march|april|may|june|july|august|september|october|november|december|"
           r"jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec)")
_DATE = (r"\b\d{1,2}[-/]\d{1,2}[-/]\d{2,4}\b|\b\d{4}-\d{2}-\d{2}\b|\b\d{1,2}[A-Za-z]{3}\d{2}\b|"
         rf"\b\d{{1,2}}-{_MONTHS}(?:-\d{{2,4}})?\b|\b(?:\d{{1,2}}(?:st|nd|rd|th)? )?{_MONTHS}(?: \d{{4}})?\b|"
         r"\b(?:yesterday|today|tomorrow|kal|parso|aaj|monthly|annually|weekly)\b|"
         r"\b(?:last|this|next|every|per|pichle|is|agle|har|since|past)(?: [0-9]{1,4})? "
         rf"(?:week|month|year|quarter|weekend|mahine|saal|hafte|months|years|days|weeks|{_MONTHS})\b")
_ACCOUNT = r"\b(?:a/c|acct|ac)(?: no\.?)? [Xx*.]{1,20}+[0-9]{3,4}\b"


def _alternation(phrases: Iterable[str]) -> str:
    unique = sorted({p for p in phrases if p.strip()}, key=len, reverse=True)
    # The lookahead lets the regex engine skip, cheaply, every position where no phrase can start.
    return r"(?<![\w@.])(?=\w)(?:" + "|".join(re.escape(p).replace(r"\ ", r"\s+") for p in unique) + r")(?![\w@])"


@lru_cache(maxsize=16)
def compiled_rules(kinds: tuple[str, ...]) -> tuple[tuple[str, re.Pattern[str]], ...]:
    """``(label, pattern)`` for each rule kind, compiled once."""
    from nivesh_ml.models.ner.merchants import MERCHANTS
    from nivesh_ml.models.ner.normalise import CATEGORIES

    sources = {"money": ("MONEY", MONEY_SOURCE, re.I), "card": ("ACCOUNT", _CARD, 0), "date": ("DATE", _DATE, re.I),
               "account": ("ACCOUNT", _ACCOUNT, re.I),
               "merchant": ("MERCHANT", _alternation(a for n, _, al in MERCHANTS for a in (n, *al)), re.I),
               "category": ("CATEGORY", _alternation(a for al in CATEGORIES.values() for a in al), re.I)}
    unknown = set(kinds) - set(sources)
    if unknown:
        raise ValueError(f"unknown rule kinds {sorted(unknown)}; expected some of {ALL_KINDS}")
    return tuple((sources[k][0], re.compile(sources[k][1], sources[k][2])) for k in kinds)


def rule_spans(doc: Doc, kinds: tuple[str, ...]) -> list[Span]:
    """Non-overlapping rule matches that start and end on token boundaries (longest first)."""
    spans = []
    text = doc.text  # spaCy joins the tokens' text on every access: once, not once per rule
    for label, pattern in compiled_rules(kinds):
        for match in pattern.finditer(text):
            span = doc.char_span(match.start(), match.end(), label=label)
            if span is not None:
                spans.append(span)
    return filter_spans(spans)


class RegexRules:
    """Adds rule entities to a doc; existing entities win unless ``overwrite``."""

    def __init__(self, kinds: tuple[str, ...], overwrite: bool) -> None:
        compiled_rules(kinds)  # fail fast on an unknown kind
        self.kinds = kinds
        self.overwrite = overwrite

    def __call__(self, doc: Doc) -> Doc:
        found = rule_spans(doc, self.kinds)
        if not found:
            return doc
        existing = list(doc.ents)
        keep, add = (found, existing) if self.overwrite else (existing, found)
        taken = {i for span in keep for i in range(span.start, span.end)}
        extra = [s for s in add if not taken.intersection(range(s.start, s.end))]
        doc.ents = sorted([*keep, *extra], key=lambda s: s.start)
        return doc


@Language.factory(RULES_COMPONENT, default_config={"kinds": list(DEFAULT_KINDS), "overwrite": False})
def make_rules(nlp: Language, name: str, kinds: list[str], overwrite: bool) -> RegexRules:
    """The rule component (config: which rule kinds, whether rules overwrite model entities)."""
    return RegexRules(tuple(kinds), overwrite)
