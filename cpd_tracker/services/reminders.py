"""Training reminders by e-mail: what to say, to whom, and once only.

The issue's "Reminders" (issues 1 and 17): each member of staff gets at most one digest a week
listing everything due soon, overdue, expiring or expired (``services.staff_digest``; the
organisation's lead time decides how early a due date first appears), with a link back to the
tool; each CPD lead gets a weekly digest of their school's chase list and the evidence awaiting
them. Nothing is queued for an organisation inside one of its holiday pauses
(``rules.reminders``): the week's digests go out on the first run after it. ``queue_due`` only
writes ``outgoing_email`` rows (the caller commits); ``mailer.OutboxSender`` sends them.

Once only: every message has a dedupe key naming what it is about, and ``dedupe_key`` is unique.
A staff digest's key is person and ISO week; a lead's digest's key is lead, school and ISO week;
"remind now" (``remind_now``) uses the week's key when the week's digest has not gone yet, else
one key per person per day, so a double click sends one.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from cpd_tracker.dates import local_date
from cpd_tracker.models import (
    Course,
    Evidence,
    EvidenceStatus,
    Organisation,
    OutgoingEmail,
    Person,
    PlatformRegistration,
    School,
    SchoolHead,
)
from cpd_tracker.rules.reminders import (
    ITEM_ORDER,
    ItemKind,
    digest_item,
    digests_due,
    organisation_pauses,
    pause_on,
    sending_time_text,
)
from cpd_tracker.rules.training import Status, uk_date
from cpd_tracker.services import staff_digest
from cpd_tracker.services.audit import AuditService
from cpd_tracker.services.compliance import (
    CHASE_ORDER,
    ComplianceService,
    SchoolCompliance,
    StaffMember,
    StatusRow,
)
from cpd_tracker.services.employed import employed_sql
from cpd_tracker.services.evidence_routing import leads_by_school
from cpd_tracker.services.senco import SencoService
from cpd_tracker.services.senco_reminders import SencoReminders
from cpd_tracker.services.staff_digest import (
    Entry,
    remind_now_key,
    staff_digest_key,
)

#: How many people a digest lists under each heading before pointing to the school page.
DIGEST_LINES = 25
SUBJECT_LIMIT = 300
#: Rows per INSERT: well inside SQLite's limit on bound parameters.
INSERT_BATCH = 500
# Enough to refuse what would break a header or could never be delivered; the mail server
# judges the rest.
_ADDRESS = re.compile(r"^[^@\s<>,;\"]+@[^@\s<>,;\"]+\.[^@\s<>,;\"]+$")

PLATFORM_NAMES = {"moodle": "Moodle", "canvas": "Canvas"}


# --- Keys ------------------------------------------------------------------------------------


def digest_key(person_id: int, school_id: int, today: dt.date) -> str:
    year, week, _ = today.isocalendar()
    return f"digest:{person_id}:{school_id}:{year}-W{week:02d}"


def valid_address(address: str | None) -> bool:
    return bool(address) and _ADDRESS.match(address or "") is not None


# --- Templates -------------------------------------------------------------------------------


@cache
def email_templates() -> Environment:
    """Plain-text templates from ``templates/email``; nothing is HTML-escaped in plain text."""
    from cpd_tracker import PROJECT_ROOT

    return Environment(
        loader=FileSystemLoader(PROJECT_ROOT / "templates"),
        autoescape=select_autoescape(enabled_extensions=("html", "xml"), default_for_string=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def _one_line(text: str, limit: int = SUBJECT_LIMIT) -> str:
    return " ".join(text.split())[:limit]


# --- Where the person finds the tool ---------------------------------------------------------


@dataclass(frozen=True)
class LmsCourse:
    """The LMS course a school's staff open the tool from, as far as the tool knows it."""

    title: str | None
    platform: str
    #: The LMS's own address, learned from signed launches (see ``lms_address``).
    url: str | None

    @property
    def where(self) -> str:
        course = f'your course "{self.title}"' if self.title else "your staff CPD course"
        return f"{course} in {self.platform}"


def lms_address(registration: PlatformRegistration) -> str | None:
    """Where the LMS lives, for people to find their course.

    Registrations learn the origins that frame the tool from ``launch_presentation.return_url``
    and ``tool_platform.url`` in signed launches: for Canvas the school's own host (its issuer,
    ``canvas.instructure.com``, is shared by every school), for Moodle the site. A Moodle issuer
    is the site's address, so it serves before the first launch.
    """
    if registration.frame_origins:
        return registration.frame_origins[0]
    if registration.product_family == "moodle":
        return registration.issuer
    return None


# --- Queueing --------------------------------------------------------------------------------


@dataclass
class QueueReport:
    #: Weekly digests to staff (one per person per week, listing all their training).
    staff: int = 0
    #: Weekly digests to CPD leads (their school's chase list).
    digests: int = 0
    #: SENCO qualification reminders (to the SENCO, the head and the CPD leads).
    senco: int = 0
    #: Due again in this run but already queued (or sent) before: nothing new.
    already_queued: int = 0
    #: People with something to be reminded of but no usable e-mail address.
    no_email: int = 0
    #: Organisations skipped because today is in one of their holiday pauses: "name (pause)".
    paused: list[str] = field(default_factory=list)
    #: Organisations whose week's digests wait for their sending time: "name (Monday at
    #: 07:00)". Their SENCO reminders are not held back.
    waiting: list[str] = field(default_factory=list)
    #: What this run queued (for ``--dry-run`` to show).
    queued: list[_Draft] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.staff + self.digests + self.senco

    @property
    def people(self) -> int:
        """How many people this run's e-mails go to."""
        return len({d.person_id for d in self.queued})

    def counts(self) -> tuple[int, int, int]:
        return self.staff, self.digests, self.senco


@dataclass
class _Organisation:
    """What one organisation's messages need, loaded in a few queries."""

    organisation: Organisation
    existing: set[str]
    registration_of: dict[int, int | None]
    courses: dict[int, list[tuple[Course, PlatformRegistration]]]


@dataclass
class _Pending:
    """One person's digest, gathered over their schools (a trust-wide requirement once)."""

    member: StaffMember
    school: School
    entries: dict[int, Entry] = field(default_factory=dict)


@dataclass(frozen=True)
class ToRemind:
    """A row of the "remind now" page: someone with training to be reminded of."""

    member: StaffMember
    entries: list[Entry]

    @property
    def has_email(self) -> bool:
        return valid_address(self.member.email)

    @property
    def lines(self) -> list[str]:
        """Each requirement as "Autism awareness: overdue since 16 December 2024"."""
        return [describe(e) for e in sorted(self.entries, key=_urgency)]


def _urgency(entry: Entry) -> tuple[int, dt.date]:
    return ITEM_ORDER.index(entry.item.kind), entry.item.day


def describe(entry: Entry) -> str:
    title, day = entry.requirement.module.title, uk_date(entry.item.day)
    return {
        ItemKind.OVERDUE: f"{title}: overdue since {day}",
        ItemKind.EXPIRED: f"{title}: expired on {day}",
        ItemKind.DUE: f"{title}: due by {day}",
        ItemKind.EXPIRING: f"{title}: expires on {day}",
    }[entry.item.kind]


class NotOnStaff(ValueError):
    """ "Remind now" named someone who is not on the school's staff list."""


@dataclass
class RemindNowReport:
    queued: int = 0
    #: Reminded already today (by "remind now"): not sent again.
    already: int = 0
    #: Names of those chosen with nothing to be reminded of.
    nothing_due: list[str] = field(default_factory=list)
    #: Names of those chosen without a usable e-mail address.
    no_email: list[str] = field(default_factory=list)


class ReminderService:
    def __init__(
        self,
        session: Session,
        compliance: ComplianceService,
        clock: Callable[[], dt.datetime],
        base_url: str,
        *,
        audit: AuditService | None = None,
        templates: Environment | None = None,
        senco: SencoService | None = None,
    ) -> None:
        self.session = session
        self.compliance = compliance
        self.clock = clock
        self.base_url = base_url.rstrip("/")
        self.audit = audit
        self.templates = templates or email_templates()
        #: SENCO reminders ride along when a SENCO service is given (the CLI gives one).
        self.senco = None if senco is None else SencoReminders(senco, self.templates, self.base_url)

    def queue_due(self, now: dt.datetime) -> QueueReport:
        """Queue every digest and reminder due at ``now`` (aware) that was never queued
        before. The week's digests wait for the organisation's sending time (London)."""
        today = local_date(now)
        report = QueueReport()
        organisations = self.session.scalars(select(Organisation).order_by(Organisation.id))
        for organisation in list(organisations):
            pause = pause_on(today, organisation_pauses(organisation.reminder_pauses, today))
            if pause is not None:
                report.paused.append(f"{organisation.name} ({pause.name})")
                continue
            weekday, hour = organisation.reminder_send_weekday, organisation.reminder_send_hour
            digests = digests_due(now, weekday, hour)
            if not digests:
                report.waiting.append(f"{organisation.name} ({sending_time_text(weekday, hour)})")
            before = report.counts()
            self._queue_organisation(self._load(organisation), today, report, digests=digests)
            if self.audit is not None and report.counts() != before:
                self.audit.record(
                    "reminders.queued",
                    organisation_id=organisation.id,
                    entity_type="outgoing_email",
                    staff_digests=report.staff - before[0],
                    lead_digests=report.digests - before[1],
                    senco=report.senco - before[2],
                )
        return report

    def to_remind(self, school: School, today: dt.date) -> list[ToRemind]:
        """Everyone at ``school`` whose digest would list something today, the most urgent
        first (what "remind now" offers)."""
        organisation = self.session.get_one(Organisation, school.organisation_id)
        compliance = self.compliance.school(school, today)
        pending = self._gather(compliance, organisation.reminder_lead_days, today)
        rows = [ToRemind(p.member, list(p.entries.values())) for p in pending.values()]
        return sorted(rows, key=lambda r: (min(_urgency(e) for e in r.entries), r.member.name))

    def remind_now(
        self, school: School, person_ids: Sequence[int], today: dt.date, sender: Person
    ) -> RemindNowReport:
        """Queue each chosen person's digest now (a CPD lead's "remind now"), audited.

        Everyone chosen must be on ``school``'s staff list (``NotOnStaff`` otherwise, before
        anything is queued). Holiday pauses do not apply: a person asked for it. The digest
        lists their training at this school, by the organisation's lead time.
        """
        organisation = self.session.get_one(Organisation, school.organisation_id)
        compliance = self.compliance.school(school, today)
        staff = {m.person_id: m for m in compliance.staff}
        chosen = sorted(set(person_ids))
        if not chosen or any(p not in staff for p in chosen):
            raise NotOnStaff(
                "Someone you selected is not on this school's staff list. Reload the page and "
                "try again."
            )
        org = self._load(organisation)
        pending = self._gather(compliance, organisation.reminder_lead_days, today, set(chosen))
        report = RemindNowReport()
        drafts = []
        for person_id in chosen:
            member = staff[person_id]
            if person_id not in pending:
                report.nothing_due.append(member.name)
                continue
            if not valid_address(member.email):
                report.no_email.append(member.name)
                continue
            key = staff_digest_key(person_id, today)
            if key in org.existing:
                key = remind_now_key(person_id, today)
            if key in org.existing:
                report.already += 1
                continue
            drafts.append(
                self._staff_digest(org, pending[person_id], today, key, sent_by=sender.display_name)
            )
        queued = QueueReport()
        self._insert(drafts, queued)
        report.queued = queued.staff
        report.already += queued.already_queued
        if self.audit is not None:
            self.audit.record(
                "reminders.remind_now",
                organisation_id=school.organisation_id,
                entity_type="school",
                entity_id=school.id,
                people=[d.person_id for d in queued.queued],
                queued=report.queued,
                already=report.already,
                nothing_due=len(report.nothing_due),
                no_email=len(report.no_email),
            )
        return report

    def _load(self, organisation: Organisation) -> _Organisation:
        # One query for the keys already used: the common case (nothing new) inserts nothing.
        existing = set(
            self.session.scalars(
                select(OutgoingEmail.dedupe_key).where(
                    OutgoingEmail.organisation_id == organisation.id
                )
            )
        )
        registration_of: dict[int, int | None] = dict(
            self.session.execute(
                select(Person.id, Person.registration_id).where(
                    Person.organisation_id == organisation.id
                )
            ).all()
        )
        courses: dict[int, list[tuple[Course, PlatformRegistration]]] = defaultdict(list)
        for course, registration in self.session.execute(
            select(Course, PlatformRegistration)
            .join(PlatformRegistration, PlatformRegistration.id == Course.registration_id)
            .where(Course.organisation_id == organisation.id, Course.school_id.is_not(None))
            .order_by(Course.id)
        ):
            assert course.school_id is not None
            courses[course.school_id].append((course, registration))
        return _Organisation(organisation, existing, registration_of, courses)

    def _queue_organisation(
        self, org: _Organisation, today: dt.date, report: QueueReport, *, digests: bool
    ) -> None:
        """The organisation's weekly digests (staff and CPD leads) when ``digests``, and its
        SENCO reminders whenever they fall due."""
        leads = self._leads(org.organisation.id, today)
        #: People with something to be told and no usable address, counted once.
        without_email: set[int] = set()
        if digests:
            self._queue_digests(org, today, report, leads, without_email)
        if self.senco is not None:
            self._insert(
                list(self._senco_reminders(org, today, leads, without_email, report)), report
            )
        report.no_email += len(without_email)

    def _queue_digests(
        self,
        org: _Organisation,
        today: dt.date,
        report: QueueReport,
        leads: dict[int, list[Person]],
        without_email: set[int],
    ) -> None:
        schools = self.session.scalars(
            select(School).where(School.organisation_id == org.organisation.id).order_by(School.id)
        )
        lead_days = org.organisation.reminder_lead_days
        pending: dict[int, _Pending] = {}
        for school in list(schools):
            compliance = self.compliance.school(school, today)
            for person_id, found in self._gather(compliance, lead_days, today).items():
                mine = pending.setdefault(person_id, found)
                for requirement_id, entry in found.entries.items():
                    mine.entries.setdefault(requirement_id, entry)
            rows = []
            for lead in leads.get(school.id, []):
                digest = self._digest(org, compliance, lead, today, report)
                if digest is not None:
                    rows.append(digest)
            self._insert(rows, report)
        self._insert(list(self._staff_digests(org, pending, today, without_email, report)), report)

    # -- SENCO qualification reminders ----------------------------------------------------

    def _senco_reminders(
        self,
        org: _Organisation,
        today: dt.date,
        leads: dict[int, list[Person]],
        without_email: set[int],
        report: QueueReport,
    ) -> Iterator[_Draft]:
        assert self.senco is not None
        heads: dict[int, Person] = dict(
            self.session.execute(
                select(SchoolHead.school_id, Person)
                .join(Person, Person.id == SchoolHead.person_id)
                .where(
                    SchoolHead.organisation_id == org.organisation.id,
                    Person.active.is_(True),
                    employed_sql(today),
                )
            ).all()
        )
        for draft in self.senco.drafts(org.organisation.id, today, leads, heads):
            if not valid_address(draft.person.email):
                without_email.add(draft.person.id)
                continue
            if draft.key in org.existing:
                report.already_queued += 1
                continue
            org.existing.add(draft.key)
            yield _Draft(
                org.organisation.id,
                draft.person.id,
                str(draft.person.email),
                draft.subject,
                draft.body,
                draft.key,
            )

    # -- digests to staff ------------------------------------------------------------------

    def _gather(
        self,
        compliance: SchoolCompliance,
        lead_days: int,
        today: dt.date,
        only: set[int] | None = None,
    ) -> dict[int, _Pending]:
        """Person id -> what their digest lists from this school (``rules.reminders``)."""
        staff = {m.person_id: m for m in compliance.staff}
        requirements = {r.id: r for r in compliance.requirements}
        pending: dict[int, _Pending] = {}
        for (person_id, requirement_id), cell in sorted(compliance.cells.items()):
            if only is not None and person_id not in only:
                continue
            item = digest_item(cell.result, today, lead_days)
            if item is None:
                continue
            mine = pending.setdefault(person_id, _Pending(staff[person_id], compliance.school))
            mine.entries[requirement_id] = Entry(requirements[requirement_id], item)
        return pending

    def _staff_digests(
        self,
        org: _Organisation,
        pending: dict[int, _Pending],
        today: dt.date,
        without_email: set[int],
        report: QueueReport,
    ) -> Iterator[_Draft]:
        for person_id in sorted(pending):
            found = pending[person_id]
            if not valid_address(found.member.email):
                without_email.add(person_id)
                continue
            key = staff_digest_key(person_id, today)
            if key in org.existing:
                report.already_queued += 1
                continue
            org.existing.add(key)
            yield self._staff_digest(org, found, today, key)

    def _staff_digest(
        self,
        org: _Organisation,
        found: _Pending,
        today: dt.date,
        key: str,
        *,
        sent_by: str | None = None,
    ) -> _Draft:
        member = found.member
        entries = list(found.entries.values())
        body = staff_digest.render(
            self.templates,
            name=member.name,
            school=found.school.name,
            entries=entries,
            today=today,
            lms=self._lms_course(org, found.school.id, org.registration_of.get(member.person_id)),
            link=f"{self.base_url}/my-training",
            sent_by=sent_by,
        )
        return _Draft(
            org.organisation.id,
            member.person_id,
            str(member.email),
            staff_digest.subject(entries),
            body,
            key,
        )

    def _lms_course(
        self, org: _Organisation, school_id: int, registration_id: int | None
    ) -> LmsCourse | None:
        courses = org.courses.get(school_id, [])
        # The course on the person's own LMS first: a trust may have more than one.
        mine = [c for c in courses if c[0].registration_id == registration_id] or courses
        if not mine:
            return None
        course, registration = mine[0]
        return LmsCourse(
            title=course.title,
            platform=PLATFORM_NAMES.get(registration.product_family or "", "your LMS"),
            url=lms_address(registration),
        )

    # -- digests to CPD leads -------------------------------------------------------------

    def _leads(self, organisation_id: int, today: dt.date) -> dict[int, list[Person]]:
        """School id -> its CPD leads with an address (``evidence_routing.leads_by_school``:
        as ``auth.effective_grants`` decides access)."""
        return {
            school_id: [p for p in people if valid_address(p.email)]
            for school_id, people in leads_by_school(self.session, organisation_id, today).items()
        }

    def _digest(
        self,
        org: _Organisation,
        compliance: SchoolCompliance,
        lead: Person,
        today: dt.date,
        report: QueueReport,
    ) -> _Draft | None:
        key = digest_key(lead.id, compliance.school.id, today)
        if key in org.existing:
            report.already_queued += 1
            return None
        chase = compliance.chase_list()
        # Not the lead's own evidence: someone else checks that (``evidence_routing``).
        evidence = [
            e for e in self._pending_evidence(compliance.school) if e["person_id"] != lead.id
        ]
        if not chase and not evidence:
            return None
        org.existing.add(key)
        staff = {m.person_id: m for m in compliance.staff}
        titles = {r.id: r.module.title for r in compliance.requirements}
        sections = [
            _section(status, [r for r in chase if r.result.status is status], staff, titles)
            for status in CHASE_ORDER
        ]
        no_email = len({r.person_id for r in chase if not valid_address(staff[r.person_id].email)})
        body = self.templates.get_template("email/digest.txt").render(
            name=lead.display_name,
            school=compliance.school.name,
            week_of=uk_date(today - dt.timedelta(days=today.weekday())),
            sections=[s for s in sections if s["count"]],
            evidence=evidence[:DIGEST_LINES],
            evidence_count=len(evidence),
            no_email=no_email,
            link=f"{self.base_url}/schools/{compliance.school.id}",
        )
        people = len({r.person_id for r in chase})
        summary = [f"{people} {'person' if people == 1 else 'people'} to chase"] if chase else []
        if evidence:
            summary.append(f"{len(evidence)} evidence to verify")
        subject = f"SEND training this week at {compliance.school.name}: {', '.join(summary)}"
        return _Draft(
            compliance.school.organisation_id, lead.id, str(lead.email), subject, body, key
        )

    def _pending_evidence(self, school: School) -> list[dict[str, Any]]:
        rows = self.session.execute(
            select(Evidence, Person)
            .join(Person, Person.id == Evidence.person_id)
            .where(
                Evidence.school_id == school.id,
                Evidence.organisation_id == school.organisation_id,
                Evidence.status == EvidenceStatus.PENDING,
            )
            .order_by(Evidence.created_at, Evidence.id)
        )
        return [
            {
                "person_id": person.id,
                "name": person.display_name,
                "course": evidence.course_title,
                "provider": evidence.provider,
                "completed": uk_date(evidence.completed_on),
            }
            for evidence, person in rows
        ]

    # -- inserting ------------------------------------------------------------------------

    def _insert(self, drafts: Sequence[_Draft], report: QueueReport) -> None:
        """Insert, skipping any key another run inserted since the keys were loaded.

        The unique ``dedupe_key`` is what guarantees once-only. ``ON CONFLICT DO NOTHING``
        (PostgreSQL and SQLite alike) makes losing that race a non-event: on PostgreSQL a
        concurrent insert of the same key waits for the other transaction and then inserts
        nothing, with no error to recover from and no savepoint to roll back to. (A savepoint
        would also misbehave on SQLite, where pysqlite starts no transaction before it.)
        """
        if not drafts:
            return
        dialect = self.session.get_bind().dialect.name
        now = self.clock()
        inserted: set[str] = set()
        for start in range(0, len(drafts), INSERT_BATCH):
            rows = [d.values(now) for d in drafts[start : start + INSERT_BATCH]]
            statement = _insert_new(dialect, rows).returning(OutgoingEmail.dedupe_key)
            inserted.update(self.session.scalars(statement))
        for draft in drafts:
            if draft.key not in inserted:
                report.already_queued += 1
                continue
            if draft.key.startswith("digest:"):
                report.digests += 1
            elif draft.key.startswith("senco:"):
                report.senco += 1
            else:
                report.staff += 1
            report.queued.append(draft)


def _insert_new(dialect: str, rows: list[dict[str, Any]]) -> postgresql.Insert | sqlite.Insert:
    """``INSERT ... ON CONFLICT (dedupe_key) DO NOTHING`` (the app runs on these two)."""
    if dialect == "postgresql":
        return (
            postgresql.insert(OutgoingEmail)
            .values(rows)
            .on_conflict_do_nothing(index_elements=[OutgoingEmail.dedupe_key])
        )
    return (
        sqlite.insert(OutgoingEmail)
        .values(rows)
        .on_conflict_do_nothing(index_elements=[OutgoingEmail.dedupe_key])
    )


@dataclass(frozen=True)
class _Draft:
    """A message to queue: ``values`` is its outbox row."""

    organisation_id: int
    person_id: int
    to_address: str
    subject: str
    body: str
    key: str

    def values(self, now: dt.datetime) -> dict[str, Any]:
        return {
            "organisation_id": self.organisation_id,
            "person_id": self.person_id,
            "dedupe_key": self.key,
            "to_address": self.to_address,
            "subject": _one_line(self.subject),
            "body_text": self.body,
            "created_at": now,
            "next_attempt_at": now,
            "attempts": 0,
        }


def _section(
    status: Status,
    rows: list[StatusRow],
    staff: dict[int, StaffMember],
    titles: dict[int, str],
) -> dict[str, Any]:
    heading = {
        Status.OVERDUE: "Overdue",
        Status.EXPIRED: "Expired",
        Status.DUE_SOON: "Due soon",
        Status.EXPIRING_SOON: "Expiring soon",
    }[status]
    lines = []
    for row in rows[:DIGEST_LINES]:
        day = row.result.due_on or row.result.expires_on
        when = ""
        if day is not None:
            verb = "expires" if status is Status.EXPIRING_SOON else "due"
            verb = "expired" if status is Status.EXPIRED else verb
            when = f", {verb} {uk_date(day)}"
        lines.append(f"{staff[row.person_id].name}: {titles[row.requirement_id]}{when}")
    return {"heading": heading, "count": len(rows), "lines": lines, "more": len(rows) - len(lines)}
