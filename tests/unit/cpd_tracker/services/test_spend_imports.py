"""Parsing a finance system's purchases export (pure: no database)."""

from __future__ import annotations

import datetime as dt

from cpd_tracker.models import FundingSource
from cpd_tracker.services.spend.imports import parse_purchases_csv


def test_a_finance_export_with_its_own_headings() -> None:
    data = (
        "Supplier,Item description,Invoice date,Qty,Unit price,Supply cost,Supply code,Fund,"
        "Notional SEN,PO number,Cost centre\r\n"
        'nasen,Autism day,03/10/2025,2,"£1,250.50",£180,e26,NPQ,yes,PO-7,ABC\r\n'
    ).encode()
    parsed = parse_purchases_csv(data)
    assert parsed.errors == []
    assert parsed.ignored_columns == ("Cost centre",)
    (row,) = parsed.rows
    assert (row.provider, row.course_title, row.purchased_on) == (
        "nasen",
        "Autism day",
        dt.date(2025, 10, 3),
    )
    assert (row.delegates, row.list_price_pence, row.supply_pence) == (2, 125_050, 18_000)
    assert (row.supply_code, row.funding, row.notional_sen) == (
        "E26",
        FundingSource.NPQ_SCHOLARSHIP,
        True,
    )
    assert (row.finance_code, row.reference, row.discount_pence) == ("E09", "PO-7", None)


def test_every_problem_of_a_row_is_reported() -> None:
    data = (
        b"Provider,Course title,Date,Delegates,List price,Travel,Funding source,Notional SEN\n"
        b",X,32/01/2025,0,1.001,-3,piggy bank,maybe\n"
    )
    parsed = parse_purchases_csv(data)
    messages = " | ".join(p.message for p in parsed.errors)
    for fragment in (
        "provider is empty",
        "is not a real date",
        "delegates '0' must be a whole number from 1 to 1000",
        "the list price must have no more than 2 decimal places",
        "travel must be £0 or more",
        "funding source 'piggy bank'",
        "notional SEN 'maybe' must be yes or no",
    ):
        assert fragment in messages, fragment
    assert all(p.row == 2 for p in parsed.errors)
    assert parsed.rows == []


def test_a_file_without_the_needed_columns() -> None:
    parsed = parse_purchases_csv(b"Provider,Date\nnasen,01/10/2025\n")
    assert len(parsed.errors) == 1
    assert parsed.errors[0].row is None
    assert "List price per delegate" in parsed.errors[0].message
