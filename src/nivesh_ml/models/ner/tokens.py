"""The tokenizer the NER pipeline and the span checker share: spaCy English, tuned for bank text."""

from __future__ import annotations

import re

import spacy
from spacy.language import Language
from spacy.tokenizer import Tokenizer
from spacy.util import compile_infix_regex, compile_prefix_regex

# Month abbreviations with a full stop ("Sep.") are special cases in spaCy's English tokenizer; in bank SMS the
# full stop ends the sentence ("on 07-Sep. Bal ...") and is never part of a DATE span.
_MONTH_ABBREVIATIONS = re.compile(r"^(jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec)\.$", re.IGNORECASE)

# "Rs.500", "Rs500", "INR2000": the currency word is a prefix of the amount.
_EXTRA_PREFIXES = (r"(?:[Rr][Ss]\.?|INR|inr)(?=[0-9])",)

# Narrations glue fields with "/", "*", "-" and ":" ("UPI/DR/4123/SWIGGY", "NEFT*HDFC*N123*GOOGLE",
# "ATW-416021XXXXXX7788", "Pd:01-04-2024"): split them where a letter meets a digit or "*" joins fields.
_EXTRA_INFIXES = (
    r"(?<=[A-Za-z0-9])\*(?=[A-Za-z])",
    r"(?<=[A-Za-z])[/*:\-](?=[0-9])",
    r"(?<=[0-9]):(?=[0-9])",
)

CURRENCY_TOKENS = ("Rs.", "rs.", "RS.", "Rs", "rs", "RS", "INR", "inr", "₹", "$", "USD", "EUR", "GBP", "AED")


def make_blank_nlp() -> Language:
    """A blank English pipeline whose tokenizer splits bank narrations on their field separators."""
    nlp = spacy.blank("en")
    tokenizer = nlp.tokenizer
    assert isinstance(tokenizer, Tokenizer)
    rules = {k: v for k, v in (tokenizer.rules or {}).items() if not _MONTH_ABBREVIATIONS.match(k)}
    for word in ("Rs.", "rs.", "RS."):
        rules[word] = [{"ORTH": word}]
    tokenizer.rules = rules
    prefixes = list(_EXTRA_PREFIXES) + list(nlp.Defaults.prefixes or [])
    tokenizer.prefix_search = compile_prefix_regex(prefixes).search
    infixes = list(nlp.Defaults.infixes or []) + list(_EXTRA_INFIXES)
    tokenizer.infix_finditer = compile_infix_regex(infixes).finditer
    return nlp
