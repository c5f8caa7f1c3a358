"""Bank narration and SMS parsing: merchant, channel, direction, amount, reference, category."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from typer.testing import CliRunner

from nivesh_ml.models.ner.narration import parse_narration

REF = date(2025, 1, 15)

CASES: list[tuple[str, dict[str, Any]]] = [
    ("UPI/DR/412345678901/SWIGGY/YESB/swiggy@yesbank/Payment",
     {"channel": "upi", "direction": "debit", "merchant": "Swiggy", "reference": "412345678901",
      "vpa": "swiggy@yesbank", "category": "food"}),
    ("UPI/CR/426612349988/PHONEPE/YBL/phonepe@ybl/Cashback",
     {"channel": "upi", "direction": "credit", "merchant": "PhonePe", "remark": "Cashback"}),
    ("UPI-ZOMATO LTD-zomato.payu@hdfcbank-HDFC0000499-412398765432-PAYMENT FROM PHONE",
     {"channel": "upi", "merchant": "Zomato", "reference": "412398765432", "category": "food"}),
    ("To Transfer-UPI/DR/423312345678/ZEPTO MARKETPLACE/AIRP/zeptomarketplace@axisbank/Grocery",
     {"merchant": "Zepto", "category": "groceries", "direction": "debit"}),
    ("NEFT CR-HDFC0000123-ACME TECHNOLOGIES PVT LTD-SALARY AUG24-N242241234567",
     {"channel": "netbanking", "rail": "NEFT", "direction": "credit", "merchant_raw": "ACME TECHNOLOGIES PVT LTD",
      "reference": "N242241234567", "category": "income"}),
    ("NEFT DR-SBIN0001234-LIC OF INDIA-NETBANK, MUM-N2891234567-PREMIUM",
     {"direction": "debit", "merchant": "LIC", "category": "insurance premium"}),
    ("IMPS/P2A/312345/RAHUL/HDFC", {"channel": "netbanking", "rail": "IMPS", "merchant_raw": "RAHUL"}),
    ("POS 416021XXXXXX4521 DMART MUMBAI",
     {"channel": "card", "direction": "debit", "merchant": "DMart", "account_last4": "4521", "category": "groceries"}),
    ("ATW-416021XXXXXX7788-S1AW000123-MUMBAI",
     {"channel": "cash", "direction": "debit", "category": "cash withdrawal", "account_last4": "7788"}),
    ("BIL/ONL/000123456/TATA POWER/ELECTRICITY",
     {"channel": "netbanking", "merchant": "Tata Power", "category": "electricity"}),
    ("NACH/DR/TPSL/HDFC LIFE/INSURANCE PREMIUM", {"merchant": "HDFC Life", "category": "insurance premium"}),
    ("15/08/2024 UPI/DR/412345678901/SWIGGY/YESB/swiggy@yesbank/Payment 450.00",
     {"date": "2024-08-15", "amount": 450.0, "merchant": "Swiggy"}),
    ("Rs.2,500.00 debited from A/c XX7788 on 15/08/2024 to VPA swiggy@yesbank. Avl Bal Rs 12,340.50",
     {"amount": 2500.0, "currency": "INR", "direction": "debit", "channel": "upi", "merchant": "Swiggy",
      "date": "2024-08-15", "account_last4": "7788", "balance": 12340.5}),
    ("Rs 85,000.00 credited to A/c XX7788 on 31/08/2024 by NEFT from INFOSYS LIMITED. Avl Bal Rs 97,340.50",
     {"amount": 85000.0, "direction": "credit", "channel": "netbanking", "merchant_raw": "INFOSYS LIMITED"}),
    ("Your HDFC Bank Credit Card XX4521 has been used for Rs 3,299 at AMAZON on 12-Jan-25.",
     {"direction": "debit", "channel": "card", "merchant": "Amazon", "amount": 3299.0, "date": "2025-01-12"}),
    ("Dear SBI User, your A/c X4512 debited by Rs 1,299.00 on date 25Aug24 trf to AMAZON Refno 423812345678.",
     {"merchant": "Amazon", "reference": "423812345678", "date": "2024-08-25", "account_last4": "4512"}),
    ("Your A/c XX1290 is credited with Rs.2,500.00 on 14-02-2025 by SWIGGY refund.",
     {"direction": "credit", "merchant": "Swiggy", "category": "refund", "amount": 2500.0}),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_narration_fields(text: str, expected: dict[str, Any]) -> None:
    parsed = parse_narration(text, REF).as_dict()
    assert {k: parsed[k] for k in expected} == expected


def test_other_peoples_masked_accounts_are_not_the_users() -> None:
    parsed = parse_narration("IMPS-423510001234-MOM-SBIN0005678-XXXXXXXX2211", REF)
    assert parsed.account_last4 is None and parsed.reference == "423510001234"


def test_unknown_text_still_answers() -> None:
    parsed = parse_narration("hello there", REF)
    assert parsed.channel == "other" and parsed.merchant is None and parsed.amount is None


def test_cli_prints_json() -> None:
    import json

    from nivesh_ml.cli import app

    result = CliRunner().invoke(app, ["parse-narration", "UPI/DR/412345678901/SWIGGY/YESB/swiggy@yesbank/Payment"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert body["merchant"] == "Swiggy" and body["channel"] == "upi" and body["direction"] == "debit"
    bad = CliRunner().invoke(app, ["parse-narration", "ok", "--reference-date", "2025-02-30"])
    assert bad.exit_code == 2
