"""Erasure and subject access end to end, through the test client (issue 15, finding 4: "after
erasure no page, export, file or log line shows the person; the reports' counts do not
change").

Zoe Quill is seeded with completions, a certificate on disk, an exemption and an extension
with health notes, e-mails, audit entries and an import file. Her CPD lead downloads her
subject access ZIP and finds every part; then erases her. Afterwards every GET route of the
tool (the URL map, ids filled in, as in ``tests/functional/reports/test_access_crawl.py``) is
fetched as her CPD lead and as the trust leader, downloads opened, and the database and logs
read whole: her name, e-mail and staff number appear nowhere; her certificate is gone from
disk; the school's and trust's figures are what they were.
"""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import json
import logging
import re
import zipfile
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from cpd_tracker.extensions import db
from cpd_tracker.models import (
    AuditEntry,
    Base,
    DataAccessEntry,
    Evidence,
    Exemption,
    Extension,
    ImportUpload,
    OutgoingEmail,
    Permission,
    PermissionKind,
    PermissionSource,
    Person,
    SencoAppointment,
)
from cpd_tracker.storage import EvidenceStore, evidence_root
from tests.functional.reports.test_access_crawl import _ids, _table_for, _text, _urls
from tests.functional.staff.conftest import SignIn
from tests.functional.staff.support import (
    ALDER,
    add_completion,
    add_module,
    add_person,
    add_requirement,
    hidden,
    person_id_of,
)
from tests.support.factories import make_org, school_id
from tests.support.platform import TestPlatform

PDF = b"%PDF-1.4\n% Zoe Quill's certificate\n%%EOF\n"
NAME, EMAIL, STAFF_NUMBER = "Zoe Quill", "zoe.quill@school.example.org", "QX-778811"
#: What must never show again once she is erased: her names (as written), and, in any case,
#: her e-mail, staff number, certificate's name and a health note.
NAMES = ("Zoe", "Quill")
NEEDLES = (EMAIL, STAFF_NUMBER, "zoe-quill-certificate", "chemotherapy")
#: Random values (launch and CSRF tokens, nonces, keys) are long runs of these: "Zoe" inside
#: one is chance, not a leak, so names are looked for outside them.
RANDOM_RUN = re.compile(r"[A-Za-z0-9_\-.~+/=]{20,}")
#: Routes the crawl leaves out: LTI protocol and demo endpoints, not pages of the tool.
SKIP_PREFIXES = ("/static", "/demo-lms", "/lti/", "/.well-known")


def _evidence_dir(app: Flask) -> Path:
    with app.app_context():
        return evidence_root()


def _seed(app: Flask, org_id: int) -> dict[str, Any]:
    zoe = add_person(
        app,
        ALDER,
        NAME,
        staff_number=STAFF_NUMBER,
        start_date=dt.date(2024, 9, 1),
        sub="lms-user-zoe",
    )
    module = add_module(app, org_id, "Autism awareness")
    other_module = add_module(app, org_id, "Dyslexia essentials")
    requirement = add_requirement(app, org_id, module)
    add_requirement(app, org_id, other_module)
    completion = add_completion(app, zoe, module, dt.date(2025, 10, 1))
    store = EvidenceStore(_evidence_dir(app))
    with app.app_context():
        person = db.session.get(Person, zoe)
        assert person is not None
        person.email = EMAIL
        key = store.save(org_id, PDF)
        db.session.add_all(
            [
                Evidence(
                    organisation_id=org_id,
                    person_id=zoe,
                    module_id=other_module,
                    school_id=school_id(app, ALDER),
                    course_title="Dyslexia day",
                    provider="BDA",
                    completed_on=dt.date(2025, 11, 1),
                    cpd_hours=Decimal("3"),
                    file_key=key,
                    file_name="zoe-quill-certificate.pdf",
                    content_type="application/pdf",
                    file_size=len(PDF),
                ),
                Exemption(
                    organisation_id=org_id,
                    person_id=zoe,
                    requirement_id=requirement,
                    reason="Off sick: chemotherapy until spring",
                    starts_on=dt.date(2025, 1, 1),
                    ends_on=dt.date(2025, 6, 30),
                ),
                Extension(
                    organisation_id=org_id,
                    person_id=zoe,
                    requirement_id=requirement,
                    reason="Phased return after chemotherapy",
                    new_due_on=dt.date(2026, 1, 31),
                ),
                OutgoingEmail(
                    organisation_id=org_id,
                    person_id=zoe,
                    dedupe_key=f"reminder:{zoe}:1",
                    to_address=EMAIL,
                    subject="Your SEND training is due",
                    body_text=f"Dear {NAME}, Autism awareness is due.",
                    sent_at=dt.datetime(2025, 9, 20, 8, 0, tzinfo=dt.UTC),
                ),
                ImportUpload(
                    organisation_id=org_id,
                    kind="staff",
                    school_id=school_id(app, ALDER),
                    file_name="staff.csv",
                    content=(
                        "staff_number,given_name,family_name,email\r\n"
                        f"{STAFF_NUMBER},Zoe,Quill,{EMAIL}\r\n"
                    ).encode(),
                ),
            ]
        )
        db.session.commit()
    return {"zoe": zoe, "completion": completion, "key": key}


def _change_role_as(app: Flask, client: FlaskClient, school: int, person: int) -> None:
    """A real audit entry about her, made through the staff page (naming her staff number)."""
    page = client.get(f"/staff/schools/{school}/people/{person}")
    assert page.status_code == 200
    response = client.post(
        f"/staff/schools/{school}/people/{person}",
        data={
            "csrf_token": hidden(page.get_data(as_text=True), "csrf_token"),
            "roles": ["teacher", "teaching_assistant"],
            "start_date": "1/9/2024",
            "staff_number": STAFF_NUMBER,
            "email": EMAIL,
        },
    )
    assert response.status_code == 303, response.get_data(as_text=True)[:500]


def _zip(response: Any) -> zipfile.ZipFile:
    """The download, read and closed (closing it removes the server's temporary file)."""
    with response:
        assert response.status_code == 200, response.get_data(as_text=True)[:300]
        assert response.mimetype == "application/zip"
        assert response.headers["Content-Disposition"].startswith("attachment;")
        assert response.headers["Cache-Control"] == "private, no-store"
        return zipfile.ZipFile(io.BytesIO(response.get_data()))


def _rows(archive: zipfile.ZipFile, name: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(archive.read(name).decode("utf-8-sig"))))


def _figures(client: FlaskClient, path: str, person_id: int) -> list[str]:
    """The numbers a page shows, in order (the erased person's own '#id' left out)."""
    response = client.get(path)
    assert response.status_code == 200, path
    text = html.unescape(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))
    text = text.replace(f"Erased person #{person_id}", "")
    return re.findall(r"\d[\d,.%]*", text)


def _crawl_urls(app: Flask, org_id: int, school: int, person: int) -> Iterator[str]:
    def ids(param: str) -> int:
        if param == "person_id":
            return person
        if param == "school_id":
            return school
        # A parameter that names no table (a page number, a position) gets 1.
        return _ids(org_id)(param) if _table_for(param) is not None else 1

    for rule in app.url_map.iter_rules():
        if not rule.methods or "GET" not in rule.methods or rule.rule.startswith(SKIP_PREFIXES):
            continue
        if rule.endpoint in {"launch.login", "registration.register"}:
            continue
        with app.app_context():
            yield from list(_urls(rule, ids))


def _leaks(body: str) -> list[str]:
    words = RANDOM_RUN.sub(" ", body)
    return [n for n in NAMES if n in words] + [n for n in NEEDLES if n.lower() in body.lower()]


def _database_leaks(app: Flask) -> list[str]:
    """Every stored value of every table, as text: where any needle still stands."""
    found = []
    with app.app_context():
        for table in Base.metadata.sorted_tables:
            for row in db.session.execute(table.select()):
                for column, value in row._mapping.items():
                    if isinstance(value, bytes):
                        value = value.decode("utf-8", "replace")
                    elif isinstance(value, dict | list):
                        value = json.dumps(value)
                    if isinstance(value, str) and _leaks(value):
                        found.append(f"{table.name}.{column}: {value[:120]}")
    return found


@pytest.fixture
def lead(sign_in: SignIn) -> FlaskClient:
    return sign_in("instructor")


@pytest.fixture
def leader(sign_in: SignIn) -> FlaskClient:
    return sign_in("admin")


def test_subject_access_then_erasure_end_to_end(
    app: Flask,
    org_id: int,
    lead: FlaskClient,
    leader: FlaskClient,
    platform: TestPlatform,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    seeded = _seed(app, org_id)
    zoe, alder = seeded["zoe"], school_id(app, ALDER)
    _change_role_as(app, lead, alder, zoe)
    base = f"/staff/schools/{alder}/people/{zoe}"

    # -- the subject access export, from the link on her staff page --------------------------
    page = lead.get(base).get_data(as_text=True)
    assert f"{base}/subject-access.zip" in page
    assert f"{base}/erase" in page
    archive = _zip(lead.get(f"{base}/subject-access.zip"))
    names = set(archive.namelist())
    with app.app_context():
        logged = db.session.scalars(
            select(DataAccessEntry).where(DataAccessEntry.subject_person_id == zoe)
        ).all()
        assert ("downloaded", "Subject access export, Alder Primary (URN 100001)") in [
            (e.action, e.what) for e in logged
        ]
    assert {
        "README.txt",
        "person.json",
        "training/completions.csv",
        "training/statuses.csv",
        "training/exemptions.csv",
        "training/extensions.csv",
        "training/evidence.csv",
        "training/attempts.csv",
        "training/place_requests.csv",
        "audit.csv",
        "emails.csv",
        "lms.csv",
        "purchases.csv",
    } <= names
    readme = archive.read("README.txt").decode()
    assert all(part.split("/")[0] in readme for part in names - {"README.txt"})
    person = json.loads(archive.read("person.json"))
    assert (person["name"], person["email"], person["staff_number"]) == (NAME, EMAIL, STAFF_NUMBER)
    assert {r["role"] for r in person["staff_roles"]} == {"teacher", "teaching_assistant"}
    assert person["lms_identity"] is None  # imported: never launched
    completions = _rows(archive, "training/completions.csv")
    assert [(c["Training"], c["Completed on"]) for c in completions] == [
        ("Autism awareness", "2025-10-01")
    ]
    statuses = _rows(archive, "training/statuses.csv")
    assert {s["Training"] for s in statuses} == {"Autism awareness", "Dyslexia essentials"}
    assert _rows(archive, "training/exemptions.csv")[0]["Reason"].startswith("Off sick")
    assert _rows(archive, "training/extensions.csv")[0]["New due date"] == "2026-01-31"
    evidence = _rows(archive, "training/evidence.csv")
    assert archive.read(evidence[0]["File in this export"]) == PDF
    assert "Dear Zoe Quill" in _rows(archive, "emails.csv")[0]["Body"]
    audit = _rows(archive, "audit.csv")
    assert "person.record_updated" in {a["Action"] for a in audit}
    assert "senco/appointments.csv" not in names  # she was never a SENCO
    lead_id = person_id_of(app, platform, "instructor")
    with app.app_context():
        made = db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "person.subject_access_export")
        ).one()
        assert made.details["summary"] == f"subject access export made for #{zoe} by #{lead_id}"
        assert made.actor_person_id == lead_id
    # The trust leader may download it too.
    assert _zip(leader.get(f"{base}/subject-access.zip")).namelist()

    # -- the figures before ------------------------------------------------------------------
    # (Once to clear what the first page after a launch says about the roster sync.)
    _figures(leader, "/trust", zoe), _figures(lead, f"/schools/{alder}", zoe)
    before = (_figures(leader, "/trust", zoe), _figures(lead, f"/schools/{alder}", zoe))

    # -- erasure: the page, then the form ----------------------------------------------------
    form_page = lead.get(f"{base}/erase")
    assert form_page.status_code == 200
    form_html = form_page.get_data(as_text=True)
    assert "What goes" in form_html
    assert "What stays" in form_html
    assert "ERASE" in form_html
    token = hidden(form_html, "csrf_token")
    wrong = lead.post(f"{base}/erase", data={"csrf_token": token, "reason": "x", "confirm": "yes"})
    assert wrong.status_code == 400
    assert "Type the word ERASE" in wrong.get_data(as_text=True)
    data = {"csrf_token": token, "reason": "Her request under UK GDPR", "confirm": "erase"}
    done = lead.post(f"{base}/erase", data=data)
    assert done.status_code == 303
    assert f"{base}?saved=erased" in done.headers["Location"]
    # The same form sent again erases nothing twice and shows what the first did.
    again = lead.post(f"{base}/erase", data=data)
    assert again.status_code == 303
    assert "resent=1" in again.headers["Location"]
    with app.app_context():
        assert (
            db.session.scalar(
                select(func.count(AuditEntry.id)).where(AuditEntry.action == "person.erased")
            )
            == 1
        )
    shown = lead.get(done.headers["Location"]).get_data(as_text=True)
    assert f"Erased person #{zoe}" in shown
    assert "has been erased" in shown

    # -- afterwards: nothing shows her -------------------------------------------------------
    assert not list(_evidence_dir(app).rglob(seeded["key"]))
    for path in _evidence_dir(app).rglob("*"):
        assert not path.is_file() or path.read_bytes() != PDF
    crawled = 0
    for client in (lead, leader):
        for url in _crawl_urls(app, org_id, alder, zoe):
            with client.get(url) as response:
                assert response.status_code < 500, url
                body = _text(response.get_data())
            assert not _leaks(body), (url, _leaks(body))
            crawled += 1
    assert crawled > 100
    erased_archive = _zip(leader.get(f"{base}/subject-access.zip"))
    assert json.loads(erased_archive.read("person.json"))["erased_at"]
    assert _database_leaks(app) == []
    assert not _leaks(caplog.text)

    # -- and the figures are what they were --------------------------------------------------
    after = (_figures(leader, "/trust", zoe), _figures(lead, f"/schools/{alder}", zoe))
    assert after == before
    assert len(before[0]) > 5
    assert len(before[1]) > 5


def _senco(app: Flask, org_id: int, person: int, ended: dt.date | None) -> None:
    with app.app_context():
        db.session.add(
            SencoAppointment(
                organisation_id=org_id,
                school_id=school_id(app, ALDER),
                person_id=person,
                started_on=dt.date(2023, 9, 1),
                ended_on=ended,
            )
        )
        db.session.commit()


def _audit_count(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(AuditEntry.id))) or 0


def test_a_current_senco_is_held_the_page_says_why_and_a_post_writes_nothing(
    app: Flask, org_id: int, lead: FlaskClient
) -> None:
    zoe = add_person(app, ALDER, NAME)
    _senco(app, org_id, zoe, None)
    base = f"/staff/schools/{school_id(app, ALDER)}/people/{zoe}"
    page = lead.get(f"{base}/erase")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "cannot be erased yet" in text
    assert "6 years after it ends" in text
    assert 'name="confirm"' not in text
    before = _audit_count(app)
    token = hidden(lead.get(base).get_data(as_text=True), "csrf_token")
    response = lead.post(
        f"{base}/erase", data={"csrf_token": token, "reason": "asked", "confirm": "ERASE"}
    )
    assert response.status_code == 409
    assert _audit_count(app) == before
    with app.app_context():
        person = db.session.get(Person, zoe)
        assert person is not None
        assert person.name == NAME
        assert person.erased_at is None


def test_a_cpd_lead_may_not_erase_a_trust_leader(
    app: Flask, org_id: int, lead: FlaskClient
) -> None:
    boss = add_person(app, ALDER, "Tess Trustwide")
    with app.app_context():
        db.session.add(
            Permission(
                person_id=boss,
                kind=PermissionKind.TRUST_LEADER,
                school_id=None,
                source=PermissionSource.OVERRIDE,
            )
        )
        db.session.commit()
    base = f"/staff/schools/{school_id(app, ALDER)}/people/{boss}"
    staff_page = lead.get(base)
    assert staff_page.status_code == 200
    assert f"{base}/erase" not in staff_page.get_data(as_text=True)
    page = lead.get(f"{base}/erase")
    assert page.status_code == 403
    assert "only a trust leader can erase" in page.get_data(as_text=True)
    token = hidden(staff_page.get_data(as_text=True), "csrf_token")
    before = _audit_count(app)
    response = lead.post(
        f"{base}/erase", data={"csrf_token": token, "reason": "asked", "confirm": "ERASE"}
    )
    assert response.status_code == 403
    assert _audit_count(app) == before


def test_a_trust_leader_of_another_organisation_finds_nothing(
    app: Flask, org_id: int, leader: FlaskClient
) -> None:
    make_org(app, "Other Trust", schools=[("200001", "Elm School")])
    olly = add_person(app, "200001", "Olly Other")
    base = f"/staff/schools/{school_id(app, '200001')}/people/{olly}"
    for path in (f"{base}/erase", f"{base}/subject-access.zip"):
        with leader.get(path) as response:
            assert response.status_code == 404
    # Their person under my school is not found either.
    mine = f"/staff/schools/{school_id(app, ALDER)}/people/{olly}"
    with leader.get(f"{mine}/subject-access.zip") as response:
        assert response.status_code == 404
    with app.app_context():
        assert not db.session.scalar(
            select(func.count(AuditEntry.id)).where(
                AuditEntry.entity_type == "person", AuditEntry.entity_id == str(olly)
            )
        )


def test_an_erasure_without_the_forms_token_is_refused(
    app: Flask, lead: FlaskClient, client: FlaskClient
) -> None:
    zoe = add_person(app, ALDER, NAME)
    base = f"/staff/schools/{school_id(app, ALDER)}/people/{zoe}"
    before = _audit_count(app)
    response = lead.post(f"{base}/erase", data={"reason": "asked", "confirm": "ERASE"})
    assert response.status_code == 400
    forged = lead.post(
        f"{base}/erase", data={"csrf_token": "forged", "reason": "asked", "confirm": "ERASE"}
    )
    assert forged.status_code == 400
    assert client.post(f"{base}/erase", data={"confirm": "ERASE"}).status_code == 401
    assert client.get(f"{base}/subject-access.zip").status_code == 401
    assert _audit_count(app) == before
    with app.app_context():
        person = db.session.get(Person, zoe)
        assert person is not None
        assert person.erased_at is None
