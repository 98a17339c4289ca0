"""Issue 15, finding 2: a CPD lead became trust leader through e-mail linking. A trust leader
granted a permission to an imported person who had not launched yet; the CPD lead of that
person's school changed the person's e-mail on the staff page to an address of their own; a
second LMS account of theirs, a plain learner with that address, was then linked to that
person by the e-mail and got ``/trust``."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from cpd_tracker.extensions import db
from cpd_tracker.models import (
    AuditEntry,
    Permission,
    PermissionKind,
    PermissionSource,
    Person,
    StaffRole,
    StaffRoleKind,
)
from tests.support.factories import make_org, register, school_id
from tests.support.http import FakeHttp
from tests.support.launching import follow, launch
from tests.support.platform import TOOL_HOST, TestPlatform
from tests.support.registration import form_fields

ROGUE_EMAIL = "rogue.second.account@example.org"


def browser(app: Flask) -> FlaskClient:
    client = app.test_client()
    client.environ_base.update({"wsgi.url_scheme": "https", "HTTP_HOST": TOOL_HOST})
    return client


@pytest.fixture
def moodle(app: Flask, fake_http: FakeHttp) -> TestPlatform:
    platform = TestPlatform("moodle")
    platform.serve_jwks(fake_http)
    register(app, platform, make_org(app))
    return platform


def imported_trust_leader(app: Flask, email: str) -> int:
    """On Alder's staff list from an MIS import, never launched, made trust leader."""
    with app.app_context():
        person = Person(organisation_id=1, name="Pat Deputy", email=email, staff_number="S-0042")
        db.session.add(person)
        db.session.flush()
        db.session.add(
            StaffRole(
                person_id=person.id, school_id=school_id(app, "100001"), role=StaffRoleKind.LEADER
            )
        )
        db.session.add(
            Permission(
                person_id=person.id,
                kind=PermissionKind.TRUST_LEADER,
                source=PermissionSource.OVERRIDE,
            )
        )
        db.session.commit()
        return person.id


def cpd_lead(app: Flask, platform: TestPlatform) -> FlaskClient:
    lead = browser(app)
    options = {"user": "instructor", "custom": {"school_urn": "100001"}}
    assert follow(lead, launch(lead, platform, login_options=options).response).status_code == 200
    return lead


def test_a_cpd_lead_cannot_change_the_email_of_someone_who_outranks_them(
    app: Flask, moodle: TestPlatform
) -> None:
    target = imported_trust_leader(app, "pat.deputy@alder.sch.uk")
    lead = cpd_lead(app, moodle)
    url = f"/staff/schools/{school_id(app, '100001')}/people/{target}"
    page = lead.get(url)
    assert page.status_code == 200
    fields = form_fields(page.get_data(as_text=True))
    fields = {k: v for k, v in fields.items() if k != "lt"}
    for name in ("email", "staff_number"):
        changed = {**fields, name: ROGUE_EMAIL if name == "email" else "ROGUE-1"}
        refused = lead.post(url, data=changed)
        assert refused.status_code == 400, name
        assert "only a trust leader can change" in refused.get_data(as_text=True)
    with app.app_context():
        person = db.session.get(Person, target)
        assert person is not None
        assert (person.email, person.staff_number) == ("pat.deputy@alder.sch.uk", "S-0042")


def test_an_lms_account_is_not_linked_by_email_to_someone_with_more_than_staff(
    app: Flask, moodle: TestPlatform
) -> None:
    """Even if the address was changed some other way, the account that shows it is not
    handed the privileged person: it signs in as a new person with staff only."""
    target = imported_trust_leader(app, ROGUE_EMAIL)
    rogue = browser(app)
    result = launch(
        rogue, moodle, login_options={"user": "learner", "overrides": {"email": ROGUE_EMAIL}}
    )
    landing = follow(rogue, result.response)
    assert landing.request.path == "/my-training"
    assert rogue.get("/trust").status_code == 403
    with app.app_context():
        person = db.session.get(Person, target)
        assert person is not None
        assert person.sub is None  # still the imported record, not linked
        refused = db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "person.link_refused")
        ).all()
        assert [int(e.entity_id) for e in refused] == [target]


def test_plain_staff_are_still_linked_by_their_email(app: Flask, moodle: TestPlatform) -> None:
    with app.app_context():
        person = Person(organisation_id=1, name="Sam Teacher", email="sam@alder.sch.uk")
        db.session.add(person)
        db.session.commit()
        person_id = person.id
    teacher = browser(app)
    options = {"user": "learner", "overrides": {"email": "Sam@Alder.sch.uk"}}
    follow(teacher, launch(teacher, moodle, login_options=options).response)
    with app.app_context():
        linked = db.session.get(Person, person_id)
        assert linked is not None
        assert linked.sub == moodle.user("learner").sub


def test_a_trust_leader_may_still_correct_anyone(app: Flask, moodle: TestPlatform) -> None:
    target = imported_trust_leader(app, "pat.deputy@alder.sch.uk")
    leader = browser(app)
    follow(leader, launch(leader, moodle, login_options={"user": "admin"}).response)
    url = f"/staff/schools/{school_id(app, '100001')}/people/{target}"
    fields = {
        k: v for k, v in form_fields(leader.get(url).get_data(as_text=True)).items() if k != "lt"
    }
    saved = leader.post(url, data={**fields, "email": "pat.d@alder.sch.uk"})
    assert saved.status_code == 303
    assert re.search(r"saved=updated", saved.headers["Location"])
