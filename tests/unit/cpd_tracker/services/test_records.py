"""The records services on their own: the rules they enforce whatever the form sent, all or
nothing, and the races a form cannot see."""

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
    Delivery,
    DueRule,
    Evidence,
    EvidenceStatus,
    Exemption,
    InsetSession,
    Module,
    Person,
    Requirement,
    School,
    StaffRole,
    StaffRoleKind,
    Tier,
)
from cpd_tracker.services.audit import Actor, AuditService
from cpd_tracker.services.compliance import ComplianceService
from cpd_tracker.services.records import (
    AlreadyReviewed,
    AlreadySent,
    EvidenceService,
    ExemptionDetails,
    ExtensionDetails,
    ExternalTraining,
    InsetDetails,
    InsetService,
    InvalidRecord,
    NotPermitted,
    PersonRecordService,
    Upload,
    hours_problem,
    training_date_problem,
)
from cpd_tracker.storage import EvidenceStore
from tests.support.clock import FakeClock
from tests.support.factories import make_org

TODAY = dt.date(2025, 1, 15)
PDF = b"%PDF-1.4 test"


@dataclass
class Setup:
    session: Session
    clock: FakeClock
    store: EvidenceStore
    school: School
    other_school: School
    staff: Person
    lead: Person
    teacher_only: Module
    course: Module
    inset_module: Module
    retired: Module
    requirement: Requirement
    teacher_requirement: Requirement

    def audit(self) -> AuditService:
        return AuditService(self.session, Actor("test"))

    def evidence_service(self) -> EvidenceService:
        return EvidenceService(self.session, self.audit(), self.clock, self.store)

    def inset_service(self) -> InsetService:
        return InsetService(self.session, self.audit(), self.clock, ComplianceService(self.session))

    def person_service(self) -> PersonRecordService:
        return PersonRecordService(
            self.session, self.audit(), self.clock, ComplianceService(self.session)
        )

    def training(self, **overrides: object) -> ExternalTraining:
        values: dict[str, object] = {
            "module_id": self.course.id,
            "course_title": " Speech and language ",
            "provider": "County",
            "completed_on": TODAY - dt.timedelta(days=3),
            "cpd_hours": Decimal("6"),
        }
        values.update(overrides)
        return ExternalTraining(**values)  # type: ignore[arg-type]

    def count(self, model: type) -> int:
        return self.session.scalar(select(func.count()).select_from(model)) or 0


def _person(session: Session, org_id: int, name: str, school: School | None) -> Person:
    person = Person(organisation_id=org_id, name=name)
    session.add(person)
    session.flush()
    if school is not None:
        session.add(
            StaffRole(person_id=person.id, school_id=school.id, role=StaffRoleKind.SUPPORT_STAFF)
        )
        session.flush()
        session.refresh(person)
    return person


def _module(session: Session, org_id: int, slug: str, delivery: Delivery) -> Module:
    module = Module(
        organisation_id=org_id,
        slug=slug,
        title=slug.title(),
        tier=Tier.AWARENESS,
        delivery=delivery,
        cpd_hours=Decimal("1.5"),
        provider="Provider",
    )
    session.add(module)
    session.flush()
    return module


@pytest.fixture
def setup(app: Flask, tmp_path: Path) -> Iterator[Setup]:
    org_id = make_org(app)
    with app.app_context():
        session = db.session
        schools = list(
            session.scalars(
                select(School).where(School.organisation_id == org_id).order_by(School.urn)
            )
        )
        school, other_school = schools
        staff = _person(session, org_id, "Sam Staff", school)
        lead = _person(session, org_id, "Lee Lead", school)
        course = _module(session, org_id, "course", Delivery.EXTERNAL)
        inset_module = _module(session, org_id, "inset", Delivery.INSET)
        teacher_only = _module(session, org_id, "teachers", Delivery.IN_TOOL)
        retired = _module(session, org_id, "retired", Delivery.EXTERNAL)
        retired.retired_at = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
        requirement = Requirement(
            organisation_id=org_id,
            module_id=course.id,
            roles=[],
            due_rule=DueRule.DAYS_AFTER_START,
            due_days=90,
        )
        teacher_requirement = Requirement(
            organisation_id=org_id,
            module_id=teacher_only.id,
            roles=["teacher"],
            due_rule=DueRule.DAYS_AFTER_START,
            due_days=90,
        )
        session.add_all([requirement, teacher_requirement])
        session.commit()
        yield Setup(
            session=session,
            clock=FakeClock(dt.datetime(2025, 1, 15, 10, tzinfo=dt.UTC)),
            store=EvidenceStore(tmp_path / "evidence"),
            school=school,
            other_school=other_school,
            staff=staff,
            lead=lead,
            teacher_only=teacher_only,
            course=course,
            inset_module=inset_module,
            retired=retired,
            requirement=requirement,
            teacher_requirement=teacher_requirement,
        )
        session.rollback()


# --- Pure rules -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("hours", "problem"),
    [
        ("0.25", None),
        ("100", None),
        ("1.5", None),
        ("2.50", None),
        ("0.24", "between"),
        ("100.01", "between"),
        ("-1", "between"),
        ("1.255", "2 decimal places"),
        ("NaN", "between"),
        ("Infinity", "between"),
    ],
)
def test_hours_problem(hours: str, problem: str | None) -> None:
    found = hours_problem(Decimal(hours))
    assert (found is None) if problem is None else (problem in (found or ""))


def test_training_date_problem() -> None:
    assert training_date_problem(TODAY, TODAY) is None
    assert training_date_problem(dt.date(1990, 1, 1), TODAY) is None
    assert "past" in (training_date_problem(TODAY + dt.timedelta(days=1), TODAY) or "")
    assert "1990" in (training_date_problem(dt.date(1989, 12, 31), TODAY) or "")


# --- Evidence -------------------------------------------------------------------------------


def test_submit_stores_the_file_and_audits(setup: Setup) -> None:
    evidence = setup.evidence_service().submit(
        setup.staff, setup.school, setup.training(), Upload(PDF, "cert.pdf")
    )
    assert evidence.course_title == "Speech and language"
    assert evidence.file_name == "cert.pdf"
    assert evidence.file_key is not None
    assert setup.store.open(setup.staff.organisation_id, evidence.file_key) == PDF
    entry = setup.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "evidence.submitted")
    ).one()
    assert entry.entity_id == str(evidence.id)
    assert entry.details["file_size"] == len(PDF)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"module_id": 999_999}, "Choose training"),
        ("retired", "Choose training"),
        ({"cpd_hours": Decimal("0")}, "between"),
        ({"completed_on": TODAY + dt.timedelta(days=1)}, "past"),
        ("no_file", "Upload the certificate"),
        ("bad_file", "a PDF, or a photo"),
        ("other_school", "one of your schools"),
    ],
)
def test_submit_refuses_and_writes_nothing(
    setup: Setup, change: dict[str, object] | str, message: str
) -> None:
    service = setup.evidence_service()
    school, upload, training = setup.school, Upload(PDF, "c.pdf"), setup.training()
    if change == "retired":
        training = setup.training(module_id=setup.retired.id)
    elif change == "no_file":
        upload = None  # type: ignore[assignment]
    elif change == "bad_file":
        upload = Upload(b"<html>", "c.pdf")
    elif change == "other_school":
        school = setup.other_school
    elif isinstance(change, dict):
        training = setup.training(**change)
    with pytest.raises(InvalidRecord, match=message):
        service.submit(setup.staff, school, training, upload)
    assert setup.count(Evidence) == 0
    assert not (setup.store.root.exists() and any(setup.store.root.rglob("*")))


def test_a_certificate_is_optional_for_inset_modules(setup: Setup) -> None:
    evidence = setup.evidence_service().submit(
        setup.staff, setup.school, setup.training(module_id=setup.inset_module.id), None
    )
    assert evidence.file_key is None


def test_a_failed_insert_removes_the_saved_file(
    setup: Setup, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken_flush(*args: object, **kwargs: object) -> None:
        raise RuntimeError("database went away")

    service = setup.evidence_service()
    monkeypatch.setattr(setup.session, "flush", broken_flush)
    with pytest.raises(RuntimeError):
        service.submit(setup.staff, setup.school, setup.training(), Upload(PDF, "c.pdf"))
    assert [p for p in setup.store.root.rglob("*") if p.is_file()] == []


def _pending(setup: Setup, person: Person | None = None) -> Evidence:
    return setup.evidence_service().submit(
        person or setup.staff, setup.school, setup.training(), Upload(PDF, "c.pdf")
    )


def test_verify_adds_an_immutable_completion(setup: Setup) -> None:
    evidence = _pending(setup)
    (completion,) = setup.evidence_service().verify([evidence], setup.lead)
    assert completion.evidence_id == evidence.id
    assert completion.note == "Speech and language"
    assert evidence.status is EvidenceStatus.VERIFIED
    assert evidence.reviewed_at == setup.clock.now
    # Verifying a second piece for the same course adds a second row; the first is untouched.
    second = _pending(setup)
    setup.evidence_service().verify([second], setup.lead)
    assert setup.count(Completion) == 2


def test_the_same_training_cannot_wait_twice(setup: Setup) -> None:
    service = setup.evidence_service()
    first = _pending(setup)
    with pytest.raises(AlreadySent, match="has not been checked yet") as refused:
        _pending(setup)
    assert refused.value.status == 409
    assert setup.count(Evidence) == 1
    service.reject([first], setup.lead, "Blurred")
    assert _pending(setup).status is EvidenceStatus.PENDING


def test_verify_refuses_when_someone_else_got_there_first(app: Flask, setup: Setup) -> None:
    evidence = _pending(setup)
    setup.session.commit()
    # Another CPD lead's request verifies it in between (its own session and transaction).
    other = db.new_session()
    try:
        row = other.get(Evidence, evidence.id)
        assert row is not None
        row.status = EvidenceStatus.VERIFIED
        other.commit()
    finally:
        other.close()
    assert evidence.status is EvidenceStatus.PENDING  # this request still sees it pending
    with pytest.raises(AlreadyReviewed, match="already reviewed"):
        setup.evidence_service().verify([evidence], setup.lead)
    assert setup.count(Completion) == 0


def test_review_refusals(setup: Setup) -> None:
    service = setup.evidence_service()
    with pytest.raises(InvalidRecord, match="Select the evidence"):
        service.verify([], setup.lead)
    own = _pending(setup, setup.lead)
    with pytest.raises(NotPermitted, match="your own evidence"):
        service.verify([own], setup.lead)
    evidence = _pending(setup)
    with pytest.raises(InvalidRecord, match="Enter the reason"):
        service.reject([evidence], setup.lead, "   ")
    with pytest.raises(InvalidRecord, match="500 characters"):
        service.reject([evidence], setup.lead, "x" * 501)
    stranger = Person(organisation_id=setup.staff.organisation_id + 1000, name="Stranger")
    with pytest.raises(NotPermitted, match="another organisation"):
        service.verify([evidence], stranger)
    assert evidence.status is EvidenceStatus.PENDING


def test_for_school_lists_pending_and_recent_reviews(setup: Setup) -> None:
    service = setup.evidence_service()
    # One at a time: the same training cannot wait twice.
    old = _pending(setup)
    service.reject([old], setup.lead, "Old")
    recent = _pending(setup)
    setup.clock.advance(100 * 86400)
    service.verify([recent], setup.lead)
    waiting = _pending(setup)
    listing = service.for_school(setup.school)
    assert [r.evidence.id for r in listing.pending] == [waiting.id]
    assert [r.evidence.id for r in listing.reviewed] == [recent.id]
    assert listing.reviewed[0].reviewer_name == "Lee Lead"
    assert service.pending_count(setup.school) == 1
    assert service.pending_count(setup.other_school) == 0
    with pytest.raises(InvalidRecord):
        service.in_school(setup.other_school, [waiting.id])


# --- INSET ----------------------------------------------------------------------------------


def test_inset_validates_before_writing(setup: Setup) -> None:
    service = setup.inset_service()
    details = InsetDetails(setup.inset_module.id, "INSET", TODAY, None)
    with pytest.raises(InvalidRecord, match="Select the staff"):
        service.record(setup.school, details, [], setup.lead)
    with pytest.raises(InvalidRecord, match="session title"):
        service.record(
            setup.school, InsetDetails(setup.inset_module.id, "  ", TODAY, None), [1], setup.lead
        )
    with pytest.raises(InvalidRecord, match="past"):
        service.record(
            setup.school,
            InsetDetails(setup.inset_module.id, "INSET", TODAY + dt.timedelta(days=1), None),
            [setup.staff.id],
            setup.lead,
        )
    with pytest.raises(InvalidRecord, match="staff list"):
        service.record(setup.other_school, details, [setup.staff.id], setup.lead)
    assert setup.count(InsetSession) == 0
    assert setup.count(Completion) == 0

    inset = service.record(setup.school, details, [setup.staff.id, setup.lead.id], setup.lead)
    assert inset.cpd_hours == Decimal("1.5")
    record = service.detail(setup.school, inset.id)
    assert record is not None
    assert [a.name for a in record.attended] == ["Lee Lead", "Sam Staff"]
    assert service.detail(setup.other_school, inset.id) is None
    assert service.sessions(setup.school) == [(inset, 2)]


# --- A person's record ----------------------------------------------------------------------


def test_person_record_only_for_the_schools_staff(setup: Setup) -> None:
    service = setup.person_service()
    assert service.record(setup.other_school, setup.staff.id) is None
    assert service.record(setup.school, 999_999) is None
    record = service.record(setup.school, setup.staff.id)
    assert record is not None
    # The teachers-only requirement does not apply to support staff.
    assert [r.id for r in record.requirements] == [setup.requirement.id]


def test_grants_check_the_requirement_dates_and_the_granter(setup: Setup) -> None:
    service = setup.person_service()
    record = service.record(setup.school, setup.staff.id)
    assert record is not None
    start = TODAY - dt.timedelta(days=1)
    with pytest.raises(InvalidRecord, match="applies to this person"):
        service.grant_exemption(
            record, ExemptionDetails(setup.teacher_requirement.id, "R", start, None), setup.lead
        )
    with pytest.raises(InvalidRecord, match="end date"):
        service.grant_exemption(
            record,
            ExemptionDetails(setup.requirement.id, "R", start, start - dt.timedelta(days=1)),
            setup.lead,
        )
    with pytest.raises(InvalidRecord, match="Enter the reason"):
        service.grant_exemption(
            record, ExemptionDetails(setup.requirement.id, " ", start, None), setup.lead
        )
    with pytest.raises(InvalidRecord, match="future"):
        service.grant_extension(
            record, ExtensionDetails(setup.requirement.id, "R", TODAY), setup.lead
        )
    with pytest.raises(NotPermitted):
        service.grant_exemption(
            record, ExemptionDetails(setup.requirement.id, "R", start, None), setup.staff
        )
    assert setup.count(Exemption) == 0

    exemption = service.grant_exemption(
        record, ExemptionDetails(setup.requirement.id, " Leave ", start, None), setup.lead
    )
    assert exemption.reason == "Leave"
    record = service.record(setup.school, setup.staff.id)
    assert record is not None
    assert record.statuses[0].result.status.value == "exempt"
    with pytest.raises(LookupError):
        service.revoke(record, Exemption, 999_999, setup.lead)
    service.revoke(record, Exemption, exemption.id, setup.lead)
    assert exemption.revoked_at == setup.clock.now
    record = service.record(setup.school, setup.staff.id)
    assert record is not None
    with pytest.raises(AlreadyReviewed):
        service.revoke(record, Exemption, exemption.id, setup.lead)
