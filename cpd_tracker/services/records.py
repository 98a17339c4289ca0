"""Training records made outside the in-tool modules (ARCHITECTURE.md, "Training"):

* **External evidence**: a staff member records a course with its certificate; a CPD lead of
  the school verifies it (which adds an immutable ``Completion``, method external) or rejects it
  with a reason.
* **INSET**: a CPD lead records a whole-staff session and ticks who attended; each attendee gets
  a completion (method inset).
* **Exemptions and extensions**: granted per person and requirement with a reason (and an end
  or new due date), revoked by setting ``revoked_at``; the rows stay as history.

Every change is audited. Services flush and never commit; a refused change raises before any
write (or, for a batch, before the first), so the request edge rolls back nothing half done.
Nobody reviews their own evidence or grants themselves an exemption or extension: a record a
person vouches for themselves is not evidence to an inspector.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import ColumnElement, CursorResult, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from cpd_tracker.dates import local_date, long_date
from cpd_tracker.models import (
    Completion,
    CompletionMethod,
    Delivery,
    Evidence,
    EvidenceStatus,
    Exemption,
    Extension,
    InsetSession,
    Module,
    Person,
    Requirement,
    School,
    StaffRole,
)
from cpd_tracker.rules.training import StatusResult, add_months, uk_date
from cpd_tracker.services.audit import AuditService
from cpd_tracker.services.compliance import ComplianceService, StaffMember, applies_to
from cpd_tracker.services.evidence_notices import EvidenceNotices
from cpd_tracker.services.evidence_routing import EvidenceRouting
from cpd_tracker.storage import EvidenceFileError, EvidenceStore, check_upload, safe_file_name

#: Deliveries whose provider issues a certificate: evidence for them must include it.
CERTIFICATE_REQUIRED = frozenset({Delivery.EXTERNAL, Delivery.QUALIFICATION})
#: How far back the "recently reviewed" list on a school's evidence page reaches.
RECENT_REVIEW_DAYS = 90
EARLIEST_TRAINING_DATE = dt.date(1990, 1, 1)
MIN_HOURS = Decimal("0.25")
MAX_HOURS = Decimal("100")


class RecordsError(Exception):
    """A change the tool refuses; ``message`` tells the person what to do."""

    status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidRecord(RecordsError):
    status = 400


class NotPermitted(RecordsError):
    status = 403


class AlreadyReviewed(RecordsError):
    status = 409


class AlreadySent(RecordsError):
    """The same training is already waiting for a CPD lead: a second copy would be checked
    twice (issue 17, "duplicate submissions refused")."""

    status = 409


# --- Evidence -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExternalTraining:
    module_id: int
    course_title: str
    provider: str
    completed_on: dt.date
    cpd_hours: Decimal
    #: The provider certificate's own expiry, when it has one (optional).
    certificate_expires_on: dt.date | None = None


@dataclass(frozen=True)
class Upload:
    data: bytes
    file_name: str | None


@dataclass(frozen=True)
class EvidenceRow:
    evidence: Evidence
    person_name: str
    reviewer_name: str | None
    #: For the sender's own evidence: who checks it instead (``evidence_routing``).
    checked_by: str | None = None


@dataclass(frozen=True)
class SchoolEvidence:
    #: Waiting, and the viewer may check them.
    pending: list[EvidenceRow]
    reviewed: list[EvidenceRow]
    #: Waiting, but the viewer sent them: someone else checks them (no tick box).
    own: list[EvidenceRow] = field(default_factory=list)


def hours_problem(hours: Decimal) -> str | None:
    """Why ``hours`` cannot be CPD hours, or None (shared by the forms and the services)."""
    if not hours.is_finite() or hours < MIN_HOURS or hours > MAX_HOURS:
        return f"CPD hours must be between {MIN_HOURS} and {MAX_HOURS}."
    exponent = hours.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -2:
        return "Enter CPD hours with no more than 2 decimal places, like 1.5 or 2.25."
    return None


def training_date_problem(day: dt.date, today: dt.date) -> str | None:
    if day > today:
        return "The date must be today or in the past."
    if day < EARLIEST_TRAINING_DATE:
        return "The date must be after 1 January 1990."
    return None


#: The longest a provider's certificate is taken to last: a later "expiry" is a typing slip.
MAX_CERTIFICATE_YEARS = 10


def certificate_expiry_problem(expires_on: dt.date, completed_on: dt.date) -> str | None:
    """Why ``expires_on`` cannot be the expiry of a certificate for training completed on
    ``completed_on``, or None (shared by the forms and the services)."""
    if expires_on < completed_on:
        return (
            "The certificate's expiry date must be on or after the day the course was "
            f"completed ({long_date(completed_on)})."
        )
    if expires_on > add_months(completed_on, 12 * MAX_CERTIFICATE_YEARS):
        return (
            f"The certificate's expiry date must be within {MAX_CERTIFICATE_YEARS} years of the "
            f"day the course was completed ({long_date(completed_on)}). Check the year."
        )
    return None


#: How far ahead an INSET session may be planned: the next academic year at most.
PLAN_AHEAD_DAYS = 2 * 366


def planned_date_problem(day: dt.date, today: dt.date) -> str | None:
    if day <= today:
        return (
            "A planned session's date must be after today. Record a session held today or "
            "before with Record an INSET session."
        )
    if (day - today).days > PLAN_AHEAD_DAYS:
        return "The date must be within two years."
    return None


def _names(session: Session, person_ids: Iterable[int | None]) -> dict[int, str]:
    ids = {i for i in person_ids if i is not None}
    if not ids:
        return {}
    return {p.id: p.display_name for p in session.scalars(select(Person).where(Person.id.in_(ids)))}


def current_schools(session: Session, person: Person) -> list[School]:
    """The schools whose staff list ``person`` is on now, by name."""
    return list(
        session.scalars(
            select(School)
            .join(StaffRole, StaffRole.school_id == School.id)
            .where(
                StaffRole.person_id == person.id,
                StaffRole.ended_on.is_(None),
                School.organisation_id == person.organisation_id,
            )
            .distinct()
            .order_by(School.name, School.id)
        )
    )


def catalogue_modules(session: Session, organisation_id: int) -> list[Module]:
    """The organisation's modules that training can still be recorded against."""
    return list(
        session.scalars(
            select(Module)
            .where(Module.organisation_id == organisation_id, Module.retired_at.is_(None))
            .order_by(Module.title, Module.id)
        )
    )


def _active_module(session: Session, organisation_id: int, module_id: int) -> Module:
    module = session.scalar(
        select(Module).where(
            Module.id == module_id,
            Module.organisation_id == organisation_id,
            Module.retired_at.is_(None),
        )
    )
    if module is None:
        raise InvalidRecord("Choose training from the list.")
    return module


class EvidenceService:
    def __init__(
        self,
        session: Session,
        audit: AuditService,
        clock: Callable[[], dt.datetime],
        store: EvidenceStore,
        notices: EvidenceNotices | None = None,
    ) -> None:
        self.session = session
        self.audit = audit
        self.clock = clock
        self.store = store
        #: E-mails on arrival and decision; None sends none (scripts, older tests).
        self.notices = notices

    # -- a staff member's side ---------------------------------------------------------------

    def form_options(self, person: Person) -> tuple[list[School], list[Module]]:
        """The schools that could verify ``person``'s evidence, and the modules to choose from."""
        return current_schools(self.session, person), catalogue_modules(
            self.session, person.organisation_id
        )

    def submit(
        self, person: Person, school: School, training: ExternalTraining, upload: Upload | None
    ) -> Evidence:
        """Record external training for a CPD lead of ``school`` to verify."""
        if school.id not in {s.id for s in current_schools(self.session, person)}:
            raise InvalidRecord("Choose one of your schools.")
        module = _active_module(self.session, person.organisation_id, training.module_id)
        problem = hours_problem(training.cpd_hours) or training_date_problem(
            training.completed_on, local_date(self.clock())
        )
        if problem is None and training.certificate_expires_on is not None:
            problem = certificate_expiry_problem(
                training.certificate_expires_on, training.completed_on
            )
        if problem:
            raise InvalidRecord(problem)
        if upload is None and module.delivery in CERTIFICATE_REQUIRED:
            raise InvalidRecord("Upload the certificate the course provider gave you.")
        self._not_waiting_already(person, module)
        try:
            file_type = check_upload(upload.data) if upload is not None else None
        except EvidenceFileError as exc:
            raise InvalidRecord(str(exc)) from exc

        evidence = Evidence(
            organisation_id=person.organisation_id,
            person_id=person.id,
            module_id=module.id,
            school_id=school.id,
            course_title=training.course_title.strip(),
            provider=training.provider.strip(),
            completed_on=training.completed_on,
            cpd_hours=training.cpd_hours,
            certificate_expires_on=training.certificate_expires_on,
            status=EvidenceStatus.PENDING,
            created_at=self.clock(),
        )
        key = None
        if upload is not None and file_type is not None:
            key = self.store.save(person.organisation_id, upload.data)
            evidence.file_key = key
            evidence.file_name = safe_file_name(upload.file_name, file_type)
            evidence.content_type = file_type.content_type
            evidence.file_size = len(upload.data)
        try:
            # In a savepoint: when the same form was sent twice at the same instant, both
            # passed the read above and the partial unique index refuses this insert.
            with self.session.begin_nested():
                self.session.add(evidence)
                self.session.flush()
        except BaseException as exc:
            # No row, no file: an orphan would be unreachable but still personal data.
            if key is not None:
                self.store.delete(person.organisation_id, key)
            if isinstance(exc, IntegrityError):
                self._not_waiting_already(person, module)
            raise
        self.audit.record(
            "evidence.submitted",
            organisation_id=person.organisation_id,
            entity_type="evidence",
            entity_id=evidence.id,
            person_id=person.id,
            school_id=school.id,
            module_id=module.id,
            completed_on=training.completed_on.isoformat(),
            cpd_hours=str(training.cpd_hours),
            certificate_expires_on=_iso(training.certificate_expires_on),
            content_type=evidence.content_type,
            file_size=evidence.file_size,
        )
        self._announce(evidence, person, school)
        return evidence

    def _announce(self, evidence: Evidence, person: Person, school: School) -> None:
        """E-mail whoever checks it now, when the school asks for that, or when it goes to the
        trust leaders (who get no weekly digest)."""
        if self.notices is None:
            return
        checkers = EvidenceRouting(self.session).checkers(evidence, local_date(self.clock()))
        if school.evidence_notice_at_once or checkers.by_trust:
            self.notices.arrived(evidence, person, school, checkers)

    def set_notice(self, school: School, at_once: bool) -> bool:
        """Whether the school's CPD leads hear of evidence at once; False if unchanged."""
        if school.evidence_notice_at_once is at_once:
            return False
        school.evidence_notice_at_once = at_once
        self.session.flush()
        self.audit.record(
            "school.evidence_notice_changed",
            organisation_id=school.organisation_id,
            entity_type="school",
            entity_id=school.id,
            at_once=at_once,
        )
        return True

    def _not_waiting_already(self, person: Person, module: Module) -> None:
        waiting = self.session.scalar(
            select(Evidence)
            .where(
                Evidence.person_id == person.id,
                Evidence.organisation_id == person.organisation_id,
                Evidence.module_id == module.id,
                Evidence.status == EvidenceStatus.PENDING,
            )
            .order_by(Evidence.id)
            .limit(1)
        )
        if waiting is not None:
            sent_on = uk_date(local_date(waiting.created_at))
            raise AlreadySent(
                f"You sent “{waiting.course_title}” for {module.title} on {sent_on}, and it "
                "has not been checked yet, so nothing new was saved. You can send it again "
                "if it is returned to you."
            )

    def latest_by_module(self, person: Person) -> dict[int, Evidence]:
        """For each module, the evidence ``person`` sent most recently (for My training)."""
        latest: dict[int, Evidence] = {}
        for evidence in self.session.scalars(
            select(Evidence)
            .where(
                Evidence.person_id == person.id,
                Evidence.organisation_id == person.organisation_id,
            )
            .order_by(Evidence.created_at, Evidence.id)
        ):
            latest[evidence.module_id] = evidence
        return latest

    def mine(self, person: Person) -> list[EvidenceRow]:
        """Everything ``person`` sent, to any of their schools, newest first."""
        return self._sent_by(person, Evidence.organisation_id == person.organisation_id)

    def sent_to(self, school: School, person: Person) -> list[EvidenceRow]:
        """Everything ``person`` sent to ``school``'s CPD lead, newest first: what waits for
        a check, what was verified and what was returned (the one person page)."""
        return self._sent_by(
            person,
            Evidence.school_id == school.id,
            Evidence.organisation_id == school.organisation_id,
        )

    def _sent_by(self, person: Person, *where: ColumnElement[bool]) -> list[EvidenceRow]:
        rows = list(
            self.session.scalars(
                select(Evidence)
                .where(Evidence.person_id == person.id, *where)
                .options(selectinload(Evidence.module))
                .order_by(Evidence.created_at.desc(), Evidence.id.desc())
            )
        )
        names = _names(self.session, (e.reviewed_by_id for e in rows))
        return [EvidenceRow(e, person.display_name, names.get(e.reviewed_by_id or 0)) for e in rows]

    def get(self, organisation_id: int, evidence_id: int) -> Evidence | None:
        return self.session.scalar(
            select(Evidence).where(
                Evidence.id == evidence_id, Evidence.organisation_id == organisation_id
            )
        )

    def describe(self, evidence: Evidence, viewer_id: int | None = None) -> EvidenceRow:
        """One item; when ``viewer_id`` sent it and it waits, with who checks it instead."""
        names = _names(self.session, [evidence.person_id, evidence.reviewed_by_id])
        checked_by = None
        if evidence.person_id == viewer_id and evidence.status is EvidenceStatus.PENDING:
            routing = EvidenceRouting(self.session)
            checked_by = routing.checkers(evidence, local_date(self.clock())).description
        return EvidenceRow(
            evidence,
            names.get(evidence.person_id, f"Staff member #{evidence.person_id}"),
            names.get(evidence.reviewed_by_id) if evidence.reviewed_by_id else None,
            checked_by,
        )

    def certificate(self, evidence: Evidence) -> bytes:
        """The stored file; ``EvidenceMissing`` if there is none."""
        return self.store.open(evidence.organisation_id, evidence.file_key or "")

    # -- a CPD lead's side -------------------------------------------------------------------

    def for_school(self, school: School, viewer_id: int | None = None) -> SchoolEvidence:
        """Evidence waiting for this school's CPD lead (oldest first), and what was reviewed
        in the last ``RECENT_REVIEW_DAYS`` days (newest first). What ``viewer_id`` sent
        themselves is set apart in ``own``, with who checks it instead."""
        since = self.clock() - dt.timedelta(days=RECENT_REVIEW_DAYS)
        base = (
            select(Evidence)
            .where(
                Evidence.school_id == school.id,
                Evidence.organisation_id == school.organisation_id,
            )
            .options(selectinload(Evidence.module))
        )
        pending = list(
            self.session.scalars(
                base.where(Evidence.status == EvidenceStatus.PENDING).order_by(
                    Evidence.created_at, Evidence.id
                )
            )
        )
        reviewed = list(
            self.session.scalars(
                base.where(
                    Evidence.status != EvidenceStatus.PENDING, Evidence.reviewed_at >= since
                ).order_by(Evidence.reviewed_at.desc(), Evidence.id.desc())
            )
        )
        names = _names(
            self.session,
            [e.person_id for e in pending + reviewed] + [e.reviewed_by_id for e in reviewed],
        )

        def row(e: Evidence) -> EvidenceRow:
            reviewer = names.get(e.reviewed_by_id) if e.reviewed_by_id else None
            return EvidenceRow(e, names.get(e.person_id, f"Staff member #{e.person_id}"), reviewer)

        routing = EvidenceRouting(self.session)
        today = local_date(self.clock())
        own = [
            replace(row(e), checked_by=routing.checkers(e, today).description)
            for e in pending
            if e.person_id == viewer_id
        ]
        return SchoolEvidence(
            [row(e) for e in pending if e.person_id != viewer_id],
            [row(e) for e in reviewed],
            own,
        )

    def for_trust(self, organisation_id: int, viewer_id: int) -> list[tuple[EvidenceRow, str]]:
        """Evidence only a trust leader can check (its school has no other CPD lead), with
        its school's name; not the viewer's own."""
        waiting = [
            e
            for e in EvidenceRouting(self.session).for_trust(
                organisation_id, local_date(self.clock())
            )
            if e.person_id != viewer_id
        ]
        names = _names(self.session, [e.person_id for e in waiting])
        schools = {
            s.id: s.name
            for s in self.session.scalars(
                select(School).where(School.id.in_({e.school_id for e in waiting} or {0}))
            )
        }
        return [
            (
                EvidenceRow(e, names.get(e.person_id, f"Staff member #{e.person_id}"), None),
                schools.get(e.school_id or 0, ""),
            )
            for e in waiting
        ]

    def pending_count(self, school: School) -> int:
        return (
            self.session.scalar(
                select(func.count(Evidence.id)).where(
                    Evidence.school_id == school.id,
                    Evidence.organisation_id == school.organisation_id,
                    Evidence.status == EvidenceStatus.PENDING,
                )
            )
            or 0
        )

    def in_school(self, school: School, evidence_ids: Iterable[int]) -> list[Evidence]:
        """The named evidence, all of it this school's; ``InvalidRecord`` if any is not."""
        wanted = sorted(set(evidence_ids))
        found = list(
            self.session.scalars(
                select(Evidence)
                .where(
                    Evidence.id.in_(wanted),
                    Evidence.school_id == school.id,
                    Evidence.organisation_id == school.organisation_id,
                )
                .order_by(Evidence.id)
            )
        )
        if len(found) != len(wanted):
            raise InvalidRecord(
                "Some of the evidence you selected is not on this school's list. Reload the "
                "page and try again."
            )
        return found

    def verify(
        self,
        evidence: Sequence[Evidence],
        reviewer: Person,
        certificate_expires_on: Mapping[int, dt.date | None] | None = None,
    ) -> list[Completion]:
        """Accept each item: mark it verified and add its completion. All or none.

        The completion carries the provider certificate's expiry: as the CPD lead confirmed
        or corrected it (``certificate_expires_on`` by evidence id, None to clear it), else as
        the member of staff sent it."""
        self._check_reviewable(evidence, reviewer)
        checked = certificate_expires_on or {}
        expiries = {item.id: checked.get(item.id, item.certificate_expires_on) for item in evidence}
        for item in evidence:
            expiry = expiries[item.id]
            problem = expiry and certificate_expiry_problem(expiry, item.completed_on)
            if problem:
                raise InvalidRecord(problem)
        now = self.clock()
        completions = []
        for item in evidence:
            self._claim(item, EvidenceStatus.VERIFIED, reviewer, now, None)
            if self.notices is not None:
                self.notices.decided(item, reviewer)
            completion = Completion(
                organisation_id=item.organisation_id,
                person_id=item.person_id,
                module_id=item.module_id,
                completed_on=item.completed_on,
                method=CompletionMethod.EXTERNAL,
                cpd_hours=item.cpd_hours,
                provider=item.provider,
                evidence_id=item.id,
                recorded_by_id=reviewer.id,
                note=item.course_title,
                certificate_expires_on=expiries[item.id],
                created_at=now,
            )
            self.session.add(completion)
            self.session.flush()
            self.audit.record(
                "evidence.verified",
                organisation_id=item.organisation_id,
                entity_type="evidence",
                entity_id=item.id,
                person_id=item.person_id,
                completion_id=completion.id,
                certificate_expires_on=_iso(expiries[item.id]),
                certificate_expires_on_sent=_iso(item.certificate_expires_on),
            )
            self.audit.record(
                "completion.recorded",
                organisation_id=item.organisation_id,
                entity_type="completion",
                entity_id=completion.id,
                person_id=item.person_id,
                module_id=item.module_id,
                method=CompletionMethod.EXTERNAL.value,
                completed_on=item.completed_on.isoformat(),
                evidence_id=item.id,
                certificate_expires_on=_iso(expiries[item.id]),
            )
            completions.append(completion)
        return completions

    def reject(self, evidence: Sequence[Evidence], reviewer: Person, reason: str) -> None:
        """Turn each item down with ``reason``, which its owner sees. All or none."""
        reason = reason.strip()
        if not reason:
            raise InvalidRecord("Enter the reason, so the member of staff knows what to do.")
        if len(reason) > 500:
            raise InvalidRecord("The reason must be 500 characters or fewer.")
        self._check_reviewable(evidence, reviewer)
        now = self.clock()
        for item in evidence:
            self._claim(item, EvidenceStatus.REJECTED, reviewer, now, reason)
            if self.notices is not None:
                self.notices.decided(item, reviewer)
            self.audit.record(
                "evidence.rejected",
                organisation_id=item.organisation_id,
                entity_type="evidence",
                entity_id=item.id,
                person_id=item.person_id,
                reason=reason,
            )

    def _check_reviewable(self, evidence: Sequence[Evidence], reviewer: Person) -> None:
        if not evidence:
            raise InvalidRecord("Select the evidence to verify or reject.")
        if any(e.organisation_id != reviewer.organisation_id for e in evidence):
            raise NotPermitted("That evidence belongs to another organisation.")
        if any(e.person_id == reviewer.id for e in evidence):
            raise NotPermitted(
                "You cannot review your own evidence. Another CPD lead at your school, or a "
                "trust leader, needs to check it."
            )
        done = [e for e in evidence if e.status is not EvidenceStatus.PENDING]
        if done:
            raise AlreadyReviewed(_already_reviewed(done))

    def _claim(
        self,
        item: Evidence,
        status: EvidenceStatus,
        reviewer: Person,
        now: dt.datetime,
        reason: str | None,
    ) -> None:
        # A conditional UPDATE, not a read then a write: of two CPD leads reviewing the same
        # item at once, the second finds it no longer pending (PostgreSQL re-checks the WHERE
        # after the first commits) and is refused rather than adding a second completion.
        result = cast(
            "CursorResult[Any]",
            self.session.execute(
                update(Evidence)
                .where(Evidence.id == item.id, Evidence.status == EvidenceStatus.PENDING)
                .values(
                    status=status,
                    reviewed_by_id=reviewer.id,
                    reviewed_at=now,
                    rejection_reason=reason,
                )
                .execution_options(synchronize_session=False)
            ),
        )
        if result.rowcount != 1:
            raise AlreadyReviewed(_already_reviewed([item]))
        self.session.refresh(item)


def _iso(day: dt.date | None) -> str | None:
    return None if day is None else day.isoformat()


def _already_reviewed(items: Sequence[Evidence]) -> str:
    titles = ", ".join(f"“{e.course_title}”" for e in items)
    return (
        f"Someone has already reviewed {titles}, so nothing was changed. Reload the page to "
        "see the latest list."
    )


# --- INSET ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class InsetDetails:
    module_id: int
    title: str
    held_on: dt.date
    #: None: the module's usual hours.
    cpd_hours: Decimal | None
    #: The session's times (Europe/London), when given: timed events in calendar feeds.
    starts_at: dt.time | None = None
    ends_at: dt.time | None = None


@dataclass(frozen=True)
class Attendee:
    person_id: int
    name: str
    completion: Completion | None


@dataclass(frozen=True)
class InsetRecord:
    inset: InsetSession
    recorded_by: str | None
    #: Completions this session added.
    attended: list[Attendee]
    #: Staff of the school who already had this module recorded on that day from elsewhere,
    #: so were not added again.
    already: list[Attendee]


class InsetService:
    def __init__(
        self,
        session: Session,
        audit: AuditService,
        clock: Callable[[], dt.datetime],
        compliance: ComplianceService,
    ) -> None:
        self.session = session
        self.audit = audit
        self.clock = clock
        self.compliance = compliance

    def form_options(self, school: School) -> tuple[list[StaffMember], list[Module]]:
        return self.compliance.staff_of(school), catalogue_modules(
            self.session, school.organisation_id
        )

    def record(
        self,
        school: School,
        details: InsetDetails,
        person_ids: Iterable[int],
        recorded_by: Person,
    ) -> InsetSession:
        """Record a session and a completion for each attendee not already recorded as
        completing this module on that day. Validates everything before the first write.

        The same session sent again (same school, training, day and title: a form resubmitted
        from another tab, or after a reload) is not recorded twice: anyone newly ticked is
        added to the session already recorded, and that session is returned."""
        module = _active_module(self.session, school.organisation_id, details.module_id)
        hours = module.cpd_hours if details.cpd_hours is None else details.cpd_hours
        problem = (
            hours_problem(details.cpd_hours) if details.cpd_hours is not None else None
        ) or training_date_problem(details.held_on, local_date(self.clock()))
        if problem:
            raise InvalidRecord(problem)
        title = details.title.strip()
        if not title:
            raise InvalidRecord("Enter the session title.")
        staff = {m.person_id: m for m in self.compliance.staff_of(school)}
        chosen = sorted(set(person_ids))
        if not chosen:
            raise InvalidRecord("Select the staff who attended.")
        if any(p not in staff for p in chosen):
            raise InvalidRecord(
                "Someone you selected is not on this school's staff list. Reload the page and "
                "try again."
            )
        had = set(
            self.session.scalars(
                select(Completion.person_id).where(
                    Completion.person_id.in_(chosen),
                    Completion.module_id == module.id,
                    Completion.completed_on == details.held_on,
                )
            )
        )

        now = self.clock()
        inset = self._same_session(school, module.id, details.held_on, title)
        if inset is None:
            inset = InsetSession(
                organisation_id=school.organisation_id,
                school_id=school.id,
                module_id=module.id,
                title=title,
                held_on=details.held_on,
                starts_at=details.starts_at,
                ends_at=details.ends_at,
                cpd_hours=hours,
                recorded_by_id=recorded_by.id,
                created_at=now,
            )
            self.session.add(inset)
            self.session.flush()
        else:
            hours = inset.cpd_hours
        added = [p for p in chosen if p not in had]
        completions = [
            Completion(
                organisation_id=school.organisation_id,
                person_id=person_id,
                module_id=module.id,
                completed_on=details.held_on,
                method=CompletionMethod.INSET,
                cpd_hours=hours,
                provider=module.provider,
                inset_session_id=inset.id,
                recorded_by_id=recorded_by.id,
                note=title,
                created_at=now,
            )
            for person_id in added
        ]
        self.session.add_all(completions)
        self.session.flush()
        self.audit.record(
            "inset_session.recorded",
            organisation_id=school.organisation_id,
            entity_type="inset_session",
            entity_id=inset.id,
            school_id=school.id,
            module_id=module.id,
            held_on=details.held_on.isoformat(),
            starts_at=None if details.starts_at is None else f"{details.starts_at:%H:%M}",
            ends_at=None if details.ends_at is None else f"{details.ends_at:%H:%M}",
            cpd_hours=str(hours),
            attendees=added,
            skipped=sorted(had),
        )
        for completion in completions:
            self.audit.record(
                "completion.recorded",
                organisation_id=school.organisation_id,
                entity_type="completion",
                entity_id=completion.id,
                person_id=completion.person_id,
                module_id=module.id,
                method=CompletionMethod.INSET.value,
                completed_on=details.held_on.isoformat(),
                inset_session_id=inset.id,
            )
        return inset

    def plan(self, school: School, details: InsetDetails, planned_by: Person) -> InsetSession:
        """An INSET session on a day to come (issue 17): staff see "Next INSET" with its date on
        My training. Nobody is recorded as attending; on the day, recording the session with the
        same training, day and title ticks the attendees into this one (``record``)."""
        module = _active_module(self.session, school.organisation_id, details.module_id)
        problem = planned_date_problem(details.held_on, local_date(self.clock()))
        if details.cpd_hours is not None:
            problem = hours_problem(details.cpd_hours) or problem
        if problem:
            raise InvalidRecord(problem)
        title = details.title.strip()
        if not title:
            raise InvalidRecord("Enter the session title.")
        inset = self._same_session(school, module.id, details.held_on, title)
        if inset is not None:
            return inset
        inset = InsetSession(
            organisation_id=school.organisation_id,
            school_id=school.id,
            module_id=module.id,
            title=title,
            held_on=details.held_on,
            cpd_hours=module.cpd_hours if details.cpd_hours is None else details.cpd_hours,
            recorded_by_id=planned_by.id,
            created_at=self.clock(),
        )
        self.session.add(inset)
        self.session.flush()
        self.audit.record(
            "inset_session.planned",
            organisation_id=school.organisation_id,
            entity_type="inset_session",
            entity_id=inset.id,
            school_id=school.id,
            module_id=module.id,
            held_on=details.held_on.isoformat(),
            cpd_hours=str(inset.cpd_hours),
        )
        return inset

    def upcoming(self, school_id: int, module_id: int, today: dt.date) -> list[InsetSession]:
        """The school's sessions of the training today or later, soonest first."""
        return list(
            self.session.scalars(
                select(InsetSession)
                .where(
                    InsetSession.school_id == school_id,
                    InsetSession.module_id == module_id,
                    InsetSession.held_on >= today,
                )
                .order_by(InsetSession.held_on, InsetSession.id)
            )
        )

    def _same_session(
        self, school: School, module_id: int, held_on: dt.date, title: str
    ) -> InsetSession | None:
        return self.session.scalar(
            select(InsetSession)
            .where(
                InsetSession.school_id == school.id,
                InsetSession.module_id == module_id,
                InsetSession.held_on == held_on,
                func.lower(InsetSession.title) == title.lower(),
            )
            .order_by(InsetSession.id)
            .limit(1)
        )

    def sessions(self, school: School) -> list[tuple[InsetSession, int]]:
        """The school's sessions, newest first, with how many completions each added."""
        counts = (
            select(Completion.inset_session_id, func.count(Completion.id).label("n"))
            .where(Completion.inset_session_id.is_not(None))
            .group_by(Completion.inset_session_id)
            .subquery()
        )
        rows = self.session.execute(
            select(InsetSession, func.coalesce(counts.c.n, 0))
            .outerjoin(counts, counts.c.inset_session_id == InsetSession.id)
            .options(selectinload(InsetSession.module))
            .where(
                InsetSession.school_id == school.id,
                InsetSession.organisation_id == school.organisation_id,
            )
            .order_by(InsetSession.held_on.desc(), InsetSession.id.desc())
        )
        return [(inset, int(n)) for inset, n in rows]

    def detail(self, school: School, session_id: int) -> InsetRecord | None:
        inset = self.session.scalar(
            select(InsetSession).where(
                InsetSession.id == session_id,
                InsetSession.school_id == school.id,
                InsetSession.organisation_id == school.organisation_id,
            )
        )
        if inset is None:
            return None
        staff = {
            m.person_id: m.name for m in self.compliance.staff_of(school, include_leavers=True)
        }
        same_day = list(
            self.session.scalars(
                select(Completion)
                .where(
                    Completion.module_id == inset.module_id,
                    Completion.completed_on == inset.held_on,
                    Completion.organisation_id == school.organisation_id,
                )
                .order_by(Completion.id)
            )
        )
        names = _names(self.session, [c.person_id for c in same_day] + [inset.recorded_by_id])
        attended = [
            Attendee(c.person_id, names.get(c.person_id, ""), c)
            for c in same_day
            if c.inset_session_id == inset.id
        ]
        present = {a.person_id for a in attended}
        already = [
            Attendee(c.person_id, staff[c.person_id], c)
            for c in same_day
            if c.inset_session_id != inset.id
            and c.person_id in staff
            and c.person_id not in present
        ]
        attended.sort(key=lambda a: a.name)
        already.sort(key=lambda a: a.name)
        recorded_by = names.get(inset.recorded_by_id) if inset.recorded_by_id else None
        return InsetRecord(inset, recorded_by, attended, already)


# --- A person's record: statuses, history, exemptions and extensions ------------------------


@dataclass(frozen=True)
class StatusLine:
    requirement: Requirement
    result: StatusResult


@dataclass(frozen=True)
class HistoryLine:
    completion: Completion
    recorded_by: str | None


@dataclass(frozen=True)
class GrantLine:
    row: Exemption | Extension
    requirement: Requirement | None
    granted_by: str | None


@dataclass(frozen=True)
class PersonRecord:
    school: School
    person: Person
    member: StaffMember
    statuses: list[StatusLine]
    completions: list[HistoryLine]
    exemptions: list[GrantLine]
    extensions: list[GrantLine]

    @property
    def requirements(self) -> list[Requirement]:
        """The requirements that apply to this person here: what may be exempted or extended."""
        return [line.requirement for line in self.statuses]


@dataclass(frozen=True)
class ExemptionDetails:
    requirement_id: int
    reason: str
    starts_on: dt.date
    ends_on: dt.date | None


@dataclass(frozen=True)
class ExtensionDetails:
    requirement_id: int
    reason: str
    new_due_on: dt.date


class PersonRecordService:
    def __init__(
        self,
        session: Session,
        audit: AuditService,
        clock: Callable[[], dt.datetime],
        compliance: ComplianceService,
    ) -> None:
        self.session = session
        self.audit = audit
        self.clock = clock
        self.compliance = compliance

    def staff(self, school: School, limit: int | None = None) -> tuple[list[StaffMember], int]:
        """The first ``limit`` (default: all) of the school's staff in name order, and how
        many there are (a school may hold 26,000: the list shows its first 500)."""
        staff = self.compliance.staff_of(school, include_leavers=True, limit=limit)
        if limit is None or len(staff) < limit:
            return staff, len(staff)
        return staff, self.compliance.staff_count(school, include_leavers=True)

    def record(
        self, school: School, person_id: int, *, former: bool = False
    ) -> PersonRecord | None:
        """``person_id``'s record as seen from ``school``; None if they are not on its staff.
        With ``former``, someone whose roles here have all ended (the caller has checked they
        held one) has a record too: no requirements, so nothing to exempt or extend, but their
        completions, exemptions and extensions."""
        # The person alone, not the whole staff list: a school may hold 26,000 staff.
        found = self.compliance.staff_of(school, include_leavers=True, person_id=person_id)
        member = found[0] if found else None
        person = self.session.get(Person, person_id)
        if person is None or person.organisation_id != school.organisation_id:
            return None
        if member is None:
            if not former:
                return None
            member = StaffMember(
                person.id,
                person.display_name,
                person.email,
                frozenset(),
                person.start_date,
                person.leaving_date,
            )
        today = local_date(self.clock())
        applying = self.compliance.requirements_for_school(school)
        by_id = {r.id: r for r in applying}
        statuses = [
            StatusLine(by_id[rid], row.result)
            # As the school's figures: current staff only (someone whose roles here all
            # ended, or who is no longer active, is assessed against nothing here).
            for (pid, rid), row in self.compliance.assess(
                found if person.active else [], applying, today
            ).items()
            if pid == person_id
        ]
        statuses.sort(key=lambda line: line.requirement.module.title)

        completions = list(
            self.session.scalars(
                select(Completion)
                .where(
                    Completion.person_id == person_id,
                    Completion.organisation_id == school.organisation_id,
                )
                .options(selectinload(Completion.module))
                .order_by(Completion.completed_on.desc(), Completion.id.desc())
            )
        )
        exemptions = list(
            self.session.scalars(
                select(Exemption)
                .where(
                    Exemption.person_id == person_id,
                    Exemption.organisation_id == school.organisation_id,
                )
                .order_by(Exemption.created_at.desc(), Exemption.id.desc())
            )
        )
        extensions = list(
            self.session.scalars(
                select(Extension)
                .where(
                    Extension.person_id == person_id,
                    Extension.organisation_id == school.organisation_id,
                )
                .order_by(Extension.created_at.desc(), Extension.id.desc())
            )
        )
        names = _names(
            self.session,
            [c.recorded_by_id for c in completions]
            + [e.granted_by_id for e in exemptions]
            + [e.granted_by_id for e in extensions],
        )
        requirement_ids = {e.requirement_id for e in exemptions} | {
            e.requirement_id for e in extensions
        }
        requirements = {
            r.id: r
            for r in self.session.scalars(
                select(Requirement).where(Requirement.id.in_(requirement_ids or {0}))
            )
        }

        def grant(row: Exemption | Extension) -> GrantLine:
            return GrantLine(
                row,
                requirements.get(row.requirement_id),
                names.get(row.granted_by_id) if row.granted_by_id else None,
            )

        return PersonRecord(
            school=school,
            person=person,
            member=member,
            statuses=statuses,
            completions=[
                HistoryLine(c, names.get(c.recorded_by_id) if c.recorded_by_id else None)
                for c in completions
            ],
            exemptions=[grant(e) for e in exemptions],
            extensions=[grant(e) for e in extensions],
        )

    def grant_exemption(
        self, record: PersonRecord, details: ExemptionDetails, granted_by: Person
    ) -> Exemption:
        requirement = self._requirement(record, details.requirement_id, granted_by)
        reason = _reason(details.reason)
        if details.ends_on is not None and details.ends_on < details.starts_on:
            raise InvalidRecord("The end date must be the same as or after the start date.")
        exemption = Exemption(
            organisation_id=record.school.organisation_id,
            person_id=record.person.id,
            requirement_id=requirement.id,
            reason=reason,
            starts_on=details.starts_on,
            ends_on=details.ends_on,
            granted_by_id=granted_by.id,
            created_at=self.clock(),
        )
        self.session.add(exemption)
        self.session.flush()
        self.audit.record(
            "exemption.granted",
            organisation_id=exemption.organisation_id,
            entity_type="exemption",
            entity_id=exemption.id,
            person_id=record.person.id,
            requirement_id=requirement.id,
            school_id=record.school.id,
            reason=reason,
            starts_on=details.starts_on.isoformat(),
            ends_on=details.ends_on.isoformat() if details.ends_on else None,
        )
        return exemption

    def grant_extension(
        self, record: PersonRecord, details: ExtensionDetails, granted_by: Person
    ) -> Extension:
        requirement = self._requirement(record, details.requirement_id, granted_by)
        reason = _reason(details.reason)
        if details.new_due_on <= local_date(self.clock()):
            raise InvalidRecord("The new due date must be in the future.")
        # The status rules ignore an extension that does not reach past the date it extends.
        current = next(
            (
                line.result.due_on
                for line in record.statuses
                if line.requirement.id == requirement.id
            ),
            None,
        )
        if current is not None and details.new_due_on <= current:
            raise InvalidRecord(
                f"The new due date must be after the current one, {uk_date(current)}."
            )
        extension = Extension(
            organisation_id=record.school.organisation_id,
            person_id=record.person.id,
            requirement_id=requirement.id,
            reason=reason,
            new_due_on=details.new_due_on,
            granted_by_id=granted_by.id,
            created_at=self.clock(),
        )
        self.session.add(extension)
        self.session.flush()
        self.audit.record(
            "extension.granted",
            organisation_id=extension.organisation_id,
            entity_type="extension",
            entity_id=extension.id,
            person_id=record.person.id,
            requirement_id=requirement.id,
            school_id=record.school.id,
            reason=reason,
            new_due_on=details.new_due_on.isoformat(),
        )
        return extension

    def revoke(
        self, record: PersonRecord, kind: type[Exemption | Extension], row_id: int, by: Person
    ) -> None:
        """Revoke one of the person's exemptions or extensions; the row stays as history."""
        self._not_self(record, by)
        lines = record.exemptions if kind is Exemption else record.extensions
        line = next((g for g in lines if g.row.id == row_id), None)
        if line is None:
            raise LookupError(row_id)
        row = line.row
        if row.revoked_at is not None:
            raise AlreadyReviewed("That has already been revoked, so nothing was changed.")
        row.revoked_at = self.clock()
        self.session.flush()
        name = "exemption" if kind is Exemption else "extension"
        self.audit.record(
            f"{name}.revoked",
            organisation_id=row.organisation_id,
            entity_type=name,
            entity_id=row.id,
            person_id=row.person_id,
            requirement_id=row.requirement_id,
            school_id=record.school.id,
        )

    def _requirement(
        self, record: PersonRecord, requirement_id: int, granted_by: Person
    ) -> Requirement:
        self._not_self(record, granted_by)
        requirement = next((r for r in record.requirements if r.id == requirement_id), None)
        if requirement is None or not applies_to(requirement, record.member.roles):
            raise InvalidRecord("Choose training that applies to this person.")
        return requirement

    @staticmethod
    def _not_self(record: PersonRecord, by: Person) -> None:
        if record.person.id == by.id:
            raise NotPermitted(
                "You cannot grant or revoke your own exemptions or extensions. Ask another CPD "
                "lead at your school, or a trust leader."
            )


def _reason(text: str) -> str:
    reason = text.strip()
    if not reason:
        raise InvalidRecord("Enter the reason.")
    if len(reason) > 500:
        raise InvalidRecord("The reason must be 500 characters or fewer.")
    return reason
