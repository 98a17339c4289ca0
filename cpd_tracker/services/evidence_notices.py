"""E-mails about evidence (issue 17, "nobody is told"): the sender hears when it is verified or
returned (with the reason), and the people who check it may hear as soon as it arrives.

Each message is an ``outgoing_email`` row written in the request's transaction, so it exists
exactly when the decision (or the evidence) commits, survives a crash and is retried by the
outbox sender (``mailer.OutboxSender``, run by ``cpd-tracker reminders send`` and the worker).
Keys name the item and what happened (``evidence:<id>:verified``,
``evidence:<id>:arrived:<person>``): an item is decided once (``EvidenceService._claim``), so
each message is queued once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from jinja2 import Environment
from sqlalchemy.orm import Session

from cpd_tracker.models import Evidence, EvidenceStatus, OutgoingEmail, Person, School
from cpd_tracker.rules.training import uk_date
from cpd_tracker.services.evidence_routing import Checkers
from cpd_tracker.services.reminders import email_templates, valid_address

SUBJECT_LIMIT = 300


def _one_line(text: str) -> str:
    return " ".join(text.split())[:SUBJECT_LIMIT]


class EvidenceNotices:
    def __init__(
        self,
        session: Session,
        clock: Callable[[], dt.datetime],
        base_url: str,
        templates: Environment | None = None,
    ) -> None:
        self.session = session
        self.clock = clock
        self.base_url = base_url.rstrip("/")
        self.templates = templates or email_templates()

    def decided(self, evidence: Evidence, reviewer: Person) -> bool:
        """Tell the sender ``evidence`` was verified or returned; False when they have no
        usable address (the page still shows it)."""
        owner = self.session.get(Person, evidence.person_id)
        if owner is None or not valid_address(owner.email):
            return False
        verified = evidence.status is EvidenceStatus.VERIFIED
        school = self.session.get(School, evidence.school_id) if evidence.school_id else None
        body = self.templates.get_template(
            f"email/evidence_{'verified' if verified else 'rejected'}.txt"
        ).render(
            name=owner.display_name,
            reviewer=reviewer.display_name,
            course=evidence.course_title,
            provider=evidence.provider,
            training=evidence.module.title,
            completed=uk_date(evidence.completed_on),
            reason=evidence.rejection_reason or "",
            school=school.name if school else None,
            link=f"{self.base_url}/my-training",
        )
        subject = (
            f"Training verified: {evidence.course_title}"
            if verified
            else f"Training returned: {evidence.course_title}"
        )
        self._queue(
            evidence, owner, f"evidence:{evidence.id}:{evidence.status.value}", subject, body
        )
        return True

    def arrived(self, evidence: Evidence, sender: Person, school: School, to: Checkers) -> int:
        """Tell each of ``to`` that ``evidence`` waits for them; how many were told."""
        told = 0
        for person in to.people:
            if person.id == sender.id or not valid_address(person.email):
                continue
            body = self.templates.get_template("email/evidence_arrived.txt").render(
                name=person.display_name,
                sender=sender.display_name,
                course=evidence.course_title,
                provider=evidence.provider,
                training=evidence.module.title,
                completed=uk_date(evidence.completed_on),
                school=school.name,
                by_trust=to.by_trust,
                link=f"{self.base_url}/records/schools/{school.id}/evidence/{evidence.id}",
            )
            subject = f"Evidence to check from {sender.display_name}: {evidence.course_title}"
            self._queue(
                evidence, person, f"evidence:{evidence.id}:arrived:{person.id}", subject, body
            )
            told += 1
        return told

    def _queue(self, evidence: Evidence, to: Person, key: str, subject: str, body: str) -> None:
        now = self.clock()
        self.session.add(
            OutgoingEmail(
                organisation_id=evidence.organisation_id,
                person_id=to.id,
                dedupe_key=key,
                to_address=str(to.email),
                subject=_one_line(subject),
                body_text=body,
                created_at=now,
                next_attempt_at=now,
                attempts=0,
            )
        )
        self.session.flush()
