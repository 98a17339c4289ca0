"""Trust leaders give and take away tool permissions; launches never undo them."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from cpd_tracker.extensions import db
from cpd_tracker.models import AuditEntry, Person
from tests.support.factories import make_org, register, school_id
from tests.support.http import FakeHttp
from tests.support.launching import launch
from tests.support.platform import TOOL_HOST, TestPlatform


@pytest.fixture
def org_id(app: Flask) -> int:
    return make_org(app)


@pytest.fixture
def canvas(app: Flask, fake_http: FakeHttp, org_id: int) -> TestPlatform:
    platform = TestPlatform("canvas")
    platform.serve_jwks(fake_http)
    register(app, platform, org_id)
    return platform


def _browser(app: Flask) -> FlaskClient:
    client = app.test_client()
    client.environ_base.update({"wsgi.url_scheme": "https", "HTTP_HOST": TOOL_HOST})
    return client


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert match
    return match.group(1)


def _leader(app: Flask, canvas: TestPlatform) -> FlaskClient:
    client = _browser(app)
    launch(client, canvas, login_options={"user": "admin"})
    return client


def test_trust_leader_makes_a_staff_member_cpd_lead(app: Flask, canvas: TestPlatform) -> None:
    teacher = _browser(app)
    launch(teacher, canvas, login_options={"custom": {"school_urn": "100002"}})
    assert teacher.get(f"/schools/{school_id(app, '100002')}").status_code == 403

    leader = _leader(app, canvas)
    page = leader.get("/admin/permissions").get_data(as_text=True)
    response = leader.post(
        "/admin/permissions",
        data={
            "csrf_token": _csrf(page),
            "person": canvas.user("learner").email.upper(),
            "kind": "cpd_lead",
            "school_id": school_id(app, "100002"),
        },
    )
    assert response.status_code == 302
    assert teacher.get(f"/schools/{school_id(app, '100002')}").status_code == 200
    # A later launch as a plain learner does not take it away.
    launch(teacher, canvas, login_options={"custom": {"school_urn": "100002"}})
    assert teacher.get(f"/schools/{school_id(app, '100002')}").status_code == 200
    with app.app_context():
        assert (
            db.session.scalars(select(AuditEntry).where(AuditEntry.action == "permission.granted"))
            .one()
            .details["kind"]
            == "cpd_lead"
        )


def test_taking_away_what_the_lms_suggested_sticks(app: Flask, canvas: TestPlatform) -> None:
    lead = _browser(app)
    launch(lead, canvas, login_options={"user": "instructor", "custom": {"school_urn": "100001"}})
    alder = school_id(app, "100001")
    assert lead.get(f"/schools/{alder}").status_code == 200
    with app.app_context():
        person_id = db.session.scalar(
            select(Person.id).where(Person.sub == canvas.user("instructor").sub)
        )
    leader = _leader(app, canvas)
    page = leader.get("/admin/permissions").get_data(as_text=True)
    assert canvas.user("instructor").name in page
    response = leader.post(
        "/admin/permissions/revoke",
        data={
            "csrf_token": _csrf(page),
            "person_id": person_id,
            "kind": "cpd_lead",
            "school_id": alder,
        },
    )
    assert response.status_code == 302
    launch(lead, canvas, login_options={"user": "instructor", "custom": {"school_urn": "100001"}})
    assert lead.get(f"/schools/{alder}").status_code == 403


def test_unknown_person_is_a_clear_400(app: Flask, canvas: TestPlatform) -> None:
    leader = _leader(app, canvas)
    page = leader.get("/admin/permissions").get_data(as_text=True)
    response = leader.post(
        "/admin/permissions",
        data={"csrf_token": _csrf(page), "person": "nobody@example.org", "kind": "trust_leader"},
    )
    assert response.status_code == 400
    assert "No one in your organisation" in response.get_data(as_text=True)


def test_trust_leader_cannot_remove_their_own_permission(app: Flask, canvas: TestPlatform) -> None:
    leader = _leader(app, canvas)
    with app.app_context():
        me = db.session.scalar(select(Person.id).where(Person.sub == canvas.user("admin").sub))
    page = leader.get("/admin/permissions").get_data(as_text=True)
    response = leader.post(
        "/admin/permissions/revoke",
        data={"csrf_token": _csrf(page), "person_id": me, "kind": "trust_leader"},
    )
    assert response.status_code == 409
    assert leader.get("/trust").status_code == 200


def test_staff_and_other_organisations_are_refused(
    app: Flask, canvas: TestPlatform, fake_http: FakeHttp
) -> None:
    teacher = _browser(app)
    launch(teacher, canvas)
    assert teacher.get("/admin/permissions").status_code == 403
    assert teacher.post("/admin/permissions/revoke", data={}).status_code == 403

    other_platform = TestPlatform("canvas", client_id="10000000000777")
    other_platform.serve_jwks(fake_http)
    register(app, other_platform, make_org(app, "Other Trust", schools=[("200001", "Elm")]))
    outsider = _browser(app)
    launch(outsider, other_platform, login_options={"user": "admin"})
    page = outsider.get("/admin/permissions").get_data(as_text=True)
    with app.app_context():
        victim = db.session.scalar(
            select(Person.id).where(Person.sub == canvas.user("learner").sub)
        )
    response = outsider.post(
        "/admin/permissions/revoke",
        data={"csrf_token": _csrf(page), "person_id": victim, "kind": "staff"},
    )
    assert response.status_code == 404
    response = outsider.post(
        "/admin/permissions",
        data={
            "csrf_token": _csrf(page),
            "person": canvas.user("learner").email,
            "kind": "trust_leader",
        },
    )
    assert response.status_code == 400
