"""Every table of the school page downloads as CSV and XLSX, with the page's own rows."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlalchemy import select

from cpd_tracker.extensions import db
from cpd_tracker.models import DueRule, Module, Requirement
from tests.support.factories import make_org, register, school_id
from tests.support.http import FakeHttp
from tests.support.launching import launch
from tests.support.platform import TOOL_HOST, TestPlatform


def _browser(app: Flask) -> FlaskClient:
    client = app.test_client()
    client.environ_base.update({"wsgi.url_scheme": "https", "HTTP_HOST": TOOL_HOST})
    return client


@pytest.fixture
def lead(app: Flask, fake_http: FakeHttp) -> FlaskClient:
    org_id = make_org(app)
    platform = TestPlatform("moodle")
    platform.serve_jwks(fake_http)
    register(app, platform, org_id)
    with app.app_context():
        module = db.session.scalar(
            select(Module).where(
                Module.organisation_id == org_id, Module.slug == "autism-awareness"
            )
        )
        assert module is not None
        # Introduced a year ago with 30 days to do it: everyone who has not is overdue.
        db.session.add(
            Requirement(
                organisation_id=org_id,
                module_id=module.id,
                roles=[],
                due_rule=DueRule.DAYS_AFTER_START,
                due_days=30,
                created_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=365),
            )
        )
        db.session.commit()
    custom = {"custom": {"school_urn": "100001"}}
    launch(_browser(app), platform, login_options=custom)
    client = _browser(app)
    launch(client, platform, login_options={"user": "instructor", **custom})
    return client


def _csv(response_bytes: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response_bytes.decode("utf-8-sig"))))


def test_chase_list_csv_names_the_overdue_staff(app: Flask, lead: FlaskClient) -> None:
    alder = school_id(app, "100001")
    response = lead.get(f"/schools/{alder}/chase.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    rows = _csv(response.data)
    assert rows[0] == ["Name", "Email", "Training", "Status", "Due"]
    assert {r[3] for r in rows[1:]} == {"Overdue"}
    assert len(rows) - 1 == 2  # the teacher and the lead themselves


def test_coverage_xlsx_matches_the_page(app: Flask, lead: FlaskClient) -> None:
    alder = school_id(app, "100001")
    page = lead.get(f"/schools/{alder}").get_data(as_text=True)
    assert "0 of 2" in page
    response = lead.get(f"/schools/{alder}/coverage.xlsx")
    sheet = load_workbook(io.BytesIO(response.data)).active
    assert sheet is not None
    header, row = [c.value for c in sheet[1]], [c.value for c in sheet[2]]
    assert header[:5] == ["Training", "Who it is for", "Trained %", "Trained", "Expected"]
    assert row[0] == "Autism awareness"
    assert (row[2], row[3], row[4], row[5]) == (0, 0, 2, 2)
    assert sheet.freeze_panes == "A2"


def test_status_table_downloads_with_filters(app: Flask, lead: FlaskClient) -> None:
    alder = school_id(app, "100001")
    rows = _csv(lead.get(f"/schools/{alder}/compliance.csv?status=overdue").data)
    assert len(rows) == 3
    assert all(r[5] == "Overdue" for r in rows[1:])
    assert len(_csv(lead.get(f"/schools/{alder}/compliance.csv?status=compliant").data)) == 1


def test_other_schools_tables_are_refused(app: Flask, lead: FlaskClient) -> None:
    birch = school_id(app, "100002")
    for table in ("compliance", "coverage", "chase"):
        assert lead.get(f"/schools/{birch}/{table}.csv").status_code == 403
    assert lead.get(f"/schools/{birch}/other.csv").status_code == 404
