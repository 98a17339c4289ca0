"""My CPD record: the printable page, the CSV and the XLSX, always the signed-in person's own."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import load_workbook

from cpd_tracker.exports import XLSX_TYPE
from cpd_tracker.models import CompletionMethod
from tests.functional.staff.conftest import SignIn
from tests.functional.staff.support import (
    ALDER,
    add_completion,
    add_module,
    add_person,
    person_id_of,
)
from tests.support.platform import TestPlatform

HEADER = [
    "Academic year",
    "Date",
    "Training",
    "How",
    "Provider",
    "CPD hours",
    "Certificate expires",
]


@pytest.fixture
def learner(app: Flask, org_id: int, sign_in: SignIn, platform: TestPlatform) -> FlaskClient:
    """Lena, signed in as a staff member of Alder, with completions either side of
    1 September 2025; a colleague has completions of their own."""
    client = sign_in("learner")
    me = person_id_of(app, platform, "learner")
    autism = add_module(app, org_id, "Autism", hours="2")
    code = add_module(app, org_id, "Code of Practice")
    add_completion(app, me, code, dt.date(2024, 10, 1), hours="1.5")
    add_completion(
        app, me, autism, dt.date(2025, 8, 31), hours="2", method=CompletionMethod.IN_TOOL
    )
    add_completion(
        app,
        me,
        code,
        dt.date(2025, 9, 1),
        hours="3.25",
        method=CompletionMethod.EXTERNAL,
        provider="=HYPERLINK(x)",
    )
    colleague = add_person(app, ALDER, "Cara Colleague")
    add_completion(app, colleague, autism, dt.date(2025, 1, 1), hours="7")
    return client


def _csv_rows(client: FlaskClient) -> list[list[str]]:
    response = client.get("/staff/me/cpd-record.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="cpd-record-')
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def test_csv_lists_every_completion_with_totals_per_academic_year(learner: FlaskClient) -> None:
    rows = _csv_rows(learner)
    assert rows == [
        HEADER,
        ["2025/26", "2025-09-01", "Code of Practice", "External course", "'=HYPERLINK(x)", "3.25", ""],  # noqa: E501
        ["2025/26", "", "Total for 2025/26", "", "", "3.25", ""],
        ["2024/25", "2025-08-31", "Autism", "Online module in this tool", "nasen", "2.00", ""],
        ["2024/25", "2024-10-01", "Code of Practice", "Recorded by a CPD lead", "nasen", "1.50", ""],  # noqa: E501
        ["2024/25", "", "Total for 2024/25", "", "", "3.50", ""],
        ["All years", "", "Total", "", "", "6.75", ""],
    ]  # fmt: skip


def test_xlsx_has_a_header_real_dates_and_a_frozen_pane(learner: FlaskClient) -> None:
    response = learner.get("/staff/me/cpd-record.xlsx")
    assert response.status_code == 200
    assert response.mimetype == XLSX_TYPE
    workbook = load_workbook(io.BytesIO(response.get_data()))
    sheet = workbook.active
    assert sheet is not None
    assert sheet.title == "CPD record"
    assert sheet.freeze_panes == "A2"
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == HEADER
    assert all(cell.font.b for cell in sheet[1])
    first = sheet["B2"]
    assert first.is_date
    assert first.value == dt.datetime(2025, 9, 1)
    assert first.number_format == "dd/mm/yyyy"
    assert rows[1][2] == "Code of Practice"
    assert rows[1][4] == "'=HYPERLINK(x)"  # formula injection defused
    assert Decimal(str(rows[1][5])) == Decimal("3.25")
    assert rows[-1][0] == "All years"
    assert Decimal(str(rows[-1][5])) == Decimal("6.75")
    assert len(rows) == 7


def test_printable_page_shows_years_totals_and_the_print_stylesheet(
    learner: FlaskClient,
) -> None:
    response = learner.get("/staff/me/cpd-record")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "CPD record: Lena Learner" in html
    assert '<link rel="stylesheet" href="/static/print.css" media="print">' in html
    assert "2025/26 (September to August)" in html
    assert "2024/25 (September to August)" in html
    assert "Total for 2024/25" in html
    assert "6.75 hours from 3 completions" in html
    assert "31 August 2025" in html
    assert "Online module in this tool" in html
    assert "app-print-hide" in html


def test_only_the_signed_in_persons_own_record(
    app: Flask, learner: FlaskClient, platform: TestPlatform
) -> None:
    colleague_hours = "7"
    rows = _csv_rows(learner)
    assert all(row[5] != colleague_hours + ".00" for row in rows[1:])
    # A person id in the query string changes nothing: the record is the session's.
    other = person_id_of(app, platform, "learner") + 1
    for path in ("/staff/me/cpd-record.csv", "/staff/me/cpd-record"):
        sneaky = learner.get(path, query_string={"person_id": other, "person": other})
        assert "Cara" not in sneaky.get_data(as_text=True)
        assert "7.00" not in sneaky.get_data(as_text=True)
    assert learner.get(f"/staff/people/{other}/cpd-record").status_code == 404
    assert learner.get(f"/staff/{other}/cpd-record.csv").status_code == 404


def test_a_cpd_lead_downloads_their_own_record_only(
    app: Flask, learner: FlaskClient, sign_in: SignIn
) -> None:
    lead = sign_in("instructor")
    rows = _csv_rows(lead)
    assert rows == [HEADER]
    assert "No training recorded yet." in lead.get("/staff/me/cpd-record").get_data(as_text=True)


def test_my_training_links_to_the_record(learner: FlaskClient) -> None:
    html = learner.get("/my-training").get_data(as_text=True)
    assert 'href="/staff/me/cpd-record.csv"' in html
    assert "Download my CPD record (CSV)".lower() in html.lower()
    assert 'href="/staff/me/cpd-record.xlsx"' in html
    assert 'href="/staff/me/cpd-record"' in html


def test_the_print_stylesheet_is_served(learner: FlaskClient) -> None:
    response = learner.get("/static/print.css")
    assert response.status_code == 200
    css = response.get_data(as_text=True)
    response.close()
    assert "@media print" in css
    assert "size: A4" in css
    assert ".app-header" in css
