"""The trend pages: who may see them, what they show, and downloads that hold the page's
own figures. Data: ``tests/support/trends.py`` (snapshots taken on 15 March 2026)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import xml.etree.ElementTree as ET

from flask import Flask, render_template_string
from openpyxl import load_workbook
from sqlalchemy import delete

from cpd_tracker.extensions import db
from cpd_tracker.models import CoverageSnapshot, Module, School
from cpd_tracker.registry import get_service
from cpd_tracker.services.snapshots import SnapshotService
from tests.functional.trends.conftest import SignIn, take_snapshots
from tests.support.clock import FakeClock
from tests.support.factories import make_org
from tests.support.trends import ALDER_FIGURES, TRUST_FIGURES, History

HOSTILE = '<script>alert("x")</script> & "Co"'


def page_figures(html: str) -> dict[str, list[tuple[int, int, int] | None]]:
    """The figures table: row heading -> (percent, trained, expected) per month column."""
    table = html[html.index("Staff trained, month by month") :]
    table = table[: table.index("</table>")]
    found: dict[str, list[tuple[int, int, int] | None]] = {}
    for row in re.findall(r'<tr class="govuk-table__row">(.*?)</tr>', table, re.S)[1:]:
        heading = re.search(r'<th scope="row"[^>]*>(.*?)</th>', row, re.S)
        assert heading is not None
        cells = re.findall(r'<td class="govuk-table__cell[^"]*">(.*?)</td>', row, re.S)
        values: list[tuple[int, int, int] | None] = []
        for cell in cells:
            match = re.match(r"(\d+)%<br><span[^>]*>(\d+) of (\d+)</span>", cell.strip())
            values.append(tuple(int(g) for g in match.groups()) if match else None)  # type: ignore[misc]
        found[heading.group(1).strip()] = values
    return found


def csv_figures(data: bytes) -> tuple[list[str], dict[str, list[tuple[int, int, int]]]]:
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    found: dict[str, list[tuple[int, int, int]]] = {}
    for row in rows[1:]:
        found.setdefault(row[1], []).append((int(row[2]), int(row[3]), int(row[4])))
    return rows[0], found


def svg_of(html: str) -> ET.Element:
    start = html.index("<svg")
    return ET.fromstring(html[start : html.index("</svg>", start) + 6])  # noqa: S314 - our page


# -- access ----------------------------------------------------------------------------------


def test_staff_are_refused_every_trend(history: History, sign_in: SignIn) -> None:
    staff = sign_in("learner")
    for path in (
        f"/schools/{history.alder}/trend",
        f"/schools/{history.alder}/trend.csv",
        f"/schools/{history.alder}/trend.xlsx",
        "/trust/trend",
        "/trust/trend.csv",
        "/trust/trend.xlsx",
    ):
        assert staff.get(path).status_code == 403, path


def test_a_cpd_lead_sees_their_school_only(history: History, sign_in: SignIn) -> None:
    lead = sign_in("instructor")
    assert lead.get(f"/schools/{history.alder}/trend").status_code == 200
    assert lead.get(f"/schools/{history.birch}/trend").status_code == 403
    assert lead.get(f"/schools/{history.birch}/trend.csv").status_code == 403
    assert lead.get("/trust/trend").status_code == 403


def test_another_organisations_school_is_not_found(
    app: Flask, history: History, sign_in: SignIn
) -> None:
    make_org(app, "Other Trust", schools=[("300001", "Oak School")])
    with app.app_context():
        oak = db.session.query(School).filter_by(urn="300001").one().id
    leader = sign_in("admin")
    for suffix in ("", ".csv", ".xlsx"):
        assert leader.get(f"/schools/{oak}/trend{suffix}").status_code == 404


def test_signed_out_is_refused(app: Flask, history: History) -> None:
    assert app.test_client().get(f"/schools/{history.alder}/trend").status_code == 401


def test_an_unknown_window_is_a_clear_400(history: History, sign_in: SignIn) -> None:
    response = sign_in("instructor").get(f"/schools/{history.alder}/trend?months=1000")
    assert response.status_code == 400
    assert "Show the trend over 6, 12, 24, 36 months." in response.get_data(as_text=True)


# -- the school page -------------------------------------------------------------------------


def test_school_page_draws_the_chart_and_lists_the_figures(
    history: History, sign_in: SignIn
) -> None:
    lead = sign_in("instructor")
    html = lead.get(f"/schools/{history.alder}/trend").get_data(as_text=True)
    svg = svg_of(html)
    assert svg.get("role") == "img"
    # The lead's launch put them on Alder's staff after the snapshots were taken: this month
    # is the school page's headline (3 of 5), not the snapshot's 3 of 4 (issue 17).
    assert "Autism awareness: 25% in November 2025, 60% in March 2026." in html
    figures = page_figures(html)
    months = [*ALDER_FIGURES[:-1], (3, 5)]
    assert figures == {"Autism awareness": [(round(100 * t / e), t, e) for t, e in months]}
    school = " ".join(lead.get(f"/schools/{history.alder}").get_data(as_text=True).split())
    assert "(3 of 5)" in school
    assert "Show the figures" in html
    assert "up to February 2026, were reconstructed from training records" in html


def test_school_downloads_hold_the_page_figures(history: History, sign_in: SignIn) -> None:
    lead = sign_in("instructor")
    page = page_figures(lead.get(f"/schools/{history.alder}/trend").get_data(as_text=True))
    response = lead.get(f"/schools/{history.alder}/trend.csv?months=12")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    header, rows = csv_figures(response.data)
    assert header[:5] == ["Month", "Training", "Trained %", "Trained", "Expected"]
    assert rows == page

    sheet = load_workbook(io.BytesIO(lead.get(f"/schools/{history.alder}/trend.xlsx").data)).active
    assert sheet is not None
    assert sheet.freeze_panes == "A2"
    cells = [[c.value for c in row] for row in sheet.iter_rows(min_row=2)]
    assert cells[0][:5] == [dt.datetime(2025, 11, 1), "Autism awareness", 25, 1, 4]
    assert sheet["A2"].number_format == "dd/mm/yyyy"
    assert [(r[2], r[3], r[4]) for r in cells] == page["Autism awareness"]
    assert [r[8] for r in cells] == ["Yes", "Yes", "Yes", "Yes", "No"]


def test_a_shorter_window_shows_and_downloads_fewer_months(
    history: History, sign_in: SignIn
) -> None:
    lead = sign_in("instructor")
    html = lead.get(f"/schools/{history.alder}/trend?months=6").get_data(as_text=True)
    assert '<option value="6" selected>' in html
    assert "trend.csv?months=6" in html


def test_a_school_without_snapshots_says_so(app: Flask, history: History, sign_in: SignIn) -> None:
    with app.app_context():
        db.session.execute(delete(CoverageSnapshot))
        db.session.commit()
    html = sign_in("instructor").get(f"/schools/{history.alder}/trend").get_data(as_text=True)
    assert "No monthly figures yet" in html
    assert "<svg" not in html


# -- the trust page --------------------------------------------------------------------------


def test_trust_page_has_a_line_per_school_and_the_table(history: History, sign_in: SignIn) -> None:
    html = sign_in("admin").get("/trust/trend").get_data(as_text=True)
    figures = page_figures(html)
    assert list(figures) == ["All schools", "Alder Primary", "Birch Academy"]
    assert figures["All schools"] == [(round(100 * t / e), t, e) for t, e in TRUST_FIGURES]
    assert '<details class="govuk-details" open>' in html
    labels = ["".join(t.itertext()) for t in svg_of(html).iter("{http://www.w3.org/2000/svg}text")]
    assert {"1: 80%", "2: 75%", "3: 100%"} <= set(labels)
    # The key under the chart names each numbered line in full.
    assert "<strong>1. All schools: 80%</strong>" in html
    assert "2. Alder Primary: 75%" in html
    assert "3. Birch Academy: 100%" in html


def test_trust_downloads_hold_the_page_figures(history: History, sign_in: SignIn) -> None:
    leader = sign_in("admin")
    page = page_figures(leader.get("/trust/trend").get_data(as_text=True))
    header, rows = csv_figures(leader.get("/trust/trend.csv").data)
    assert header[1] == "School"
    assert rows == page
    sheet = load_workbook(io.BytesIO(leader.get("/trust/trend.xlsx").data)).active
    assert sheet is not None
    assert sheet.max_row == 1 + 3 * 5


def test_a_trust_leader_sees_any_school_of_the_trust(history: History, sign_in: SignIn) -> None:
    leader = sign_in("admin")
    assert leader.get(f"/schools/{history.birch}/trend").status_code == 200


# -- hostile names ---------------------------------------------------------------------------


def test_hostile_names_are_escaped_in_chart_table_and_downloads(
    app: Flask, history: History, sign_in: SignIn, clock: FakeClock
) -> None:
    with app.app_context():
        module = db.session.get(Module, history.module_id)
        school = db.session.get(School, history.birch)
        assert module is not None
        assert school is not None
        module.title = HOSTILE
        school.name = "=HYPERLINK(" + HOSTILE
        db.session.commit()
    take_snapshots(app, clock)
    leader = sign_in("admin")
    for path in (f"/schools/{history.alder}/trend", "/trust/trend"):
        html = leader.get(path).get_data(as_text=True)
        assert "<script>alert" not in html
        svg_of(html)  # still well-formed
    html = leader.get(f"/schools/{history.alder}/trend").get_data(as_text=True)
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &#34;Co&#34;" in html
    _, rows = csv_figures(leader.get("/trust/trend.csv").data)
    # A name starting with "=" is data in the spreadsheet, not a formula.
    assert "'=HYPERLINK(" + HOSTILE in rows


def test_a_month_without_a_snapshot_is_a_gap_not_a_zero(
    app: Flask, history: History, sign_in: SignIn
) -> None:
    with app.app_context():
        db.session.execute(
            delete(CoverageSnapshot).where(
                CoverageSnapshot.school_id == history.birch,
                CoverageSnapshot.month == dt.date(2025, 11, 1),
            )
        )
        db.session.commit()
    leader = sign_in("admin")
    html = leader.get("/trust/trend").get_data(as_text=True)
    figures = page_figures(html)
    assert figures["Birch Academy"][0] is None
    assert '<span class="govuk-visually-hidden">No figure</span>' in html
    assert figures["All schools"][0] == (25, 1, 4)  # Alder alone that month
    _, rows = csv_figures(leader.get("/trust/trend.csv").data)
    assert len(rows["Birch Academy"]) == 4


# -- the partial, as a dashboard includes it ------------------------------------------------


def test_the_partial_renders_for_a_dashboard(app: Flask, history: History) -> None:
    with app.test_request_context("/"):
        school = db.session.get(School, history.alder)
        assert school is not None
        trend = get_service(SnapshotService).school_trend(school)
        html = render_template_string(
            "<h2>Training over time</h2>"
            '{% set trend_more = true %}{% include "trends/_chart.html" %}',
            trend=trend,
        )
    assert 'role="img"' in html
    assert "Show the figures" in html
    link = "See the trend by training and over more months"
    assert f'href="/schools/{history.alder}/trend">{link}' in html
    assert f'href="/schools/{history.alder}/trend.csv?months=12"' in html
