"""Table-driven normalisation: money amounts, dates against a fixed reference date, merchants, accounts."""

from __future__ import annotations

from datetime import date

import pytest

from nivesh_ml.models.ner.normalise import canonical_category, normalise_value, parse_account, parse_money

MONEY = [
    ("₹1,20,000", 120000.0, "INR"), ("₹5,000", 5000.0, "INR"), ("₹99.50", 99.5, "INR"), ("₹50", 50.0, "INR"),
    ("₹1,00,00,000", 10000000.0, "INR"), ("₹2,00,000", 200000.0, "INR"), ("₹12,999", 12999.0, "INR"),
    ("Rs.500", 500.0, "INR"), ("Rs. 599", 599.0, "INR"), ("rs. 1200", 1200.0, "INR"),
    ("Rs.2,500.00", 2500.0, "INR"), ("Rs 12,340.50", 12340.5, "INR"), ("Rs. 500/-", 500.0, "INR"),
    ("Rs 1,02,345.00", 102345.0, "INR"), ("RS 750", 750.0, "INR"), ("Rs500", 500.0, "INR"),
    ("Rs.1,46,501.00", 146501.0, "INR"), ("Rs 0", 0.0, "INR"), ("INR 20,000", 20000.0, "INR"),
    ("INR 2.5 lakh", 250000.0, "INR"), ("INR 4,12,580.30", 412580.3, "INR"), ("INR2000", 2000.0, "INR"),
    ("inr 15.00", 15.0, "INR"), ("50,000 rupees", 50000.0, "INR"), ("500 rupees", 500.0, "INR"),
    ("450 rupay", 450.0, "INR"), ("3,450 rupaye", 3450.0, "INR"), ("1 rupee", 1.0, "INR"),
    ("5k", 5000.0, "INR"), ("15K", 15000.0, "INR"), ("₹50k", 50000.0, "INR"), ("₹15K", 15000.0, "INR"),
    ("2.5k", 2500.0, "INR"), ("8k", 8000.0, "INR"), ("2 lakh", 200000.0, "INR"), ("3 lakhs", 300000.0, "INR"),
    ("1.5 lakh", 150000.0, "INR"), ("2.5 lakhs", 250000.0, "INR"), ("5 lac", 500000.0, "INR"),
    ("10 lacs", 1000000.0, "INR"), ("₹1.2 lakh", 120000.0, "INR"), ("Rs 3.2 lakh", 320000.0, "INR"),
    ("₹40 lakh", 4000000.0, "INR"), ("2L", 200000.0, "INR"), ("1.5 crore", 15000000.0, "INR"),
    ("5 crore", 50000000.0, "INR"), ("2 cr", 20000000.0, "INR"), ("₹2.5 crore", 25000000.0, "INR"),
    ("3 crores", 30000000.0, "INR"), ("1.2cr", 12000000.0, "INR"), ("20 LPA", 2000000.0, "INR"),
    ("2 hazaar", 2000.0, "INR"), ("10 hazaar", 10000.0, "INR"), ("ek lakh", 100000.0, "INR"),
    ("dedh lakh", 150000.0, "INR"), ("5 thousand", 5000.0, "INR"), ("$120", 120.0, "USD"),
    ("$720", 720.0, "USD"), ("USD 20.00", 20.0, "USD"), ("USD 9.99", 9.99, "USD"), ("20 dollars", 20.0, "USD"),
    ("$1.5k", 1500.0, "USD"), ("EUR 45.00", 45.0, "EUR"), ("€30", 30.0, "EUR"), ("GBP 60.00", 60.0, "GBP"),
    ("£12", 12.0, "GBP"), ("AED 150.00", 150.0, "AED"), ("450.00", 450.0, "INR"), ("50,000", 50000.0, "INR"),
    ("1,299.00", 1299.0, "INR"),
]

REF = date(2025, 1, 15)  # a Wednesday
DATES = [
    ("yesterday", "2025-01-14", "2025-01-14"), ("today", "2025-01-15", "2025-01-15"),
    ("tomorrow", "2025-01-16", "2025-01-16"), ("kal", "2025-01-14", "2025-01-14"),
    ("kal raat", "2025-01-14", "2025-01-14"), ("parso", "2025-01-13", "2025-01-13"),
    ("aaj", "2025-01-15", "2025-01-15"), ("aaj subah", "2025-01-15", "2025-01-15"),
    ("last night", "2025-01-14", "2025-01-14"), ("last month", "2024-12-01", "2024-12-31"),
    ("pichle mahine", "2024-12-01", "2024-12-31"), ("this month", "2025-01-01", "2025-01-31"),
    ("is mahine", "2025-01-01", "2025-01-31"), ("next month", "2025-02-01", "2025-02-28"),
    ("agle mahine", "2025-02-01", "2025-02-28"), ("this year", "2025-01-01", "2025-12-31"),
    ("is saal", "2025-01-01", "2025-12-31"), ("last year", "2024-01-01", "2024-12-31"),
    ("pichle saal", "2024-01-01", "2024-12-31"), ("agle saal", "2026-01-01", "2026-12-31"),
    ("last week", "2025-01-06", "2025-01-12"), ("pichle hafte", "2025-01-06", "2025-01-12"),
    ("this week", "2025-01-13", "2025-01-19"), ("next Friday", "2025-01-17", "2025-01-17"),
    ("last Tuesday", "2025-01-14", "2025-01-14"), ("pichle Sunday", "2025-01-12", "2025-01-12"),
    ("next Monday", "2025-01-20", "2025-01-20"), ("in 2 years", "2027-01-15", "2027-01-15"),
    ("in 3 days", "2025-01-18", "2025-01-18"), ("2 saal", "2027-01-15", "2027-01-15"),
    ("within 18 months", "2025-01-15", "2026-07-15"), ("since January", "2025-01-01", "2025-01-15"),
    ("since March", "2024-03-01", "2025-01-15"), ("since 1st Jan", "2025-01-01", "2025-01-15"),
    ("every month", "2025-01-01", "2025-01-31"), ("har mahine", "2025-01-01", "2025-01-31"),
    ("monthly", "2025-01-01", "2025-01-31"), ("per week", "2025-01-13", "2025-01-19"),
    ("every year", "2025-01-01", "2025-12-31"), ("last 3 months", "2024-10-16", "2025-01-15"),
    ("pichle 3 mahine", "2024-10-16", "2025-01-15"), ("past 6 months", "2024-07-16", "2025-01-15"),
    ("last Diwali", "2024-10-31", "2024-10-31"), ("pichle Diwali", "2024-10-31", "2024-10-31"),
    ("Diwali 2025", "2025-10-20", "2025-10-20"), ("next Holi", "2025-03-14", "2025-03-14"),
    ("15/08/2024", "2024-08-15", "2024-08-15"), ("05/09/24", "2024-09-05", "2024-09-05"),
    ("14-08-24", "2024-08-14", "2024-08-14"), ("2025-01-15", "2025-01-15", "2025-01-15"),
    ("12-Jan-25", "2025-01-12", "2025-01-12"), ("01-SEP-24", "2024-09-01", "2024-09-01"),
    ("12Aug24", "2024-08-12", "2024-08-12"), ("3rd March", "2025-03-03", "2025-03-03"),
    ("March 3", "2025-03-03", "2025-03-03"), ("31st March 2025", "2025-03-31", "2025-03-31"),
    ("14 Jan 2025", "2025-01-14", "2025-01-14"), ("March", "2025-03-01", "2025-03-31"),
    ("Jan 2025", "2025-01-01", "2025-01-31"), ("AUG24", "2024-08-01", "2024-08-31"),
    ("2024", "2024-01-01", "2024-12-31"), ("FY 2023-24", "2023-04-01", "2024-03-31"),
    ("FY24", "2023-04-01", "2024-03-31"), ("this financial year", "2024-04-01", "2025-03-31"),
    ("Oct-Dec 2024", "2024-10-01", "2024-12-31"), ("20th", "2025-01-20", "2025-01-20"),
    ("5 tarikh", "2025-01-05", "2025-01-05"), ("1st of every month", "2025-01-01", "2025-01-01"),
    # the long tail goes to dateparser
    ("2 weeks ago", "2025-01-01", "2025-01-01"), ("a month ago", "2024-12-15", "2024-12-15"),
    ("31.12.2024", "2024-12-31", "2024-12-31"), ("FY 99-00", "1999-04-01", "2000-03-31"),
    ("January 5th, 2025", "2025-01-05", "2025-01-05"),
]


@pytest.mark.parametrize(("text", "amount", "currency"), MONEY)
def test_money_values(text: str, amount: float, currency: str) -> None:
    assert parse_money(text) == {"amount": amount, "currency": currency}


def test_money_table_is_large_enough() -> None:
    assert len(MONEY) >= 60 and len(DATES) >= 40


@pytest.mark.parametrize(("text", "start", "end"), DATES)
def test_date_values(text: str, start: str, end: str) -> None:
    assert normalise_value("DATE", text, REF) == {"start": start, "end": end}


@pytest.mark.parametrize("text", ["this Akshaya Tritiya", "31/02/2024", "every 0 days", "99/99/99", "since", "Q5"])
def test_impossible_or_unknown_dates_have_no_value(text: str) -> None:
    assert normalise_value("DATE", text, REF) is None


def test_wordless_money_has_no_value() -> None:
    assert parse_money("rupees") is None


@pytest.mark.parametrize(("text", "name"), [
    ("SWIGGY", "Swiggy"), ("swiggy", "Swiggy"), ("ZOMATO LTD", "Zomato"), ("MYNTRA DESIGNS PVT LTD", "Myntra"),
    ("UBER INDIA SYSTEMS", "Uber"), ("NETFLIX.COM", "Netflix"), ("LIC OF INDIA", "LIC"), ("bigbasket", "BigBasket"),
    ("RAMESH GROCERY STORE", "Ramesh Grocery Store"),
])
def test_merchant_names_are_canonical(text: str, name: str) -> None:
    value = normalise_value("MERCHANT", text, REF)
    assert value is not None and value["name"] == name


@pytest.mark.parametrize(("text", "institution", "kind", "last4"), [
    ("HDFC savings account", "HDFC Bank", "savings account", None),
    ("credit card ending 4521", None, "credit card", "4521"),
    ("a/c XX7788", None, "account", "7788"),
    ("HDFC Bank Credit Card XX4521", "HDFC Bank", "credit card", "4521"),
    ("ICICI card", "ICICI Bank", "card", None),
    ("Paytm wallet", "Paytm", "wallet", None),
    ("SBI account XXXX1234", "State Bank of India", "account", "1234"),
    ("Loan A/c XXXX5678", None, "loan", "5678"),
    ("416021XXXXXX4521", None, "card", "4521"),
    ("Amazon Pay ICICI Credit Card XX6612", "ICICI Bank", "credit card", "6612"),
])
def test_account_parts(text: str, institution: str | None, kind: str, last4: str | None) -> None:
    assert parse_account(text) == {"institution": institution, "type": kind, "last4": last4}


@pytest.mark.parametrize(("text", "category"), [("bijli", "electricity"), ("kiraya", "rent"), ("Grocery", "groceries"),
                                                ("dawai", "healthcare"), ("EMI", "EMI")])
def test_hinglish_categories(text: str, category: str) -> None:
    assert canonical_category(text) == category
