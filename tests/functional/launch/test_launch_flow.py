"""Complete launches through the HTTP surface, as Moodle and as Canvas send them."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from cpd_tracker.extensions import db
from cpd_tracker.models import AuditEntry, Course, Person
from tests.support.factories import school_id
from tests.support.launching import follow, launch
from tests.support.platform import CERT_VALID_VARIANTS, TestPlatform


def test_learner_lands_on_my_training(client: FlaskClient, platform: TestPlatform) -> None:
    result = launch(client, platform)
    assert result.response.status_code == 303
    page = follow(client, result.response)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "My training" in html
    assert platform.user("learner").name in html


def test_launch_creates_person_once_and_audits(
    app: Flask, client: FlaskClient, platform: TestPlatform
) -> None:
    launch(client, platform)
    launch(client, platform)
    with app.app_context():
        people = db.session.scalar(select(func.count(Person.id)))
        created = db.session.scalar(
            select(func.count(AuditEntry.id)).where(
                AuditEntry.action == "person.created_from_launch"
            )
        )
    assert people == 1
    assert created == 1


def test_an_lms_administrator_links_an_unmapped_course_to_a_school(
    app: Flask, client: FlaskClient, platform: TestPlatform
) -> None:
    """Moodle's site administrator (or Canvas's account administrator) may say which school a
    course is for; a teacher only asks (tests/security/test_role_taking.py)."""
    if platform.dialect == "canvas":
        pytest.skip("a Canvas account administrator with no course role lands on the trust")
    result = launch(client, platform, login_options={"user": "admin"})
    assert result.response.status_code == 303
    assert "/lti/course-school" in result.response.headers["Location"]
    page = follow(client, result.response)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Link this course to a school" in html
    csrf = _hidden(html, "csrf_token")
    birch = school_id(app, "100002")
    chosen = client.post("/lti/course-school", data={"csrf_token": csrf, "school_id": birch})
    assert chosen.status_code == 302
    landing = follow(client, chosen)
    assert landing.request.path == "/trust"
    with app.app_context():
        linked = db.session.scalars(select(Course.school_id)).all()
    assert linked == [birch]


def test_choose_school_refuses_a_school_of_another_organisation(
    app: Flask, client: FlaskClient, platform: TestPlatform
) -> None:
    from tests.support.factories import make_org

    other = make_org(app, "Other Trust", schools=[("200001", "Elm School")])
    assert other
    result = launch(client, platform, login_options={"user": "instructor"})
    html = follow(client, result.response).get_data(as_text=True)
    response = client.post(
        "/lti/course-school",
        data={"csrf_token": _hidden(html, "csrf_token"), "school_id": school_id(app, "200001")},
    )
    assert response.status_code == 400
    assert "Not a valid choice" in response.get_data(as_text=True)


def test_school_urn_custom_parameter_maps_the_course(
    app: Flask, client: FlaskClient, platform: TestPlatform
) -> None:
    result = launch(
        client, platform, login_options={"user": "instructor", "custom": {"school_urn": "100001"}}
    )
    landing = follow(client, result.response)
    assert landing.request.path == f"/schools/{school_id(app, '100001')}"
    html = landing.get_data(as_text=True)
    assert "Alder Primary" in html
    assert platform.user("instructor").name in html


def test_learner_in_mapped_course_joins_the_school_staff_list(
    app: Flask, client: FlaskClient, platform: TestPlatform
) -> None:
    launch(client, platform, login_options={"custom": {"school_urn": "100001"}})
    page = client.get("/my-training")
    assert "Alder Primary" in page.get_data(as_text=True)


def test_lms_administrator_without_course_role_lands_as_trust_leader(
    client: FlaskClient, platform: TestPlatform
) -> None:
    if platform.dialect == "canvas":
        result = launch(client, platform, login_options={"user": "admin"})
    else:
        # Moodle sends site administrators system/person#Administrator in every course.
        result = launch(
            client, platform, login_options={"user": "admin", "custom": {"school_urn": "100001"}}
        )
    landing = follow(client, result.response)
    assert landing.request.path == "/trust"
    html = landing.get_data(as_text=True)
    assert "Test Trust" in html
    assert "Birch Academy" in html


@pytest.mark.parametrize("platform", ["moodle"], indirect=True)
def test_a_moodle_site_admin_who_opens_an_activity_is_not_on_the_staff_list(
    app: Flask, client: FlaskClient, platform: TestPlatform
) -> None:
    """Moodle lets a site administrator into every course, enrolled or not, and names them
    Instructor there: they used to become staff of the course's school and were counted."""
    custom = {"school_urn": "100001"}
    launch(client, platform, login_options={"user": "instructor", "custom": custom})
    result = launch(client, platform, login_options={"user": "admin", "custom": custom})
    assert follow(client, result.response).status_code == 200
    with app.app_context():
        on_staff = {
            person.display_name: [r.school_id for r in person.staff_roles]
            for person in db.session.scalars(select(Person))
        }
    admin = platform.user("admin").name
    teacher = platform.user("instructor").name
    assert on_staff[admin] == []
    assert on_staff[teacher] == [school_id(app, "100001")]


def test_canvas_account_admin_enrolled_as_student_is_a_staff_member(
    client: FlaskClient, canvas: TestPlatform
) -> None:
    """Canvas sends institution roles even in courses where the person is a student."""
    platform = canvas
    landing = follow(
        client, launch(client, platform, login_options={"user": "admin_as_learner"}).response
    )
    assert landing.request.path == "/my-training"
    assert client.get("/trust").status_code == 403


@pytest.mark.parametrize("variant", sorted(CERT_VALID_VARIANTS))
def test_certification_valid_variants_land(
    client: FlaskClient, platform: TestPlatform, variant: str
) -> None:
    result = launch(client, platform, login_options=CERT_VALID_VARIANTS[variant])
    assert result.response.status_code == 303, result.response.get_data(as_text=True)[:400]
    landing = follow(client, result.response)
    assert landing.status_code == 200
    assert landing.request.path in {"/my-training", "/lti/course-school"}


def test_anonymous_launch_explains_that_training_needs_a_user(
    client: FlaskClient, platform: TestPlatform
) -> None:
    result = launch(client, platform, login_options={"user": "anonymous"})
    assert result.response.status_code == 200
    assert "Training needs a signed-in user" in result.response.get_data(as_text=True)
    assert client.get("/my-training").status_code == 401


def _hidden(html: str, name: str) -> str:
    import re

    match = re.search(rf'name="{name}"[^>]*value="([^"]*)"', html) or re.search(
        rf'value="([^"]*)"[^>]*name="{name}"', html
    )
    assert match, f"no hidden {name} in page"
    return match.group(1)


def test_first_launch_links_a_person_imported_from_the_mis_by_email(
    app: Flask, client: FlaskClient, platform: TestPlatform, org_id: int
) -> None:
    learner = platform.user("learner")
    with app.app_context():
        imported = Person(
            organisation_id=org_id,
            name="Imported Name",
            email=learner.email.upper(),
            staff_number="S123",
        )
        db.session.add(imported)
        db.session.commit()
        imported_id = imported.id
    launch(client, platform)
    with app.app_context():
        people = db.session.scalars(select(Person)).all()
        assert [p.id for p in people] == [imported_id]
        assert people[0].sub == learner.sub
        assert people[0].staff_number == "S123"
        linked = db.session.scalar(
            select(func.count(AuditEntry.id)).where(AuditEntry.action == "person.linked_to_lms")
        )
        assert linked == 1


def test_a_launch_goes_straight_to_the_page_its_permissions_open(
    app: Flask, client: FlaskClient, platform: TestPlatform
) -> None:
    """An instructor's first launch from a school's course makes them its CPD lead (the
    permission is created during this launch) and lands on the school's page directly, as
    ``/`` would have sent them; a learner lands on their own training."""
    instructor = launch(
        client,
        platform,
        login_options={"user": "instructor", "custom": {"school_urn": "100002"}},
    )
    assert instructor.response.status_code == 303
    target = instructor.response.headers["Location"]
    assert target.startswith("/school?lt="), target
    page = follow(client, instructor.response)
    assert page.status_code == 200
    assert page.request.path == f"/schools/{school_id(app, '100002')}"
    learner = launch(client, platform, login_options={"custom": {"school_urn": "100002"}})
    assert learner.response.headers["Location"].startswith("/my-training?lt=")
