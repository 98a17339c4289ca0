"""SENCO qualification reminders: to the SENCO, the head and the school's CPD leads, at the
latest safe start, six months before the deadline, and when the deadline has passed.

When a reminder is due is the rules engine's call (``rules.senco.reminder_due``); this module
decides who hears it and what it says, and hands drafts to ``ReminderService``, which queues
them in the same outbox as training reminders. Once only, per recipient: the key names the
appointment, the moment and its date, and the person (``senco:<appointment>:<kind>:<date>:
<person>``), so a new appointment or a changed start date is a new reminder, and the same
news is never sent twice to the same person.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

from jinja2 import Environment

from cpd_tracker.models import Person, School
from cpd_tracker.rules.senco import SencoReminderKind, reminder_due
from cpd_tracker.rules.training import uk_date
from cpd_tracker.services.senco import NEXT_STEPS, AssessedSenco, SencoService

SUBJECTS = {
    SencoReminderKind.SAFE_START: (
        "SENCO qualification: the latest safe start for {senco} at {school} is {date}"
    ),
    SencoReminderKind.DEADLINE_NEAR: (
        "SENCO qualification deadline in six months: {senco} at {school}, {date}"
    ),
    SencoReminderKind.OVERDUE: (
        "SENCO qualification overdue: {senco} at {school} needed it by {date}"
    ),
}


def senco_reminder_key(
    appointment_id: int, kind: SencoReminderKind, day: dt.date, person_id: int
) -> str:
    return f"senco:{appointment_id}:{kind.value}:{day.isoformat()}:{person_id}"


@dataclass(frozen=True)
class SencoDraft:
    """One message to one person: the fields ``ReminderService`` queues."""

    person: Person
    subject: str
    body: str
    key: str


@dataclass(frozen=True)
class Recipient:
    person: Person
    #: Why they hear about it: "SENCO", "head teacher" or "CPD lead".
    role: str


class SencoReminders:
    def __init__(self, senco: SencoService, templates: Environment, base_url: str) -> None:
        self.senco = senco
        self.templates = templates
        self.base_url = base_url.rstrip("/")

    def drafts(
        self,
        organisation_id: int,
        today: dt.date,
        leads: Mapping[int, Sequence[Person]],
        heads: Mapping[int, Person],
    ) -> Iterator[SencoDraft]:
        """Every SENCO reminder due on ``today`` in the organisation, one per recipient.

        ``leads`` and ``heads`` map school ids to the school's CPD leads and head. Whether a
        key was queued before, and whether an address is usable, is the caller's to check.
        """
        for row in self.senco.trust(organisation_id, today):
            for item in row.current:
                due = reminder_due(item.assessment, today)
                if due is None:
                    continue
                for recipient in _recipients(item, heads.get(row.school.id), leads, row.school):
                    yield self._draft(row.school, item, due, recipient, today)

    def _draft(
        self,
        school: School,
        item: AssessedSenco,
        due: tuple[SencoReminderKind, dt.date],
        recipient: Recipient,
        today: dt.date,
    ) -> SencoDraft:
        kind, day = due
        assessment = item.assessment
        is_senco = recipient.person.id == item.person.id
        link = (
            f"{self.base_url}/my-training"
            if is_senco
            else f"{self.base_url}/senco/schools/{school.id}"
        )
        body = self.templates.get_template("email/senco_reminder.txt").render(
            name=recipient.person.display_name,
            role=recipient.role,
            is_senco=is_senco,
            kind=kind.value,
            senco=item.person.display_name,
            school=school.name,
            became=uk_date(item.appointment.started_on),
            deadline=uk_date(assessment.deadline) if assessment.deadline else "",
            safe_start=(
                uk_date(assessment.latest_safe_start) if assessment.latest_safe_start else ""
            ),
            reason=assessment.reason,
            next_step=NEXT_STEPS[assessment.state],
            link=link,
        )
        subject = SUBJECTS[kind].format(
            senco=item.person.display_name, school=school.name, date=uk_date(day)
        )
        key = senco_reminder_key(item.appointment.id, kind, day, recipient.person.id)
        return SencoDraft(recipient.person, subject, body, key)


def _recipients(
    item: AssessedSenco,
    head: Person | None,
    leads: Mapping[int, Sequence[Person]],
    school: School,
) -> list[Recipient]:
    """The SENCO, the head, the CPD leads: each person once, under their first role."""
    found: dict[int, Recipient] = {}
    candidates = [Recipient(item.person, "SENCO")]
    if head is not None:
        candidates.append(Recipient(head, "head teacher"))
    candidates += [Recipient(p, "CPD lead") for p in leads.get(school.id, [])]
    for candidate in candidates:
        found.setdefault(candidate.person.id, candidate)
    return list(found.values())
