"""Who may reach which staff route, route by route.

A staff member never sees or changes another person's record; a CPD lead only their own
school's; another organisation's school or person is a 404, as if it did not exist. A refused
POST writes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import func, select

from cpd_tracker.extensions import db
from cpd_tracker.models import AuditEntry, Person, StaffRole
from tests.functional.staff.conftest import SignIn
from tests.functional.staff.support import ALDER, BIRCH, add_person
from tests.support.factories import make_org, school_id
from tests.support.platform_users import UserKind

#: Every route under /staff/schools/: (method, path template).
SCHOOL_ROUTES = [
    ("GET", "/staff/schools/{school}/people/{person}"),
    ("POST", "/staff/schools/{school}/people/{person}"),
    ("GET", "/staff/schools/{school}/leavers"),
    ("GET", "/staff/schools/{school}/people/{person}/erase"),
    ("GET", "/staff/schools/{school}/people/{person}/subject-access.zip"),
    ("POST", "/staff/schools/{school}/people/{person}/erase"),
]
OWN_ROUTES = ["/staff/me/cpd-record", "/staff/me/cpd-record.csv", "/staff/me/cpd-record.xlsx"]


def _csrf(app: Flask, client: FlaskClient) -> str:
    """A valid CSRF token for this client's session, so a refusal below is access control's
    doing and not the CSRF check's."""
    with client.session_transaction() as session:
        sid = session["launch"]["s"] if "launch" in session else None
    if sid is None:
        return ""
    serializer = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="csrf")
    return serializer.dumps(f"launch:{sid}")


def _call(app: Flask, client: FlaskClient, method: str, path: str) -> Any:
    if method == "POST":
        data = {"csrf_token": _csrf(app, client), "roles": ["leader"], "staff_number": "X"}
        # The erasure form's fields too, so a refusal there is access control's doing.
        data |= {"reason": "Asked under UK GDPR", "confirm": "ERASE"}
        return client.post(path, data=data)
    # Buffered: read whole and closed, as a server closes a download (the subject access ZIP
    # is a temporary file until then).
    return client.get(path, buffered=True)


def _writes(app: Flask) -> tuple[int, int, list[Any]]:
    with app.app_context():
        return (
            db.session.scalar(select(func.count(AuditEntry.id))) or 0,
            db.session.scalar(select(func.count(StaffRole.id))) or 0,
            list(db.session.scalars(select(Person.staff_number).order_by(Person.id))),
        )


def test_the_route_list_is_complete(app: Flask) -> None:
    """A new /staff route must be added to the lists above (and so to these tests)."""
    rules = {
        (method, rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("staff.")
        for method in rule.methods or ()
        if method in {"GET", "POST"}
    }
    listed = {
        (m, p.replace("{school}", "<int:school_id>").replace("{person}", "<int:person_id>"))
        for m, p in SCHOOL_ROUTES
    } | {
        ("GET", "/staff/me/cpd-record"),
        ("GET", "/staff/me/cpd-record.<any(csv, xlsx):fmt>"),
    }
    assert rules == listed


def test_no_route_names_a_person_outside_a_school(app: Flask) -> None:
    """Anyone's own record is /staff/me/...: there is no URL for someone else's."""
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("staff.") and "person_id" in rule.arguments:
            assert rule.rule.startswith("/staff/schools/<int:school_id>/")


@pytest.mark.parametrize(("method", "path"), SCHOOL_ROUTES)
def test_staff_member_is_refused_every_school_route(
    app: Flask, sign_in: SignIn, method: str, path: str
) -> None:
    learner = sign_in("learner")
    alder = school_id(app, ALDER)
    colleague = add_person(app, ALDER, "Cara Colleague")
    before = _writes(app)
    response = _call(app, learner, method, path.format(school=alder, person=colleague))
    assert response.status_code == 403
    assert _writes(app) == before


def test_staff_member_is_refused_their_own_school_record_too(
    app: Flask, sign_in: SignIn, platform: Any
) -> None:
    """Their own record is theirs to read (My training, the CPD record), not to edit."""
    learner = sign_in("learner")
    alder = school_id(app, ALDER)
    with app.app_context():
        me = db.session.scalar(select(Person.id).where(Person.sub == platform.user("learner").sub))
    assert learner.get(f"/staff/schools/{alder}/people/{me}").status_code == 403


@pytest.mark.parametrize(("method", "path"), SCHOOL_ROUTES)
def test_cpd_lead_of_another_school_is_refused(
    app: Flask, sign_in: SignIn, method: str, path: str
) -> None:
    birch_lead = sign_in("instructor", BIRCH)
    alder = school_id(app, ALDER)
    sam = add_person(app, ALDER, "Sam Patel")
    before = _writes(app)
    response = _call(app, birch_lead, method, path.format(school=alder, person=sam))
    assert response.status_code == 403
    assert _writes(app) == before


@pytest.mark.parametrize("kind", ["instructor", "admin"])
@pytest.mark.parametrize(("method", "path"), SCHOOL_ROUTES)
def test_another_organisations_school_is_not_found(
    app: Flask, sign_in: SignIn, kind: UserKind, method: str, path: str
) -> None:
    """Even for a trust leader, who may see every school of their own trust."""
    client = sign_in(kind)
    stranger = _other_org_person(app)
    elm = school_id(app, "200001")
    before = _writes(app)
    response = _call(app, client, method, path.format(school=elm, person=stranger))
    assert response.status_code == 404
    assert _writes(app) == before


PersonMaker = Callable[[Flask], int]


@pytest.mark.parametrize(
    "who",
    [
        # Another organisation's person, asked for under my school.
        lambda app: _other_org_person(app),
        # A person of my organisation with no role at this school.
        lambda app: add_person(app, BIRCH, "Bea Birch"),
        # No such person.
        lambda app: 999_999,
    ],
    ids=["other-organisation", "not-at-this-school", "missing"],
)
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_a_person_not_at_the_school_is_not_found(
    app: Flask, sign_in: SignIn, who: PersonMaker, method: str
) -> None:
    lead = sign_in("instructor")
    alder = school_id(app, ALDER)
    person = who(app)
    before = _writes(app)
    response = _call(app, lead, method, f"/staff/schools/{alder}/people/{person}")
    assert response.status_code == 404
    assert _writes(app) == before


def _other_org_person(app: Flask) -> int:
    make_org(app, "Other Trust", schools=[("200001", "Elm School")])
    return add_person(app, "200001", "Olly Other")


@pytest.mark.parametrize("path", [p for _, p in SCHOOL_ROUTES[::2]] + OWN_ROUTES)
def test_not_signed_in_is_401(app: Flask, client: FlaskClient, org_id: int, path: str) -> None:
    alder = school_id(app, ALDER)
    sam = add_person(app, ALDER, "Sam Patel")
    assert client.get(path.format(school=alder, person=sam)).status_code == 401


def test_a_post_from_outside_is_401_and_writes_nothing(
    app: Flask, client: FlaskClient, org_id: int
) -> None:
    alder = school_id(app, ALDER)
    sam = add_person(app, ALDER, "Sam Patel")
    before = _writes(app)
    assert _call(app, client, "POST", f"/staff/schools/{alder}/people/{sam}").status_code == 401
    assert _writes(app) == before


@pytest.mark.parametrize("kind", ["instructor", "admin"])
@pytest.mark.parametrize(("method", "path"), SCHOOL_ROUTES)
def test_cpd_lead_and_trust_leader_are_let_in(
    app: Flask, sign_in: SignIn, kind: UserKind, method: str, path: str
) -> None:
    client = sign_in(kind)
    alder = school_id(app, ALDER)
    sam = add_person(app, ALDER, "Sam Patel")
    response = _call(app, client, method, path.format(school=alder, person=sam))
    assert response.status_code == (303 if method == "POST" else 200)
