"""Issue 15, finding 1: any teacher became CPD lead of any school. A teacher who opened the
tool from a course not yet linked picked any school of the trust on *Link this course to a
school* and became its CPD lead at once (a rogue teacher read school B's people page and
downloaded its compliance CSV). Linking is now a trusted act: the teacher asks, a trust
leader decides."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from cpd_tracker.extensions import db
from cpd_tracker.models import AuditEntry, Course, Permission, PermissionKind
from tests.support.factories import make_org, register, school_id
from tests.support.http import FakeHttp
from tests.support.launching import follow, launch
from tests.support.platform import TOOL_HOST, TestPlatform


def browser(app: Flask) -> FlaskClient:
    client = app.test_client()
    client.environ_base.update({"wsgi.url_scheme": "https", "HTTP_HOST": TOOL_HOST})
    return client


def csrf(html: str) -> str:
    found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert found is not None
    return found.group(1)


@pytest.fixture
def moodle(app: Flask, fake_http: FakeHttp) -> TestPlatform:
    platform = TestPlatform("moodle")
    platform.serve_jwks(fake_http)
    register(app, platform, make_org(app))
    return platform


def cpd_lead_grants(app: Flask) -> list[int | None]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(Permission.school_id).where(Permission.kind == PermissionKind.CPD_LEAD)
            )
        )


def teacher_asks(app: Flask, platform: TestPlatform, school: int) -> FlaskClient:
    teacher = browser(app)
    page = follow(teacher, launch(teacher, platform, login_options={"user": "instructor"}).response)
    assert page.request.path == "/lti/course-school"
    html = page.get_data(as_text=True)
    assert "a trust leader decides it" in html
    asked = teacher.post("/lti/course-school", data={"csrf_token": csrf(html), "school_id": school})
    assert asked.status_code == 302
    return teacher


def test_a_teacher_of_an_unlinked_course_cannot_make_themselves_cpd_lead(
    app: Flask, moodle: TestPlatform
) -> None:
    birch = school_id(app, "100002")
    teacher = teacher_asks(app, moodle, birch)

    assert cpd_lead_grants(app) == []
    with app.app_context():
        (course,) = db.session.scalars(select(Course)).all()
        assert course.school_id is None
        assert course.requested_school_id == birch
    assert teacher.get(f"/records/schools/{birch}/people").status_code == 403
    assert teacher.get(f"/schools/{birch}").status_code == 403
    assert teacher.get(f"/schools/{birch}/compliance.csv").status_code in (403, 404)
    page = teacher.get("/lti/course-school").get_data(as_text=True)
    assert "It waits for a trust leader" in page


def test_a_trust_leader_approves_and_the_teacher_leads_from_their_next_launch(
    app: Flask, moodle: TestPlatform
) -> None:
    birch = school_id(app, "100002")
    teacher_asks(app, moodle, birch)
    leader = browser(app)  # Moodle's site administrator: trust leader in the tool
    assert follow(leader, launch(leader, moodle, login_options={"user": "admin"}).response)

    page = leader.get("/admin/registrations").get_data(as_text=True)
    assert "Courses waiting to be linked to a school" in page
    (course_id,) = re.findall(r"/admin/courses/(\d+)/link/approve", page)
    approved = leader.post(
        f"/admin/courses/{course_id}/link/approve", data={"csrf_token": csrf(page)}
    )
    assert approved.status_code == 302

    teacher = browser(app)
    landing = follow(
        teacher, launch(teacher, moodle, login_options={"user": "instructor"}).response
    )
    assert landing.request.path == f"/schools/{birch}"
    assert cpd_lead_grants(app) == [birch]
    with app.app_context():
        actions = list(db.session.scalars(select(AuditEntry.action)))
    assert "course.link_requested" in actions
    assert "course.link_approved" in actions


def test_a_declined_request_links_nothing(app: Flask, moodle: TestPlatform) -> None:
    teacher_asks(app, moodle, school_id(app, "100002"))
    leader = browser(app)
    follow(leader, launch(leader, moodle, login_options={"user": "admin"}).response)
    page = leader.get("/admin/registrations").get_data(as_text=True)
    (course_id,) = re.findall(r"/admin/courses/(\d+)/link/decline", page)
    assert (
        leader.post(
            f"/admin/courses/{course_id}/link/decline", data={"csrf_token": csrf(page)}
        ).status_code
        == 302
    )
    with app.app_context():
        course = db.session.get(Course, int(course_id))
        assert course is not None
        assert (course.school_id, course.requested_school_id) == (None, None)
    assert cpd_lead_grants(app) == []


def test_only_a_trust_leader_decides(app: Flask, moodle: TestPlatform) -> None:
    teacher = teacher_asks(app, moodle, school_id(app, "100002"))
    page = teacher.get("/lti/course-school").get_data(as_text=True)
    with app.app_context():
        (course_id,) = db.session.scalars(select(Course.id)).all()
    refused = teacher.post(
        f"/admin/courses/{course_id}/link/approve", data={"csrf_token": csrf(page)}
    )
    assert refused.status_code == 403
    assert cpd_lead_grants(app) == []
