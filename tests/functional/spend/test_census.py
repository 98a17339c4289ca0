"""Pupil numbers per school per academic year (issue 16): the settings page enters and corrects
them for a chosen year, each change audited; the spend report shares a year's costs by that
year's figures, falls back to the nearest earlier year with a warning naming the schools and
the year used, and with none says the figures are missing."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from cpd_tracker.extensions import db
from cpd_tracker.models import AuditEntry, School, SchoolCensus
from tests.functional.spend.conftest import SignIn
from tests.functional.spend.support import post, provider, purchase, table_cells
from tests.functional.staff.support import ALDER, BIRCH
from tests.support.factories import school_id


def _enter(client: FlaskClient, app: Flask, year: str, alder: str, birch: str) -> Any:
    return post(
        client,
        "/spend/settings",
        f"/spend/settings?census={year}",
        {
            "spend_year": "academy",
            "census_year": year,
            f"pupils-{school_id(app, ALDER)}": alder,
            f"pupils-{school_id(app, BIRCH)}": birch,
        },
    )


def _shares(client: FlaskClient, year: int) -> dict[str, list[str]]:
    html = client.get(f"/spend/report?year={year}&basis=pupils").get_data(as_text=True)
    return {r[0]: r for r in table_cells(html, "apportionment")}


def test_a_shared_cost_of_2024_25_is_split_by_2024_census_numbers_not_2026s(
    app: Flask, org_id: int, sign_in: SignIn
) -> None:
    """DOMAIN-style worked example. Alder had 300 pupils and Birch 100 in 2024/25; by 2026/27
    the rolls have turned round (100 and 300). £1,000 of trust-central training delivered on
    1 October 2024 is shared 3 : 1 (£750 and £250), as the 2024 census had it, and not 1 : 3 by
    today's figures."""
    nasen = provider(app, org_id)
    purchase(
        app,
        org_id,
        nasen,
        None,
        list_price_pence=100_000,
        purchased_on=dt.date(2024, 9, 20),
        delivered_on=dt.date(2024, 10, 1),
    )
    leader = sign_in("admin")
    assert _enter(leader, app, "2024", "300", "100").status_code == 302
    assert _enter(leader, app, "2026", "100", "300").status_code == 302
    rows = _shares(leader, 2024)
    assert rows["Alder Primary"][1:2] + rows["Alder Primary"][4:5] == ["300", "£750.00"]
    assert rows["Birch Academy"][1:2] + rows["Birch Academy"][4:5] == ["100", "£250.00"]
    html = leader.get("/spend/report?year=2024&basis=pupils").get_data(as_text=True)
    assert "pupils are the 2024/25 figures entered in Settings" in html
    assert "Warning" not in html
    # Read as the financial year April 2025 to March 2026: nothing central was delivered then.
    with app.app_context():
        latest = db.session.get(School, school_id(app, ALDER))
        assert latest is not None
        assert latest.pupil_count == 100  # the latest year's figure


def test_a_year_without_figures_uses_the_nearest_earlier_year_and_says_so(
    app: Flask, org_id: int, sign_in: SignIn
) -> None:
    nasen = provider(app, org_id)
    purchase(app, org_id, nasen, None, list_price_pence=100_000)  # 2025/26
    leader = sign_in("admin")
    assert _enter(leader, app, "2023", "300", "100").status_code == 302
    assert _enter(leader, app, "2025", "200", "").status_code == 302
    # Birch has no 2025/26 figure: its 2023/24 one (100) is used, and the report says so.
    rows = _shares(leader, 2025)
    assert rows["Alder Primary"][4] == "£666.67"
    assert rows["Birch Academy"][4] == "£333.33"
    html = leader.get("/spend/report?year=2025&basis=pupils").get_data(as_text=True)
    assert (
        "Warning: no pupil numbers for 2025/26 for Birch Academy: the 2023/24 figures are used"
        in html
    )
    # Before any figure (2022/23), the existing "missing" warning, naming the year.
    purchase(app, org_id, nasen, None, list_price_pence=50_000, purchased_on=dt.date(2022, 10, 3))
    early = leader.get("/spend/report?year=2022&basis=pupils").get_data(as_text=True)
    assert (
        "Warning: no pupil numbers recorded for Alder Primary, Birch Academy for 2022/23 or an "
        "earlier year" in early
    )


def test_figures_are_entered_corrected_and_removed_per_year_audited_and_downloadable(
    app: Flask, org_id: int, sign_in: SignIn
) -> None:
    leader = sign_in("admin")
    page = leader.get("/spend/settings?census=2024").get_data(as_text=True)
    assert "Pupils on roll in 2024/25" in page
    assert _enter(leader, app, "2024", "300", "100").status_code == 302
    assert _enter(leader, app, "2024", "310", "").status_code == 302
    with app.app_context():
        rows = db.session.scalars(select(SchoolCensus)).all()
        assert [(r.academic_year, r.pupils) for r in rows] == [(2024, 310)]
        assert rows[0].entered_by_id is not None
        changes = db.session.scalars(
            select(AuditEntry)
            .where(AuditEntry.action == "school.census_changed")
            .order_by(AuditEntry.id)
        ).all()
        assert [(c.details["before"], c.details["after"]) for c in changes] == [
            (None, 300),
            (None, 100),
            (300, 310),
            (100, None),
        ]
        assert {c.details["academic_year"] for c in changes} == {"2024/25"}
    page = leader.get("/spend/settings?census=2024").get_data(as_text=True)
    assert 'value="310"' in page
    assert table_cells(page, "census-table")[0][:3] == ["2024/25", "Alder Primary", "310"]
    body = leader.get("/spend/settings/census.csv").get_data(as_text=True)
    lines = list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))
    assert lines[0] == ["Academic year", "School", "Pupils", "Entered by", "Entered on"]
    assert lines[1][:3] == ["2024/25", "Alder Primary", "310"]
    assert leader.get("/spend/settings/census.xlsx").status_code == 200


def test_a_bad_year_or_figure_is_refused_and_nothing_is_written(
    app: Flask, org_id: int, sign_in: SignIn
) -> None:
    leader = sign_in("admin")
    bad_year = _enter(leader, app, "1899", "300", "100")
    assert bad_year.status_code == 400
    assert "The year of the pupil numbers must be a whole number from 2,000 to 2,100" in (
        bad_year.get_data(as_text=True)
    )
    bad_figure = _enter(leader, app, "2024", "lots", "100")
    assert bad_figure.status_code == 400
    assert leader.get("/spend/settings?census=soon").status_code == 400
    with app.app_context():
        assert db.session.scalars(select(SchoolCensus)).all() == []


def test_a_cpd_lead_cannot_change_pupil_numbers(app: Flask, org_id: int, sign_in: SignIn) -> None:
    lead = sign_in("instructor", ALDER)
    assert lead.get("/spend/settings").status_code == 403
    assert lead.get("/spend/settings/census.csv").status_code == 403
