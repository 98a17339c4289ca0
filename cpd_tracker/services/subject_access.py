"""Subject access export: everything the tool holds about one person, as one ZIP (UK GDPR
art. 15; issue 15, finding 4).

The archive is written to a temporary file (never held whole in memory: it carries the
certificate files themselves) and handed back open at its start; the caller streams it and
the file disappears when closed. ``README.txt`` inside says what each part is. CSV cells go
through ``exports.csv_lines``, so a value a spreadsheet would run as a formula stays data.

Every export is audited: "subject access export made for #<id> by #<actor>".
"""

from __future__ import annotations

import datetime as dt
import json
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import IO, Any

from sqlalchemy import Text, cast, or_, select
from sqlalchemy.orm import Session, selectinload

from cpd_tracker.dates import in_london, iso_datetime, local_date
from cpd_tracker.exports import Cell, csv_lines
from cpd_tracker.models import (
    Attempt,
    AuditEntry,
    Completion,
    Course,
    CourseMembership,
    Evidence,
    Exemption,
    Extension,
    Module,
    OutgoingEmail,
    Person,
    PlatformRegistration,
    Purchase,
    PurchaseDelegate,
    Requirement,
    School,
    SencoAppointment,
    SencoDocument,
    SencoQualification,
    StaffRole,
    TrainingRequest,
)
from cpd_tracker.services.audit import AuditService
from cpd_tracker.services.compliance import ComplianceService
from cpd_tracker.storage import EvidenceMissing, EvidenceStore, safe_file_name, sniff

README = """\
Subject access export
=====================

Everything the SEND CPD Tracker held about person #{id} in {organisation} on {made}.
Made by person #{actor}. Dates are YYYY-MM-DD; times are London time (GMT or BST)
with their offset.

person.json              who they are: names, e-mail, staff number, start and leaving
                         dates, staff roles at each school, permissions in the tool, the
                         LMS identity they sign in with, and whether the record was erased.
training/completions.csv training completed: when, what, how, CPD hours, provider, the
                         provider certificate's own expiry, who recorded it and any note.
training/statuses.csv    where they stand against each training requirement today, at
                         each school where they hold a role.
training/exemptions.csv  exemptions from a requirement: reason, period, who granted it.
training/extensions.csv  new due dates for a requirement: reason, who granted it.
training/evidence.csv    external training they recorded, its certificate file (and its
                         expiry, if given) and its review (verified or rejected, by whom,
                         why).
training/attempts.csv    knowledge-check attempts: score and result.
training/place_requests.csv requests for a place on training: when, the decision, by whom,
                         the reason given.
evidence/                the certificate files themselves, named <evidence id>-<file name>.
senco/appointments.csv   SENCO appointments (only if they are or were a SENCO).
senco/qualifications.csv SENCO qualification courses (NPQ for SENCOs, NASENCO).
senco/documents/         files kept with those qualification records.
audit.csv                audit log entries about them or made by them: when, who, what.
emails.csv               e-mails the tool sent or queued for them, with their text.
lms.csv                  the LMS courses they were seen in (roster and launches).
purchases.csv            training purchases they were a delegate on.
"""


@dataclass(frozen=True)
class SubjectAccessExport:
    """An open temporary file holding the ZIP, at its start, and the name to offer."""

    file: IO[bytes]
    file_name: str
    parts: tuple[str, ...]


def _iso(value: dt.date | dt.datetime | None) -> str | None:
    if isinstance(value, dt.datetime):
        return in_london(value).isoformat()
    return None if value is None else value.isoformat()


def _csv(header: Sequence[str], rows: Iterable[Sequence[Cell]]) -> bytes:
    return "".join(csv_lines(header, rows)).encode("utf-8-sig")


class SubjectAccessService:
    def __init__(
        self,
        session: Session,
        audit: AuditService,
        store: EvidenceStore,
        compliance: ComplianceService,
        clock: Callable[[], dt.datetime],
    ) -> None:
        self.session = session
        self.audit = audit
        self.store = store
        self.compliance = compliance
        self.clock = clock

    def export(self, person: Person, actor: Person) -> SubjectAccessExport:
        if actor.organisation_id != person.organisation_id:
            raise PermissionError("the person belongs to another organisation")
        now = self.clock()
        handle = tempfile.TemporaryFile()  # noqa: SIM115 - handed to the caller, who closes it
        parts: list[str] = []
        try:
            with zipfile.ZipFile(handle, "w", compression=zipfile.ZIP_DEFLATED) as archive:

                def put(name: str, data: bytes) -> None:
                    archive.writestr(name, data)
                    parts.append(name)

                put(
                    "README.txt",
                    README.format(
                        id=person.id,
                        organisation=person.organisation.name,
                        made=iso_datetime(now),
                        actor=actor.id,
                    ).encode("utf-8"),
                )
                put(
                    "person.json",
                    json.dumps(self._person(person), indent=2, ensure_ascii=False).encode(),
                )
                self._training(person, local_date(now), put)
                put("training/place_requests.csv", self._place_requests(person))
                self._senco(person, put)
                put("audit.csv", self._audit(person))
                put("emails.csv", self._emails(person))
                put("lms.csv", self._lms(person))
                put("purchases.csv", self._purchases(person))
            handle.seek(0)
        except BaseException:
            handle.close()
            raise
        self.audit.record(
            "person.subject_access_export",
            organisation_id=person.organisation_id,
            entity_type="person",
            entity_id=person.id,
            person_id=person.id,
            summary=f"subject access export made for #{person.id} by #{actor.id}",
            parts=len(parts),
        )
        self.session.flush()
        return SubjectAccessExport(
            handle, f"subject-access-{person.id}-{local_date(now).isoformat()}.zip", tuple(parts)
        )

    # -- parts ---------------------------------------------------------------------------------

    def _names(self, ids: Iterable[int | None]) -> dict[int, str]:
        wanted = {i for i in ids if i is not None}
        if not wanted:
            return {}
        return {
            p.id: p.display_name
            for p in self.session.scalars(select(Person).where(Person.id.in_(wanted)))
        }

    def _schools(self, organisation_id: int) -> dict[int, School]:
        return {
            s.id: s
            for s in self.session.scalars(
                select(School).where(School.organisation_id == organisation_id)
            )
        }

    def _person(self, person: Person) -> dict[str, Any]:
        schools = self._schools(person.organisation_id)
        registration = (
            self.session.get(PlatformRegistration, person.registration_id)
            if person.registration_id is not None
            else None
        )
        roles = self.session.scalars(
            select(StaffRole).where(StaffRole.person_id == person.id).order_by(StaffRole.id)
        )
        return {
            "id": person.id,
            "organisation": person.organisation.name,
            "name": person.name,
            "given_name": person.given_name,
            "family_name": person.family_name,
            "email": person.email,
            "staff_number": person.staff_number,
            "start_date": _iso(person.start_date),
            "leaving_date": _iso(person.leaving_date),
            "active": person.active,
            "created_at": _iso(person.created_at),
            "last_opened_the_tool": _iso(person.last_launch_at),
            "erased_at": _iso(person.erased_at),
            "staff_roles": [
                {
                    "school": schools[r.school_id].name if r.school_id in schools else None,
                    "school_urn": schools[r.school_id].urn if r.school_id in schools else None,
                    "role": r.role.value,
                    "appointed": _iso(r.started_on),
                    "ended": _iso(r.ended_on),
                }
                for r in roles
            ],
            "permissions": [
                {
                    "kind": p.kind.value,
                    "school": schools[p.school_id].name
                    if p.school_id is not None and p.school_id in schools
                    else None,
                    "source": p.source.value,
                    "revoked": p.revoked,
                    "created_at": _iso(p.created_at),
                }
                for p in person.permissions
            ],
            "lms_identity": None
            if registration is None
            else {
                "platform": registration.name,
                "issuer": registration.issuer,
                "client_id": registration.client_id,
                "user_id": person.sub,
            },
        }

    def _training(self, person: Person, today: dt.date, put: Callable[[str, bytes], None]) -> None:
        pid = person.id
        modules = {
            m.id: m.title
            for m in self.session.scalars(
                select(Module).where(Module.organisation_id == person.organisation_id)
            )
        }
        completions = list(
            self.session.scalars(
                select(Completion)
                .where(Completion.person_id == pid)
                .order_by(Completion.completed_on, Completion.id)
            )
        )
        exemptions = list(
            self.session.scalars(
                select(Exemption).where(Exemption.person_id == pid).order_by(Exemption.id)
            )
        )
        extensions = list(
            self.session.scalars(
                select(Extension).where(Extension.person_id == pid).order_by(Extension.id)
            )
        )
        evidence = list(
            self.session.scalars(
                select(Evidence).where(Evidence.person_id == pid).order_by(Evidence.id)
            )
        )
        names = self._names(
            [c.recorded_by_id for c in completions]
            + [e.granted_by_id for e in exemptions]
            + [e.granted_by_id for e in extensions]
            + [e.reviewed_by_id for e in evidence]
        )
        requirement_modules = {
            r.id: modules.get(r.module_id)
            for r in self.session.scalars(
                select(Requirement).where(Requirement.organisation_id == person.organisation_id)
            )
        }
        put(
            "training/completions.csv",
            _csv(
                [
                    "Completion id",
                    "Completed on",
                    "Training",
                    "How",
                    "CPD hours",
                    "Provider",
                    "Certificate expires on",
                    "Recorded by",
                    "Note",
                    "Recorded at",
                ],
                (
                    [
                        c.id,
                        c.completed_on,
                        modules.get(c.module_id),
                        c.method.value,
                        c.cpd_hours,
                        c.provider,
                        c.certificate_expires_on,
                        names.get(c.recorded_by_id or 0),
                        c.note,
                        c.created_at,
                    ]
                    for c in completions
                ),
            ),
        )
        status_rows: list[list[Cell]] = []
        schools = self._schools(person.organisation_id)
        at = sorted(
            {
                r.school_id
                for r in self.session.scalars(select(StaffRole).where(StaffRole.person_id == pid))
            }
        )
        for school_id in at:
            if school_id not in schools:
                continue
            report = self.compliance.school(schools[school_id], today)
            for (person_id, requirement_id), row in sorted(report.cells.items()):
                if person_id != pid:
                    continue
                result = row.result
                status_rows.append(
                    [
                        schools[school_id].name,
                        requirement_modules.get(requirement_id),
                        result.status.value,
                        result.due_on,
                        result.expires_on,
                        result.last_completed_on,
                    ]
                )
        put(
            "training/statuses.csv",
            _csv(
                ["School", "Training", "Status", "Due on", "Expires on", "Last completed on"],
                status_rows,
            ),
        )
        grant_header = ["Id", "Training", "Reason", "Granted by", "Granted at", "Revoked at"]
        put(
            "training/exemptions.csv",
            _csv(
                [*grant_header[:3], "Starts on", "Ends on", *grant_header[3:]],
                (
                    [
                        e.id,
                        requirement_modules.get(e.requirement_id),
                        e.reason,
                        e.starts_on,
                        e.ends_on,
                        names.get(e.granted_by_id or 0),
                        e.created_at,
                        e.revoked_at,
                    ]
                    for e in exemptions
                ),
            ),
        )
        put(
            "training/extensions.csv",
            _csv(
                [*grant_header[:3], "New due date", *grant_header[3:]],
                (
                    [
                        e.id,
                        requirement_modules.get(e.requirement_id),
                        e.reason,
                        e.new_due_on,
                        names.get(e.granted_by_id or 0),
                        e.created_at,
                        e.revoked_at,
                    ]
                    for e in extensions
                ),
            ),
        )
        files: dict[int, str] = {}
        for item in evidence:
            if not item.file_key:
                continue
            try:
                data = self.store.open(item.organisation_id, item.file_key)
            except EvidenceMissing:
                continue
            file_type = sniff(data)
            name = (
                safe_file_name(item.file_name, file_type) if file_type else f"certificate-{item.id}"
            )
            files[item.id] = f"evidence/{item.id}-{name}"
            put(files[item.id], data)
        put(
            "training/evidence.csv",
            _csv(
                [
                    "Evidence id",
                    "Training",
                    "Course title",
                    "Provider",
                    "Completed on",
                    "CPD hours",
                    "Certificate expires on",
                    "Status",
                    "File in this export",
                    "Reviewed by",
                    "Reviewed at",
                    "Rejection reason",
                    "Recorded at",
                ],
                (
                    [
                        e.id,
                        modules.get(e.module_id),
                        e.course_title,
                        e.provider,
                        e.completed_on,
                        e.cpd_hours,
                        e.certificate_expires_on,
                        e.status.value,
                        files.get(e.id),
                        names.get(e.reviewed_by_id or 0),
                        e.reviewed_at,
                        e.rejection_reason,
                        e.created_at,
                    ]
                    for e in evidence
                ),
            ),
        )
        attempts = self.session.scalars(
            select(Attempt).where(Attempt.person_id == pid).order_by(Attempt.id)
        )
        put(
            "training/attempts.csv",
            _csv(
                [
                    "Attempt id",
                    "Training",
                    "Correct",
                    "Questions",
                    "Score %",
                    "Passed",
                    "Submitted at",
                ],
                (
                    [
                        a.id,
                        modules.get(a.module_id),
                        a.correct,
                        a.total,
                        a.score_percent,
                        "yes" if a.passed else "no",
                        a.submitted_at,
                    ]
                    for a in attempts
                ),
            ),
        )

    def _senco(self, person: Person, put: Callable[[str, bytes], None]) -> None:
        appointments = list(
            self.session.scalars(
                select(SencoAppointment)
                .where(SencoAppointment.person_id == person.id)
                .order_by(SencoAppointment.id)
            )
        )
        qualifications = list(
            self.session.scalars(
                select(SencoQualification)
                .where(SencoQualification.person_id == person.id)
                .order_by(SencoQualification.id)
            )
        )
        if not appointments and not qualifications:
            return
        schools = self._schools(person.organisation_id)
        put(
            "senco/appointments.csv",
            _csv(
                [
                    "Appointment id",
                    "School",
                    "Started on",
                    "Ended on",
                    "QTS",
                    "Teacher reference number",
                    "Induction complete",
                    "Head teacher",
                    "Months as SENCO before",
                ],
                (
                    [
                        a.id,
                        schools[a.school_id].name if a.school_id in schools else None,
                        a.started_on,
                        a.ended_on,
                        "yes" if a.has_qts else "no",
                        a.teacher_reference_number,
                        "yes" if a.induction_complete else "no",
                        "yes" if a.is_head else "no",
                        a.prior_senco_months,
                    ]
                    for a in appointments
                ),
            ),
        )
        put(
            "senco/qualifications.csv",
            _csv(
                [
                    "Qualification id",
                    "Kind",
                    "Provider",
                    "Started on",
                    "Expected completion",
                    "Completed on",
                    "Result",
                    "Funding",
                ],
                (
                    [
                        q.id,
                        q.kind.value,
                        q.provider,
                        q.started_on,
                        q.expected_completion_on,
                        q.completed_on,
                        q.result.value,
                        q.funding.value if q.funding else None,
                    ]
                    for q in qualifications
                ),
            ),
        )
        documents = self.session.scalars(
            select(SencoDocument)
            .where(SencoDocument.qualification_id.in_([q.id for q in qualifications] or [0]))
            .order_by(SencoDocument.id)
        )
        for document in documents:
            try:
                data = self.store.open(document.organisation_id, document.storage_key)
            except EvidenceMissing:
                continue
            put(f"senco/documents/{document.id}-{document.file_name}", data)

    def _audit(self, person: Person) -> bytes:
        marker = f'"person_id": {person.id}'
        entries = self.session.scalars(
            select(AuditEntry)
            .where(
                AuditEntry.organisation_id == person.organisation_id,
                or_(
                    AuditEntry.actor_person_id == person.id,
                    (AuditEntry.entity_type == "person") & (AuditEntry.entity_id == str(person.id)),
                    cast(AuditEntry.details, Text).contains(marker, autoescape=True),
                ),
            )
            .order_by(AuditEntry.id)
        )
        rows: list[list[Cell]] = []
        for e in entries:
            about = (e.entity_type == "person" and e.entity_id == str(person.id)) or (
                isinstance(e.details, dict) and e.details.get("person_id") == person.id
            )
            by = e.actor_person_id == person.id
            if not (about or by):
                continue  # "person_id": 12 matched "person_id": 123
            rows.append(
                [
                    e.id,
                    e.created_at,
                    e.actor_person_id,
                    e.actor_label,
                    e.action,
                    e.entity_type,
                    e.entity_id,
                    "by them" if by and not about else "about them",
                    json.dumps(e.details, ensure_ascii=False, sort_keys=True),
                ]
            )
        return _csv(
            [
                "Entry id",
                "When",
                "Actor person id",
                "Actor",
                "Action",
                "About (type)",
                "About (id)",
                "Relation",
                "Details",
            ],
            rows,
        )

    def _emails(self, person: Person) -> bytes:
        addressed = [OutgoingEmail.person_id == person.id]
        if person.email:
            addressed.append(OutgoingEmail.to_address == person.email)
        emails = self.session.scalars(
            select(OutgoingEmail)
            .where(OutgoingEmail.organisation_id == person.organisation_id, or_(*addressed))
            .order_by(OutgoingEmail.id)
        )
        return _csv(
            ["E-mail id", "Queued at", "Sent at", "To", "Subject", "Body"],
            ([m.id, m.created_at, m.sent_at, m.to_address, m.subject, m.body_text] for m in emails),
        )

    def _lms(self, person: Person) -> bytes:
        rows = self.session.execute(
            select(CourseMembership, Course)
            .join(Course, Course.id == CourseMembership.course_id)
            .where(CourseMembership.person_id == person.id)
            .order_by(CourseMembership.id)
        ).all()
        return _csv(
            [
                "Course",
                "Course id in the LMS",
                "Roles",
                "Status in the LMS",
                "First seen",
                "Last seen",
                "Left",
            ],
            (
                [
                    c.title,
                    c.context_id,
                    " ".join(m.roles or []),
                    m.lms_status,
                    m.first_seen_at,
                    m.last_seen_at,
                    m.left_at,
                ]
                for m, c in rows
            ),
        )

    def _place_requests(self, person: Person) -> bytes:
        rows = list(
            self.session.scalars(
                select(TrainingRequest)
                .where(TrainingRequest.person_id == person.id)
                .options(selectinload(TrainingRequest.module), selectinload(TrainingRequest.school))
                .order_by(TrainingRequest.created_at, TrainingRequest.id)
            )
        )
        names = self._names(r.decided_by_id for r in rows)
        return _csv(
            ["Training", "School", "Asked at", "State", "Decided at", "Decided by", "Note"],
            (
                [
                    r.module.title,
                    r.school.name,
                    _iso(r.created_at),
                    r.status.value,
                    _iso(r.decided_at),
                    names.get(r.decided_by_id, "") if r.decided_by_id else "",
                    r.note,
                ]
                for r in rows
            ),
        )

    def _purchases(self, person: Person) -> bytes:
        rows = self.session.execute(
            select(Purchase)
            .join(PurchaseDelegate, PurchaseDelegate.purchase_id == Purchase.id)
            .where(PurchaseDelegate.person_id == person.id)
            .order_by(Purchase.purchased_on, Purchase.id)
        ).scalars()
        return _csv(
            ["Purchase id", "Course", "Purchased on"],
            ([p.id, p.course_title, p.purchased_on] for p in rows),
        )
