"""The one money/number grammar: ``₹1,50,000``, ``Rs. 5k``, ``12 LPA``, ``1.5 crore``, ``$120``, ``2 thousand dollars``.

Advisor routing, the NER rules, narration parsing and NER value normalisation all read amounts through this
module. Every pattern is linear: digit runs are bounded and possessive, a number never starts inside another
number (lookbehind), and spaces are optional single characters (text is whitespace-collapsed first).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

# Currency markers (lower case) → ISO code. Prefix markers come before the number, suffix words after it.
CURRENCIES: Final[dict[str, str]] = {
    "₹": "INR", "rs": "INR", "rs.": "INR", "inr": "INR", "rupees": "INR", "rupee": "INR", "rupay": "INR",
    "rupaye": "INR", "rupaiye": "INR", "rupiya": "INR", "rupye": "INR", "rupiye": "INR", "re": "INR",
    "$": "USD", "us$": "USD", "usd": "USD", "dollars": "USD", "dollar": "USD", "€": "EUR", "eur": "EUR",
    "euro": "EUR", "euros": "EUR", "£": "GBP", "gbp": "GBP", "pounds": "GBP", "pound": "GBP", "aed": "AED",
    "dirham": "AED", "dirhams": "AED", "sgd": "SGD", "jpy": "JPY", "¥": "JPY", "cad": "CAD", "aud": "AUD",
    "quid": "GBP", "buck": "USD", "bucks": "USD", "cent": "USD", "cents": "USD", "yen": "JPY", "rand": "ZAR",
    "zar": "ZAR", "chf": "CHF", "francs": "CHF", "dhs": "AED", "pence": "GBP", "p": "GBP", "paise": "INR",
    "won": "KRW", "krw": "KRW"}
# Sub-unit words: the amount is in hundredths ("99 cents" → 0.99 USD, "30p" / "30 pence" → 0.30 GBP).
SUBUNITS: Final[frozenset[str]] = frozenset({"cent", "cents", "pence", "p", "paise"})
# Scale words (lower case) → multiplier; "lpa" (lakh per annum) also implies rupees.
SCALES: Final[dict[str, float]] = {
    "k": 1e3, "thousand": 1e3, "hazaar": 1e3, "hazar": 1e3, "hajar": 1e3, "hazzar": 1e3, "l": 1e5,
    "lakh": 1e5, "lakhs": 1e5, "lac": 1e5, "lacs": 1e5, "lpa": 1e5, "cr": 1e7, "crs": 1e7, "crore": 1e7,
    "crores": 1e7, "karod": 1e7, "m": 1e6, "mn": 1e6, "million": 1e6, "bn": 1e9, "billion": 1e9,
    "hundred": 1e2, "sau": 1e2, "grand": 1e3}

_PREFIX = r"(?P<pre>₹|rs\.?|inr|us\$|\$|usd|€|eur|£|gbp|aed|sgd|¥|cad|aud|chf|jpy|nzd|hkd|zar|krw)"
# 1,50,000 / 150,000 / 150000 / 1500.50 — at most 15 integer digits, never the tail of a longer number.
NUMBER: Final = r"(?:[0-9]{1,3}(?:,[0-9]{2,3})++|[0-9]{1,15}+)(?:\.[0-9]{1,6}+)?(?![0-9]|[.,][0-9])"
_NUM = rf"(?P<num>{NUMBER})"
_SCALE = (r"(?P<scale>thousand|hazaa?r|hajar|hazzar|lakhs?|lacs?|lpa|crores?|crs?|karod|million|mn|billion|bn|"
          r"hundred|grand|k|l|(?(pre)m|(?!)))(?![\w])")  # "m" (million) only after a currency: "£5m", not "5m"
# Currency after the number: a word ("45 pounds", "300 euros") or a symbol written against it ("12.40£", "9.99$").
_SUFFIX_WORDS = (r"rupees?|rupaye|rupaiye|rupiya|rupye|rupiye|rupay|rs|inr|dollars?|usd|euros?|eur|pounds?|"
                 r"gbp|aed|dirhams?|dhs|quid|bucks?|cents?|pence|paise|yen|jpy|rand|zar|sgd|cad|aud|chf|francs|krw")
# "won" only after a scale word ("4.5 million won"): "I won 50" is a verb; "p" only written against the number.
_SUFFIX = (rf"(?P<post>(?:{_SUFFIX_WORDS})(?![\w])|(?<=[0-9])[$£€¥₹]|(?<=[0-9])p(?![\w]|\.[a-z])|"
           r"(?<=[a-z] )won(?![\w]))")
# A number counts as money with a currency marker before or after it, or a scale word.
MONEY_SOURCE: Final = (rf"(?<![\w.,$₹€£¥])(?:{_PREFIX} ?)?{_NUM}(?: ?{_SCALE})?(?: ?{_SUFFIX})?(?:/-)?"
                       r"(?(pre)|(?(scale)|(?(post)|(?!))))")
MONEY_RE: Final = re.compile(MONEY_SOURCE, re.IGNORECASE)
# Bank narrations write "Cr"/"Dr" for credit/debit after amounts: there only a currency prefix marks money.
PREFIXED_AMOUNT_RE: Final = re.compile(rf"(?<![\w.,$₹€£¥]){_PREFIX} ?{_NUM}(?:/-)?", re.IGNORECASE)
# A bare number of 3+ digits (or comma-grouped) that is not a percentage or a duration.
BARE_NUMBER_RE: Final = re.compile(r"(?<![\w.,])(?P<num>[0-9]{1,3}(?:,[0-9]{2,3})++|[0-9]{3,15}+)"
                                   r"(?![0-9]|[.,][0-9])(?! ?(?:%|percent\b|years?\b|yrs?\b|months?\b))",
                                   re.IGNORECASE)


@dataclass(frozen=True)
class MoneyMatch:
    """An amount found in text: value (scale applied), ISO currency (None when unmarked) and its span."""

    amount: float
    currency: str | None
    start: int
    end: int
    scale: str | None = None

    @property
    def span(self) -> tuple[int, int]:
        return self.start, self.end


def to_number(text: str) -> float:
    """``"1,50,000.5"`` → ``150000.5``; a last comma group of two digits is a decimal comma (``"7,50"`` → 7.5):
    Indian and Western grouping always end on three digits."""
    head, comma, tail = text.rpartition(",")
    if comma and len(tail) == 2 and "." not in text:
        return float(head.replace(",", "") + "." + tail)
    return float(text.replace(",", ""))


def _from_match(m: re.Match[str]) -> MoneyMatch:
    scale = (m.group("scale") or "").lower() if "scale" in m.re.groupindex else ""
    marker = next((g.lower() for g in (m.groupdict().get("pre"), m.groupdict().get("post")) if g), None)
    currency = CURRENCIES.get(marker) if marker else ("INR" if scale == "lpa" else None)
    amount = to_number(m.group("num")) * SCALES.get(scale, 1.0)
    if marker in SUBUNITS:
        amount /= 100
    return MoneyMatch(amount=amount, currency=currency, start=m.start(), end=m.end(), scale=scale or None)


def find_money(text: str, *, prefixed_only: bool = False) -> list[MoneyMatch]:
    """Every amount marked as money (currency or scale word); ``prefixed_only``: a currency before it."""
    pattern = PREFIXED_AMOUNT_RE if prefixed_only else MONEY_RE
    return [_from_match(m) for m in pattern.finditer(text)]


def find_bare_numbers(text: str, minimum: float = 0.0) -> list[MoneyMatch]:
    """Unmarked numbers (3+ digits or comma-grouped) that are not percentages or durations."""
    found = (MoneyMatch(to_number(m.group("num")), None, m.start(), m.end()) for m in BARE_NUMBER_RE.finditer(text))
    return [m for m in found if m.amount >= minimum]


def parse_amount(text: str) -> MoneyMatch | None:
    """The first marked amount in ``text``, or None."""
    m = MONEY_RE.search(text)
    return _from_match(m) if m else None


# Spelled-out amounts with a currency word: "thirty pounds", "fifty dollars", "a hundred euros", "two thousand rupees".
WORD_NUMBERS: Final[dict[str, float]] = {
    "zero": 0, "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40,
    "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90}
_TENS = "twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety"
_UNITS_WORDS = "one|two|three|four|five|six|seven|eight|nine"
# "zero dollars": a number word of its own (never "twenty-zero")
_WORD_NUM = (rf"(?P<wnum>(?:{_TENS})(?:[- ](?:{_UNITS_WORDS}))?|{_UNITS_WORDS}|zero|ten|eleven|twelve|thirteen|"
             r"fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|an?(?= (?:hundred|thousand|million|lakh|crore)))")
WORD_MONEY_RE: Final = re.compile(
    rf"(?<![\w]){_WORD_NUM}(?: (?P<wscale>hundred|thousand|million|billion|lakhs?|crores?|grand))?"
    rf" (?P<post>{_SUFFIX_WORDS})(?![\w])", re.IGNORECASE)

# A bare number is money in context: after a payment verb ("paid 38.70", "send 200 to"), after "<banking noun> of"
# ("a payment of 60") or before a banking noun ("the 450 standing order", "a 1200 transfer"). Never a duration,
# a clock time, a percentage, a count of things or an ordinal.
_NOT_AMOUNT = (r"(?![\w])(?! ?(?:%|percent\b|(?:(?:different|separate|more|other|whole) )?times?\b|x\b|"
               r"(?:working |business )?days?\b|weeks?\b|months?\b|"
               r"years?\b|yrs?\b|hours?\b|hrs?\b|minutes?\b|mins?\b|seconds?\b|secs?\b|am\b|pm\b|a\.m|p\.m|"
               r"o'?clock\b|[:.][0-9]| [0-5][0-9](?![\w.,])|payments\b|transfers\b|transactions\b|cards\b|"
               r"accounts\b|people\b|items\b|others?\b))")
_PAY_VERB = (r"(?:paid|pay|paying|pays|charged(?: me| us)?|charge me|refund(?:ed)?(?: me)?|send|sent|sending|"
             r"transfer(?:red)?|move|moved|withdr[ae]wn?|withdraw|deposit(?:ed)?|spent|spend|spending|cost|costs|"
             r"top(?:ped)? up|topped-up|received|receive|got|get|owe|owes|borrow(?:ed)?|lend|lent|have|had|"
             r"gave me|gave us|give me|given|"
             r"(?:payment|charge|fee|refund|withdrawal|deposit|transfer|debit|bill|balance|amount|total|loan|"
             r"salary|rent|cost|price|sum|purchase|transaction|cashback|limit|overdraft|wage|pension|bonus|"
             r"fine|penalty|fare|premium|instal?lment|repayment|debt|budget|tip|allowance|invoice|cheque|check)"
             r" (?:of|for))")
_FILLER = r"(?: (?:the|a|an|me|him|her|them|us|back|about|around|roughly|only|just|another|extra|exactly|over))"
_BANK_NOUN = (r"(?:payment|transfer|standing order|direct debit|deposit|refund|charge|fee|withdrawal|top[- ]?up|"
              r"bill|debit|credit|purchase|transaction|cheque|check|invoice|overdraft)(?![\w])")
# "the 500 I deposited", "that 60 we paid": a bare amount a payment verb refers back to.
_PAST_PAY = (r"(?:paid|sent|deposited|transferred|spent|received|got|withdrew|withdrawn|moved|lent|borrowed|"
             r"owe|owed|was charged|were charged|got charged|topped up|put in|paid in)")
CONTEXT_AMOUNT_RE: Final = re.compile(
    rf"(?<![\w]){_PAY_VERB}{_FILLER}?{_FILLER}? (?P<num>{NUMBER}){_NOT_AMOUNT}|"
    rf"(?<![\w])(?:the|that|this) (?P<num4>{NUMBER}) (?:(?:i|we|you|he|she|they)(?: just| already| have| had)?|"
    rf"(?:which|that) (?:i|we|you|he|she|they)(?: just| already| have| had)?) {_PAST_PAY}(?![\w])|"
    rf"(?<![\w])(?:the|a|an|my|that|this|your) (?P<num2>{NUMBER}) {_BANK_NOUN}|"
    rf"(?<![\w.,:/-])(?P<num3>(?:[0-9]{{1,3}}(?:,[0-9]{{2,3}})++|[0-9]{{1,7}}+)\.[0-9]{{2}})(?![\w.,:/-])"
    r"(?! ?(?:am|pm|a\.m|p\.m|hrs?|h)\b)", re.IGNORECASE)
# The other amount of a comparison, money only when the text names a currency elsewhere (find_context_amounts):
# "it gave me 10 pounds instead of the 30", "I asked for £40 but only 20 came out".
COMPARED_AMOUNT_RE: Final = re.compile(
    rf"(?<![\w])(?:only|just|instead of|rather than|not even)(?: (?:the|my|a|me|us))?"
    rf"(?: (?:requested|asked for|wanted|got|received|given|gave me|had|took out|withdrew))? (?P<num>{NUMBER})"
    rf"{_NOT_AMOUNT}", re.IGNORECASE)


# One unit of a currency named in the singular: "a pound", "an extra pound", "one additional dollar", "a cent".
# Not the currency as a kind of thing: "a euro account", "a dollar card", "a pound coin", "the pound sterling".
ONE_UNIT_RE: Final = re.compile(
    r"(?<![\w])(?:an?|one)(?: (?:extra|additional|single|whole|mere|measly))? "
    r"(?P<post>pound|dollar|euro|buck|quid|rupee|dirham|cent)(?![\w])"
    r"(?! (?:accounts?|cards?|wallets?|balances?|amounts?|signs?|symbols?|exchange|rates?|currency|denominated|"
    r"coins?|notes?|bills?|stores?|shops?|sterling|zone|area|value|price)(?![\w]))", re.IGNORECASE)


def find_word_money(text: str) -> list[MoneyMatch]:
    """Spelled-out amounts with a currency word after them ("thirty pounds" → 30 GBP, "an extra pound" → 1 GBP)."""
    found = []
    for m in ONE_UNIT_RE.finditer(text):
        marker = m.group("post").lower()
        found.append(MoneyMatch(0.01 if marker in SUBUNITS else 1.0, CURRENCIES[marker], m.start(), m.end()))
    for m in WORD_MONEY_RE.finditer(text):
        words = m.group("wnum").lower().replace("-", " ").split()
        value = sum(WORD_NUMBERS[w] for w in words) * SCALES.get((m.group("wscale") or "").lower(), 1.0)
        marker = m.group("post").lower()
        if marker in SUBUNITS:
            value /= 100
        found.append(MoneyMatch(value, CURRENCIES.get(marker), m.start(), m.end(), m.group("wscale")))
    return sorted(found, key=lambda m: (m.start, -m.end))


_CLOCK_LIKE = re.compile(r"(?:[01]?[0-9]|2[0-3])\.[0-5][0-9]")
_AT_WORDS = ("at ", "around ", "about ", "by ", "till ", "until ", "from ", "before ", "after ")


def find_context_amounts(text: str) -> list[MoneyMatch]:
    """Unmarked numbers that context makes money (payment verb before, banking noun after, two decimals)."""
    found = []
    for m in CONTEXT_AMOUNT_RE.finditer(text):
        group = next(g for g in ("num", "num2", "num3", "num4") if m.group(g) is not None)
        if group == "num3" and _CLOCK_LIKE.fullmatch(m.group(group)) and text[:m.start()].lower().endswith(_AT_WORDS):
            continue  # "at 4.30", "around 7.45": a clock time
        found.append(MoneyMatch(to_number(m.group(group)), None, m.start(group), m.end(group)))
    compared = [MoneyMatch(to_number(m.group("num")), None, m.start("num"), m.end("num"))
                for m in COMPARED_AMOUNT_RE.finditer(text)]
    if compared and (MONEY_RE.search(text) or WORD_MONEY_RE.search(text) or ONE_UNIT_RE.search(text)):
        found += compared
    return found
