"""The school and trust dashboards: figures, gap lists, drill-down, filters, exports, print."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from pathlib import Path

import pytest
from flask import Flask
from openpyxl import load_workbook

from cpd_tracker.models import StaffRoleKind
from cpd_tracker.reports import routes as report_routes
from cpd_tracker.services import coverage
from tests.functional.reports.conftest import SignIn
from tests.functional.staff.support import (
    ALDER,
    BIRCH,
    add_completion,
    add_module,
    add_person,
    add_requirement,
)
from tests.support.factories import school_id

TODAY = dt.datetime.now(dt.UTC).date()
YEAR_AGO = dt.datetime.now(dt.UTC) - dt.timedelta(days=400)
STATIC = Path(__file__).resolve().parents[3] / "cpd_tracker" / "static" / "app.css"


def _csv(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.fixture
def world(app: Flask, org_id: int) -> dict[str, int]:
    """Alder: Tess trained (expiring in 20 days), Ursula and Uma untrained (overdue), Tom a
    teaching assistant; Birch: Bea trained. One requirement for everyone, due within 30 days
    of starting, valid for 12 months."""
    module = add_module(app, org_id, "Autism essentials", hours="2.5")
    requirement = add_requirement(
        app, org_id, module, due_days=30, validity_months=12, created_at=YEAR_AGO
    )
    start = dt.date(2020, 9, 1)
    tess = add_person(app, ALDER, "Tess Trained", start_date=start)
    ursula = add_person(app, ALDER, "Ursula Untrained", start_date=start)
    add_person(app, ALDER, "Uma Unstarted", start_date=start)
    add_person(
        app, ALDER, "Tom Assistant", {StaffRoleKind.TEACHING_ASSISTANT: None}, start_date=start
    )
    bea = add_person(app, BIRCH, "Bea Birch", start_date=start)
    # Completed 345 days ago with 12 months' validity: expires in about 20 days.
    add_completion(app, tess, module, TODAY - dt.timedelta(days=345), hours="2.5")
    add_completion(app, bea, module, TODAY - dt.timedelta(days=10))
    return {"module": module, "requirement": requirement, "tess": tess, "ursula": ursula}


def test_school_dashboard_shows_coverage_gaps_heatmap_and_hours(
    app: Flask, sign_in: SignIn, world: dict[str, int]
) -> None:
    alder = school_id(app, ALDER)
    lead = sign_in("instructor")
    html = lead.get(f"/schools/{alder}").get_data(as_text=True)
    text = _text(html)
    # The lead (from the launch) and four staff, one of them trained.
    assert "1 of 5" in text
    assert "Coverage by staff role" in text
    assert re.search(r"Teaching assistant\s+0%\s+0 of 1", text)
    assert "Overdue or expired (4)" in text
    assert "Expiring in 0 to 30 days (1)" in text
    assert "Never started any required training (4)" in text
    assert "never opened the tool (4)" in text
    assert "Uma Unstarted" in text
    # The heatmap names each status in letters and words, not colour alone.
    heatmap = html.split('id="staff-status"')[1]
    tess_row = heatmap.split("Tess Trained</a>")[1].split("</tr>")[0]
    assert 'class="app-heat app-heat--expiring_soon"' in tess_row
    assert ">ES<" in tess_row
    assert "Expiring soon" in tess_row
    assert '<svg class="app-bar"' in html
    # CPD hours this academic year: Tess's 2.5 when the completion falls in it.
    hours_table = html.split('id="hours"')[1]
    tess_hours = hours_table.split("Tess Trained")[1].split("</tr>")[0]
    september = dt.date(TODAY.year if TODAY.month >= 9 else TODAY.year - 1, 9, 1)
    expected = "2.5" if TODAY - dt.timedelta(days=345) >= september else "0"
    assert expected in _text(tess_hours)
    # Filtered by role: only the teaching assistant.
    ta = _text(lead.get(f"/schools/{alder}?role=teaching_assistant").get_data(as_text=True))
    assert "Tom Assistant" in ta.split("Staff and their training")[1]
    assert "Tess Trained" not in ta.split("Staff and their training")[1]


def test_school_exports_agree_with_the_page(
    app: Flask, sign_in: SignIn, world: dict[str, int]
) -> None:
    alder = school_id(app, ALDER)
    lead = sign_in("instructor")
    heat = _csv(lead.get(f"/schools/{alder}/heatmap.csv").data)
    assert heat[0] == ["Name", "Roles", "Autism essentials"]
    assert ["Tess Trained", "Teacher", "Expiring soon"] in heat
    gaps = _csv(lead.get(f"/schools/{alder}/gaps.csv").data)
    lists = [row[0] for row in gaps[1:]]
    assert lists.count("Overdue or expired") == 4
    assert lists.count("Expiring in 0 to 30 days") == 1
    roles = _csv(lead.get(f"/schools/{alder}/roles.csv").data)
    assert ["Teaching assistant", "0", "0", "1", "1", "0", "0"] in roles
    book = load_workbook(io.BytesIO(lead.get(f"/schools/{alder}/hours.xlsx").data))
    sheet = book.active
    assert sheet is not None
    assert sheet.freeze_panes == "A2"
    assert sheet.column_dimensions["A"].width >= 12
    assert sheet["A1"].font.bold


def test_trust_dashboard_ranks_schools_and_drills_down_to_people(
    app: Flask, sign_in: SignIn, world: dict[str, int]
) -> None:
    alder, birch = school_id(app, ALDER), school_id(app, BIRCH)
    leader = sign_in("admin")
    html = leader.get("/trust").get_data(as_text=True)
    text = _text(html)
    ranking = text.split("Schools by gap")[1].split("Coverage: schools and requirements")[0]
    assert ranking.index("Alder Primary") < ranking.index("Birch Academy")
    assert "SENCOs" in text
    assert "No SENCO" in text
    # Every matrix figure links to the people behind it.
    link = re.search(
        rf'href="(/trust/people\?[^"]*school={alder}&amp;column={world["requirement"]})"', html
    )
    assert link is not None
    people = _text(leader.get(link.group(1).replace("&amp;", "&")).get_data(as_text=True))
    assert "Ursula Untrained" in people
    assert "Tess Trained" in people
    assert "Bea Birch" not in people
    gap = _text(leader.get(f"/trust/people?school={alder}&status=gap").get_data(as_text=True))
    assert "Ursula Untrained" in gap
    assert "Tess Trained" not in gap
    # Filters: one school; a role.
    only_birch = _text(leader.get(f"/trust?school={birch}").get_data(as_text=True))
    assert "Alder Primary" not in only_birch.split("Schools by gap")[1].split("SENCOs")[0]
    tas = _text(leader.get("/trust?role=teaching_assistant").get_data(as_text=True))
    assert "0 of 1" in tas


def test_trust_exports_count_what_the_dashboard_counts(
    app: Flask, sign_in: SignIn, world: dict[str, int]
) -> None:
    leader = sign_in("admin")
    text = _text(leader.get("/trust").get_data(as_text=True))
    found = re.search(r"of required training done \((\d+) of (\d+)\)", text)
    assert found is not None
    trained, expected = int(found.group(1)), int(found.group(2))
    rows = _csv(leader.get("/trust/statuses.csv").data)
    assert rows[0][:6] == ["School", "URN", "Name", "Email", "Training", "Status"]
    assert len(rows) - 1 == expected  # no leavers or exemptions in this world
    assert sum(r[5] in ("Compliant", "Expiring soon") for r in rows[1:]) == trained
    gap_rows = _csv(leader.get("/trust/statuses.csv?status=gap").data)
    assert len(gap_rows) - 1 == expected - trained
    book = load_workbook(io.BytesIO(leader.get("/trust/statuses.xlsx").data))
    sheet = book.active
    assert sheet is not None
    assert sheet.freeze_panes == "A2"
    due = [c.value for c in sheet["G"][1:] if c.value is not None]
    assert due
    assert all(isinstance(v, dt.datetime) for v in due)
    matrix = load_workbook(io.BytesIO(leader.get("/trust/matrix.xlsx").data)).active
    assert matrix is not None
    assert [c.value for c in matrix[1]][:4] == ["School", "URN", "Phase", "Autism essentials"]


def test_a_trust_with_more_schools_than_a_page_pages_its_matrix_and_caps_its_lists(
    app: Flask, sign_in: SignIn, world: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 18, item 5: a trust of 600 schools must not render 18,000 cells. One school a
    page here: the matrix pages through the schools by name, the ranking and SENCO table show
    their first rows, and the totals, the ranking's order and the downloads cover them all."""
    monkeypatch.setattr(coverage, "SCHOOL_ROWS", 1)
    monkeypatch.setattr(report_routes, "LIST_LIMIT", 1)
    alder, birch = school_id(app, ALDER), school_id(app, BIRCH)
    leader = sign_in("admin")
    whole = re.compile(r"of required training done \((\d+) of (\d+)\)")
    first = leader.get("/trust").get_data(as_text=True)
    second = leader.get("/trust?page=2").get_data(as_text=True)
    for html in (first, second):
        # Over both schools on every page: Tess, Bea; and the leader's own requirement.
        found = whole.search(_text(html))
        assert found is not None
        assert int(found.group(1)) == 2
    matrix_one = first.split('id="matrix"')[1].split('id="sencos"')[0]
    matrix_two = second.split('id="matrix"')[1].split('id="sencos"')[0]
    assert f"school={alder}&amp;column=" in matrix_one
    assert f"school={birch}&amp;column=" not in matrix_one
    assert f"school={birch}&amp;column=" in matrix_two
    assert "Schools 1 to 1 of 2 by name (page 1 of 2)" in _text(matrix_one)
    assert 'aria-label="Pages of schools"' in matrix_one
    # The ranking: the largest gap (Alder's three) on both pages, Birch only in the download.
    for html in (first, second):
        ranking = _text(html.split('id="ranking"')[1].split('id="matrix"')[0])
        assert "Alder Primary" in ranking
        assert "Birch Academy" not in ranking
        assert "The 1 schools with the largest gaps of 2" in ranking
        assert "The 1 most urgent of 2 schools" in _text(html.split('id="sencos"')[1])
    ranked = _csv(leader.get("/trust/ranking.csv").data)
    assert [row[1] for row in ranked[1:3]] == ["Alder Primary", "Birch Academy"]
    matrix = _csv(leader.get("/trust/matrix.csv").data)
    assert {row[0] for row in matrix[1:]} == {"Alder Primary", "Birch Academy"}
    # A page past the last, or not a number: a clear 400.
    past = leader.get("/trust?page=3")
    assert past.status_code == 400
    assert "The schools fill 2 pages" in past.get_data(as_text=True)
    assert leader.get("/trust?page=x").status_code == 400


def test_names_are_escaped_in_the_grids(app: Flask, sign_in: SignIn, world: dict[str, int]) -> None:
    add_person(app, ALDER, "Mallory <b>Bold</b>", start_date=dt.date(2020, 9, 1))
    html = sign_in("instructor").get(f"/schools/{school_id(app, ALDER)}").get_data(as_text=True)
    assert "<b>Bold</b>" not in html
    assert "Mallory &lt;b&gt;Bold&lt;/b&gt;" in html


def test_the_stylesheet_prints_a_clean_a4_page() -> None:
    css = STATIC.read_text()
    assert "size:A4 portrait" in css.replace(": ", ":")
    printed = css[css.index(".app-no-print") - 400 :]
    assert "display:none" in printed.replace(": ", ":")
    assert ".app-print-only" in css
