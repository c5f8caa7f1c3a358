"""Template-generated NER training sentences in international banking phrasing (issue 16).

UK/US/EU/UAE and Indian-English questions, commands and complaints: amounts with the currency before or after
the number (``£45``, ``45 pounds``, ``12.40£``, ``AED 500``), scale words (``2 thousand dollars``, ``1.2
million``, ``3 grand``, ``2 lakh``), spelled-out amounts, bare amounts in payment context; relative and spoken
dates (``5 days ago``, ``in 10 days``, ``by the end of this year``, ``March the 3rd 2021``); clock times,
durations in hours, percentages and counts that are neither MONEY nor DATE. Spans follow docs/training.md
("NER span conventions") and the bundled NER_GUIDELINES.md. The templates were written for this module; none is
taken from an evaluation file (a unit test checks that no generated sentence equals one).

The sentences are written once to ``nivesh_ml/data/bundled/ner_international_train.jsonl``
(``python -m nivesh_ml.models.ner.synthetic [--out FILE] [--n 1700] [--seed 16]``); a unit test checks that
the bundled file is what this module generates.
"""

from __future__ import annotations

import argparse
import json
import random
import re
from collections.abc import Callable
from pathlib import Path

from nivesh_ml.models.ner.data import NerExample

DEFAULT_N = 1700
DEFAULT_SEED = 16
OUTPUT_FILE = "ner_international_train.jsonl"

Segment = tuple[str, str | None]  # text and its label (None: outside every entity)
Filler = Callable[[random.Random], list[Segment]]

# --- vocabularies -------------------------------------------------------------------------------------------------
MERCHANTS = ("Tesco", "Sainsbury's", "Asda", "Lidl", "Aldi", "Starbucks", "Costa", "Amazon", "Uber", "Netflix",
             "Spotify", "Apple", "Deliveroo", "Ryanair", "easyJet", "Walmart", "Target", "Costco", "Shell", "Zara",
             "eBay", "Airbnb", "Booking.com", "IKEA", "Primark", "Boots", "Argos", "Carrefour", "Etihad", "Noon",
             "Careem", "Swiggy", "Zomato", "Flipkart", "BigBasket", "Ola", "IRCTC", "Jio", "Airtel", "Myntra")
PEOPLE = ("my sister", "my brother", "my mum", "my dad", "my landlord", "John", "Sarah", "Priya", "Ahmed", "Lukas",
          "Maria", "my flatmate", "my son", "my daughter", "a friend", "my cleaner", "the builder", "Tom", "Fatima",
          "my wife", "my husband", "my partner", "Raj", "my mate")
PLACES = ("London", "Paris", "Berlin", "Dubai", "New York", "Madrid", "Lisbon", "Rome", "Amsterdam", "Toronto",
          "Manchester", "Mumbai", "Bangalore", "Sydney", "Dublin", "Barcelona")
# (category word as written, it is a CATEGORY span)
BILL_CATEGORIES = ("electricity", "gas", "water", "broadband", "internet", "mobile")
SPEND_CATEGORIES = ("groceries", "fuel", "travel", "shopping", "dining out", "entertainment", "rent",
                    "subscriptions", "healthcare", "education", "food delivery", "petrol", "medicines")
ACCOUNTS = ("savings account", "current account", "credit card", "debit card", "joint account", "ISA",
            "Barclays account", "Monzo card", "Revolut account", "HSBC current account", "Chase checking account",
            "HDFC savings account", "SBI account", "ICICI credit card", "credit card ending 4521",
            "card ending 7730", "Amex card", "Lloyds credit card", "Emirates NBD account", "salary account")

WORD_AMOUNTS = ("five", "ten", "twenty", "thirty", "forty", "fifty", "sixty", "seventy-five", "eighty", "ninety",
                "a hundred", "two hundred", "five hundred", "a thousand", "two thousand", "fifteen", "twelve")
COUNT_WORDS = ("two", "three", "four", "five", "six", "ten", "a couple of", "a few")
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")
SHORT_MONTHS = ("Jan", "Feb", "Mar", "Apr", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _ordinal(day: int) -> str:
    suffix = "th" if 11 <= day % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    return f"{day}{suffix}"


def _pick(rng: random.Random, options: tuple[str, ...] | list[str]) -> str:
    return options[rng.randrange(len(options))]


# --- numbers and amounts ------------------------------------------------------------------------------------------
def _number(rng: random.Random, *, indian: bool = False) -> str:
    """A number as people write amounts: 45, 38.70, 1,200, 1200, 2,500.00, 1,50,000 (Indian grouping)."""
    size = rng.choice((2, 2, 3, 3, 3, 4, 4, 5))
    value = rng.randint(10 ** (size - 1), 10 ** size - 1) if size > 1 else rng.randint(1, 9)
    if size >= 3 and rng.random() < 0.5:
        value = value // 10 * 10
    decimals = rng.random() < 0.35 and size <= 4
    if indian and value >= 100_000:
        text = f"{value:,}"
        head, tail = str(value)[:-3], str(value)[-3:]
        text = ",".join(re.findall(r"\d{1,2}(?=(?:\d{2})*$)", head)) + "," + tail
    elif value >= 1000 and rng.random() < 0.6:
        text = f"{value:,}"
    else:
        text = str(value)
    if decimals:
        text += f".{rng.randint(0, 99):02d}"
    return text


def _scaled(rng: random.Random) -> str:
    return rng.choice((str(rng.randint(1, 20)), f"{rng.randint(1, 9)}.{rng.randint(1, 9)}", str(rng.randint(20, 500))))


def money(rng: random.Random) -> list[Segment]:
    """A marked amount (currency before/after, symbol, code, scale word or spelled out): one MONEY span."""
    n = _number(rng)
    style = rng.randrange(20)
    if style < 4:
        text = _pick(rng, ("£", "$", "€", "£", "$", "€", "₹", "US$")) + n
    elif style == 4:
        text = _pick(rng, ("£ ", "€ ", "$ ")) + n
    elif style < 7:
        text = _pick(rng, ("AED ", "USD ", "EUR ", "GBP ", "INR ", "Rs ", "Rs.", "CAD ", "AUD ", "SGD ", "CHF ")) + n
    elif style < 11:
        text = n + " " + _pick(rng, ("pounds", "euros", "dollars", "quid", "bucks", "dirhams", "AED", "GBP", "USD",
                                     "EUR", "rupees", "euro", "pound", "dollar", "CHF", "yen"))
    elif style == 11:
        text = n + _pick(rng, ("£", "$", "€"))
    elif style == 12:
        text = f"{rng.randint(1, 99)}" + _pick(rng, (" cents", " pence", "p"))
    elif style < 16:
        scaled = _scaled(rng)
        text = rng.choice((
            f"{scaled} {_pick(rng, ('thousand', 'million', 'grand', 'thousand', 'k'))}".replace(" k", "k"),
            _pick(rng, ("£", "$", "€", "AED ", "₹")) + scaled + _pick(rng, ("k", "m", " million", " thousand", "bn")),
            f"{scaled} {_pick(rng, ('thousand', 'million', 'billion'))} {_pick(rng, ('pounds', 'dollars', 'euros'))}",
            f"{scaled} {_pick(rng, ('lakh', 'lakhs', 'crore'))}",
            f"{_pick(rng, ('₹', 'Rs ', 'INR '))}{scaled} {_pick(rng, ('lakh', 'crore'))}"))
    elif style < 18:
        text = f"{_pick(rng, WORD_AMOUNTS)} {_pick(rng, ('pounds', 'dollars', 'euros', 'quid', 'bucks', 'dirhams'))}"
    else:
        text = _pick(rng, ("₹", "Rs ", "Rs. ", "INR ")) + _number(rng, indian=True)
    return [(text, "MONEY")]


def bare_amount(rng: random.Random) -> list[Segment]:
    """An unmarked amount; templates put it where context makes it money (after a payment verb, before a
    banking noun, after "<noun> of")."""
    return [(_number(rng), "MONEY")]


# --- dates --------------------------------------------------------------------------------------------------------
def _unit_count(rng: random.Random) -> tuple[str, str]:
    unit = _pick(rng, ("day", "day", "week", "month", "year", "working day", "business day"))
    if rng.random() < 0.5:
        count = str(rng.randint(2, 30) if unit in ("day", "working day", "business day") else rng.randint(2, 11))
    else:
        count = _pick(rng, COUNT_WORDS)
    return count, unit + "s"


def date(rng: random.Random) -> list[Segment]:
    """A temporal expression as it stands in a sentence, the prepositions the conventions leave outside unlabelled."""
    kind = rng.randrange(24)
    if kind < 3:
        return [(_pick(rng, ("yesterday", "today", "tomorrow", "tonight", "last night", "this morning",
                             "this afternoon", "this evening", "tomorrow morning", "yesterday afternoon",
                             "the day before yesterday", "the day after tomorrow", "tomorrow night",
                             "yesterday morning")), "DATE")]
    if kind < 5:
        count, unit = _unit_count(rng)
        if rng.random() < 0.25:
            return [(_pick(rng, ("a week", "a month", "a year", "a fortnight", "a day", "a couple of weeks"))
                     + " " + _pick(rng, ("ago", "back")), "DATE")]
        return [(f"{count} {unit.replace('working ', '').replace('business ', '')} ago", "DATE")]
    if kind < 7:
        count, unit = _unit_count(rng)
        return [(rng.choice((f"in {count} {unit}", f"within {count} {unit}", f"{count} {unit} from now",
                             f"in a {unit.split()[-1][:-1]}", "in a fortnight", f"{count} {unit} from today")), "DATE")]
    if kind < 10:
        word = _pick(rng, ("last", "this", "next", "last", "next"))
        period = _pick(rng, ("week", "month", "year", "quarter", "weekend", "summer", "winter", *WEEKDAYS,
                             "tax year", "Friday night", "Monday morning"))
        return [(f"{word} {period}", "DATE")]
    if kind == 10:
        day = _pick(rng, WEEKDAYS)
        return [(rng.choice((f"next week {day}", f"{day} next week", f"last week {day}")), "DATE")]
    if kind < 13:
        edge = _pick(rng, ("the end of the month", "the end of this year", "the end of next month",
                           "the end of the week", "the start of next month", "the end of the year",
                           "the end of the quarter", "the beginning of next month", "the end of March"))
        lead = rng.random()
        if lead < 0.5:
            return [("by " + edge, "DATE")]
        return [(_pick(rng, ("at ", "before ", "until ", "from ")), None), (edge, "DATE")]
    if kind < 15:
        day = _pick(rng, WEEKDAYS) + rng.choice(("", "", " morning", " evening", " night",
                                                 f" the {_ordinal(rng.randint(1, 28))}"))
        return [(_pick(rng, ("on ", "on ", "by ", "")), None), (day, "DATE")]
    if kind < 17:
        d, month = rng.randint(1, 28), _pick(rng, MONTHS)
        year = _pick(rng, ("", "", f" {rng.randint(2019, 2026)}"))
        written = rng.choice((f"{month} the {_ordinal(d)}{year}", f"{month} {_ordinal(d)}{year}", f"{d} {month}{year}",
                              f"{d} {_pick(rng, SHORT_MONTHS)}{year}", f"{month} {d}{year}",
                              f"{d:02d}/{rng.randint(1, 12):02d}/{rng.randint(2021, 2026)}"))
        if rng.random() < 0.3:
            return [("on the ", None), (f"{_ordinal(d)} of {month}{year}", "DATE")]
        return [(_pick(rng, ("on ", "on ", "by ", "")), None), (written, "DATE")]
    if kind == 17:
        return [(_pick(rng, ("on the ", "by the ", "the ")), None), (_ordinal(rng.randint(1, 31)), "DATE")]
    if kind == 18:
        return [("in ", None), (rng.choice((_pick(rng, MONTHS), str(rng.randint(2018, 2025)),
                                            f"{_pick(rng, MONTHS)} {rng.randint(2019, 2025)}")), "DATE")]
    if kind == 19:
        return [(rng.choice((f"since last {_pick(rng, WEEKDAYS)}", f"since {_pick(rng, MONTHS)}", "since yesterday",
                             "since last week", "since Monday")), "DATE")]
    if kind == 20:
        return [(_pick(rng, ("recently", "lately")), "DATE")]
    if kind == 21:
        return [(rng.choice(("every month", "every week", f"every {_pick(rng, WEEKDAYS)}", "each month", "monthly",
                             "every two weeks", "every quarter", "weekly")), "DATE")]
    if kind == 22:
        return [(_pick(rng, ("in the ", "over the ", "for the ", "")), None),
                (f"{_pick(rng, ('last', 'past', 'next'))} {rng.randint(2, 90)} days", "DATE")]
    return [(_pick(rng, ("on the ", "")), None), (_pick(rng, ("1st of next month", "1st of every month",
                                                              "15th of each month")), "DATE")]


def period(rng: random.Random) -> list[Segment]:
    """A period ("10 days", "a week", "three months"): DATE by the conventions."""
    count, unit = _unit_count(rng)
    return [(rng.choice((f"{count} {unit}", _pick(rng, ("a week", "a month", "a fortnight", "a year")))), "DATE")]


def clock(rng: random.Random) -> list[Segment]:
    """A clock time: never DATE, never MONEY."""
    h, m = rng.randint(1, 12), rng.choice((0, 5, 15, 20, 30, 45, 55))
    return [(_pick(rng, ("at ", "around ", "about ", "at ")) + rng.choice((
        f"{h}:{m:02d}", f"{h} pm", f"{h}am", f"{h}.{m:02d}", f"{h} {m:02d}" if m else f"{h} o'clock",
        "half past " + _pick(rng, ("six", "nine", "two", "ten")), "quarter to " + _pick(rng, ("five", "eight")),
        "noon", "midnight", f"{h}:{m:02d} pm")), None)]


def hours(rng: random.Random) -> list[Segment]:
    """A duration in hours or minutes: not a DATE, never MONEY."""
    return [(rng.choice((f"{rng.randint(2, 59)} minutes", f"{rng.randint(2, 12)} hours", "an hour", "half an hour",
                         f"{rng.randint(2, 9)} hrs")), None)]


def _word(options: tuple[str, ...], label: str | None) -> Filler:
    return lambda rng: [(_pick(rng, options), label)]


SLOTS: dict[str, Filler] = {
    "M": money, "N": bare_amount, "D": date, "P": period, "T": clock, "H": hours,
    "MER": _word(MERCHANTS, "MERCHANT"), "PER": _word(PEOPLE, None), "CITY": _word(PLACES, None),
    "BILL": _word(BILL_CATEGORIES, "CATEGORY"), "CAT": _word(SPEND_CATEGORIES, "CATEGORY"),
    "ACC": _word(ACCOUNTS, "ACCOUNT"),
    "EMI": _word(("EMI", "loan EMI", "EMI"), "CATEGORY"),
    "RECHARGE": _word(("recharge", "mobile recharge"), "CATEGORY"),
    "CC": _word(("credit card", "HDFC credit card", "Amex card", "ICICI credit card"), "ACCOUNT"),
    "PERDAY": _word(("a day", "per day", "each day", "a month", "per week"), "DATE"),
    "PAY": _word(("paid", "sent", "transferred", "spent", "was charged", "got charged", "moved", "deposited"), None),
}

# --- templates (written for this module) --------------------------------------------------------------------------
TEMPLATES: tuple[str, ...] = (
    # complaints about charges
    "{PAY} {M} at {MER} {D} and it went out twice", "why have I been charged {M} by {MER}",
    "there's a {M} payment to {MER} I never made", "{MER} took {M} from my {ACC} {D}",
    "I don't recognise the {M} charge from {MER}", "you charged me {M} for a cash withdrawal in {CITY}",
    "got billed {M} twice for the same order", "a company called {MER} has taken {M} off me",
    "my {ACC} shows a {M} debit {D} that isn't mine", "{MER} overcharged me by {M}",
    "why was there a {M} fee on my {ACC}", "the cash machine in {CITY} charged me {M}",
    "I was charged a {M} late fee {D}", "two charges of {M} from {MER} appeared {D}",
    "i got charged {N} for a coffee", "{MER} charged me {M} instead of {M}",
    # transfers and payments
    "please send {M} to {PER} {D}", "can you transfer {M} to {PER}", "I want to move {M} into my {ACC}",
    "send {N} to {PER} please", "transfer {N} from my {ACC} to my {ACC}", "pay {PER} {M} {D}",
    "I need to pay {M} to {PER} {D}", "could I send {M} abroad to {PER} in {CITY}",
    "how do I send {M} to {CITY}", "I'd like to wire {M} to {PER}", "move {N} to savings {D}",
    "{PAY} {M} to {PER} {D} but it hasn't arrived", "I sent {PER} {M} {D}, where is it",
    "my transfer of {N} to {PER} is stuck", "the {N} transfer to {PER} bounced back",
    "i want to set up a {N} standing order to {PER}", "cancel the {N} direct debit to {MER}",
    "stop the payment of {N} to {MER}", "what happened to the {N} payment I made {D}",
    "a payment of {N} to {MER} failed {D}", "please pay {N} to {PER} {D}",
    "set up a transfer of {M} {D}", "put {M} into my {ACC} {D}",
    # receiving money
    "I was expecting {M} from {PER} {D}", "my salary of {M} hasn't arrived",
    "{PER} paid me {M} {D} but I can't see it", "where is the {M} refund from {MER}",
    "I got a refund of {N} from {MER}", "{MER} refunded me {M} {D}", "still waiting for my {M} refund",
    "my wages of {M} came in {D}", "I received {M} from {CITY} {D}",
    # balances and limits
    "what's my balance {D}", "is my balance above {M}", "can I take out {M} at an ATM {D}",
    "what's the withdrawal limit, can I get {M}", "raise my card limit to {M} please",
    "I have {M} in my {ACC}", "my overdraft is {M}, can it go higher", "how much interest on {M} for {P}",
    "i only have {M} left", "why is my balance {M} lower than it should be",
    # loans and savings
    "I'd like to borrow {M} over {P}", "can I get a loan of {M}", "how much would a {M} loan cost me",
    "I want to save {M} {D}", "I'm trying to save {M} {D}",
    "can I pay off {M} of my loan early", "my mortgage payment of {M} goes out {D}",
    "I put {M} into my {ACC} {D}", "I'd like to open a fixed deposit of {M} for {P}",
    # dates-focused
    "my card was declined {D}", "I reported my card stolen {D}", "when will my new card arrive, I ordered it {D}",
    "the payment should land {D}", "I made a transfer {D} and it's still pending",
    "show me everything I spent {D}", "how much did I spend on {CAT} {D}", "what did I spend at {MER} {D}",
    "list my transactions {D}", "can I get a statement for {D}", "my direct debit goes out {D}",
    "remind me to pay the {BILL} bill {D}", "my {BILL} bill is due {D}", "I need the money {D}",
    "it's been {P} and the refund still isn't here", "I've been waiting {P} for my card",
    "the transfer has been pending for {P}", "my account has been frozen for {P}",
    "will it arrive {D}", "has my salary come in {D}", "I'm going to {CITY} {D}, will my card work",
    "did {PER} pay me {D}", "I changed my address {D}", "when is my next statement, {D}",
    "I opened my {ACC} {D}", "my {ACC} was blocked {D}",
    # clock times, hours, counts, percentages: neither MONEY nor DATE
    "my card was declined {D} {T}", "I tried to pay {T} and it failed", "the branch closes {T}",
    "I was on hold for {H}", "the app has been down for {H}", "someone used my card {T} {D}",
    "call me back {T}", "the transfer I made {T} is still pending", "I waited {H} at the branch",
    "my card was declined 3 times", "I entered my PIN wrong 3 times", "why is the interest rate 4.5%",
    "there are 2 payments I don't recognise", "I have 3 cards with you", "the fee is 2% of the transfer",
    "my {ACC} isn't working", "my sort code is 40-22-17", "I've made 5 transfers {D}",
    "how many payments can I make {PERDAY}", "it took {H} to get through to you",
    # no entities
    "how do I reset my PIN", "I can't log in to the app", "please close my account",
    "how do I report a lost card", "is there a branch near me", "can I speak to an advisor",
    "what documents do I need to open an account", "my card is damaged, can I get a new one",
    "why was my payment declined", "how do I add a payee", "I think I've been scammed",
    # mixed, with typos and informal
    "pls send {M} to {PER} {D}", "u took {M} from me {D}!!", "hey why did {MER} charge {M}",
    "need {M} sent to {PER} asap", "any idea where my {M} went", "refund my {M} now",
    # Indian English
    "I sent {M} to {PER} through UPI {D}", "my {EMI} of {M} is due {D}",
    "{M} got debited {D} but the {RECHARGE} failed",
    "I want to invest {M} in a fixed deposit for {P}", "please stop the auto debit of {M}",
    "my {ACC} was debited {M} {D}", "my {CC} bill of {M} is due {D}", "need a personal loan of {M}",
)

_SLOT = re.compile(r"\{([A-Z]+)\}")


def _render(template: str, rng: random.Random) -> list[Segment]:
    segments: list[Segment] = []
    position = 0
    for m in _SLOT.finditer(template):
        segments.append((template[position:m.start()], None))
        segments.extend(SLOTS[m.group(1)](rng))
        position = m.end()
    segments.append((template[position:], None))
    return segments


_TYPOS = {"transfer": "transfr", "received": "recieved", "payment": "paymnet", "account": "acount",
          "please": "plz", "arrived": "arived", "charged": "chargd", "because": "cos", "where": "whre"}


def _style(segments: list[Segment], rng: random.Random) -> list[Segment]:
    """Casing, typos and final punctuation as people type them (labels untouched)."""
    lower = rng.random() < 0.25
    typo = rng.random() < 0.15
    out: list[Segment] = []
    first = True
    for text, label in segments:
        if label is None and typo:
            text = re.sub(r"\b(" + "|".join(_TYPOS) + r")\b", lambda m: _TYPOS[m.group(1)], text)
        if lower:
            text = text.lower()
        elif first and text and label is None:
            text = text[0].upper() + text[1:]
        first = first and not text
        out.append((text, label))
    end = rng.choice(("", "", ".", "?", "!", " please")) if not out[-1][0].rstrip().endswith(("?", "!")) else ""
    out.append((end, None))
    return out


def _to_example(segments: list[Segment]) -> NerExample:
    text, entities = "", []
    for part, label in segments:
        if label is not None and part:
            entities.append((len(text), len(text) + len(part), label))
        text += part
    squeezed = re.sub(r" {2,}", " ", text)
    if squeezed != text or text != text.strip():
        return _to_example(_tidy(segments))
    return NerExample(text=text, entities=tuple(entities))


def _tidy(segments: list[Segment]) -> list[Segment]:
    """Drop doubled spaces left by empty fillers (a date with no preposition, an empty ending)."""
    out: list[Segment] = []
    for part, label in segments:
        if out and out[-1][0].endswith(" ") and part.startswith(" "):
            part = part[1:]
        out.append((part, label))
    if out and out[0][0].startswith(" "):
        out[0] = (out[0][0].lstrip(), out[0][1])
    text = "".join(p for p, _ in out)
    if text != text.rstrip():
        last = len(out) - 1
        while last >= 0 and not out[last][0].strip():
            out[last] = ("", out[last][1])
            last -= 1
        out[last] = (out[last][0].rstrip(), out[last][1])
    return out


def generate(n: int = DEFAULT_N, seed: int = DEFAULT_SEED) -> list[NerExample]:
    """``n`` distinct template sentences (seeded; the same arguments give the same list)."""
    rng = random.Random(seed)
    seen: set[str] = set()
    examples: list[NerExample] = []
    attempts = 0
    while len(examples) < n and attempts < 50 * n:
        attempts += 1
        template = TEMPLATES[attempts % len(TEMPLATES)] if attempts <= len(TEMPLATES) else _pick(rng, TEMPLATES)
        example = _to_example(_style(_render(template, rng), rng))
        if example.text.lower() in seen:
            continue
        seen.add(example.text.lower())
        examples.append(example)
    return examples


def write_jsonl(examples: list[NerExample], path: Path) -> None:
    """One ``{"text", "entities"}`` record a line."""
    lines = [json.dumps(ex.as_dict(), ensure_ascii=False) for ex in examples]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main() -> None:
    from nivesh_ml.data import bundled_path

    parser = argparse.ArgumentParser(description="Write the template-generated international NER sentences.")
    parser.add_argument("--out", type=Path, default=bundled_path(OUTPUT_FILE))
    parser.add_argument("--n", type=int, default=DEFAULT_N)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    args = parser.parse_args()
    write_jsonl(generate(args.n, args.seed), args.out)


if __name__ == "__main__":
    main()
