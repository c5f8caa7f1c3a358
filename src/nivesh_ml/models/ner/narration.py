"""Bank narrations (UPI/NEFT/IMPS/RTGS/POS/ATM/NACH/bill-pay) and bank SMS → merchant, channel, amount, ...

Structured narrations are split on their field separators by rule; free-form SMS are read with regular
expressions. A loaded NER predictor, when given, fills the fields the rules could not find.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from nivesh_ml.models.base import Predictor
from nivesh_ml.models.ner.dates import resolve_date
from nivesh_ml.models.ner.merchants import canonical_merchant, lookup_merchant
from nivesh_ml.models.ner.normalise import canonical_category, parse_account, parse_money
from nivesh_ml.text.money import PREFIXED_AMOUNT_RE
from nivesh_ml.text.normalise import clean_text

_VPA = re.compile(r"\b[\w.\-]{2,64}@[a-z][a-z0-9.]{1,30}\b", re.IGNORECASE)
_IFSC = re.compile(r"^[A-Z]{4}0[A-Z0-9]{6}$")
BANK_CODES = {"HDFC", "SBIN", "SBI", "ICIC", "ICICI", "UTIB", "AXIS", "YESB", "KKBK", "KOTAK", "PUNB", "BARB",
              "CNRB", "AIRP", "IDIB", "FDRL", "INDB", "IBKL", "IDFB", "UBIN", "BKID", "PYTM", "YBL", "AXL", "OKSBI"}
_REF = re.compile(r"^[A-Z]?\d{6,}$|^[A-Z]{4}[A-Z0-9]*\d{8,}$")
_MASKED = re.compile(r"(?<![X*])[0-9]{0,6}[X*]{2,}+[0-9]{2,4}", re.IGNORECASE)
# Narrations write "Cr"/"Dr" after amounts, so only a currency prefix marks money here (no scale words).
_MONEY = PREFIXED_AMOUNT_RE
MAX_NARRATION_CHARS = 2_000  # a narration or SMS; longer input is cut before any pattern runs
_LETTERS = re.compile(r"[A-Za-z]{2}")
_UPI_SLASH = re.compile(r"UPI/(DR|CR|P2M|P2A)/([0-9]{6,}+)/([^/]++)/([^/]*+)/([^/]*+)/?(.*)$", re.IGNORECASE)
_UPI_DASH = re.compile(r"UPI-(.+)$", re.IGNORECASE)
_LONG_REF = re.compile(r"[0-9]{10,}")
_NEFT = re.compile(r"(NEFT|IMPS|RTGS)(?: ?(CR|DR))?[-/* ]+(.+)$", re.IGNORECASE)
_FIELD_SEP = re.compile(r"[-/*]")
_CARD_CASH = re.compile(r"(POS|ATW|ATM|NWD|EAW|CASH WDL|ECOM|PCD)[ \-/]++(.*)$", re.IGNORECASE)
_NON_DIGIT = re.compile(r"[^0-9]")
_MANDATE = re.compile(r"(BIL|NACH|ECS|SI|ACH)[/\-](.+)$", re.IGNORECASE)
_ACCOUNT_PART = re.compile(r"card|a/?c|loan", re.IGNORECASE)
_TRAILING_AMOUNT = re.compile(r" ([0-9][0-9,]{0,24}+\.[0-9]{2})$")
_BALANCE = re.compile(r"bal|balance")
_CARD_WORDS = re.compile(r"credit card|debit card", re.IGNORECASE)
_SMS_ACCOUNT = re.compile(r"(?:a/?c|acct|card) ?(?:no\.? ?)?(?:ending ?)?[X*.•]{0,20}+([0-9]{3,4})\b", re.IGNORECASE)
_RAIL_SUFFIX = re.compile(r" (POS|UPI|ECOM|ONLINE)$")
_CARD_WORD = re.compile(r"\bcard\b", re.IGNORECASE)
_WALLET_WORD = re.compile(r"wallet", re.IGNORECASE)
_TRANSFER_PREFIX = re.compile(r"^(?:To Transfer|By Transfer|To|By)[- ]++(?=[A-Z]{2,5}[/\-])", re.IGNORECASE)
_LEADING_DATE = re.compile(r"([0-9]{1,2}[/-][0-9]{1,2}[/-][0-9]{2,4}) ")
_DATE = re.compile(r"\b\d{1,2}[-/](?:\d{1,2}|[A-Za-z]{3})[-/]\d{2,4}\b|\b\d{4}-\d{2}-\d{2}\b|"
                   r"\b\d{1,2}[A-Za-z]{3}\d{2}\b")
_DEBIT = re.compile(r"\b(debited|debit|spent|paid|sent|withdrawn|withdrawal|purchase|dr|transferred to|used|"
                    r"auto-debited|charged)\b", re.IGNORECASE)
_CREDIT = re.compile(r"\b(credited|credit|received|refund|cashback|cr|deposited)\b", re.IGNORECASE)
_SMS_PARTY = re.compile(r"\b(?:to|at|towards|from|by)\s+(?:VPA\s+\S+\s+)?([A-Z][A-Z0-9&.\- ]{1,40}?)"
                        r"(?=\s+(?i:on|for|via|from|ref|refno|upi|pos|salary|refund|cashback|incentive|autopay|"
                        r"credited)\b|[.,;()]|$)")
_SMS_PAYEE_CREDITED = re.compile(r"(?:^|[;.]\s*)([A-Z][A-Z0-9&.\- ]{1,40}?) credited\b")
_SMS_REF = re.compile(r"\b(?:ref(?:\s*no)?|refno|upi(?:\s*ref)?|utr|txn(?:\s*id)?)[:.\s#]*([A-Z0-9]{6,})",
                      re.IGNORECASE)
_NOT_MERCHANTS = {"ATM", "UPI", "VPA", "NEFT", "IMPS", "RTGS", "A/C", "YOUR", "THE", "SALARY", "INFO", "AVL",
                  "BAL", "SBI", "HDFC", "ICICI", "AXIS", "KOTAK", "BANK", "CUSTOMER", "NOT", "CALL", "DEAR"}


@dataclass
class Narration:
    """What a narration says about one transaction (fields not written are ``None``)."""

    text: str
    channel: str = "other"
    rail: str | None = None
    direction: str | None = None
    merchant: str | None = None
    merchant_raw: str | None = None
    category: str | None = None
    amount: float | None = None
    currency: str | None = None
    date: str | None = None
    reference: str | None = None
    vpa: str | None = None
    counterparty_bank: str | None = None
    account_last4: str | None = None
    remark: str | None = None
    balance: float | None = None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready fields."""
        return asdict(self)


def _direction(token: str) -> str | None:
    token = token.upper()
    return "debit" if token in ("DR", "D", "P2M", "P2A", "DEBIT") else "credit" if token in ("CR", "C") else None


def _party(parts: list[str]) -> str | None:
    for part in parts:
        p = part.strip()
        if (p and not _REF.match(p) and not _IFSC.match(p) and not _VPA.search(p) and not _MASKED.fullmatch(p)
                and not p.isdigit() and _LETTERS.search(p) and p.upper() not in ("DR", "CR", "P2A", "P2M")):
            return p
    return None


def _upi(text: str, out: Narration) -> bool:
    m = _UPI_SLASH.search(text)
    if m:
        out.rail, out.channel, out.direction = "UPI", "upi", _direction(m.group(1))
        out.reference, out.merchant_raw, out.counterparty_bank = m.group(2), m.group(3).strip(), m.group(4) or None
        out.vpa = m.group(5) if "@" in m.group(5) else None
        out.remark = _trailing_amount(m.group(6).strip(), out) or None
        return True
    m = _UPI_DASH.match(text)
    if m:
        parts = m.group(1).split("-")
        out.rail, out.channel = "UPI", "upi"
        out.merchant_raw = _party(parts)
        out.vpa = next((p for p in parts if "@" in p), None)
        out.reference = next((p for p in parts if _LONG_REF.fullmatch(p)), None)
        out.remark = parts[-1].strip() if len(parts) > 1 and not _REF.match(parts[-1]) else None
        return True
    return False


def _neft_imps(text: str, out: Narration) -> bool:
    m = _NEFT.match(text)
    if not m:
        return False
    out.rail, out.channel = m.group(1).upper(), "netbanking"
    out.direction = _direction(m.group(2) or "") or None
    parts = [p.strip() for p in _FIELD_SEP.split(m.group(3)) if p.strip()]
    out.counterparty_bank = next((p[:4] for p in parts if _IFSC.match(p)), None)
    out.reference = next((p for p in parts if _REF.match(p) and not _IFSC.match(p)), None)
    out.merchant_raw = _party([p for p in parts if p.upper() not in BANK_CODES])
    # A masked account here is the other party's ("MOM-...-XXXXXXXX2211"): never reported as the user's.
    rest = [p for p in parts if p != out.merchant_raw and not _REF.match(p) and not _IFSC.match(p)
            and not _MASKED.fullmatch(p) and p.upper() not in BANK_CODES and p.upper() not in ("P2A", "P2M")]
    out.remark = rest[-1] if rest else None
    return True


def _card_cash(text: str, out: Narration) -> bool:
    m = _CARD_CASH.match(text)
    if not m:
        return False
    kind, rest = m.group(1).upper(), m.group(2)
    card = _MASKED.search(rest)
    if card:
        out.account_last4 = _NON_DIGIT.sub("", card.group(0))[-4:]
        rest = rest[card.end():]
    out.direction = "debit"
    if kind in ("ATW", "ATM", "NWD", "EAW", "CASH WDL"):
        out.rail, out.channel, out.category = "ATM", "cash", "cash withdrawal"
        return True
    out.rail, out.channel = "POS" if kind in ("POS", "PCD") else "ECOM", "card"
    words = [w for w in _trailing_amount(rest.strip(), out).split() if w]
    name = " ".join(words)
    for n in range(len(words), 0, -1):  # "DMART MUMBAI": the longest known prefix, else drop the city
        if lookup_merchant(" ".join(words[:n])):
            name = " ".join(words[:n])
            break
    else:
        name = " ".join(words[:-1]) if len(words) > 1 else name
    out.merchant_raw = name or None
    return True


def _mandate(text: str, out: Narration) -> bool:
    m = _MANDATE.match(text)
    if not m:
        return False
    out.rail = m.group(1).upper()
    out.channel, out.direction = "netbanking", "debit"
    parts = [p.strip() for p in m.group(2).split("/") if p.strip()]
    parts = [p for p in parts if p.upper() not in ("DR", "ONL", "BPAY", "TPSL", "AUTOPAY", "IMPS")]
    account = next((p for p in parts if _ACCOUNT_PART.search(p)), None)
    if account:
        out.account_last4 = parse_account(account)["last4"]
        parts.remove(account)
    out.merchant_raw = _party(parts)
    tail = [p for p in parts if p != out.merchant_raw and not p.isdigit()]
    out.remark = tail[0] if tail else None
    return True


def _trailing_amount(text: str, out: Narration) -> str:
    m = _TRAILING_AMOUNT.search(text)
    if m and out.amount is None:
        out.amount, out.currency = float(m.group(1).replace(",", "")), "INR"
        return text[:m.start()].strip()
    return text


def _sms(text: str, out: Narration) -> None:
    money = [(m.start(), m.group(0)) for m in _MONEY.finditer(text)]
    for start, surface in money:
        before = text[max(0, start - 25):start].lower()
        parsed = parse_money(surface)
        if parsed is None:
            continue
        if _BALANCE.search(before):
            out.balance = out.balance if out.balance is not None else parsed["amount"]
        elif out.amount is None:
            out.amount, out.currency = parsed["amount"], parsed["currency"]
    plain = _CARD_WORDS.sub("card", text)
    debit, credit = _DEBIT.search(plain), _CREDIT.search(plain)
    if debit or credit:
        out.direction = "debit" if debit and (not credit or debit.start() < credit.start()) else "credit"
    out.vpa = out.vpa or (m.group(0) if (m := _VPA.search(text)) else None)
    out.reference = out.reference or (m.group(1) if (m := _SMS_REF.search(text)) else None)
    account = _SMS_ACCOUNT.search(text)
    out.account_last4 = out.account_last4 or (account.group(1) if account else None)
    if out.merchant_raw is None:
        for m in [*_SMS_PARTY.finditer(text), *_SMS_PAYEE_CREDITED.finditer(text)]:
            name = m.group(1).strip(" .-")
            if name and name.split()[0].upper() not in _NOT_MERCHANTS and not _MASKED.search(name):
                out.merchant_raw = _RAIL_SUFFIX.sub("", name)
                break
    if out.merchant_raw is None and out.vpa and lookup_merchant(out.vpa.split("@")[0]):
        out.merchant_raw = out.vpa.split("@")[0]  # "to VPA swiggy@yesbank": a known merchant's handle
    if out.rail is None:
        upper = text.upper()
        out.rail = next((r for r in ("UPI", "NEFT", "IMPS", "RTGS", "NACH", "ATM", "POS") if r in upper), None)
        out.channel = {"UPI": "upi", "NEFT": "netbanking", "IMPS": "netbanking", "RTGS": "netbanking",
                       "NACH": "netbanking", "ATM": "cash", "POS": "card"}.get(out.rail or "", "other")
        if out.rail is None and "VPA" in upper:
            out.rail, out.channel = "UPI", "upi"
        elif out.rail is None and _CARD_WORD.search(text):
            out.channel = "card"
        elif out.rail is None and _WALLET_WORD.search(text):
            out.channel = "wallet"


_CATEGORY_HINTS = (("credit card", "credit card payment"), ("salary", "income"), ("cashback", "cashback"),
                   ("refund", "refund"), ("interest", "income"),
                   ("emi", "EMI"), ("atm", "cash withdrawal"), ("cash wdl", "cash withdrawal"))


def _guess_category(out: Narration) -> str | None:
    if out.category:
        return out.category
    lowered = out.text.lower()
    if out.direction == "credit":  # money in: a refund from Swiggy is a refund, not food
        for word in ("refund", "cashback", "salary", "interest"):
            if re.search(rf"\b{word}\b", lowered):
                return dict(_CATEGORY_HINTS)[word]
    known = lookup_merchant(out.merchant_raw) if out.merchant_raw else None
    remark = canonical_category(out.remark) if out.remark else None
    if remark and remark in {"groceries", "food", "rent", "fuel", "travel", "shopping", "entertainment",
                             "electricity", "water", "gas", "utilities", "healthcare", "education", "EMI",
                             "insurance premium", "subscriptions", "taxes"}:
        return remark
    if known:
        return known[1]
    return next((category for word, category in _CATEGORY_HINTS if re.search(rf"\b{word}\b", lowered)), None)


def _fill_from_entities(out: Narration, entities: list[dict[str, Any]]) -> None:
    for ent in entities:
        value = ent.get("value") or {}
        if ent["label"] == "MERCHANT" and out.merchant_raw is None:
            out.merchant_raw = ent["text"]
        elif ent["label"] == "MONEY" and out.amount is None and value:
            out.amount, out.currency = value["amount"], value["currency"]
        elif ent["label"] == "DATE" and out.date is None and value:
            out.date = value["start"]
        elif ent["label"] == "ACCOUNT" and out.account_last4 is None and value:
            out.account_last4 = value.get("last4")
        elif ent["label"] == "CATEGORY" and out.remark is None:
            out.remark = ent["text"]


def parse_narration(text: str, reference_date: date | None = None,
                    predictor: Predictor | None = None) -> Narration:
    """Parse one bank narration or SMS; ``predictor`` (a loaded NER model) fills what rules miss."""
    reference = reference_date or date.today()
    cleaned = clean_text(text, MAX_NARRATION_CHARS).replace("\n", " ").strip()
    out = Narration(text=cleaned)
    body = _TRANSFER_PREFIX.sub("", cleaned)
    leading = _LEADING_DATE.match(body)
    if leading:
        found = resolve_date(leading.group(1), reference)
        out.date = found["start"] if found else None
        body = body[leading.end():]
    if not (_upi(body, out) or _neft_imps(body, out) or _card_cash(body, out) or _mandate(body, out)):
        _sms(body, out)
    if out.date is None and (m := _DATE.search(body)):
        found = resolve_date(m.group(0), reference)
        out.date = found["start"] if found else None
    if predictor is not None:
        _fill_from_entities(out, predictor.predict([{"text": cleaned, "reference_date": reference.isoformat()}])[0]
                            ["entities"])
    if out.merchant_raw:
        out.merchant = canonical_merchant(out.merchant_raw)
    out.category = _guess_category(out)
    return out
