"""Who may reach which SENCO route, route by route. A refused POST writes nothing."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any, NamedTuple

import pytest
from flask import Flask
from flask.testing import FlaskClient
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import func, select

from cpd_tracker.extensions import db
from cpd_tracker.models import (
    AuditEntry,
    School,
    SchoolHead,
    SencoAppointment,
    SencoDocument,
    SencoPriorService,
    SencoQualification,
    SencoQualificationKind,
)
from tests.functional.senco.conftest import SignIn
from tests.functional.staff.support import ALDER, BIRCH, add_person
from tests.support.factories import make_org, school_id

SCHOOL_ROUTES = [
    ("GET", "/senco/schools/{school}"),
    ("POST", "/senco/schools/{school}/appointments"),
    ("POST", "/senco/schools/{school}/appointments/{appointment}/end"),
    ("POST", "/senco/schools/{school}/appointments/{appointment}/prior-service"),
    ("POST", "/senco/schools/{school}/appointments/{appointment}/prior-service/{prior}/remove"),
    ("POST", "/senco/schools/{school}/type"),
    ("POST", "/senco/schools/{school}/qualifications"),
    ("GET", "/senco/schools/{school}/qualifications/{qualification}"),
    ("POST", "/senco/schools/{school}/qualifications/{qualification}"),
    ("POST", "/senco/schools/{school}/qualifications/{qualification}/documents"),
    ("GET", "/senco/schools/{school}/qualifications/{qualification}/documents/{document}"),
    ("POST", "/senco/schools/{school}/head"),
]
PLACEHOLDERS = {
    "{school}": "<int:school_id>",
    "{appointment}": "<int:appointment_id>",
    "{qualification}": "<int:qualification_id>",
    "{document}": "<int:doc_id>",
    "{prior}": "<int:row_id>",
}
TRUST_ROUTES = ["/senco/trust", "/senco/trust.csv", "/senco/trust.xlsx"]


def _csrf(app: Flask, client: FlaskClient) -> str:
    with client.session_transaction() as session:
        sid = session["launch"]["s"] if "launch" in session else None
    if sid is None:
        return ""
    return URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="csrf").dumps(f"launch:{sid}")


class Ids(NamedTuple):
    person: int
    appointment: int
    qualification: int
    document: int
    prior: int

    def url(self, path: str, school: int) -> str:
        return path.format(
            school=school,
            appointment=self.appointment,
            qualification=self.qualification,
            document=self.document,
            prior=self.prior,
        )


def _setup(app: Flask) -> Ids:
    pid = add_person(app, ALDER, "Sian Evans")
    sid = school_id(app, ALDER)
    with app.app_context():
        school = db.session.get(School, sid)
        assert school is not None
        row = SencoAppointment(
            organisation_id=school.organisation_id,
            school_id=sid,
            person_id=pid,
            started_on=dt.date(2024, 9, 1),
        )
        db.session.add(row)
        qualification = SencoQualification(
            organisation_id=school.organisation_id,
            person_id=pid,
            kind=SencoQualificationKind.NPQ_SENCO,
        )
        db.session.add(qualification)
        db.session.flush()
        document = SencoDocument(
            organisation_id=school.organisation_id,
            qualification_id=qualification.id,
            file_name="offer.pdf",
            content_type="application/pdf",
            size=10,
            storage_key="0" * 32,
        )
        db.session.add(document)
        prior = SencoPriorService(
            organisation_id=school.organisation_id,
            appointment_id=row.id,
            started_on=dt.date(2020, 9, 1),
            ended_on=dt.date(2021, 8, 31),
            relevant_school=True,
        )
        db.session.add(prior)
        db.session.commit()
        return Ids(pid, row.id, qualification.id, document.id, prior.id)


def _call(app: Flask, client: FlaskClient, method: str, path: str, pid: int) -> Any:
    if method == "POST":
        data = {
            "csrf_token": _csrf(app, client),
            "person_id": str(pid),
            "started_on": "1/9/2025",
            "ended_on": "1/9/2025",
            "kind": "npq_senco",
            "result": "pending",
            "funding": "",
            "head_id": str(pid),
            "school_type": "independent",
            "relevant_school": "yes",
            "document": (io.BytesIO(b"%PDF-1.4 offer"), "offer.pdf"),
        }
        return client.post(path, data=data)
    return client.get(path)


def _writes(app: Flask) -> tuple[Any, ...]:
    with app.app_context():
        return (
            db.session.scalar(select(func.count(AuditEntry.id))) or 0,
            db.session.scalar(select(func.count(SencoAppointment.id))) or 0,
            db.session.scalar(select(func.count(SencoDocument.id))) or 0,
            db.session.scalar(select(func.count(SchoolHead.id))) or 0,
            db.session.scalar(select(func.count(SencoPriorService.id))) or 0,
            list(db.session.scalars(select(School.school_type))),
            list(db.session.scalars(select(SencoAppointment.ended_on))),
            list(db.session.execute(select(SencoQualification.kind, SencoQualification.result))),
        )


def _rule(path: str) -> str:
    for placeholder, converter in PLACEHOLDERS.items():
        path = path.replace(placeholder, converter)
    return path


def test_the_route_list_is_complete(app: Flask) -> None:
    rules = {
        (method, rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("senco.")
        for method in rule.methods or ()
        if method in {"GET", "POST"}
    }
    listed = {(m, _rule(p)) for m, p in SCHOOL_ROUTES} | {
        ("GET", "/senco/trust"),
        ("GET", "/senco/trust.<any(csv, xlsx):fmt>"),
    }
    assert rules == listed


@pytest.mark.parametrize(("method", "path"), SCHOOL_ROUTES)
@pytest.mark.parametrize(
    ("who", "urn", "expected"),
    [("learner", ALDER, 403), ("instructor", BIRCH, 403)],
)
def test_staff_and_other_schools_leads_are_refused(
    app: Flask, sign_in: SignIn, method: str, path: str, who: Any, urn: str, expected: int
) -> None:
    ids = _setup(app)
    client = sign_in(who, urn)
    before = _writes(app)
    url = ids.url(path, school_id(app, ALDER))
    assert _call(app, client, method, url, ids.person).status_code == expected
    assert _writes(app) == before


@pytest.mark.parametrize(("method", "path"), SCHOOL_ROUTES)
def test_another_organisations_school_is_a_404(
    app: Flask, sign_in: SignIn, method: str, path: str
) -> None:
    ids = _setup(app)
    other_org = make_org(app, "Other Trust", schools=[("200001", "Cedar School")])
    with app.app_context():
        other = db.session.scalar(select(School.id).where(School.organisation_id == other_org))
    assert other is not None
    client = sign_in("admin")
    before = _writes(app)
    assert _call(app, client, method, ids.url(path, other), ids.person).status_code == 404
    assert _writes(app) == before


@pytest.mark.parametrize(
    ("method", "path"),
    [r for r in SCHOOL_ROUTES if "{appointment}" in r[1] or "{qualification}" in r[1]],
)
def test_another_schools_records_are_a_404(
    app: Flask, sign_in: SignIn, method: str, path: str
) -> None:
    ids = _setup(app)
    client = sign_in("instructor", BIRCH)
    before = _writes(app)
    url = ids.url(path, school_id(app, BIRCH))
    assert _call(app, client, method, url, ids.person).status_code == 404
    assert _writes(app) == before


@pytest.mark.parametrize("path", TRUST_ROUTES)
@pytest.mark.parametrize("who", ["learner", "instructor"])
def test_trust_table_is_for_trust_leaders(app: Flask, sign_in: SignIn, path: str, who: Any) -> None:
    assert sign_in(who).get(path).status_code == 403


@pytest.mark.parametrize("path", TRUST_ROUTES)
def test_trust_leader_sees_the_trust_table(app: Flask, sign_in: SignIn, path: str) -> None:
    assert sign_in("admin").get(path).status_code == 200


def test_a_trust_leader_may_use_any_school_page(app: Flask, sign_in: SignIn) -> None:
    ids = _setup(app)
    client = sign_in("admin")
    assert client.get(f"/senco/schools/{school_id(app, BIRCH)}").status_code == 200
    url = f"/senco/schools/{school_id(app, ALDER)}/appointments/{ids.appointment}/end"
    assert _call(app, client, "POST", url, ids.person).status_code == 303


def test_a_launch_alone_never_makes_a_senco(app: Flask, sign_in: SignIn) -> None:
    sign_in("instructor")
    sign_in("learner")
    assert _writes(app)[1] == 0
