"""A school bigger than a page (issue 14, finding 9): the dashboard shows one page of staff and
the first rows of each list with "the first N of M", counts everyone, refuses pages that do
not exist, and every download still has everyone.

The page size and list length are made small here (3 staff a page, 2 rows a list) so a
school of eight is "big"; the benchmark (``benchmarks/big_school.py``) has 26,000 staff.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pytest
from flask import Flask
from openpyxl import load_workbook

from cpd_tracker.records import routes as record_routes
from cpd_tracker.services import school_statements
from tests.functional.reports.conftest import SignIn
from tests.functional.staff.support import (
    ALDER,
    add_completion,
    add_module,
    add_person,
    add_requirement,
)
from tests.support.factories import school_id

TODAY = dt.datetime.now(dt.UTC).date()
YEAR_AGO = dt.datetime.now(dt.UTC) - dt.timedelta(days=400)
#: Added to the school besides the CPD lead who signs in: eight staff in all.
NAMES = ["Ann Able", "Ben Baker", "Cal Carter", "Dee Dunn", "Eve Evans", "Fay Ford", "Gus Grey"]
HEATMAP_ROW = '<th scope="row" class="govuk-table__header app-heatmap__name">'


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def _csv(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def _heatmap(html: str) -> str:
    return html.split('id="staff-status"')[1].split('id="hours"')[0]


@pytest.fixture
def big(app: Flask, monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """Seven staff and one requirement for everyone, introduced a year ago and due within 30
    days of starting: Ann and Ben trained, the other five overdue and never started."""
    monkeypatch.setattr(school_statements, "PAGE_ROWS", 3)
    monkeypatch.setattr(school_statements, "LIST_LIMIT", 2)
    org_id = _org(app)
    module = add_module(app, org_id, "Autism essentials", hours="2")
    add_requirement(app, org_id, module, due_days=30, validity_months=36, created_at=YEAR_AGO)
    people = {name: add_person(app, ALDER, name, start_date=dt.date(2020, 9, 1)) for name in NAMES}
    for name in ("Ann Able", "Ben Baker"):
        add_completion(app, people[name], module, TODAY - dt.timedelta(days=20), hours="2")
    return people


def _org(app: Flask) -> int:
    from cpd_tracker.extensions import db
    from cpd_tracker.models import School

    with app.app_context():
        school = db.session.get(School, school_id(app, ALDER))
        assert school is not None
        return school.organisation_id


def test_a_big_school_shows_a_page_of_staff_and_the_first_rows_of_each_list(
    app: Flask, sign_in: SignIn, big: dict[str, int]
) -> None:
    alder = school_id(app, ALDER)
    lead = sign_in("instructor")
    html = lead.get(f"/schools/{alder}").get_data(as_text=True)
    text = _text(html)
    # Counted over everyone: the lead and seven staff, two of them trained.
    assert "8 staff on the list" in text
    assert "2 of 8" in text
    assert "Overdue or expired (6)" in text
    assert "Never started any required training (6)" in text
    # The lists show their first rows and say so.
    assert text.count("The first 2 of 6; the download has them all.") == 2
    gaps = html.split('id="gaps"')[1].split('id="staff-status"')[0]
    overdue = gaps.split("Overdue or expired (6)")[1].split("Expiring in")[0]
    assert overdue.count('<tr class="govuk-table__row"><th scope="row"') == 2
    # One page of the heatmap, in the staff list's order (family name).
    heatmap = _heatmap(html)
    assert heatmap.count(HEATMAP_ROW) == 3
    assert "Ann Able" in heatmap
    assert "Ben Baker" in heatmap
    assert "Gus Grey" not in heatmap
    assert "Staff 1 to 3 of 8 (page 1 of 3); the download has them all." in _text(heatmap)
    assert 'class="govuk-pagination' in heatmap
    assert 'aria-label="Page 3"' in heatmap
    assert 'aria-current="page"' in heatmap
    # The hours table is the same page.
    hours = html.split('id="hours"')[1].split("LMS courses linked")[0]
    assert hours.count('<th scope="row" class="govuk-table__header">') == 3

    last = lead.get(f"/schools/{alder}?page=3").get_data(as_text=True)
    heatmap = _heatmap(last)
    assert heatmap.count(HEATMAP_ROW) == 2
    assert "Gus Grey" in heatmap
    assert "Ann Able" not in heatmap
    assert "Staff 7 to 8 of 8 (page 3 of 3)" in _text(heatmap)
    assert 'rel="prev"' in heatmap
    assert 'rel="next"' not in heatmap
    # The figures are the same on every page.
    assert "Overdue or expired (6)" in _text(last)


def test_the_status_filter_pages_the_staff_who_have_that_status(
    app: Flask, sign_in: SignIn, big: dict[str, int]
) -> None:
    alder = school_id(app, ALDER)
    lead = sign_in("instructor")
    heatmap = _heatmap(lead.get(f"/schools/{alder}?status=compliant").get_data(as_text=True))
    assert heatmap.count(HEATMAP_ROW) == 2
    assert "Ann Able" in heatmap
    assert "Ben Baker" in heatmap
    assert "govuk-pagination" not in heatmap
    overdue = lead.get(f"/schools/{alder}?status=overdue&page=2").get_data(as_text=True)
    heatmap = _heatmap(overdue)
    assert heatmap.count(HEATMAP_ROW) == 3
    assert "Staff 4 to 6 of 6 (page 2 of 2)" in _text(heatmap)
    # The pages' links keep the filter.
    assert "status=overdue" in heatmap.split('rel="prev"')[0].rsplit("href=", 1)[1]


@pytest.mark.parametrize("page", ["0", "-1", "abc", "4", "1.5", "99999999999999999999"])
def test_pages_that_do_not_exist_are_refused(
    app: Flask, sign_in: SignIn, big: dict[str, int], page: str
) -> None:
    alder = school_id(app, ALDER)
    lead = sign_in("instructor")
    response = lead.get(f"/schools/{alder}?page={page}")
    assert response.status_code == 400
    assert "page" in response.get_data(as_text=True).lower()


def test_a_school_with_no_staff_still_has_page_one(app: Flask, sign_in: SignIn) -> None:
    lead = sign_in("instructor")
    alder = school_id(app, ALDER)
    assert lead.get(f"/schools/{alder}?page=1").status_code == 200
    assert lead.get(f"/schools/{alder}?page=2").status_code == 400


def test_the_downloads_have_everyone(app: Flask, sign_in: SignIn, big: dict[str, int]) -> None:
    alder = school_id(app, ALDER)
    lead = sign_in("instructor")
    heat = _csv(lead.get(f"/schools/{alder}/heatmap.csv").data)
    assert len(heat) - 1 == 8
    assert [row[0] for row in heat[1:4]] == ["Ann Able", "Ben Baker", "Cal Carter"]
    assert ["Gus Grey", "Teacher", "Overdue"] in heat
    gaps = _csv(lead.get(f"/schools/{alder}/gaps.csv").data)
    lists = [row[0] for row in gaps[1:]]
    assert lists.count("Overdue or expired") == 6
    assert lists.count("Never started") == 6
    assert lists.count("Never opened the tool") == 7
    book = load_workbook(io.BytesIO(lead.get(f"/schools/{alder}/hours.xlsx").data))
    sheet = book.active
    assert sheet is not None
    rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=2)]
    assert len(rows) == 8
    assert {r[0]: r[3] for r in rows}["Ann Able"] in (0, 2)
    xlsx_heat = load_workbook(io.BytesIO(lead.get(f"/schools/{alder}/heatmap.xlsx").data)).active
    assert xlsx_heat is not None
    assert xlsx_heat.max_row == 9


def test_an_xlsx_too_big_to_build_in_time_stops_and_points_at_the_csv(
    app: Flask, sign_in: SignIn, big: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    from cpd_tracker.reports import routes

    monkeypatch.setattr(routes, "XLSX_CELLS", 9)  # three rows of the three-column heatmap
    alder = school_id(app, ALDER)
    lead = sign_in("instructor")
    sheet = load_workbook(io.BytesIO(lead.get(f"/schools/{alder}/heatmap.xlsx").data)).active
    assert sheet is not None
    rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=2)]
    assert [r[0] for r in rows[:3]] == ["Ann Able", "Ben Baker", "Cal Carter"]
    assert len(rows) == 4
    assert "The CSV download (which Excel opens) has every row." in str(rows[3][0])
    assert len(_csv(lead.get(f"/schools/{alder}/heatmap.csv").data)) - 1 == 8


def test_the_staff_records_list_reads_its_first_people_and_counts_the_rest(
    app: Flask, sign_in: SignIn, big: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The CPD lead's staff records list shows its first people in name order and says how
    many there are, without reading everyone (a 26,000-staff school took 1.9 s)."""
    monkeypatch.setattr(record_routes, "PEOPLE_SHOWN", 3)
    alder = school_id(app, ALDER)
    lead = sign_in("instructor")
    html = lead.get(f"/records/schools/{alder}/people").get_data(as_text=True)
    listed = _text(html.split("<tbody")[1].split("</tbody>")[0])
    assert "Ann Able" in listed
    assert "Ben Baker" in listed
    assert "Gus Grey" not in listed
    assert "The first 3 of 8; the download has them all" in _text(html)
    monkeypatch.setattr(record_routes, "PEOPLE_SHOWN", 8)
    everyone = lead.get(f"/records/schools/{alder}/people").get_data(as_text=True)
    assert "Gus Grey" in everyone
    assert "the download has them all" not in _text(everyone)
