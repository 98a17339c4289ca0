"""Erasure: the legal-hold rule and the scrubber (pure), and ``ErasureService`` on the test
database (what goes, what stays, who may, and that a refusal writes nothing)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cpd_tracker.extensions import db
from cpd_tracker.models import (
    AuditEntry,
    Completion,
    CompletionMethod,
    Delivery,
    DueRule,
    Evidence,
    Exemption,
    Extension,
    ImportUpload,
    Module,
    Organisation,
    OrganisationKind,
    OutgoingEmail,
    Permission,
    PermissionKind,
    PermissionSource,
    Person,
    RequestStatus,
    Requirement,
    School,
    SencoAppointment,
    SencoDocument,
    SencoQualification,
    SencoQualificationKind,
    StaffRole,
    StaffRoleKind,
    Tier,
    TrainingRequest,
)
from cpd_tracker.services.audit import Actor, AuditService
from cpd_tracker.services.erasure import (
    ERASED,
    ERASED_REASON,
    ErasureRefused,
    ErasureService,
    Scrubber,
    add_years,
    senco_hold,
)
from cpd_tracker.storage import EvidenceMissing, EvidenceStore

TODAY = dt.date(2026, 12, 7)
NOW = dt.datetime(2026, 12, 7, 9, 30, tzinfo=dt.UTC)
PDF = b"%PDF-1.4\n% certificate of Zoe Quill\n%%EOF\n"


# --- Pure ------------------------------------------------------------------------------------


def test_add_years_keeps_the_day_or_falls_back_from_29_february() -> None:
    assert add_years(dt.date(2020, 3, 1), 6) == dt.date(2026, 3, 1)
    assert add_years(dt.date(2020, 2, 29), 6) == dt.date(2026, 2, 28)


def test_a_current_senco_appointment_holds_and_the_message_states_the_rule() -> None:
    message = senco_hold([("Alder", dt.date(2024, 9, 1), None)], [], TODAY)
    assert message is not None
    assert "current" in message
    assert "Alder" in message
    assert "6 years after it ends" in message
    assert "reg. 49" in message


def test_an_appointment_ending_later_is_still_current() -> None:
    assert senco_hold([("Alder", dt.date(2024, 9, 1), TODAY)], [], TODAY) is not None


def test_an_ended_appointment_holds_for_six_years_then_not() -> None:
    ended = dt.date(2021, 8, 31)
    held = senco_hold([("Alder", dt.date(2018, 9, 1), ended)], [], TODAY)
    assert held is not None
    assert "31 August 2027" in held
    assert senco_hold([("Alder", dt.date(2010, 9, 1), dt.date(2020, 12, 6))], [], TODAY) is None
    # The last day of retention is the day before the anniversary.
    assert senco_hold([("A", dt.date(2010, 1, 1), dt.date(2020, 12, 7))], [], TODAY) is None
    assert senco_hold([("A", dt.date(2010, 1, 1), dt.date(2020, 12, 8))], [], TODAY) is not None


def test_qualification_records_hold_on_their_own() -> None:
    assert senco_hold([], [("NPQ for SENCOs", None)], TODAY) is not None
    assert senco_hold([], [("NASENCO", dt.date(2022, 7, 1))], TODAY) is not None
    assert senco_hold([], [("NASENCO", dt.date(2019, 7, 1))], TODAY) is None
    assert senco_hold([], [], TODAY) is None


def test_the_scrubber_replaces_long_values_anywhere_and_short_ones_only_whole() -> None:
    scrub = Scrubber(["Zoe Quill", "zoe.quill@example.org", "42"])
    assert scrub.text("Granted to ZOE QUILL today") == f"Granted to {ERASED} today"
    assert scrub.text("42") == ERASED
    assert scrub.text("Room 42") == "Room 42"  # a short value is not looked for inside text
    assert scrub.json(
        {"staff_number": {"from": "42", "to": None}, "to": ["zoe.quill@example.org"], "n": 42}
    ) == {"staff_number": {"from": ERASED, "to": None}, "to": [ERASED], "n": 42}


def test_an_empty_scrubber_changes_nothing() -> None:
    assert Scrubber([]).text("anything") == "anything"


# --- On the database -------------------------------------------------------------------------


@dataclass
class World:
    org: Organisation
    alder: School
    birch: School
    zoe: Person
    lead: Person
    leader: Person
    other: Person
    requirement: Requirement
    module: Module


@pytest.fixture
def session(app: Flask) -> Iterator[Session]:
    with app.app_context():
        yield db.session


@pytest.fixture
def store(tmp_path: Path) -> EvidenceStore:
    return EvidenceStore(tmp_path / "evidence")


def _service(session: Session, store: EvidenceStore, actor: Person | None) -> ErasureService:
    audit = AuditService(session, Actor("person", person_id=actor.id if actor else None))
    return ErasureService(session, audit, store, lambda: NOW)


def _person(
    session: Session, org: Organisation, name: str, school: School, **fields: object
) -> Person:
    given, family = name.split(" ")
    person = Person(
        organisation_id=org.id,
        name=name,
        given_name=given,
        family_name=family,
        email=f"{given}.{family}@example.org".lower(),
        **fields,
    )
    session.add(person)
    session.flush()
    session.add(StaffRole(person_id=person.id, school_id=school.id, role=StaffRoleKind.TEACHER))
    session.flush()
    return person


def _grant(session: Session, person: Person, kind: PermissionKind, school: School | None) -> None:
    session.add(
        Permission(
            person_id=person.id,
            kind=kind,
            school_id=school.id if school else None,
            source=PermissionSource.OVERRIDE,
        )
    )
    session.flush()
    session.refresh(person, ["permissions"])


@pytest.fixture
def world(session: Session) -> World:
    org = Organisation(name="Trust", kind=OrganisationKind.TRUST)
    session.add(org)
    session.flush()
    alder = School(organisation_id=org.id, urn="100001", name="Alder")
    birch = School(organisation_id=org.id, urn="100002", name="Birch")
    session.add_all([alder, birch])
    session.flush()
    module = Module(
        organisation_id=org.id,
        slug="autism",
        title="Autism awareness",
        tier=Tier.AWARENESS,
        delivery=Delivery.EXTERNAL,
        cpd_hours=Decimal("2"),
    )
    session.add(module)
    session.flush()
    requirement = Requirement(
        organisation_id=org.id, module_id=module.id, due_rule=DueRule.DAYS_AFTER_START, due_days=60
    )
    session.add(requirement)
    zoe = _person(
        session,
        org,
        "Zoe Quill",
        alder,
        staff_number="ST-4242",
        sub="lms-zoe",
        start_date=dt.date(2020, 9, 1),
        leaving_date=dt.date(2026, 7, 31),
    )
    lead = _person(session, org, "Lee Lead", alder)
    _grant(session, lead, PermissionKind.CPD_LEAD, alder)
    leader = _person(session, org, "Tess Trust", alder)
    _grant(session, leader, PermissionKind.TRUST_LEADER, None)
    other = _person(session, org, "Owen Other", alder, staff_number="ST-9999")
    return World(org, alder, birch, zoe, lead, leader, other, requirement, module)


def _seed_records(session: Session, w: World, store: EvidenceStore) -> dict[str, object]:
    """Completions, evidence with a file, an exemption and an extension with health notes,
    e-mails, audit entries and an import file, all about Zoe."""
    zoe = w.zoe
    completion = Completion(
        organisation_id=w.org.id,
        person_id=zoe.id,
        module_id=w.module.id,
        completed_on=dt.date(2025, 1, 10),
        method=CompletionMethod.RECORDED,
        note="Zoe did this while on phased return",
    )
    key = store.save(w.org.id, PDF)
    evidence = Evidence(
        organisation_id=w.org.id,
        person_id=zoe.id,
        module_id=w.module.id,
        school_id=w.alder.id,
        course_title="Autism day for Zoe Quill",
        provider="nasen",
        completed_on=dt.date(2025, 2, 1),
        cpd_hours=Decimal("3"),
        file_key=key,
        file_name="zoe-quill-certificate.pdf",
        content_type="application/pdf",
        file_size=len(PDF),
        rejection_reason="Blurred photo",
    )
    exemption = Exemption(
        organisation_id=w.org.id,
        person_id=zoe.id,
        requirement_id=w.requirement.id,
        reason="Long-term sick leave (cancer treatment)",
        starts_on=dt.date(2025, 3, 1),
    )
    extension = Extension(
        organisation_id=w.org.id,
        person_id=zoe.id,
        requirement_id=w.requirement.id,
        reason="Maternity leave",
        new_due_on=dt.date(2026, 3, 1),
    )
    session.add_all([completion, evidence, exemption, extension])
    session.flush()
    sent = OutgoingEmail(
        organisation_id=w.org.id,
        person_id=zoe.id,
        dedupe_key="reminder:zoe:1",
        to_address="zoe.quill@example.org",
        subject="Training due, Zoe",
        body_text="Dear Zoe Quill, your training is due.",
        sent_at=NOW - dt.timedelta(days=3),
    )
    queued = OutgoingEmail(
        organisation_id=w.org.id,
        person_id=None,
        dedupe_key="reminder:zoe:2",
        to_address="Zoe.Quill@example.org",
        subject="Overdue",
        body_text="Dear Zoe Quill",
    )
    theirs = OutgoingEmail(
        organisation_id=w.org.id,
        person_id=w.other.id,
        dedupe_key="reminder:owen:1",
        to_address="owen.other@example.org",
        subject="Training due",
        body_text="Dear Owen Other",
    )
    session.add_all([sent, queued, theirs])
    audit = AuditService(session, Actor("person", person_id=w.lead.id))
    about = audit.record(
        "person.record_updated",
        organisation_id=w.org.id,
        entity_type="person",
        entity_id=zoe.id,
        staff_number={"from": None, "to": "ST-4242"},
    )
    granted = audit.record(
        "exemption.granted",
        organisation_id=w.org.id,
        entity_type="exemption",
        entity_id=exemption.id,
        person_id=zoe.id,
        reason="Long-term sick leave (cancer treatment)",
    )
    mention = audit.record(
        "course.linked",
        organisation_id=w.org.id,
        entity_type="course",
        entity_id=1,
        note="asked by Zoe Quill",
    )
    unrelated = audit.record(
        "exemption.granted",
        organisation_id=w.org.id,
        entity_type="exemption",
        entity_id=999,
        person_id=w.other.id,
        reason="Maternity leave",
    )
    upload = ImportUpload(
        organisation_id=w.org.id,
        kind="staff",
        file_name="staff.csv",
        content=(
            b"staff_number,given_name,family_name,email\r\n"
            b"ST-4242,Zoe,Quill,zoe.quill@example.org\r\n"
            b"ST-9999,Owen,Other,owen.other@example.org\r\n"
        ),
    )
    session.add(upload)
    session.flush()
    return {
        "key": key,
        "about": about.id,
        "granted": granted.id,
        "mention": mention.id,
        "unrelated": unrelated.id,
        "sent": sent.id,
        "queued": queued.id,
        "theirs": theirs.id,
        "upload": upload.id,
    }


def _counts(session: Session, person_id: int) -> tuple[int, ...]:
    return tuple(
        session.scalar(select(func.count()).select_from(model).where(model.person_id == person_id))
        or 0
        for model in (Completion, Evidence, Exemption, Extension, StaffRole)
    )


def test_erase_anonymises_the_person_and_keeps_their_counts(
    session: Session, world: World, store: EvidenceStore
) -> None:
    ids = _seed_records(session, world, store)
    zoe = world.zoe
    before = _counts(session, zoe.id)
    service = _service(session, store, world.leader)
    preview = service.preview(zoe)
    assert (preview.completions, preview.evidence_files, preview.notes, preview.emails) == (
        1,
        1,
        3,
        2,
    )
    assert preview.audit_entries == 3

    report = service.erase(zoe, world.leader, "Asked by Zoe Quill under UK GDPR")

    assert (report.files_deleted, report.emails_deleted, report.emails_blanked) == (1, 1, 1)
    assert report.audit_entries_scrubbed == 3
    assert report.import_rows_removed == 1
    session.refresh(zoe)
    assert zoe.display_name == f"Erased person #{zoe.id}"
    assert (zoe.given_name, zoe.family_name, zoe.email, zoe.staff_number) == (None,) * 4
    assert (zoe.registration_id, zoe.sub) == (None, None)
    assert zoe.erased_at == NOW
    assert zoe.erased_by_id == world.leader.id
    assert zoe.sessions_valid_after == NOW
    # What the figures read stays as it was.
    assert zoe.active is True
    assert (zoe.start_date, zoe.leaving_date) == (dt.date(2020, 9, 1), dt.date(2026, 7, 31))
    assert _counts(session, zoe.id) == before

    completion = session.scalars(select(Completion).where(Completion.person_id == zoe.id)).one()
    assert completion.note == ""
    evidence = session.scalars(select(Evidence).where(Evidence.person_id == zoe.id)).one()
    assert (evidence.file_key, evidence.file_name, evidence.rejection_reason) == (
        None,
        None,
        ERASED,
    )
    assert "Zoe" not in evidence.course_title
    with pytest.raises(EvidenceMissing):
        store.open(world.org.id, str(ids["key"]))
    assert session.scalars(select(Exemption.reason)).all() == [ERASED_REASON]
    assert session.scalars(select(Extension.reason)).all() == [ERASED_REASON]

    assert session.get(OutgoingEmail, ids["queued"]) is None
    sent = session.get(OutgoingEmail, ids["sent"])
    assert sent is not None
    assert (sent.to_address, sent.body_text) == ("", "")
    theirs = session.get(OutgoingEmail, ids["theirs"])
    assert theirs is not None
    assert theirs.body_text == "Dear Owen Other"

    def details(entry_id: object) -> str:
        entry = session.get(AuditEntry, entry_id)
        assert entry is not None
        return str(entry.details)

    assert "ST-4242" not in details(ids["about"])
    assert "cancer" not in details(ids["granted"])
    assert "Zoe" not in details(ids["mention"])
    # Someone else's entry with the same words (not naming Zoe) is theirs: untouched.
    assert "Maternity leave" in details(ids["unrelated"])
    # Who did what stays.
    about = session.get(AuditEntry, ids["about"])
    assert about is not None
    assert about.actor_person_id == world.lead.id

    upload = session.get(ImportUpload, ids["upload"])
    assert upload is not None
    assert b"Zoe" not in upload.content
    assert b"ST-4242" not in upload.content
    assert b"owen.other@example.org" in upload.content

    erased = session.scalars(select(AuditEntry).where(AuditEntry.action == "person.erased")).one()
    assert erased.entity_id == str(zoe.id)
    assert erased.actor_person_id == world.leader.id
    assert "Zoe" not in str(erased.details)
    assert "UK GDPR" in str(erased.details)


def test_a_second_erasure_is_refused(session: Session, world: World, store: EvidenceStore) -> None:
    service = _service(session, store, world.leader)
    service.erase(world.zoe, world.leader, "asked")
    refusal = service.refusal(world.zoe, TODAY)
    assert refusal is not None
    assert "already erased" in refusal
    with pytest.raises(ErasureRefused):
        service.erase(world.zoe, world.leader, "again")


def test_a_current_senco_is_refused_and_nothing_is_written(
    session: Session, world: World, store: EvidenceStore
) -> None:
    session.add(
        SencoAppointment(
            organisation_id=world.org.id,
            school_id=world.alder.id,
            person_id=world.zoe.id,
            started_on=dt.date(2024, 9, 1),
        )
    )
    session.flush()
    entries = session.scalar(select(func.count(AuditEntry.id)))
    service = _service(session, store, world.leader)
    with pytest.raises(ErasureRefused, match=r"legal hold.*SENCO appointment at Alder"):
        service.erase(world.zoe, world.leader, "asked")
    session.refresh(world.zoe)
    assert world.zoe.name == "Zoe Quill"
    assert world.zoe.erased_at is None
    assert session.scalar(select(func.count(AuditEntry.id))) == entries


def test_a_senco_past_retention_is_erased_with_their_documents(
    session: Session, world: World, store: EvidenceStore
) -> None:
    session.add(
        SencoAppointment(
            organisation_id=world.org.id,
            school_id=world.alder.id,
            person_id=world.zoe.id,
            started_on=dt.date(2012, 9, 1),
            ended_on=dt.date(2019, 8, 31),
            teacher_reference_number="1234567",
        )
    )
    qualification = SencoQualification(
        organisation_id=world.org.id,
        person_id=world.zoe.id,
        kind=SencoQualificationKind.NASENCO,
        started_on=dt.date(2013, 1, 1),
        completed_on=dt.date(2014, 7, 1),
    )
    session.add(qualification)
    session.flush()
    key = store.save(world.org.id, PDF)
    session.add(
        SencoDocument(
            organisation_id=world.org.id,
            qualification_id=qualification.id,
            file_name="zoe-nasenco.pdf",
            content_type="application/pdf",
            size=len(PDF),
            storage_key=key,
        )
    )
    session.flush()
    service = _service(session, store, None)
    assert service.refusal(world.zoe, TODAY) is None
    report = service.erase(world.zoe, None, "retention")
    assert report.files_deleted == 1
    assert session.scalar(select(func.count(SencoDocument.id))) == 0
    assert session.scalars(select(SencoAppointment.teacher_reference_number)).all() == [None]
    assert session.scalar(select(func.count(SencoQualification.id))) == 1  # the facts stay
    with pytest.raises(EvidenceMissing):
        store.open(world.org.id, key)
    assert world.zoe.erased_by_id is None


def test_who_may_erase(session: Session, world: World, store: EvidenceStore) -> None:
    service = _service(session, store, world.lead)
    assert service.actor_refusal(world.zoe, world.lead) is None
    assert service.actor_refusal(world.zoe, world.leader) is None
    # Nobody erases themselves.
    assert "your own" in (service.actor_refusal(world.lead, world.lead) or "")
    # A CPD lead may not erase a trust leader (outranks), nor someone also at a school they
    # do not lead.
    assert "only a trust leader" in (service.actor_refusal(world.leader, world.lead) or "")
    session.add(
        StaffRole(person_id=world.zoe.id, school_id=world.birch.id, role=StaffRoleKind.TEACHER)
    )
    session.flush()
    assert "school you do not lead" in (service.actor_refusal(world.zoe, world.lead) or "")
    assert service.actor_refusal(world.zoe, world.leader) is None
    with pytest.raises(ErasureRefused):
        service.erase(world.zoe, world.lead, "asked")
    # A trust leader may erase another trust leader (nobody outranks a trust leader).
    other_leader = world.other
    _grant(session, other_leader, PermissionKind.TRUST_LEADER, None)
    assert service.actor_refusal(other_leader, world.leader) is None


def test_another_organisation_is_refused(
    session: Session, world: World, store: EvidenceStore
) -> None:
    elsewhere = Organisation(name="Other", kind=OrganisationKind.TRUST)
    session.add(elsewhere)
    session.flush()
    elm = School(organisation_id=elsewhere.id, urn="200001", name="Elm")
    session.add(elm)
    session.flush()
    stranger = _person(session, elsewhere, "Sam Stranger", elm)
    _grant(session, stranger, PermissionKind.TRUST_LEADER, None)
    service = _service(session, store, stranger)
    assert "not in your organisation" in (service.actor_refusal(world.zoe, stranger) or "")


def test_a_declined_place_requests_reason_is_erased(
    session: Session, world: World, store: EvidenceStore
) -> None:
    reason = "Not while on a phased return after surgery"
    place = TrainingRequest(
        organisation_id=world.org.id,
        person_id=world.zoe.id,
        module_id=world.module.id,
        school_id=world.alder.id,
        status=RequestStatus.DECLINED,
        note=reason,
    )
    session.add(place)
    session.flush()
    entry = AuditService(session, Actor("lead", world.lead.id)).record(
        "training_request.declined",
        organisation_id=world.org.id,
        entity_type="training_request",
        entity_id=place.id,
        person_id=world.zoe.id,
        note=reason,
    )
    session.flush()
    service = _service(session, store, world.leader)
    assert service.preview(world.zoe).notes == 1
    service.erase(world.zoe, world.leader, "asked")
    session.refresh(place)
    session.refresh(entry)
    assert place.note == ERASED
    assert place.status is RequestStatus.DECLINED  # what happened stays
    assert "surgery" not in str(entry.details)
