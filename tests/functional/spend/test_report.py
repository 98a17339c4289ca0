"""The spend report: DOMAIN.md's worked example on the page, a membership year straddling two
financial years, central spend shared out to the penny, and downloads whose figures are the
page's, string for string."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from openpyxl import load_workbook

from cpd_tracker.exports import MONEY_FORMAT
from cpd_tracker.extensions import db
from cpd_tracker.models import Organisation, School
from cpd_tracker.rules.money import ShareBasis, YearKind, money_text
from tests.functional.spend.conftest import SignIn
from tests.functional.spend.support import (
    membership,
    post,
    provider,
    purchase,
    table_cells,
)
from tests.functional.staff.support import ALDER, BIRCH
from tests.support.factories import school_id


def _worked_example(app: Flask, org_id: int) -> None:
    """Fee £1,500, nothing included, 20% off: £3,000 at list price bought, £600 saved."""
    nasen = provider(app, org_id)
    membership(app, org_id, nasen)
    alder = school_id(app, ALDER)
    purchase(app, org_id, nasen, alder, delegates=4, list_price_pence=50_000)
    purchase(app, org_id, nasen, alder, delegates=2, list_price_pence=50_000)


def test_worked_example_breaks_even_at_7500_on_the_page(
    app: Flask, org_id: int, sign_in: SignIn
) -> None:
    _worked_example(app, org_id)
    html = sign_in("admin").get("/spend/report?year=2025").get_data(as_text=True)
    rows = table_cells(html, "memberships")
    assert rows == [
        [
            "nasen full membership",
            "1 September 2025 to 31 August 2026",
            "£1,500.00",
            "£1,500.00",
            "£600.00",
            "£0.00",
            "\u2212£900.00",
            "\u221260.0%",
            "20.0%",
            "£7,500.00",
            "£6,000.00",
            "£0.00",  # nothing bought only for the discount
        ]
    ]
    schools = table_cells(html, "schools")
    assert schools[0] == [
        "Alder Primary",
        "2",
        "6",
        "£3,000.00",
        "£600.00",
        "£2,400.00",
        "£0.00",  # VAT: not stated on these rows
        "£0.00",
        "£0.00",
        "£0.00",
        "£2,400.00",
        "£0.00",
        "£2,400.00",
    ]
    assert "<svg" in html  # the chart, with the table as its text alternative


def test_membership_year_straddling_two_financial_years(
    app: Flask, org_id: int, sign_in: SignIn
) -> None:
    _worked_example(app, org_id)
    with app.app_context():
        org = db.session.get(Organisation, org_id)
        assert org is not None
        org.spend_year = YearKind.FINANCIAL
        db.session.commit()
    leader = sign_in("admin")
    first = table_cells(leader.get("/spend/report?year=2025").get_data(as_text=True), "memberships")
    second = table_cells(
        leader.get("/spend/report?year=2026").get_data(as_text=True), "memberships"
    )
    # 212 of the 365 days fall before 1 April 2026, 153 after: £871.23 + £628.77 = £1,500.00.
    assert first[0][3] == "£871.23"
    assert second[0][3] == "£628.77"


@pytest.mark.parametrize("key", ["schools", "providers", "memberships", "apportionment", "codes"])
def test_downloads_carry_the_pages_figures(
    app: Flask, org_id: int, sign_in: SignIn, key: str
) -> None:
    _worked_example(app, org_id)
    nasen = provider(app, org_id, "Behaviour trainer")
    purchase(
        app, org_id, nasen, None, list_price_pence=33_333, supply_pence=12_001, supply_code="E26"
    )
    leader = sign_in("admin")
    page_rows = table_cells(leader.get("/spend/report?year=2025").get_data(as_text=True), key)
    assert page_rows
    body = leader.get(f"/spend/report/{key}.csv?year=2025").get_data(as_text=True)
    csv_rows = [[str(c) for c in r] for r in csv.reader(io.StringIO(body.lstrip("\ufeff")))][1:]
    assert csv_rows == page_rows
    response = leader.get(f"/spend/report/{key}.xlsx?year=2025")
    sheet = load_workbook(io.BytesIO(response.data)).active
    assert sheet is not None
    xlsx_rows = [[_shown(cell) for cell in row] for row in sheet.iter_rows(min_row=2)]
    assert xlsx_rows == page_rows
    # Amounts are numbers a spreadsheet can add up, formatted to read as the page does.
    money = [
        c for row in sheet.iter_rows(min_row=2) for c in row if c.number_format == MONEY_FORMAT
    ]
    assert money
    assert all(isinstance(c.value, int | float) for c in money)


def _shown(cell: Any) -> str:
    """What Excel displays for a cell: money cells through their currency format."""
    value = cell.value
    if value is None:
        return ""
    if cell.number_format == MONEY_FORMAT:
        pence = round(Decimal(str(value)) * 100)
        return money_text(int(pence))
    return str(value)


def test_central_spend_is_shared_by_pupils_to_the_penny(
    app: Flask, org_id: int, sign_in: SignIn
) -> None:
    nasen = provider(app, org_id)
    purchase(app, org_id, nasen, None, list_price_pence=100_000)
    membership(app, org_id, nasen, fee=100_001, basis=ShareBasis.EQUALLY)
    leader = sign_in("admin")
    settings = post(
        leader,
        "/spend/settings",
        "/spend/settings",
        {
            "spend_year": "academy",
            "census_year": "2025",
            f"pupils-{school_id(app, ALDER)}": "210",
            f"pupils-{school_id(app, BIRCH)}": "415",
        },
    )
    assert settings.status_code == 302
    rows = table_cells(
        leader.get("/spend/report?year=2025&basis=pupils").get_data(as_text=True), "apportionment"
    )
    by_school = {r[0]: r for r in rows}
    # £1,000 by 210 : 415 pupils = 336.00 : 664.00; the £1,000.01 fee equally: .01 to the first.
    assert by_school["Alder Primary"][4:] == ["£336.00", "£500.01", "£836.01"]
    assert by_school["Birch Academy"][4:] == ["£664.00", "£500.00", "£1,164.00"]
    assert by_school["Total"][4:] == ["£1,000.00", "£1,000.01", "£2,000.01"]


def test_without_pupil_numbers_the_report_says_what_to_do(
    app: Flask, org_id: int, sign_in: SignIn
) -> None:
    nasen = provider(app, org_id)
    purchase(app, org_id, nasen, None)
    html = sign_in("admin").get("/spend/report?year=2025").get_data(as_text=True)
    assert "enter the schools&#39; pupil numbers in Settings" in html


def test_bad_pupil_numbers_are_refused(app: Flask, org_id: int, sign_in: SignIn) -> None:
    leader = sign_in("admin")
    response = post(
        leader,
        "/spend/settings",
        "/spend/settings",
        {"spend_year": "financial", f"pupils-{school_id(app, ALDER)}": "-3"},
    )
    assert response.status_code == 400
    assert "must be a whole number" in response.get_data(as_text=True)
    with app.app_context():
        org = db.session.get(Organisation, org_id)
        school = db.session.get(School, school_id(app, ALDER))
        assert org is not None
        assert school is not None
        assert (org.spend_year, school.pupil_count) == (YearKind.ACADEMY, None)


def test_cost_per_compliant_member_of_staff(app: Flask, org_id: int, sign_in: SignIn) -> None:
    from tests.functional.spend.support import module_id
    from tests.functional.staff.support import add_completion, add_person, add_requirement

    autism = module_id(app, org_id)
    add_requirement(app, org_id, autism, roles=[])
    people = [add_person(app, ALDER, name) for name in ("Ann Ash", "Ben Birch", "Cy Cedar")]
    for pid in people:
        add_completion(app, pid, autism, dt.date.today() - dt.timedelta(days=10))
    nasen = provider(app, org_id)
    today = dt.date.today()
    purchase(
        app,
        org_id,
        nasen,
        school_id(app, ALDER),
        module_id=autism,
        delegates=3,
        list_price_pence=10_000,
        purchased_on=today,
    )
    year = today.year if today.month >= 9 else today.year - 1
    html = sign_in("admin").get(f"/spend/report?year={year}").get_data(as_text=True)
    rows = {r[0]: r for r in table_cells(html, "compliance")}
    # Cost, delegates booked, delegates trained (none linked yet), per trained, compliant,
    # per compliant.
    assert rows["Autism awareness"][1:] == ["£300.00", "3", "0", "n/a", "3", "£100.00"]
