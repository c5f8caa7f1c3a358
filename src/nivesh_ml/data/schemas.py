"""Pydantic records of the public data contracts (DESIGN.md §4)."""

from __future__ import annotations

import math
import re
from datetime import date, datetime, time, timedelta, timezone
from typing import Annotated, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema, field_validator
from pydantic.json_schema import SkipJsonSchema

from nivesh_ml.errors import InvalidInput

CURRENCIES: Final[frozenset[str]] = frozenset({
    "INR", "USD", "EUR", "GBP", "AED", "SGD", "JPY", "AUD", "CAD", "CHF", "CNY", "HKD",
    "SAR", "QAR", "KWD", "OMR", "BHD", "THB", "MYR", "NZD", "ZAR", "LKR", "NPR", "BDT",
    "SEK", "NOK", "DKK", "KRW", "IDR", "PHP", "VND", "TRY", "BRL", "MXN", "RUB", "PKR",
})
CHANNELS: Final[tuple[str, ...]] = ("upi", "card", "netbanking", "cash", "wallet", "other")
DIRECTIONS: Final[tuple[str, ...]] = ("debit", "credit")

_IST = timezone(timedelta(hours=5, minutes=30))

ShortText = Annotated[str, Field(min_length=1, max_length=200)]

# Request text must hold a character that ``str.strip`` keeps. The class lists exactly what Python counts as
# whitespace, so the pattern means the same in pydantic (Rust regex), the OpenAPI document and its validators.
NON_BLANK: Final[str] = (r"[^\t\n\x0b\x0c\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f"
                         r"\u205f\u3000]")
RequestText = Annotated[str, Field(min_length=1, max_length=200, pattern=NON_BLANK)]
# Inline transactions: 1970..2099, as an ISO 8601 date-time or date string (no epoch numbers).
_TIMESTAMP_START: Final[str] = r"^(19[7-9][0-9]|20[0-9][0-9])-[0-9][0-9]-[0-9][0-9]"
_TIMESTAMP_START_RE: Final = re.compile(_TIMESTAMP_START)


class Transaction(BaseModel):
    """One bank, card or UPI transaction of one user."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    user_id: ShortText
    timestamp: datetime
    amount: float = Field(gt=0, lt=1e11)
    currency: str = "INR"
    direction: Literal["debit", "credit"] = "debit"
    transaction_id: ShortText | None = None
    merchant: ShortText | None = None
    category: ShortText | None = None
    channel: Literal["upi", "card", "netbanking", "cash", "wallet", "other"] | None = None
    description: Annotated[str, Field(max_length=500)] | None = None
    city: ShortText | None = None
    country: ShortText | None = None
    latitude: float | None = Field(None, ge=-90, le=90)
    longitude: float | None = Field(None, ge=-180, le=180)

    @field_validator("timestamp", mode="before")
    @classmethod
    def _date_or_datetime(cls, value: object) -> object:
        if isinstance(value, date) and not isinstance(value, datetime):
            return datetime.combine(value, time())
        if isinstance(value, str) and len(value.strip()) == 10:
            return datetime.fromisoformat(value.strip())
        return value

    @field_validator("timestamp")
    @classmethod
    def _naive_local(cls, value: datetime) -> datetime:
        # Timestamps are local (IST) wall-clock times; an explicit offset is converted and dropped.
        if value.tzinfo is not None:
            value = value.astimezone(_IST).replace(tzinfo=None)
        return value

    @field_validator("amount")
    @classmethod
    def _finite(cls, value: float) -> float:
        if not math.isfinite(value):
            raise ValueError("amount must be a finite number")
        return value

    @field_validator("currency")
    @classmethod
    def _known_currency(cls, value: str) -> str:
        code = value.strip().upper()
        if code not in CURRENCIES:
            raise ValueError(f"unknown currency {value!r}; expected an ISO 4217 code such as INR or USD")
        return code

    @field_validator("category", "merchant", "city", "country")
    @classmethod
    def _normalise_names(cls, value: str | None) -> str | None:
        return " ".join(value.split()) if value else value

    @field_validator("channel", mode="before")
    @classmethod
    def _lower_channel(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("direction", mode="before")
    @classmethod
    def _lower_direction(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value


RequestTimestamp = Annotated[datetime, WithJsonSchema({
    "type": "string", "anyOf": [{"format": "date-time"}, {"format": "date"}], "pattern": _TIMESTAMP_START,
    "description": "ISO 8601 date-time (a given offset is converted to IST) or date, year 1970..2099"})]


class UserTransaction(Transaction):
    """A transaction given inline for a known user: its own ``user_id`` may be omitted.

    A request model, stricter than the file record so that its OpenAPI schema is exactly what is accepted:
    unknown fields are an error (files, read as ``Transaction``, ignore unknown columns), text is taken as sent
    (no stripping), currency, direction and channel are the listed codes as written.
    """

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)

    # Inline items belong to the request's user_id. Their own user_id is accepted for compatibility when it
    # matches (else 422), but left out of the documented schema: omit it.
    user_id: SkipJsonSchema[RequestText | None] = None  # type: ignore[assignment]
    timestamp: RequestTimestamp
    currency: Literal[tuple(sorted(CURRENCIES))] = "INR"  # type: ignore[valid-type]
    transaction_id: RequestText | None = None
    merchant: RequestText | None = None
    category: RequestText | None = None
    city: RequestText | None = None
    country: RequestText | None = None

    @field_validator("timestamp", mode="before")
    @classmethod
    def _date_or_datetime(cls, value: object) -> object:
        if not isinstance(value, str):
            raise ValueError("timestamp must be an ISO 8601 date-time or date string")
        if not _TIMESTAMP_START_RE.match(value):
            raise ValueError("timestamp must start YYYY-MM-DD with a year in 1970..2099")
        return datetime.fromisoformat(value) if len(value) == 10 else value

    # The file record's lenient spellings ("DEBIT", " upi") are not part of the request schema.
    @field_validator("channel", mode="before")
    @classmethod
    def _lower_channel(cls, value: object) -> object:
        return value

    @field_validator("direction", mode="before")
    @classmethod
    def _lower_direction(cls, value: object) -> object:
        return value


def owned_transactions(user_id: str, items: list[UserTransaction]) -> list[Transaction]:
    """Inline transactions as ``user_id``'s; one that names a different ``user_id`` is an error (422)."""
    out = []
    for i, item in enumerate(items):
        if item.user_id not in (None, user_id):
            raise InvalidInput(f"transactions[{i}] belongs to {item.user_id!r}, not {user_id!r}",
                               details={"index": i})
        out.append(Transaction(**{**item.model_dump(), "user_id": user_id}))
    return out


class CreditApplication(BaseModel):
    """A loan applicant as the default credit model sees them (the simulator's fields)."""

    model_config = ConfigDict(extra="forbid")

    age: int = Field(ge=18, le=100)
    monthly_income: float = Field(gt=0, lt=1e9, description="INR per month, take-home")
    employment_type: Literal["salaried", "self_employed", "business", "gig", "unemployed"]
    employment_tenure_years: float = Field(ge=0, le=60)
    existing_emi: float = Field(ge=0, lt=1e9, description="INR per month already paid to lenders")
    loan_amount: float = Field(gt=0, lt=1e10)
    loan_tenure_months: int = Field(ge=1, le=480)
    bureau_score: int = Field(ge=300, le=900, description="CIBIL-style score")
    credit_utilisation: float = Field(ge=0, le=2, description="revolving balance / limit")
    recent_enquiries: int = Field(ge=0, le=100, description="hard enquiries in the last 6 months")
    past_delinquencies: int = Field(ge=0, le=100, description="30+ days past due in the last 2 years")
    city_tier: int = Field(ge=1, le=3)
    dependents: int = Field(ge=0, le=20)
    residence: Literal["owned", "rented", "family"]


TRANSACTION_COLUMNS: Final[tuple[str, ...]] = tuple(Transaction.model_fields)
