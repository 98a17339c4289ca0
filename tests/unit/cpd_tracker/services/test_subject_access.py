"""``SubjectAccessService`` on the test database: the ZIP's parts and what they hold, SENCO
parts only for a SENCO, audit entries about or by the person (not a near-miss id), the export
audited, and another organisation's actor refused."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from cpd_tracker.extensions import db
from cpd_tracker.models import (
    AuditEntry,
    Organisation,
    OrganisationKind,
    Person,
    School,
    SencoAppointment,
    SencoDocument,
    SencoQualification,
    SencoQualificationKind,
    StaffRole,
    StaffRoleKind,
)
from cpd_tracker.services.audit import Actor, AuditService
from cpd_tracker.services.compliance import ComplianceService
from cpd_tracker.services.subject_access import SubjectAccessService
from cpd_tracker.storage import EvidenceStore

NOW = dt.datetime(2026, 12, 7, 9, 30, tzinfo=dt.UTC)
PDF = b"%PDF-1.4\n%%EOF\n"


@pytest.fixture
def session(app: Flask) -> Iterator[Session]:
    with app.app_context():
        yield db.session


def _org(session: Session, name: str) -> tuple[Organisation, School]:
    org = Organisation(name=name, kind=OrganisationKind.TRUST)
    session.add(org)
    session.flush()
    school = School(organisation_id=org.id, urn=str(100000 + org.id), name=f"{name} School")
    session.add(school)
    session.flush()
    return org, school


def _person(session: Session, org: Organisation, school: School, name: str) -> Person:
    person = Person(organisation_id=org.id, name=name, email=f"{name.split()[0].lower()}@x.org")
    session.add(person)
    session.flush()
    session.add(StaffRole(person_id=person.id, school_id=school.id, role=StaffRoleKind.SENCO))
    session.flush()
    return person


def _service(session: Session, tmp_path: Path, actor: Person) -> SubjectAccessService:
    return SubjectAccessService(
        session,
        AuditService(session, Actor("person", person_id=actor.id)),
        EvidenceStore(tmp_path),
        ComplianceService(session),
        lambda: NOW,
    )


def test_the_export_holds_every_part_and_is_audited(session: Session, tmp_path: Path) -> None:
    org, school = _org(session, "Alder Trust")
    sara = _person(session, org, school, "Sara Senco")
    lead = _person(session, org, school, "Lee Lead")
    session.add(
        SencoAppointment(
            organisation_id=org.id,
            school_id=school.id,
            person_id=sara.id,
            started_on=dt.date(2024, 9, 1),
            teacher_reference_number="1234567",
        )
    )
    qualification = SencoQualification(
        organisation_id=org.id, person_id=sara.id, kind=SencoQualificationKind.NPQ_SENCO
    )
    session.add(qualification)
    session.flush()
    key = EvidenceStore(tmp_path).save(org.id, PDF)
    session.add(
        SencoDocument(
            organisation_id=org.id,
            qualification_id=qualification.id,
            file_name="offer.pdf",
            content_type="application/pdf",
            size=len(PDF),
            storage_key=key,
        )
    )
    audit = AuditService(session, Actor("person", person_id=lead.id))
    audit.record("x.about", organisation_id=org.id, entity_type="thing", person_id=sara.id)
    # An entry about person #<sara.id><digit>: a near miss of the text search, not hers.
    audit.record(
        "x.other", organisation_id=org.id, entity_type="thing", person_id=int(f"{sara.id}0")
    )
    AuditService(session, Actor("person", person_id=sara.id)).record(
        "x.by", organisation_id=org.id, entity_type="thing", entity_id=1
    )
    session.flush()

    export = _service(session, tmp_path, lead).export(sara, lead)
    with export.file, zipfile.ZipFile(export.file) as archive:
        names = set(archive.namelist())
        assert {"senco/appointments.csv", "senco/qualifications.csv"} <= names
        documents = [n for n in names if n.startswith("senco/documents/")]
        assert [archive.read(n) for n in documents] == [PDF]
        appointment = next(
            csv.DictReader(io.StringIO(archive.read("senco/appointments.csv").decode("utf-8-sig")))
        )
        assert appointment["Teacher reference number"] == "1234567"
        actions = [
            row["Action"]
            for row in csv.DictReader(io.StringIO(archive.read("audit.csv").decode("utf-8-sig")))
        ]
        assert actions == ["x.about", "x.by"]
        person = json.loads(archive.read("person.json"))
        assert person["name"] == "Sara Senco"
        assert person["staff_roles"][0]["role"] == "senco"
    assert export.file_name == f"subject-access-{sara.id}-2026-12-07.zip"
    entry = session.scalars(
        select(AuditEntry).where(AuditEntry.action == "person.subject_access_export")
    ).one()
    assert entry.details["summary"] == f"subject access export made for #{sara.id} by #{lead.id}"
    assert entry.actor_person_id == lead.id


def test_no_senco_parts_for_someone_never_a_senco(session: Session, tmp_path: Path) -> None:
    org, school = _org(session, "Birch Trust")
    tom = _person(session, org, school, "Tom Teacher")
    export = _service(session, tmp_path, tom).export(tom, tom)
    with export.file, zipfile.ZipFile(export.file) as archive:
        assert not [n for n in archive.namelist() if n.startswith("senco/")]
        assert "README.txt" in archive.namelist()


def test_another_organisations_actor_is_refused(session: Session, tmp_path: Path) -> None:
    org, school = _org(session, "Cedar Trust")
    other, elsewhere = _org(session, "Elm Trust")
    tom = _person(session, org, school, "Tom Teacher")
    stranger = _person(session, other, elsewhere, "Sam Stranger")
    with pytest.raises(PermissionError):
        _service(session, tmp_path, stranger).export(tom, stranger)
    assert session.scalar(select(AuditEntry.id)) is None
