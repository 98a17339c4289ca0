"""Erasure: a person anonymised at their request or at the end of retention (issue 15, finding 4;
UK GDPR art. 17).

What goes: names, e-mail, staff number, the LMS identity (registration and ``sub``, so no
launch can ever reach the record again; NULLs never clash in the unique (registration, sub)
pair), the teacher reference number, free text written about them (completion notes,
exemption and extension reasons -- some are health-related -- evidence rejection reasons),
their certificate and SENCO document files on disk, e-mails addressed to them (unsent ones
deleted, sent ones blanked: the row keeps its dedupe key so a reminder is never sent twice),
their rows in stored import CSVs, their LMS grade routing, and personal values in audit entries
(who did what, and when, stays).

What stays, so every report counts the same before and after: the person row itself as
"Erased person #<id>", its organisation, staff roles with their dates, start and leaving
dates (due dates and the leaver rule read them), ``active``, permissions, completions,
attempts, evidence rows (without files), exemption and extension periods, SENCO appointment
and qualification facts, purchase delegate links.

Refused while a legal hold applies (``refusal``): a SENCO appointment or qualification record
the school must keep, while it is current and for ``SENCO_RETENTION_YEARS`` after it ends. And
refused to anyone the person outranks, or (for a CPD lead) who does not lead every school the
person works or worked at (``actor_refusal``). The service flushes, never commits; files are
deleted last, after every row has been written.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Text, cast, delete, func, or_, select
from sqlalchemy.orm import Session

from cpd_tracker.auth import Grant, effective_grants, outranks
from cpd_tracker.dates import local_date, long_date
from cpd_tracker.models import (
    AuditEntry,
    CalendarFeed,
    Completion,
    Evidence,
    Exemption,
    Extension,
    ImportUpload,
    LineItemBinding,
    OutgoingEmail,
    PermissionKind,
    Person,
    School,
    SencoAppointment,
    SencoDocument,
    SencoQualification,
    ServiceJob,
    StaffRole,
    TrainingRequest,
)
from cpd_tracker.models.lti_services import JobStatus
from cpd_tracker.services.audit import AuditService
from cpd_tracker.storage import EvidenceStore

#: How long a SENCO appointment or qualification record is kept after it ends: the school's
#: evidence that its SENCO met reg. 49 of the SEND Regulations 2014, kept as a personnel
#: record is (IRMS Records Management Toolkit for Schools: termination of employment + 6 years).
SENCO_RETENTION_YEARS = 6
#: What replaces personal values in audit entries and free text.
ERASED = "[erased]"
#: What replaces an exemption's or extension's reason (the column is required).
ERASED_REASON = "Erased with the person's record"
#: Identity values shorter than this are replaced only where a whole value equals them
#: (a two-letter staff number must not eat every "12" in the organisation's audit log).
MIN_SUBSTRING = 4


class ErasureRefused(Exception):
    """Erasure is not allowed now; the message says why and what would allow it."""


@dataclass(frozen=True)
class ErasureReport:
    person_id: int
    files_deleted: int
    emails_deleted: int
    emails_blanked: int
    notes_cleared: int
    audit_entries_scrubbed: int
    import_rows_removed: int


@dataclass(frozen=True)
class ErasurePreview:
    """What erasure would remove and what it keeps, for the confirmation page."""

    completions: int
    evidence_files: int
    notes: int
    emails: int
    senco_records: int
    audit_entries: int


def erased_name(person_id: int) -> str:
    return f"Erased person #{person_id}"


def add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def senco_hold(
    appointments: Iterable[tuple[str, dt.date, dt.date | None]],
    qualifications: Iterable[tuple[str, dt.date | None]],
    today: dt.date,
) -> str | None:
    """Why a SENCO record must still be kept (pure): ``appointments`` as (school name, started,
    ended), ``qualifications`` as (kind, last day known); None when no hold applies."""
    rule = (
        "The school must keep SENCO appointment and qualification records while the "
        f"appointment is current and for {SENCO_RETENTION_YEARS} years after it ends (its "
        "evidence that the SENCO meets reg. 49 of the SEND Regulations 2014)."
    )
    holds: list[str] = []
    for school, started, ended in appointments:
        if ended is None or ended >= today:
            holds.append(
                f"their SENCO appointment at {school} (from {long_date(started)}) is current"
            )
            continue
        until = add_years(ended, SENCO_RETENTION_YEARS)
        if until > today:
            holds.append(
                f"their SENCO appointment at {school} ended on {long_date(ended)} and is kept "
                f"until {long_date(until)}"
            )
    for kind, last in qualifications:
        if last is None:
            holds.append(f"their {kind} record has no end date yet")
            continue
        until = add_years(last, SENCO_RETENTION_YEARS)
        if until > today:
            holds.append(
                f"their {kind} record (last dated {long_date(last)}) is kept until "
                f"{long_date(until)}"
            )
    if not holds:
        return None
    return f"Erasure is refused while a legal hold applies: {'; '.join(holds)}. {rule}"


def identity_values(person: Person) -> list[str]:
    """The values that say who the person is, longest first."""
    values = {
        v.strip()
        for v in (
            person.name,
            person.email,
            person.staff_number,
            person.sub,
            " ".join(p for p in (person.given_name, person.family_name) if p),
        )
        if v and v.strip()
    }
    return sorted(values, key=len, reverse=True)


class Scrubber:
    """Replaces personal values inside text and JSON (pure). ``values`` are replaced wherever
    they occur (case-insensitive) when at least ``MIN_SUBSTRING`` long, and only as a whole
    value otherwise."""

    def __init__(self, values: Iterable[str]) -> None:
        cleaned = sorted({v for v in values if v}, key=len, reverse=True)
        self.whole = {v.casefold() for v in cleaned}
        long = [re.escape(v) for v in cleaned if len(v) >= MIN_SUBSTRING]
        self.pattern = re.compile("|".join(long), re.IGNORECASE) if long else None

    def text(self, value: str) -> str:
        if value.strip().casefold() in self.whole:
            return ERASED
        return self.pattern.sub(ERASED, value) if self.pattern else value

    def json(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {k: self.json(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.json(v) for v in value]
        return value


class ErasureService:
    def __init__(
        self,
        session: Session,
        audit: AuditService,
        store: EvidenceStore,
        clock: Callable[[], dt.datetime],
    ) -> None:
        self.session = session
        self.audit = audit
        self.store = store
        self.clock = clock

    # -- rules ---------------------------------------------------------------------------------

    def refusal(self, person: Person, today: dt.date) -> str | None:
        """Why erasure is refused now whoever asks (already erased, legal hold), else None."""
        if person.erased_at is not None:
            return f"This record was already erased on {long_date(person.erased_at)}."
        schools = {
            school.id: school.name
            for school in self.session.scalars(
                select(School).where(School.organisation_id == person.organisation_id)
            )
        }
        appointments = [
            (schools.get(a.school_id, "a school"), a.started_on, a.ended_on)
            for a in self.session.scalars(
                select(SencoAppointment).where(SencoAppointment.person_id == person.id)
            )
        ]
        qualifications = []
        for q in self.session.scalars(
            select(SencoQualification).where(SencoQualification.person_id == person.id)
        ):
            label = "NPQ for SENCOs" if q.kind.value == "npq_senco" else "NASENCO"
            last = q.completed_on or q.expected_completion_on
            if last is None and q.result.value in ("failed", "withdrawn"):
                last = q.started_on or local_date(q.created_at)
            qualifications.append((label, last))
        return senco_hold(appointments, qualifications, today)

    def actor_refusal(self, person: Person, actor: Person) -> str | None:
        """Why ``actor`` may not erase ``person`` (whatever the legal hold), else None."""
        if actor.organisation_id != person.organisation_id:
            return "This person is not in your organisation."
        if actor.id == person.id:
            return "You cannot erase your own record. Ask a trust leader."
        acting = effective_grants(list(actor.permissions))
        if outranks(effective_grants(list(person.permissions)), acting):
            return (
                "This person has permissions in the tool that you do not have, so only a "
                "trust leader can erase their record."
            )
        if Grant(PermissionKind.TRUST_LEADER, None) in acting:
            return None
        led = {g.school_id for g in acting if g.kind is PermissionKind.CPD_LEAD}
        schools = set(
            self.session.scalars(
                select(StaffRole.school_id).where(StaffRole.person_id == person.id)
            )
        )
        if not schools or not schools <= led:
            return (
                "This person works or worked at a school you do not lead as CPD lead, so only "
                "a trust leader can erase their record."
            )
        return None

    # -- reading -------------------------------------------------------------------------------

    def preview(self, person: Person) -> ErasurePreview:
        def count(statement: Any) -> int:
            return int(self.session.scalar(statement) or 0)

        pid = person.id
        notes = (
            count(
                select(func.count(Completion.id)).where(
                    Completion.person_id == pid, Completion.note != ""
                )
            )
            + count(select(func.count(Exemption.id)).where(Exemption.person_id == pid))
            + count(select(func.count(Extension.id)).where(Extension.person_id == pid))
            + count(
                select(func.count(TrainingRequest.id)).where(
                    TrainingRequest.person_id == pid, TrainingRequest.note != ""
                )
            )
        )
        return ErasurePreview(
            completions=count(select(func.count(Completion.id)).where(Completion.person_id == pid)),
            evidence_files=count(
                select(func.count(Evidence.id)).where(
                    Evidence.person_id == pid, Evidence.file_key.is_not(None)
                )
            ),
            notes=notes,
            emails=len(self._emails(person)),
            senco_records=count(
                select(func.count(SencoAppointment.id)).where(SencoAppointment.person_id == pid)
            )
            + count(
                select(func.count(SencoQualification.id)).where(SencoQualification.person_id == pid)
            ),
            audit_entries=self._scrubbed_count(person),
        )

    def _scrubbed_count(self, person: Person) -> int:
        free_text = self._free_text(person)
        everything = Scrubber(identity_values(person) + free_text)
        names_only = Scrubber(identity_values(person))
        return sum(
            (everything if about else names_only).json(entry.details) != entry.details
            for entry, about in self._audit_entries(person, free_text)
        )

    def _emails(self, person: Person) -> list[OutgoingEmail]:
        addressed = [OutgoingEmail.person_id == person.id]
        if person.email:
            addressed.append(func.lower(OutgoingEmail.to_address) == person.email.lower())
        return list(
            self.session.scalars(
                select(OutgoingEmail).where(
                    OutgoingEmail.organisation_id == person.organisation_id, or_(*addressed)
                )
            )
        )

    def _free_text(self, person: Person) -> list[str]:
        """Free text written about the person, to find it again in audit entries."""
        pid = person.id
        texts = [
            *self.session.scalars(select(Completion.note).where(Completion.person_id == pid)),
            *self.session.scalars(select(Exemption.reason).where(Exemption.person_id == pid)),
            *self.session.scalars(select(Extension.reason).where(Extension.person_id == pid)),
            *self.session.scalars(
                select(Evidence.rejection_reason).where(Evidence.person_id == pid)
            ),
            *self.session.scalars(select(Evidence.file_name).where(Evidence.person_id == pid)),
            *self.session.scalars(
                select(TrainingRequest.note).where(TrainingRequest.person_id == pid)
            ),
            *self.session.scalars(
                select(SencoAppointment.teacher_reference_number).where(
                    SencoAppointment.person_id == pid
                )
            ),
        ]
        return [t for t in texts if t and t.strip()]

    def _audit_entries(self, person: Person, free_text: list[str]) -> list[tuple[AuditEntry, bool]]:
        """Audit entries of the organisation that are about the person (True: entity or
        ``person_id`` names them) or that mention who they are (False)."""
        text = func.lower(cast(AuditEntry.details, Text))
        needles: set[str] = set()
        for value in identity_values(person) + free_text:
            needles.add(value.lower())
            needles.add(json.dumps(value.lower())[1:-1])
        marker = f'"person_id": {person.id}'
        found = self.session.scalars(
            select(AuditEntry).where(
                AuditEntry.organisation_id == person.organisation_id,
                or_(
                    (AuditEntry.entity_type == "person") & (AuditEntry.entity_id == str(person.id)),
                    text.contains(marker, autoescape=True),
                    *(text.contains(n, autoescape=True) for n in needles),
                ),
            )
        )
        entries = []
        for entry in found:
            about = (entry.entity_type == "person" and entry.entity_id == str(person.id)) or (
                isinstance(entry.details, dict) and entry.details.get("person_id") == person.id
            )
            entries.append((entry, about))
        return entries

    # -- erasing -------------------------------------------------------------------------------

    def erase(self, person: Person, actor: Person | None, reason: str) -> ErasureReport:
        """Anonymise ``person``; ``actor`` None is the system (retention). Raises
        ``ErasureRefused`` before writing anything when erasure is not allowed."""
        now = self.clock()
        refused = self.refusal(person, local_date(now))
        if refused is None and actor is not None:
            refused = self.actor_refusal(person, actor)
        if refused is not None:
            raise ErasureRefused(refused)

        pid = person.id
        identity = identity_values(person)
        free_text = self._free_text(person)
        everything = Scrubber(identity + free_text)
        names_only = Scrubber(identity)

        # Audit entries first, while the values to look for are still on the rows.
        scrubbed = 0
        for entry, about in self._audit_entries(person, free_text):
            clean = (everything if about else names_only).json(entry.details)
            if clean != entry.details:
                entry.details = clean
                scrubbed += 1

        notes = 0
        for completion in self.session.scalars(
            select(Completion).where(Completion.person_id == pid, Completion.note != "")
        ):
            completion.note = ""
            notes += 1
        for grant in [
            *self.session.scalars(select(Exemption).where(Exemption.person_id == pid)),
            *self.session.scalars(select(Extension).where(Extension.person_id == pid)),
        ]:
            grant.reason = ERASED_REASON
            notes += 1
        # A declined request's reason is written about the person (issue 17).
        for place in self.session.scalars(
            select(TrainingRequest).where(
                TrainingRequest.person_id == pid, TrainingRequest.note != ""
            )
        ):
            place.note = ERASED
            notes += 1
        files: list[tuple[int, str]] = []
        for evidence in self.session.scalars(select(Evidence).where(Evidence.person_id == pid)):
            if evidence.file_key:
                files.append((evidence.organisation_id, evidence.file_key))
            evidence.file_key = evidence.file_name = evidence.content_type = None
            evidence.file_size = None
            evidence.course_title = everything.text(evidence.course_title)
            if evidence.rejection_reason:
                evidence.rejection_reason = ERASED
                notes += 1
        for appointment in self.session.scalars(
            select(SencoAppointment).where(SencoAppointment.person_id == pid)
        ):
            appointment.teacher_reference_number = None
        qualification_ids = select(SencoQualification.id).where(SencoQualification.person_id == pid)
        for document in self.session.scalars(
            select(SencoDocument).where(SencoDocument.qualification_id.in_(qualification_ids))
        ):
            files.append((document.organisation_id, document.storage_key))
            self.session.delete(document)

        emails_deleted = emails_blanked = 0
        for email in self._emails(person):
            if email.sent_at is None:
                self.session.delete(email)
                emails_deleted += 1
            else:
                email.to_address = ""
                email.subject = ERASED
                email.body_text = ""
                email.last_error = None
                emails_blanked += 1

        import_rows = self._scrub_imports(person)

        # The LMS can no longer reach the record, and no grade goes back under its identity.
        self.session.execute(delete(LineItemBinding).where(LineItemBinding.person_id == pid))
        # Their calendar feed's address stops working (issue 17).
        self.session.execute(delete(CalendarFeed).where(CalendarFeed.person_id == pid))
        for job in self.session.scalars(select(ServiceJob).where(ServiceJob.person_id == pid)):
            job.user_id = None
            job.payload = names_only.json(job.payload)
            if job.status is JobStatus.PENDING:
                job.status = JobStatus.FAILED
                job.outcome = "not sent: the person's record was erased"
                job.finished_at = now

        person.name = erased_name(pid)
        person.given_name = person.family_name = person.email = person.staff_number = None
        person.registration_id = None
        person.sub = None
        person.last_launch_at = None
        person.sessions_valid_after = now  # any session still open ends now
        person.erased_at = now
        person.erased_by_id = actor.id if actor is not None else None

        report = ErasureReport(
            person_id=pid,
            files_deleted=len(files),
            emails_deleted=emails_deleted,
            emails_blanked=emails_blanked,
            notes_cleared=notes,
            audit_entries_scrubbed=scrubbed,
            import_rows_removed=import_rows,
        )
        self.audit.record(
            "person.erased",
            organisation_id=person.organisation_id,
            entity_type="person",
            entity_id=pid,
            reason=everything.text(reason.strip())[:500],
            erased_by=actor.id if actor is not None else None,
            files_deleted=report.files_deleted,
            emails_deleted=emails_deleted,
            emails_blanked=emails_blanked,
            notes_cleared=notes,
            audit_entries_scrubbed=scrubbed,
            import_rows_removed=import_rows,
        )
        self.session.flush()
        # Last, once every row is written: a failure above leaves the files in place.
        for organisation_id, key in files:
            self.store.delete(organisation_id, key)
        return report

    def _scrub_imports(self, person: Person) -> int:
        """Drops the person's rows from stored import CSVs (a row naming their e-mail, staff
        number or full name). Returns how many rows went."""
        values = {
            v.strip().casefold()
            for v in (person.email, person.staff_number, person.name)
            if v and v.strip()
        }
        given, family = (person.given_name or "").strip(), (person.family_name or "").strip()
        if not values and not (given and family):
            return 0
        removed = 0
        for upload in self.session.scalars(
            select(ImportUpload).where(ImportUpload.organisation_id == person.organisation_id)
        ):
            try:
                text = upload.content.decode("utf-8-sig")
            except UnicodeDecodeError:
                continue
            rows = list(csv.reader(io.StringIO(text)))
            kept = []
            for row in rows:
                cells = {cell.strip().casefold() for cell in row}
                theirs = bool(cells & values) or (
                    bool(given and family)
                    and given.casefold() in cells
                    and family.casefold() in cells
                )
                if theirs:
                    removed += 1
                else:
                    kept.append(row)
            if len(kept) != len(rows):
                out = io.StringIO()
                csv.writer(out, lineterminator="\r\n").writerows(kept)
                upload.content = out.getvalue().encode("utf-8")
        return removed
