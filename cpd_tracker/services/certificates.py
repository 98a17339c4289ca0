"""Certificates of completion and the CPD portfolio: what each says, and who may have it.

A certificate is issued for what the tool itself witnessed or a CPD lead vouched for (issue 17):
an in-tool module passed, external training whose evidence a CPD lead verified, a whole-staff
INSET recorded by a CPD lead, or training a CPD lead recorded. A completion imported from an
earlier record has none: the tool cannot vouch for it, and the CPD record lists it instead.

Who may download: the person themselves; a CPD lead of a school the person is (or was) on the
staff of; a trust leader of the organisation. Anyone else gets the same answer as for a
completion that does not exist. Every download by someone other than the person is written to
the data-access log by the caller.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from cpd_tracker.auth import CurrentUser
from cpd_tracker.dates import local_date
from cpd_tracker.models import (
    Attempt,
    Completion,
    CompletionMethod,
    Evidence,
    InsetSession,
    Organisation,
    Person,
    StaffRole,
)
from cpd_tracker.services.cpd_record import CERTIFIED, METHOD_LABELS


@dataclass(frozen=True)
class CertificateFacts:
    """Everything one certificate says, in plain values (the PDF is drawn from these)."""

    reference: str
    person_name: str
    organisation_name: str
    training: str
    completed_on: dt.date
    cpd_hours: Decimal
    provider: str | None
    how: str
    #: Who vouched for it and when ("Passed the knowledge check" for an in-tool module).
    vouched: str
    issued_on: dt.date
    #: The provider certificate's own expiry, when recorded.
    certificate_expires_on: dt.date | None = None


def reference(completion: Completion) -> str:
    """A certificate's number, enough to find the completion again: ``CPD-<org>-<id>``."""
    return f"CPD-{completion.organisation_id}-{completion.id:06d}"


class CertificateService:
    def __init__(self, session: Session) -> None:
        self.session = session

    def completion(self, user: CurrentUser, completion_id: int) -> Completion | None:
        """The completion if it has a certificate ``user`` may download; else None."""
        completion = self.session.get(Completion, completion_id)
        if (
            completion is None
            or completion.organisation_id != user.organisation_id
            or completion.method not in CERTIFIED
            or not self.may_see_person(user, completion.person_id)
        ):
            return None
        return completion

    def may_see_person(self, user: CurrentUser, person_id: int) -> bool:
        """The person themselves, a trust leader, or a CPD lead of a school they are or were
        on the staff of (the organisation is checked by the caller's query)."""
        if person_id == user.id or user.is_trust_leader:
            return True
        schools = user.cpd_lead_school_ids()
        return bool(schools) and bool(
            self.session.scalar(
                select(
                    exists().where(
                        StaffRole.person_id == person_id, StaffRole.school_id.in_(schools)
                    )
                )
            )
        )

    def person(self, user: CurrentUser, person_id: int) -> Person | None:
        person = self.session.get(Person, person_id)
        if person is None or person.organisation_id != user.organisation_id:
            return None
        return person if self.may_see_person(user, person_id) else None

    def facts(self, completion: Completion, today: dt.date) -> CertificateFacts:
        person = self.session.get_one(Person, completion.person_id)
        organisation = self.session.get_one(Organisation, completion.organisation_id)
        module = completion.module
        training = module.title
        if completion.method is CompletionMethod.INSET and completion.inset_session_id:
            session = self.session.get(InsetSession, completion.inset_session_id)
            if session is not None and session.title and session.title != module.title:
                training = f"{module.title}: {session.title}"
        return CertificateFacts(
            reference=reference(completion),
            person_name=person.display_name,
            organisation_name=organisation.name,
            training=training,
            completed_on=completion.completed_on,
            cpd_hours=completion.cpd_hours,
            provider=completion.provider or module.provider,
            how=METHOD_LABELS[completion.method],
            vouched=self._vouched(completion),
            issued_on=today,
            certificate_expires_on=completion.certificate_expires_on,
        )

    def _vouched(self, completion: Completion) -> str:
        if completion.method is CompletionMethod.IN_TOOL:
            attempt = (
                self.session.get(Attempt, completion.attempt_id) if completion.attempt_id else None
            )
            if attempt is not None:
                return (
                    f"Passed the knowledge check in this tool with {attempt.score_percent}% "
                    f"({attempt.correct} of {attempt.total} right)"
                )
            return "Passed the knowledge check in this tool"
        who = (
            self.session.get(Person, completion.recorded_by_id)
            if completion.recorded_by_id
            else None
        )
        name = who.display_name if who is not None else "a CPD lead"
        if completion.method is CompletionMethod.EXTERNAL:
            evidence = (
                self.session.get(Evidence, completion.evidence_id)
                if completion.evidence_id
                else None
            )
            when = local_date(evidence.reviewed_at) if evidence and evidence.reviewed_at else None
            verb = "Certificate verified by"
        else:
            when = local_date(completion.created_at) if completion.created_at else None
            verb = "Recorded by"
        return f"{verb} {name}" + (f" on {when.day} {when:%B %Y}" if when else "")
