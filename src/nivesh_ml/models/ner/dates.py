"""DATE normalisation: a span ("kal", "last Diwali", "15/08/2024", "FY 2023-24") → ``{"start", "end"}``.

Hand-written rules cover the Indian and Hinglish forms that ``dateparser`` does not (Hinglish relative words,
festivals via the ``holidays`` India calendar, financial years, recurrences, day-first numeric dates);
``dateparser`` is the fallback for the long tail of English phrasings it already handles well.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime, timedelta
from functools import lru_cache

import holidays
from dateutil.relativedelta import relativedelta

Range = tuple[date, date]

MONTHS = {"jan": 1, "january": 1, "feb": 2, "february": 2, "mar": 3, "march": 3, "apr": 4, "april": 4,
          "may": 5, "jun": 6, "june": 6, "jul": 7, "july": 7, "aug": 8, "august": 8, "sep": 9, "sept": 9,
          "september": 9, "oct": 10, "october": 10, "nov": 11, "november": 11, "dec": 12, "december": 12}
_MONTH_RE = "|".join(sorted(MONTHS, key=len, reverse=True))
WEEKDAYS = {"monday": 0, "mon": 0, "somvar": 0, "tuesday": 1, "tue": 1, "tues": 1, "mangalvar": 1,
            "wednesday": 2, "wed": 2, "budhvar": 2, "thursday": 3, "thu": 3, "thurs": 3, "guruvar": 3,
            "friday": 4, "fri": 4, "shukravar": 4, "saturday": 5, "sat": 5, "shanivar": 5,
            "sunday": 6, "sun": 6, "ravivar": 6, "itvaar": 6}
_WEEKDAY_RE = "|".join(sorted(WEEKDAYS, key=len, reverse=True))
UNITS = {"day": "day", "din": "day", "working day": "workday", "week": "week", "hafte": "week", "hafta": "week",
         "hafton": "week", "month": "month", "mahine": "month", "mahina": "month", "mahino": "month",
         "mahinon": "month", "year": "year", "saal": "year", "sal": "year", "varsh": "year", "quarter": "quarter",
         "business day": "workday", "fortnight": "fortnight"}
_UNIT_RE = "|".join(sorted(UNITS, key=len, reverse=True))
NUMBER_WORDS = {"a": 1, "an": 1, "one": 1, "ek": 1, "two": 2, "do": 2, "three": 3, "teen": 3, "four": 4,
                "char": 4, "five": 5, "paanch": 5, "six": 6, "chhe": 6, "seven": 7, "eight": 8, "nine": 9,
                "ten": 10, "das": 10, "twelve": 12, "eleven": 11, "fifteen": 15, "twenty": 20, "thirty": 30,
                "a couple of": 2, "couple of": 2, "a couple": 2, "couple": 2, "a few": 3, "few": 3,
                "several": 3}
_NUM_RE = r"\d{1,3}|" + "|".join(sorted(NUMBER_WORDS, key=len, reverse=True))
# Direction words: -1 past, 0 current, +1 next. Hinglish: pichle = last, is = this, agle = next, har = every.
DIRECTIONS = {"last": -1, "previous": -1, "past": -1, "pichle": -1, "pichhle": -1, "pichla": -1, "pichli": -1,
              "this": 0, "is": 0, "current": 0, "iss": 0, "next": 1, "agle": 1, "agla": 1, "agli": 1,
              "coming": 1, "upcoming": 1}
RECURRENCE_WORDS = ("every", "each", "per", "a", "har", "an")
ADVERBS = {"daily": "day", "weekly": "week", "monthly": "month", "quarterly": "quarter", "yearly": "year",
           "annually": "year", "annual": "year"}
FIXED_DAYS = {"today": 0, "aaj": 0, "this morning": 0, "aaj subah": 0, "tonight": 0, "aaj raat": 0,
              "this evening": 0, "aaj shaam": 0, "yesterday": -1, "kal": -1, "kal raat": -1, "last night": -1,
              "kal subah": -1, "kal shaam": -1, "parso": -2, "parson": -2, "day before yesterday": -2,
              "tomorrow": 1, "day after tomorrow": 2}
FESTIVALS = {"diwali": "Diwali", "deepavali": "Diwali", "holi": "Holi", "raksha bandhan": "Raksha Bandhan",
             "rakhi": "Raksha Bandhan", "dussehra": "Dussehra", "dasara": "Dussehra", "eid": "Eid al-Fitr",
             "christmas": "Christmas", "independence day": "Independence Day", "republic day": "Republic Day",
             "ganesh chaturthi": "Ganesh Chaturthi", "onam": "Onam", "pongal": "Pongal",
             "makar sankranti": "Makar Sankranti", "janmashtami": "Janmashtami", "new year": "New Year's Day",
             "good friday": "Good Friday", "karwa chauth": "Karwa Chouth", "bhai dooj": "Bhai Duj"}
_FESTIVAL_RE = "|".join(sorted(FESTIVALS, key=len, reverse=True))
SEASONS = {"summer": (4, 6), "garmi": (4, 6), "monsoon": (7, 9), "barsaat": (7, 9), "winter": (12, 2),
           "sardi": (12, 2)}


def month_range(year: int, month: int) -> Range:
    """First and last day of a month."""
    first = date(year, month, 1)
    return first, first + relativedelta(months=1, days=-1)


def period_containing(day: date, unit: str) -> Range:
    """The calendar period (day, week Mon–Sun, month, quarter, year, fy Apr–Mar, weekend) containing ``day``."""
    if unit in ("day", "workday"):
        return day, day
    if unit == "week":
        start = day - timedelta(days=day.weekday())
        return start, start + timedelta(days=6)
    if unit == "weekend":
        saturday = day - timedelta(days=day.weekday()) + timedelta(days=5)
        return saturday, saturday + timedelta(days=1)
    if unit == "month":
        return month_range(day.year, day.month)
    if unit == "quarter":
        first_month = 3 * ((day.month - 1) // 3) + 1
        start = date(day.year, first_month, 1)
        return start, start + relativedelta(months=3, days=-1)
    if unit == "fy":
        start_year = day.year if day.month >= 4 else day.year - 1
        return date(start_year, 4, 1), date(start_year + 1, 3, 31)
    return date(day.year, 1, 1), date(day.year, 12, 31)


def shift(day: date, unit: str, n: int) -> date:
    """``day`` moved by ``n`` units (working days skip Saturdays and Sundays)."""
    if unit == "day":
        return day + timedelta(days=n)
    if unit == "workday":
        step, moved = (1 if n >= 0 else -1), 0
        while moved < abs(n):
            day += timedelta(days=step)
            moved += day.weekday() < 5
        return day
    if unit in ("week", "weekend"):
        return day + timedelta(weeks=n)
    if unit == "fortnight":
        return day + timedelta(weeks=2 * n)
    if unit == "month":
        return day + relativedelta(months=n)
    if unit == "quarter":
        return day + relativedelta(months=3 * n)
    return day + relativedelta(years=n)


def _number(token: str) -> int:
    return int(token) if token.isdigit() else NUMBER_WORDS[token]


def _year(token: str) -> int:
    value = int(token.lstrip("'"))
    if value >= 100:
        return value
    return value + (1900 if value >= 70 else 2000)  # "99" → 1999, "24" → 2024


def _fixed(t: str, ref: date) -> Range | None:
    if t in FIXED_DAYS:
        day = ref + timedelta(days=FIXED_DAYS[t])
        return day, day
    return None


def _period(t: str, ref: date) -> Range | None:
    if t in ADVERBS:
        return period_containing(ref, ADVERBS[t])
    m = re.fullmatch(rf"(\w+ )?(weekend|financial year|tax year|fy|billing cycle|{_UNIT_RE})", t)
    if not m:
        return None
    word = (m.group(1) or "").strip()
    unit = {"financial year": "fy", "tax year": "fy", "fy": "fy", "billing cycle": "month",
            "weekend": "weekend"}.get(m.group(2), UNITS.get(m.group(2), ""))
    if unit == "fortnight" and word in DIRECTIONS:  # no calendar fortnight: the 14 days before/after the reference
        direction = DIRECTIONS[word]
        if direction <= 0:
            return ref - timedelta(days=13), ref
        return ref + timedelta(days=1), ref + timedelta(days=14)
    if word in DIRECTIONS:
        return period_containing(shift(ref, unit, DIRECTIONS[word]), unit)
    if word in RECURRENCE_WORDS or (not word and unit == "weekend"):
        # A recurrence resolves to its current cycle: the period that contains the reference date.
        return period_containing(ref, unit)
    return None


def _last_n(t: str, ref: date) -> Range | None:
    m = re.fullmatch(rf"(last|past|previous|pichle|pichhle|next|agle|coming) ({_NUM_RE}) ({_UNIT_RE})s?", t)
    if not m:
        return None
    n, unit = _number(m.group(2)), UNITS[m.group(3)]
    if DIRECTIONS.get(m.group(1), -1) < 0:
        return shift(ref, unit, -n) + timedelta(days=1), ref
    return ref, shift(ref, unit, n)


def _in_n(t: str, ref: date) -> Range | None:
    m = re.fullmatch(rf"(in|within|after)? ?({_NUM_RE}) ({_UNIT_RE})s?( later| baad)?", t)
    if not m or (m.group(1) is None and m.group(4) is None and m.group(3) not in ("saal", "sal", "mahine",
                                                                                   "din", "hafte")):
        return None
    n, unit = _number(m.group(2)), UNITS[m.group(3)]
    target = shift(ref, unit, n)
    return (ref, target) if m.group(1) == "within" else (target, target)


def _every_n(t: str, ref: date) -> Range | None:
    m = re.fullmatch(rf"(?:every|har) ({_NUM_RE}) ({_UNIT_RE})s?", t)
    if m:
        unit = UNITS[m.group(2)]
        return ref, shift(ref, unit, _number(m.group(1))) - timedelta(days=1)
    m = re.fullmatch(r"(\d{1,2})(?:st|nd|rd|th)? of (?:every|each|the) month|(?:every|har) (\d{1,2})(?:st|nd|rd|th)?",
                     t)
    if m:
        day = _safe_date(ref.year, ref.month, int(m.group(1) or m.group(2)))
        return (day, day) if day else None
    return None


def _weekday(t: str, ref: date) -> Range | None:
    m = re.fullmatch(rf"(\w+ )?({_WEEKDAY_RE})", t)
    if not m or (m.group(1) and m.group(1).strip() not in DIRECTIONS):
        return None
    target = WEEKDAYS[m.group(2)]
    direction = DIRECTIONS.get((m.group(1) or "").strip())
    if direction is not None and direction > 0:
        delta = (target - ref.weekday()) % 7 or 7
        day = ref + timedelta(days=delta)
    elif direction is not None and direction < 0:
        delta = (ref.weekday() - target) % 7 or 7
        day = ref - timedelta(days=delta)
    else:  # "Saturday", "this Saturday": the most recent one (today included) — finance questions look back
        day = ref - timedelta(days=(ref.weekday() - target) % 7)
    return day, day


@lru_cache(maxsize=64)
def _festival_days(name: str, year: int) -> tuple[date, ...]:
    calendar = holidays.country_holidays("IN", years=year, categories=("public", "optional"))
    return tuple(sorted(d for d, label in calendar.items() if any(
        part.strip() == name or part.strip().startswith(name + " ") for part in label.split(";"))))


def _festival(t: str, ref: date) -> Range | None:
    m = re.fullmatch(rf"(\w+ )?({_FESTIVAL_RE})(?: (\d{{4}}))?", t)
    if not m or (m.group(1) and m.group(1).strip() not in DIRECTIONS):
        return None
    name, word = FESTIVALS[m.group(2)], (m.group(1) or "").strip()
    if m.group(3):
        days = _festival_days(name, int(m.group(3)))
        return (days[0], days[0]) if days else None
    direction = DIRECTIONS.get(word, 0)
    candidates = [d for y in (ref.year - 1, ref.year, ref.year + 1) for d in _festival_days(name, y)]
    if direction < 0:
        past = [d for d in candidates if d < ref]
        return (past[-1], past[-1]) if past else None
    if direction > 0:
        future = [d for d in candidates if d > ref]
        return (future[0], future[0]) if future else None
    this_year = [d for d in candidates if d.year == ref.year]
    return (this_year[0], this_year[0]) if this_year else None


def _fiscal(t: str, ref: date) -> Range | None:
    m = re.fullmatch(r"(?:fy|financial year) ?'?(\d{2}|\d{4})(?:[-/](\d{2}|\d{4}))?", t)
    if m:
        end_year = _year(m.group(2)) if m.group(2) else _year(m.group(1))  # "FY24" is FY 2023-24
        if m.group(2) and end_year < _year(m.group(1)):
            end_year += 100
        return date(end_year - 1, 4, 1), date(end_year, 3, 31)
    m = re.fullmatch(r"(?:(last|this|next) )?q([1-4])(?: ?(?:fy)? ?'?(\d{2}|\d{4}))?", t)
    if m:
        fy_start, _ = period_containing(ref, "fy")
        if m.group(3):
            fy_start = date(_year(m.group(3)) - 1, 4, 1)
        start = fy_start + relativedelta(months=3 * (int(m.group(2)) - 1))
        if m.group(1):
            start += relativedelta(years=DIRECTIONS[m.group(1)])
        return start, start + relativedelta(months=3, days=-1)
    return None


def _season(t: str, ref: date) -> Range | None:
    m = re.fullmatch(r"(\w+ )?(summer|garmi|monsoon|barsaat|winter|sardi)", t)
    if not m or (m.group(1) and m.group(1).strip() not in DIRECTIONS):
        return None
    first, last = SEASONS[m.group(2)]
    year = ref.year + DIRECTIONS.get((m.group(1) or "").strip(), 0)
    start = date(year, first, 1)
    end_year = year + 1 if last < first else year
    return start, month_range(end_year, last)[1]


def _safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _numeric(t: str, ref: date) -> Range | None:
    m = re.fullmatch(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})", t)
    if m:
        day = _safe_date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        return (day, day) if day else None
    m = re.fullmatch(r"(\d{1,2})[-/.](\d{1,2})(?:[-/.](\d{2}|\d{4}))?", t)
    if m:
        year = _year(m.group(3)) if m.group(3) else ref.year
        a, b = int(m.group(1)), int(m.group(2))
        day = _safe_date(year, b, a) or _safe_date(year, a, b)  # day-first; month-first only if impossible
        return (day, day) if day else None
    m = re.fullmatch(r"(\d{4})", t)
    if m and 1900 <= int(t) <= 2200:
        return date(int(t), 1, 1), date(int(t), 12, 31)
    m = re.fullmatch(r"(\d{1,2})(?:st|nd|rd|th| tarikh| tareekh| tarik)", t)
    if m:
        day = _safe_date(ref.year, ref.month, int(m.group(1)))
        return (day, day) if day else None
    return None


def _named_month(t: str, ref: date) -> Range | None:
    m = re.fullmatch(rf"(\d{{1,2}})(?:st|nd|rd|th)?[\s\-]*(?:of )?({_MONTH_RE})\.?[\s\-,']*(\d{{4}}|\d{{2}})?", t)
    if m:
        year = _year(m.group(3)) if m.group(3) else ref.year
        day = _safe_date(year, MONTHS[m.group(2)], int(m.group(1)))
        return (day, day) if day else None
    m = re.fullmatch(rf"({_MONTH_RE})\.? (\d{{1,2}})(?:st|nd|rd|th)?(?:,? (\d{{4}}))?", t)
    if m:
        year = int(m.group(3)) if m.group(3) else ref.year
        day = _safe_date(year, MONTHS[m.group(1)], int(m.group(2)))
        return (day, day) if day else None
    m = re.fullmatch(rf"({_MONTH_RE})\.?(?:[\s\-,']*(\d{{4}})|'?(\d{{2}}))?", t)
    if m:
        year = int(m.group(2)) if m.group(2) else _year(m.group(3)) if m.group(3) else ref.year
        return month_range(year, MONTHS[m.group(1)])
    m = re.fullmatch(rf"({_MONTH_RE})\s*(?:-|to|–|se)\s*({_MONTH_RE})(?:[\s,']*(\d{{4}}))?", t)
    if m:
        year = int(m.group(3)) if m.group(3) else ref.year
        first, last = MONTHS[m.group(1)], MONTHS[m.group(2)]
        start = date(year - 1 if last < first else year, first, 1)
        return start, month_range(year, last)[1]
    return None


def _since(t: str, ref: date) -> Range | None:
    m = re.fullmatch(r"(?:since|from) (.+)", t)
    if not m:
        return None
    inner = _resolve_rules(_clean(m.group(1)), ref)  # "since the 10th"
    if inner is None:
        return None
    start = inner[0]
    if start > ref and not re.search(r"\d{4}", m.group(1)):
        start -= relativedelta(years=1)  # "since March" said in January means last March
    return start, ref


def _ago(t: str, ref: date) -> Range | None:
    """"5 days ago", "a fortnight back" → that day; "14 days from now", "3 weeks later" → that day."""
    m = re.fullmatch(rf"({_NUM_RE}) ({_UNIT_RE})s? "
                     r"(ago|back|earlier|previously|before now|before|from now|from today|later|hence)", t)
    if not m:
        return None
    n = _number(m.group(1)) * (1 if m.group(3) in ("from now", "from today", "later", "hence") else -1)
    day = shift(ref, UNITS[m.group(2)], n)
    return day, day


def _duration(t: str, ref: date) -> Range | None:
    """A bare period ("10 days", "a week", "3 months"): the last such period up to the reference day."""
    m = re.fullmatch(rf"({_NUM_RE}) ({_UNIT_RE})s?", t)
    if not m:
        return None
    return shift(ref, UNITS[m.group(2)], -_number(m.group(1))) + timedelta(days=1), ref


def _edge_of(t: str, ref: date) -> Range | None:
    """"by the end of this year" → reference..year end; "the end of the month" → its last day; "start of ..."."""
    m = re.fullmatch(rf"(by )?(?:the )?(end|start|beginning|middle|rest) of (?:(the|this|next|last) )?"
                     rf"(week|month|year|quarter|(?:tax|financial) year|{_MONTH_RE})", t)
    if not m:
        return None
    unit = "fy" if m.group(4).endswith(" year") else m.group(4)  # the tax/financial year: April to March
    if m.group(4) in MONTHS:
        first, last = month_range(ref.year, MONTHS[m.group(4)])
    else:
        step = "year" if unit == "fy" else unit
        first, last = period_containing(shift(ref, step, DIRECTIONS.get(m.group(3) or "this", 0)), unit)
    edge = m.group(2)
    if m.group(1) or edge == "rest":
        return (ref, last) if ref <= last else (last, last)
    if edge == "end":
        return last, last
    if edge == "middle":
        middle = first + (last - first) // 2
        return middle, middle
    return first, first


def _week_weekday(t: str, ref: date) -> Range | None:
    """"next week Monday", "Friday last week" → that day of that week."""
    m = re.fullmatch(rf"(last|this|next) week ({_WEEKDAY_RE})|({_WEEKDAY_RE}) (last|this|next) week", t)
    if not m:
        return None
    direction, weekday = (m.group(1), m.group(2)) if m.group(1) else (m.group(4), m.group(3))
    monday = period_containing(shift(ref, "week", DIRECTIONS[direction]), "week")[0]
    day = monday + timedelta(days=WEEKDAYS[weekday])
    return day, day


def _recently(t: str, ref: date) -> Range | None:
    if t in ("recently", "lately"):
        return ref - timedelta(days=30), ref
    return None


# Vague past expressions → the days they usually mean (docs/training.md "Span conventions").
VAGUE_PAST = {"other day": (7, 1), "other night": (7, 1), "other week": (21, 7), "a little while ago": (14, 0),
              "a short while ago": (14, 0), "not long ago": (30, 0), "not so long ago": (30, 0),
              "not too long ago": (30, 0), "not that long ago": (30, 0), "a while ago": (90, 7),
              "a while back": (90, 7), "a good while ago": (180, 30), "some time ago": (90, 7),
              "sometime ago": (90, 7), "some time back": (90, 7), "a long time ago": (365, 30),
              "a long while ago": (365, 30)}


def _vague_past(t: str, ref: date) -> Range | None:
    days = VAGUE_PAST.get(t)
    return (ref - timedelta(days=days[0]), ref - timedelta(days=days[1])) if days else None


# A count of units with no number: "days ago" → 7 to 2 days ago, "weeks ago" → 8 to 2 weeks ago ...
_UNCOUNTED = {"days": ("day", 7, 2), "weeks": ("week", 8, 2), "months": ("month", 12, 2), "years": ("year", 10, 2)}


def _range_ago(t: str, ref: date) -> Range | None:
    """"one or two weeks ago", "2-3 days ago", "a week or two ago", "weeks ago" → the days between."""
    m = re.fullmatch(rf"({_NUM_RE})(?: or |-| to )({_NUM_RE}) ({_UNIT_RE})s? (?:ago|back)", t)
    if m:
        low, high, unit = _number(m.group(1)), _number(m.group(2)), UNITS[m.group(3)]
    elif m := re.fullmatch(rf"({_NUM_RE}) ({_UNIT_RE})s? or (two|three|so) (?:ago|back)", t):
        low, unit = _number(m.group(1)), UNITS[m.group(2)]
        high = low + 1 if m.group(3) == "so" else max(low, NUMBER_WORDS[m.group(3)])
    elif m := re.fullmatch(r"(days|weeks|months|years) (?:ago|back)", t):
        unit, high, low = _UNCOUNTED[m.group(1)]
    else:
        return None
    low, high = min(low, high), max(low, high)
    return shift(ref, unit, -high), shift(ref, unit, -low)


def _plural_days(t: str, ref: date) -> Range | None:
    """"weekdays" → Monday–Friday of this week; "within the week" → today to the end of the week (month, year).
    ("weekends" and the typo "yesterdays" are read as "every weekend" and "yesterday": ``ALIASES``.)"""
    if t == "weekdays":
        monday = period_containing(ref, "week")[0]
        return monday, monday + timedelta(days=4)
    m = re.fullmatch(r"within the (week|month|year)", t)
    return (ref, period_containing(ref, m.group(1))[1]) if m else None


def _earlier_later(t: str, ref: date) -> Range | None:
    """"earlier today" → today; "earlier this week" → the week up to today; "later this month" → the rest of it."""
    m = re.fullmatch(r"(earlier|later) (today|tonight|this (?:morning|afternoon|evening|week|month|year)|"
                     r"in the (?:day|week|month|year))", t)
    if not m:
        return None
    period = m.group(2).replace("in the ", "this ").replace("this day", "today")
    if period in FIXED_DAYS or period in ("this morning", "this afternoon", "this evening"):
        return ref, ref
    start, end = period_containing(ref, period.split()[1])
    return (start, ref) if m.group(1) == "earlier" else (ref, end)


_RULES: tuple[Callable[[str, date], Range | None], ...] = (
    _fixed, _since, _period, _last_n, _in_n, _ago, _edge_of, _week_weekday, _every_n, _weekday, _festival, _fiscal,
    _season, _numeric, _named_month, _duration, _recently, _vague_past, _range_ago, _earlier_later,
    _plural_days)


# Spans read as another wording before the rules run.
ALIASES = {"weekends": "every weekend", "yesterdays": "yesterday"}


def _clean(text: str) -> str:
    t = re.sub(r"\s+", " ", text.strip().lower()).strip(" .,;:!?")
    t = ALIASES.get(t, t)
    if not t.startswith(("by the ", "the end", "the start", "the beginning", "the middle", "the rest")):
        t = re.sub(r"^(the|on|by|till|until) ", "", t)
    t = re.sub(rf"^({_MONTH_RE}) the ", r"\1 ", t)  # "march the 3rd 2021"
    t = re.sub(rf"^(?:{_WEEKDAY_RE}) the ", "", t)  # "tuesday the 4th" → "4th"
    if t not in FIXED_DAYS:  # "tomorrow morning", "saturday night": the day
        t = re.sub(r"(?<=\w) (?:morning|afternoon|evening|night)$", "", t)
    return t


def _resolve_rules(t: str, ref: date) -> Range | None:
    for rule in _RULES:
        found = rule(t, ref)
        if found is not None:
            return found
    return None


def _dateparser(t: str, ref: date) -> Range | None:
    import dateparser

    settings = {"DATE_ORDER": "DMY", "RELATIVE_BASE": datetime(ref.year, ref.month, ref.day),
                "RETURN_AS_TIMEZONE_AWARE": False}
    parsed = dateparser.parse(t, languages=["en"], settings=settings)  # type: ignore[arg-type]
    if parsed is None:
        return None
    return parsed.date(), parsed.date()


@lru_cache(maxsize=4096)
def resolve_date(text: str, reference: date) -> dict[str, str] | None:
    """``{"start", "end"}`` (ISO dates) of a DATE span relative to ``reference``; ``None`` if unknown."""
    t = _clean(text)
    if not t:
        return None
    try:
        found = _resolve_rules(t, reference) or _dateparser(t, reference)
    except (ValueError, OverflowError, ArithmeticError):  # a date outside the calendar: unknown, not an error
        return None
    if found is None or found[1] < found[0]:
        return None
    start, end = found
    return {"start": start.isoformat(), "end": end.isoformat()}
