"""Issue 15, finding 2, the other half: a link the tool will not make by itself waits for a
CPD lead or trust leader to confirm it, and nobody confirms a link to someone who outranks
them. Replayed through real launches (a Moodle-shaped test platform signing real tokens)."""

from __future__ import annotations

import datetime as dt
import re

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from werkzeug.test import TestResponse

from cpd_tracker.extensions import db
from cpd_tracker.models import (
    AuditEntry,
    Completion,
    CompletionMethod,
    Delivery,
    IdentityLinkRequest,
    LinkOutcome,
    Module,
    Permission,
    PermissionKind,
    PermissionSource,
    Person,
    StaffRole,
    StaffRoleKind,
    Tier,
)
from tests.security.test_identity_linking import (
    ROGUE_EMAIL,
    browser,
    cpd_lead,
    imported_trust_leader,
    moodle,
)
from tests.support.factories import make_org, register, school_id
from tests.support.http import FakeHttp
from tests.support.launching import follow, launch
from tests.support.platform import TestPlatform

__all__ = ["moodle"]

CARYS = "carys.newlead@alder.sch.uk"


def _sign_in(app: Flask, platform: TestPlatform, user: str, **options: object) -> FlaskClient:
    client = browser(app)
    landing = follow(
        client, launch(client, platform, login_options={"user": user, **options}).response
    )
    assert landing.status_code == 200
    return client


def _imported_lead(app: Flask, email: str) -> int:
    """Carys, on Alder's staff list from the MIS, made CPD lead of Alder before she launched."""
    with app.app_context():
        alder = school_id(app, "100001")
        person = Person(organisation_id=1, name="Carys Newlead", email=email)
        db.session.add(person)
        db.session.flush()
        db.session.add_all(
            [
                StaffRole(person_id=person.id, school_id=alder, role=StaffRoleKind.TEACHER),
                Permission(
                    person_id=person.id,
                    kind=PermissionKind.CPD_LEAD,
                    school_id=alder,
                    source=PermissionSource.OVERRIDE,
                ),
            ]
        )
        db.session.commit()
        return person.id


def _requests(app: Flask) -> list[IdentityLinkRequest]:
    with app.app_context():
        rows = list(
            db.session.scalars(select(IdentityLinkRequest).order_by(IdentityLinkRequest.id))
        )
        db.session.expunge_all()
        return rows


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert match
    return match.group(1)


def _decide(client: FlaskClient, request_id: int, decision: str) -> TestResponse:
    page = client.get("/people/links").get_data(as_text=True)
    return client.post(f"/people/links/{request_id}/{decision}", data={"csrf_token": _csrf(page)})


def test_the_rogue_account_waits_and_the_cpd_lead_cannot_confirm_it(
    app: Flask, moodle: TestPlatform
) -> None:
    target = imported_trust_leader(app, ROGUE_EMAIL)
    rogue = _sign_in(app, moodle, "learner", overrides={"email": ROGUE_EMAIL})
    assert rogue.get("/trust").status_code == 403
    [asked] = _requests(app)
    assert (asked.candidate_id, asked.email, asked.outcome) == (target, ROGUE_EMAIL, None)
    # Staff do not see the page at all.
    assert rogue.get("/people/links").status_code == 403
    # The CPD lead of the target's school sees the request but may not confirm it ...
    lead = cpd_lead(app, moodle)
    page = lead.get("/people/links").get_data(as_text=True)
    assert "Pat Deputy has permissions you do not have" in page
    assert f"/people/links/{asked.id}/confirm" not in page
    refused = _decide(lead, asked.id, "confirm")
    assert refused.status_code == 409
    [still] = _requests(app)
    assert still.outcome is None
    with app.app_context():
        person = db.session.get(Person, target)
        assert person is not None
        assert person.sub is None
    assert rogue.get("/trust").status_code == 403
    # ... and launching again asks nothing new.
    _sign_in(app, moodle, "learner", overrides={"email": ROGUE_EMAIL})
    assert len(_requests(app)) == 1


def test_a_trust_leader_confirms_a_real_member_of_staff(app: Flask, moodle: TestPlatform) -> None:
    carys = _imported_lead(app, CARYS)
    account = _sign_in(app, moodle, "learner", overrides={"email": CARYS})
    [asked] = _requests(app)
    assert asked.candidate_id == carys
    # What the account does before it is confirmed is kept.
    with app.app_context():
        new_id = asked.person_id
        assert new_id is not None
        module = Module(
            organisation_id=1, slug="x", title="X", tier=Tier.AWARENESS, delivery=Delivery.EXTERNAL
        )
        db.session.add(module)
        db.session.flush()
        db.session.add(
            Completion(
                organisation_id=1,
                person_id=new_id,
                module_id=module.id,
                completed_on=dt.date(2026, 11, 30),
                method=CompletionMethod.RECORDED,
            )
        )
        db.session.commit()
    assert account.get(f"/records/schools/{school_id(app, '100001')}/people").status_code == 403
    leader = _sign_in(app, moodle, "admin")
    page = leader.get("/people/links").get_data(as_text=True)
    assert "Carys Newlead" in page
    done = _decide(leader, asked.id, "confirm")
    assert done.status_code == 303
    with app.app_context():
        person = db.session.get(Person, carys)
        assert person is not None
        assert person.sub == moodle.user("learner").sub
        assert db.session.get(Person, new_id) is None
        assert (
            db.session.scalar(
                select(func.count(Completion.id)).where(Completion.person_id == carys)
            )
            == 1
        )
        actions = set(db.session.scalars(select(AuditEntry.action)))
        assert {"person.link_requested", "person.link_confirmed", "person.merged"} <= actions
        decided = db.session.get(IdentityLinkRequest, asked.id)
        assert decided is not None
        assert decided.outcome is LinkOutcome.LINKED
    # The account now signs in as Carys, CPD lead of Alder.
    again = _sign_in(app, moodle, "learner", overrides={"email": CARYS})
    assert again.get(f"/records/schools/{school_id(app, '100001')}/people").status_code == 200


def test_a_refusal_is_kept_and_not_asked_again(app: Flask, moodle: TestPlatform) -> None:
    carys = _imported_lead(app, CARYS)
    _sign_in(app, moodle, "learner", overrides={"email": CARYS})
    [asked] = _requests(app)
    leader = _sign_in(app, moodle, "admin")
    assert _decide(leader, asked.id, "refuse").status_code == 303
    _sign_in(app, moodle, "learner", overrides={"email": CARYS})
    [kept] = _requests(app)
    assert kept.outcome is LinkOutcome.REFUSED
    assert "Nothing is waiting." in leader.get("/people/links").get_data(as_text=True)
    with app.app_context():
        person = db.session.get(Person, carys)
        assert person is not None
        assert person.sub is None


def test_another_organisation_never_sees_or_decides(
    app: Flask, moodle: TestPlatform, fake_http: FakeHttp
) -> None:
    _imported_lead(app, CARYS)
    _sign_in(app, moodle, "learner", overrides={"email": CARYS})
    [asked] = _requests(app)
    other = TestPlatform("moodle", issuer="https://other-lms.example.org")
    other.serve_jwks(fake_http)
    register(app, other, make_org(app, "Other Trust", schools=[("200001", "Elm")]))
    stranger = _sign_in(app, other, "admin")
    assert "Carys" not in stranger.get("/people/links").get_data(as_text=True)
    page = stranger.get("/people/links").get_data(as_text=True)
    response = stranger.post(f"/people/links/{asked.id}/confirm", data={"csrf_token": _csrf(page)})
    assert response.status_code == 404
    assert _requests(app)[0].outcome is None


def test_deciding_needs_csrf(app: Flask, moodle: TestPlatform) -> None:
    _imported_lead(app, CARYS)
    _sign_in(app, moodle, "learner", overrides={"email": CARYS})
    [asked] = _requests(app)
    leader = _sign_in(app, moodle, "admin")
    assert leader.post(f"/people/links/{asked.id}/confirm").status_code == 400
    assert _requests(app)[0].outcome is None


def test_the_people_pages_say_when_accounts_wait(app: Flask, moodle: TestPlatform) -> None:
    _imported_lead(app, CARYS)
    leader = _sign_in(app, moodle, "admin")
    people = f"/records/schools/{school_id(app, '100001')}/people"
    assert "LMS accounts to confirm" not in leader.get(people).get_data(as_text=True)
    _sign_in(app, moodle, "learner", overrides={"email": CARYS})
    for page in (people, "/admin/registrations"):
        html = leader.get(page).get_data(as_text=True)
        assert "1 LMS account waits for you to confirm who it is" in html, page
        assert "/people/links" in html
