"""The MONEY/DATE grammar layer (DESIGN.md §7–§8, docs/training.md "Span conventions").

The grammar proposes MONEY spans (through ``nivesh_ml.text.money``, the one money grammar: currency before or
after the number, scale words, spelled-out amounts, bare amounts after a payment verb or before a banking noun)
and DATE spans (whole temporal expressions: "5 days ago", "in 10 days", "14 days from now", "by the end of this
year", "next week Monday", "March the 3rd 2021"; never clock times). After the statistical model it decides the
final MONEY and DATE entities: a model MONEY/DATE span survives only when the grammar accepts it (no leading
preposition, MONEY made only of number/currency/scale words, no duration or clock time as MONEY, a DATE that
resolves to a date); where spans overlap the longer one wins, the grammar's on a tie. The model keeps CATEGORY,
MERCHANT and ACCOUNT except where they overlap a grammar span.

Every pattern is linear: single literal spaces, bounded digit runs, alternations of fixed words.
"""

from __future__ import annotations

import re
from datetime import date

from spacy.language import Language
from spacy.tokens import Doc, Span
from spacy.util import filter_spans

from nivesh_ml.text import money

GRAMMAR_COMPONENT = "nivesh_grammar"
GRAMMAR_LABELS = ("MONEY", "DATE")

_MONTH = (r"(?:january|february|march|april|may|june|july|august|september|october|november|december|"
          r"jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec)")
_MONTH_ALONE = (r"(?:january|february|march|april|june|july|august|september|october|november|december|"
                r"jan|feb|apr|jun|jul|aug|sept|oct|nov|dec)")  # "may" and "mar" alone are usually not months
_WEEKDAY = r"(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)"
_DAYPART = r"(?: (?:morning|afternoon|evening|night))?"
_ORD = r"[0-9]{1,2}(?:st|nd|rd|th)"
_COUNT = (r"(?:[0-9]{1,3}|an?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|"
          r"thirty|a couple of|a couple|a few|couple of|couple|few|several)")
# After "last"/"next"/"past": a count without an article ("past couple of months", not "this a couple days").
_DIR_COUNT = (r"(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|"
              r"couple of|couple|few|several)")
_UNIT = r"(?:(?:working |business )?days?|weeks?|fortnights?|months?|years?|quarters?)"
_OFFSET = r"(?:ago|from now|from today|later|back|earlier|previously|before now|before(?=[.,;:!?]|$))\b"
_DIRECTION = r"(?:last|this|next|every|each|per|past|previous|coming|upcoming|current)"
_PERIOD = (rf"(?:{_UNIT}|weekend|{_WEEKDAY}|{_MONTH_ALONE}|summer|winter|spring|autumn|holidays?|billing cycle|"
           r"financial year|tax year|fy)")

DATE_SOURCES: tuple[str, ...] = (
    # offsets and periods: "5 days ago", "in 10 days", "14 days from now", "within 5 working days", "a week"
    # ("in"/"within" never joins an "ago"/"from now" expression: "came in {3 days ago}")
    rf"\b(?:{_COUNT} {_UNIT} {_OFFSET}|"
    rf"(?:(?:in|within) )?{_COUNT} {_UNIT}(?: time)?(?! {_OFFSET}|[- ]old\b| of age\b))\b",
    # day words: "yesterday", "tomorrow morning", "the day before yesterday", "this afternoon", "recently"
    r"\b(?:the day (?:before yesterday|after tomorrow)|yesterday|today|tomorrow|tonight|last night|"
    r"this (?:morning|afternoon|evening))(?: (?:morning|afternoon|evening|night))?\b|\b(?:recently|lately)\b",
    # "last month", "next 6 months", "per day", "every weekend", "last summer", "next Friday night"
    rf"\b{_DIRECTION}(?: [0-9]{{1,3}}| {_DIR_COUNT})? {_PERIOD}{_DAYPART}\b",
    # "next week Monday", "Monday next week"
    rf"\b(?:last|this|next) week {_WEEKDAY}\b|\b{_WEEKDAY} (?:last|this|next) week\b",
    # "by the end of this year", "the end of the month", "the start of next month", "end of March", "month end"
    rf"\b(?:by )?(?:the )?(?:end|start|beginning|middle|rest) of (?:the |this |next |last )?"
    rf"(?:week|month|(?:tax |financial )?year|quarter|day|{_MONTH})\b|\b(?:month|year|quarter)[- ]end\b",
    # "Friday", "Tuesday the 4th", "Saturday night"
    rf"\b{_WEEKDAY}(?: the {_ORD})?{_DAYPART}\b",
    # "March the 3rd 2021", "June 15th", "3rd of May", "12 Feb 2024", "January 2022", "December"
    rf"\b{_MONTH}\.?(?: the)? [0-9]{{1,2}}(?:st|nd|rd|th)?(?:,? [0-9]{{4}})?\b",
    rf"\b[0-9]{{1,2}}(?:st|nd|rd|th)?(?: of)?[ -]{_MONTH}\.?(?:,?[ -][0-9]{{4}})?\b",
    rf"\b{_MONTH_ALONE}(?:,? [0-9]{{4}})?\b|\b(?:may|mar) [0-9]{{4}}\b",
    # "the 28th", "on 20th", "1st of every month"
    rf"(?:(?<=the )|(?<=on )|(?<=by )){_ORD}(?: of (?:every|each|the|next|this|last) month)?\b|"
    rf"\b{_ORD} of (?:every|each|the|next|this|last) month\b",
    # numeric dates and years after a preposition: "15/06/2023", "2024-08-20", "01-Sep-24", "in 2023"
    r"\b[0-9]{1,2}[-/][0-9]{1,2}[-/][0-9]{2,4}\b|\b[0-9]{4}-[0-9]{2}-[0-9]{2}\b|\b[0-9]{1,2}[A-Za-z]{3}[0-9]{2}\b",
    r"(?:(?<=in )|(?<=since )|(?<=by )|(?<=for )|(?<=of )|(?<=until )|(?<=till )|(?<=before )|(?<=after )|"
    r"(?<=during ))(?:19|20)[0-9]{2}\b",
    # Hinglish: "kal", "parso", "pichle mahine", "agle 3 mahine", "har hafte", "5 saal", "5 tarikh"
    r"\b(?:kal|parso|parson|aaj)(?: (?:raat|subah|shaam))?\b|"
    r"\b(?:pichle|pichhle|agle|is|iss|har)(?: [0-9]{1,3})? (?:hafte|mahine|saal|din|week|month|year)\b|"
    r"\b[0-9]{1,2} (?:saal|din|mahine|hafte|tarikh|tareekh)\b",
    # frequency words: "monthly", "a weekly transfer", "daily limit" (recurrences are DATE)
    r"\b(?:daily|weekly|fortnightly|monthly|quarterly|yearly|annually|biweekly)\b",
    # ranges: "one or two weeks ago", "a week or two ago", "2-3 days ago"; no count: "weeks ago", "days back"
    rf"\b(?:{_COUNT}(?: or |-| to ){_COUNT} {_UNIT} {_OFFSET}|{_COUNT} {_UNIT} or (?:two|three|so) {_OFFSET}|"
    rf"(?:days|weeks|months|years) (?:ago|back)\b)",
    # "earlier today", "later this week", "earlier in the month"
    r"\b(?:earlier|later) (?:today|tonight|this (?:morning|afternoon|evening|week|month|year)|"
    r"in the (?:day|week|month|year))\b",
    # plural weekdays/weekends (a recurrence), the typo "yesterdays", "within the week"
    r"\b(?:weekends|weekdays|yesterdays)\b|\bwithin the (?:week|month|year)\b",
    # vague past: "the other day", "a while ago", "some time ago", "a long time ago", "not long ago"
    r"\bthe other (?:day|night|week)\b|\b(?:a (?:little |short |good )?while|some ?time|a long (?:time|while)|"
    r"not (?:so |too |that )?long) (?:ago|back)\b",
)
# Ends a DATE span: a clock time is never part of one ("tomorrow at half past six" → DATE "tomorrow").
_CLOCK = re.compile(r"[0-9][:.][0-9]{2}\b|\b[0-9]{1,2} ?(?:am|pm|a\.m|p\.m)\b|\bhalf past\b|\bquarter (?:past|to)\b|"
                    r"\bo'?clock\b|\bnoon\b|\bmidnight\b", re.IGNORECASE)
_AGE_BEFORE = frozenset({"be", "aged", "age", "under", "least", "turn", "turned", "turning"})
_AGE_AFTER = re.compile(r"[- ]old\b| of age\b", re.IGNORECASE)
_CLOCK_AFTER = re.compile(r" ?(?:[:.][0-9]{2}\b|(?:am|pm|a\.m|p\.m|o'?clock|hrs)\b)", re.IGNORECASE)
# A DATE span neither starts nor ends on these (the conventions leave "on", "at", "the"... outside the span).
_LEADING_WORDS = frozenset({"on", "at", "for", "to", "from", "of", "with", "about", "around", "after", "before",
                            "by", "till", "until", "during", "as", "the", "a", "an", "and", "or", "my", "your",
                            "over", "under", "into", "than", "is", "was", "in", "within"})
# Tokens a MONEY span may be made of (besides numbers): currency and scale words, spelled-out numbers.
_MONEY_WORDS = frozenset({*money.CURRENCIES, *money.SCALES, *money.WORD_NUMBERS, "and", "/-", "-", ".", ","})
_MONEY_TOKEN = re.compile(r"(?:[₹$€£¥]|rs\.?|inr|us\$)?[0-9][0-9,.]{0,24}(?:k|l|cr|lpa|mn|m|bn|p|/-|[₹$€£¥])?",
                          re.IGNORECASE)
_AFTER_NUMBER = re.compile(r" ?(?:[:.][0-9]|(?:am|pm|a\.m|p\.m|o'?clock|hrs?|hours?|minutes?|mins?|"
                           r"(?:working |business )?days?|weeks?|months?|years?|%|percent)\b)", re.IGNORECASE)
# "may" and "mar" alone are a month only after a word that introduces one ("in May", "since mar", "last may"):
# "someone may have cloned my card" is a verb.
_WORD_MONTHS = frozenset({"may", "mar"})
_MONTH_CUES = frozenset({"in", "since", "until", "till", "of", "last", "next", "this", "early", "late", "mid",
                         "during", "from", "by", "before", "after", "through", "end", "start", "beginning"})
_REFERENCE = date(2025, 1, 15)  # any fixed day: acceptance only asks whether a DATE resolves at all


DATE_PATTERNS: tuple[re.Pattern[str], ...] = tuple(re.compile(source, re.IGNORECASE) for source in DATE_SOURCES)
# Patterns that cannot match without a digit (skipped on texts that hold none: most chat questions).
_NEEDS_DIGIT = frozenset({6, 7, 9, 10, 11})
_NUMERIC_DATE = 10  # "15/06/2023": proposed only when it is a calendar date (a sort code "20-45-67" is not)
_DIGIT = re.compile(r"[0-9]")
_DAY_MONTH = re.compile(r"([0-9]{1,2})[-/]([0-9]{1,2})[-/][0-9]{2,4}")


def _calendar_numeric(text: str) -> bool:
    m = _DAY_MONTH.fullmatch(text)
    if m is None:  # ISO "2024-08-20" and "12Aug24" forms: left to the pattern
        return True
    a, b = int(m.group(1)), int(m.group(2))
    return 1 <= a <= 31 and 1 <= b <= 31 and min(a, b) <= 12


def money_char_spans(text: str) -> list[tuple[int, int]]:
    """Character spans the money grammar marks as MONEY."""
    found = money.find_word_money(text)
    if _DIGIT.search(text):
        found += [*money.find_money(text), *money.find_context_amounts(text)]
    return [m.span for m in found]


def date_char_spans(text: str) -> list[tuple[int, int]]:
    """Character spans the date grammar marks as DATE ("since" joins the expression it precedes)."""
    spans = []
    has_digit = _DIGIT.search(text) is not None
    for index, pattern in enumerate(DATE_PATTERNS):
        if index in _NEEDS_DIGIT and not has_digit:
            continue
        for m in pattern.finditer(text):
            if index == _NUMERIC_DATE and not _calendar_numeric(m.group(0)):
                continue
            start = m.start()
            if text[max(0, start - 6):start].lower() == "since ":
                start -= 6
            spans.append((start, m.end()))
    return spans


def _char_span(doc: Doc, start: int, end: int, label: str) -> Span | None:
    return doc.char_span(start, end, label=label) or doc.char_span(start, end, label=label, alignment_mode="contract")


def grammar_spans(doc: Doc) -> list[Span]:
    """MONEY and DATE spans the grammar proposes, on token boundaries, not overlapping (longest first)."""
    text = doc.text
    spans = [s for s in (_char_span(doc, a, b, "MONEY") for a, b in money_char_spans(text))
             if s is not None and _has_amount(s)]  # a match cut to token boundaries may have lost its number
    spans += [s for s in (_char_span(doc, a, b, "DATE") for a, b in date_char_spans(text)) if s is not None]
    return filter_spans(spans)


def _has_amount(span: Span) -> bool:
    """Whether a span holds a number: a digit or a number word ("five hundred")."""
    return any(_DIGIT.search(t.text) or t.lower_ in money.WORD_NUMBERS for t in span)


def accepts_money(span: Span) -> bool:
    """A MONEY span made only of one number plus currency/scale/number words, not a duration or clock time."""
    numbers, has_amount = 0, False
    for token in span:
        word = token.lower_
        if _MONEY_TOKEN.fullmatch(word):
            numbers += 1
            has_amount = True
        elif word in money.WORD_NUMBERS:
            has_amount = True
        elif word not in _MONEY_WORDS:
            return False
    if numbers > 1 or not has_amount or span[0].lower_ in ("a", "an", "and"):
        return False
    if len(span) == 1 and span[0].text.isdigit() and len(span[0].text) <= 4:  # a bare number the model marked
        value = int(span[0].text)
        before = span.doc[span.start - 1].lower_ if span.start else ""
        if 1900 <= value <= 2100 or (before in _AGE_BEFORE and value < 120):
            return False  # a year ("It's 2018"), an age ("to be 18", "under 18")
    return not _AFTER_NUMBER.match(span.doc.text, span.end_char)


def accepts_date(span: Span) -> bool:
    """A DATE span that starts and ends on a content word, is no clock time and resolves to a date."""
    from nivesh_ml.models.ner.dates import resolve_date

    text = span.text
    if span[0].lower_ in _LEADING_WORDS or span[-1].lower_ in _LEADING_WORDS or _CLOCK.search(text):
        return False
    if _CLOCK_AFTER.match(span.doc.text, span.end_char):  # "3" of "3 am", "10" of "10:30"
        return False
    if _AGE_AFTER.match(span.doc.text, span.end_char):  # "18 years" of "18 years old": an age
        return False
    if len(span) == 1 and span[0].lower_ in _WORD_MONTHS and (span.start == 0 or
                                                             span.doc[span.start - 1].lower_ not in _MONTH_CUES):
        return False
    return resolve_date(text, _REFERENCE) is not None


class GrammarLayer:
    """Final MONEY/DATE entities: grammar spans plus the model's MONEY/DATE spans the grammar accepts."""

    def __call__(self, doc: Doc) -> Doc:
        proposed = grammar_spans(doc)
        model = [e for e in doc.ents if e.label_ in GRAMMAR_LABELS]
        others = [e for e in doc.ents if e.label_ not in GRAMMAR_LABELS]
        proposed_keys = {(s.start, s.end, s.label_) for s in proposed}
        accepted = [e for e in model if (e.start, e.end, e.label_) in proposed_keys
                    or (accepts_money(e) if e.label_ == "MONEY" else accepts_date(e))]
        candidates = filter_spans([*proposed, *accepted])  # longest wins; the grammar's on a tie (listed first)
        # The grammar's spans also beat other labels they overlap; accepted model spans give way to those.
        grammar_tokens = {i for span in proposed for i in range(span.start, span.end)}
        others = [s for s in others if not grammar_tokens.intersection(range(s.start, s.end))]
        taken = {i for span in others for i in range(span.start, span.end)}
        kept = [s for s in candidates if not taken.intersection(range(s.start, s.end))]
        doc.ents = sorted([*others, *kept], key=lambda s: s.start)
        return doc


@Language.factory(GRAMMAR_COMPONENT)
def make_grammar(nlp: Language, name: str) -> GrammarLayer:
    """The MONEY/DATE grammar layer (runs last)."""
    return GrammarLayer()
