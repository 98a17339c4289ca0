"""Course rosters from the LMS: 1EdTech Names and Role Provisioning Services 2.0.

The tool should know every member of staff in a CPD course, not only those who have launched:
the gaps are the people who never clicked. A launch that carries the NRPS claim (NRPS 2.0
§3.6.1) records the course's ``context_memberships_url``; an instructor's launch (at most once
per :data:`MIN_INTERVAL`), the school page's "Sync roster now" and ``cpd-tracker roster sync``
queue a roster job in the outbox, and :meth:`RosterService.sync` reads it, page by page.

A sync, all or nothing (a page that fails leaves everything as it was):

* creates or updates people keyed by (registration, ``user_id``, which is the launch's ``sub``),
  with the names and e-mail the platform shares; a member not yet known but on the staff list
  from an MIS import (no LMS identity yet) with the same e-mail is linked instead, as at launch;
  an e-mail another person of the organisation already has is not stored (one person per
  e-mail, issue 15): that member keeps the one they had, or none, and the sync's audit entry
  lists them (``email_withheld_person_ids``);
* gives each active member a staff role (role not yet set) at the course's school, when the
  course is mapped to one and they have no role there at all (a role that has ended, per the
  MIS, is left ended);
* keeps one ``CourseMembership`` per person in the course: listed ``Active`` in this complete
  sync means active (``last_seen_at`` now); absent, ``Inactive`` or ``Deleted`` means inactive
  in this course (``left_at`` set once). Nobody is deleted and the person's own row stays;
* records ``Course.roster_synced_at`` and one audit entry for the whole sync.

Writes are bulk (one query per kind of row, not per member) and race-safe: a batch insert that
meets a row a concurrent launch just created falls back to one savepoint per row.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cpd_tracker.models import (
    Course,
    CourseMembership,
    JobKind,
    JobStatus,
    PermissionKind,
    Person,
    PlatformRegistration,
    School,
    ServiceJob,
    StaffRole,
    StaffRoleKind,
)
from cpd_tracker.models.person import email_key
from cpd_tracker.services.audit import AuditService
from cpd_tracker.services.identity import PERSON_FIELDS, insert_or_existing
from cpd_tracker.services.launch_state import to_lti_registration
from cpd_tracker.services.outbox import JobGone, Release, enqueue_roster, note_queued
from lti.context import LaunchContext
from lti.nrps import Member, NamesRolesClient
from lti.service_tokens import is_secure_url

#: Members asked for per page (a hint: Canvas and Moodle both honour ``limit``).
PAGE_SIZE = 100
#: An instructor's launch queues a sync only when the last one is older than this.
MIN_INTERVAL = dt.timedelta(minutes=15)
#: Rows per ``IN (...)`` list: well under every database's bound-parameter limit.
CHUNK = 500
MAX_URL = 1000

T = TypeVar("T")


def _last_error(
    course: Course, waiting: ServiceJob | None, gave_up: ServiceJob | None
) -> str | None:
    """What went wrong with the course's roster lately: the waiting job's last failure, else
    that of a job that gave up after the last successful sync."""
    if waiting is not None and waiting.last_error:
        return waiting.last_error
    if gave_up is None or gave_up.finished_at is None:
        return None
    synced = course.roster_synced_at
    return gave_up.last_error if synced is None or gave_up.finished_at > synced else None


def _chunks(values: Sequence[T]) -> Iterable[Sequence[T]]:
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]


def memberships_url(launch: LaunchContext) -> str | None:
    """The NRPS ``context_memberships_url`` of a launch, when usable (https, sane length)."""
    claim = launch.nrps
    url = claim.get("context_memberships_url") if claim is not None else None
    if not isinstance(url, str) or not url or len(url) > MAX_URL or not is_secure_url(url):
        return None
    return url


@dataclass
class RosterReport:
    members: int = 0
    pages: int = 0
    created: list[int] = field(default_factory=list)
    linked: list[int] = field(default_factory=list)
    updated: list[int] = field(default_factory=list)
    joined: list[int] = field(default_factory=list)
    left: list[int] = field(default_factory=list)
    staff_roles: list[int] = field(default_factory=list)
    #: Entries without a usable user_id, plus members not active and not known.
    skipped: int = 0
    #: People whose e-mail from the roster was not stored because another person of the
    #: organisation has it (one person per e-mail): they keep the one they had, or none.
    email_withheld: list[int] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"{self.members} members: {len(self.created)} new, {len(self.linked)} linked, "
            f"{len(self.updated)} updated, {len(self.joined)} joined, {len(self.left)} left"
        )


@dataclass(frozen=True)
class RosterStatus:
    """What the school page says about one course's roster."""

    course: Course
    synced_at: dt.datetime | None
    queued: bool
    last_error: str | None
    active_members: int


class RosterService:
    def __init__(
        self,
        session: Session,
        audit: AuditService,
        clock: Callable[[], dt.datetime],
        nrps: NamesRolesClient | None = None,
        *,
        min_interval: dt.timedelta = MIN_INTERVAL,
        page_size: int = PAGE_SIZE,
    ) -> None:
        self.session = session
        self.audit = audit
        self.clock = clock
        self.nrps = nrps
        self.min_interval = min_interval
        self.page_size = page_size

    # -- queueing ------------------------------------------------------------------------

    def note_launch(self, course: Course, launch: LaunchContext, *, instructor: bool) -> bool:
        """Record the course's NRPS endpoint; an instructor's launch queues a sync when the
        roster is stale. Whether a sync is queued (now or before) back."""
        url = memberships_url(launch)
        if url is None:
            return False
        if course.memberships_url != url:
            course.memberships_url = url
        if not instructor:
            return False
        synced = course.roster_synced_at
        if synced is not None and self.clock() - synced < self.min_interval:
            return self._waiting(course) is not None
        self.request_sync(course)
        return True

    def course_mapped(self, course: Course) -> bool:
        """A course was just linked to a school: read its roster again so its members join
        that school's staff list (a sync before the link gave them no role there)."""
        if not course.memberships_url:
            return False
        self.request_sync(course)
        return True

    def request_sync(self, course: Course) -> tuple[int, bool]:
        """Queue a roster job for the course (one waits at most). (job id, newly queued)."""
        if not course.memberships_url:
            raise ValueError("this course offers no roster service")
        self.session.flush()
        job_id, created = enqueue_roster(self.session.connection(), course, self.clock())
        if created:
            note_queued(self.session, [job_id])
        return job_id, created

    def _waiting(self, course: Course) -> ServiceJob | None:
        return self.session.scalar(
            select(ServiceJob).where(
                ServiceJob.kind == JobKind.ROSTER,
                ServiceJob.course_id == course.id,
                ServiceJob.status == JobStatus.PENDING,
            )
        )

    def statuses(
        self, school: School, linked: Sequence[Course] | None = None
    ) -> list[RosterStatus]:
        """The rosters of the school's courses that offer NRPS. ``linked``: the school's
        courses, when the caller has read them already."""
        if linked is None:
            courses = list(
                self.session.scalars(
                    select(Course)
                    .where(
                        Course.school_id == school.id,
                        Course.organisation_id == school.organisation_id,
                        Course.memberships_url.is_not(None),
                    )
                    .order_by(Course.title, Course.id)
                )
            )
        else:
            courses = sorted(
                (c for c in linked if c.school_id == school.id and c.memberships_url),
                key=lambda c: (c.title or "", c.id),
            )
        if not courses:
            return []
        ids = [c.id for c in courses]
        active = dict(
            self.session.execute(
                select(CourseMembership.course_id, func.count(CourseMembership.id))
                .where(CourseMembership.course_id.in_(ids), CourseMembership.active.is_(True))
                .group_by(CourseMembership.course_id)
            ).all()
        )
        waiting = {
            job.course_id: job
            for job in self.session.scalars(
                select(ServiceJob).where(
                    ServiceJob.kind == JobKind.ROSTER,
                    ServiceJob.course_id.in_(ids),
                    ServiceJob.status == JobStatus.PENDING,
                )
            )
        }
        failed = {
            job.course_id: job
            for job in self.session.scalars(
                select(ServiceJob)
                .where(
                    ServiceJob.kind == JobKind.ROSTER,
                    ServiceJob.course_id.in_(ids),
                    ServiceJob.status == JobStatus.FAILED,
                )
                .order_by(ServiceJob.id)
            )
        }
        return [
            RosterStatus(
                course=course,
                synced_at=course.roster_synced_at,
                queued=course.id in waiting,
                last_error=_last_error(course, waiting.get(course.id), failed.get(course.id)),
                active_members=int(active.get(course.id, 0)),
            )
            for course in courses
        ]

    # -- the sync ------------------------------------------------------------------------

    def run_job(self, job: ServiceJob, release: Release) -> str:
        """The outbox handler for roster jobs."""
        course = self.session.get(Course, job.course_id) if job.course_id is not None else None
        if course is None or not course.memberships_url:
            raise JobGone("The course of this roster job is gone or offers no roster service.")
        return self.sync(course, release=release).summary()

    def sync(self, course: Course, *, release: Release | None = None) -> RosterReport:
        """Read the course's whole roster and apply it (see the module docstring).

        ``release`` ends the open transaction once the registration is read, before the first
        page is requested (the outbox runner passes it; see ``services.outbox.Release``).
        """
        if self.nrps is None:
            raise RuntimeError("RosterService needs an NRPS client to sync")
        if not course.memberships_url:
            raise ValueError("this course offers no roster service")
        registration = self.session.get(PlatformRegistration, course.registration_id)
        assert registration is not None
        membership = self.nrps.members(
            to_lti_registration(registration), course.memberships_url, limit=self.page_size
        )
        if release is not None:
            release()
        # Read every page before changing anything: a roster cut short must not make
        # everyone on the missing pages "left".
        members = list(membership)
        now = self.clock()
        report = RosterReport(members=len(members), pages=membership.pages)
        report.skipped = membership.skipped
        people = self._people(registration, members, report)
        self._apply_memberships(course, members, people, now, report)
        if course.school_id is not None:
            self._staff_roles(course, course.school_id, people, report)
        course.roster_synced_at = now
        self.session.flush()
        self.audit.record(
            "roster.synced",
            organisation_id=course.organisation_id,
            entity_type="course",
            entity_id=course.id,
            members=report.members,
            pages=report.pages,
            skipped=report.skipped,
            email_withheld_person_ids=report.email_withheld,
            created_person_ids=report.created,
            linked_person_ids=report.linked,
            updated_person_ids=report.updated,
            joined_person_ids=report.joined,
            left_person_ids=report.left,
            staff_role_person_ids=report.staff_roles,
        )
        return report

    def _people(
        self, registration: PlatformRegistration, members: list[Member], report: RosterReport
    ) -> dict[str, Person]:
        """Everyone listed, by user_id: existing people updated, imported ones linked, active
        newcomers created. Inactive newcomers are not created (nothing to track)."""
        subs = [m.user_id for m in members]
        people: dict[str, Person] = {}
        for chunk in _chunks(subs):
            for person in self.session.scalars(
                select(Person).where(
                    Person.registration_id == registration.id, Person.sub.in_(chunk)
                )
            ):
                assert person.sub is not None
                people[person.sub] = person
        owners = self._email_owners(registration.organisation_id, members)
        withheld: set[str] = set()
        for member in members:
            known = people.get(member.user_id)
            if known is not None and self._refresh(known, member, owners, withheld):
                report.updated.append(known.id)
        newcomers = [m for m in members if m.user_id not in people and m.is_active]
        report.skipped += sum(1 for m in members if m.user_id not in people and not m.is_active)
        for member, person in self._link_imported(registration, newcomers, owners, withheld):
            people[member.user_id] = person
            report.linked.append(person.id)
        fresh = [m for m in newcomers if m.user_id not in people]
        created = self._insert_people(registration, fresh, owners, withheld)
        for person in created.values():
            assert person.sub is not None
            people[person.sub] = person
        report.created.extend(sorted(p.id for p in created.values()))
        report.email_withheld.extend(sorted(people[sub].id for sub in withheld if sub in people))
        return people

    @staticmethod
    def _shared(member: Member) -> dict[str, str]:
        shared = {f: getattr(member, f) for f in PERSON_FIELDS if getattr(member, f)}
        email = email_key(shared.pop("email", None))
        return shared if email is None else {**shared, "email": email}

    def _email_owners(self, organisation_id: int, members: list[Member]) -> dict[str, int]:
        """Who in the organisation has each e-mail the roster lists (stored lower-case)."""
        emails = sorted({e for m in members if (e := email_key(m.email)) is not None})
        owners: dict[str, int] = {}
        for chunk in _chunks(emails):
            for person_id, email in self.session.execute(
                select(Person.id, Person.email).where(
                    Person.organisation_id == organisation_id, Person.email.in_(chunk)
                )
            ):
                owners[str(email)] = person_id
        return owners

    def _refresh(
        self, person: Person, member: Member, owners: dict[str, int], withheld: set[str]
    ) -> bool:
        changed = False
        for name, value in self._shared(member).items():
            if name == "email" and owners.get(value, person.id) != person.id:
                # Someone else of the organisation has this address: one person per e-mail.
                withheld.add(member.user_id)
                continue
            if getattr(person, name) != value:
                if name == "email":
                    owners.pop(str(person.email), None)
                    owners[value] = person.id
                setattr(person, name, value)
                changed = True
        return changed

    def _link_imported(
        self,
        registration: PlatformRegistration,
        members: list[Member],
        owners: dict[str, int],
        withheld: set[str],
    ) -> list[tuple[Member, Person]]:
        by_email: dict[str, Member] = {}
        for member in members:
            if member.email:
                by_email.setdefault(member.email.strip().lower(), member)
        if not by_email:
            return []
        linked: list[tuple[Member, Person]] = []
        taken: set[str] = set()
        for chunk in _chunks(sorted(by_email)):
            for person in self.session.scalars(
                select(Person)
                .where(
                    Person.organisation_id == registration.organisation_id,
                    Person.registration_id.is_(None),
                    func.lower(Person.email).in_(chunk),
                )
                .order_by(Person.id)
            ):
                email = (person.email or "").strip().lower()
                if email in taken:
                    continue
                if any(
                    p.kind is not PermissionKind.STAFF and not p.revoked for p in person.permissions
                ):
                    # As at launch (issue 15, finding 2): an e-mail a CPD lead can change never
                    # hands a person granted more than staff to whichever LMS account shows it.
                    # The member is added as a person of their own, without the e-mail.
                    self.audit.record(
                        "person.link_refused",
                        organisation_id=person.organisation_id,
                        entity_type="person",
                        entity_id=person.id,
                        reason="holds permissions beyond staff",
                        source="roster",
                    )
                    continue
                taken.add(email)
                member = by_email[email]
                person.registration_id = registration.id
                person.sub = member.user_id
                self._refresh(person, member, owners, withheld)
                linked.append((member, person))
        return linked

    def _insert_people(
        self,
        registration: PlatformRegistration,
        members: list[Member],
        owners: dict[str, int] | None = None,
        withheld: set[str] | None = None,
    ) -> dict[str, Person]:
        """Create people for ``members``; those a concurrent launch created meanwhile are read
        back instead. {user_id: person} of the rows this call created. A newcomer whose
        e-mail another person has (or an earlier newcomer took) is created without it."""
        if not members:
            return {}
        if owners is None:
            owners = self._email_owners(registration.organisation_id, members)
        withheld = set() if withheld is None else withheld
        specs = []
        for m in members:
            shared = self._shared(m)
            email = shared.get("email")
            if email is not None:
                if email in owners:
                    del shared["email"]
                    withheld.add(m.user_id)
                else:
                    owners[email] = 0  # taken by this newcomer
            specs.append(
                {
                    "organisation_id": registration.organisation_id,
                    "registration_id": registration.id,
                    "sub": m.user_id,
                    **shared,
                }
            )

        def existing(sub: str) -> Callable[[], Person | None]:
            return lambda: self.session.scalar(
                select(Person).where(Person.registration_id == registration.id, Person.sub == sub)
            )

        created = self._insert_batch(Person, specs, lambda spec: existing(spec["sub"]))
        return {p.sub: p for p in created if p.sub is not None}

    def _insert_batch(
        self,
        model: type[T],
        specs: list[dict[str, Any]],
        existing: Callable[[dict[str, Any]], Callable[[], T | None]],
    ) -> list[T]:
        """Insert rows in one flush; if a unique constraint refuses the batch (a concurrent
        request created one of them), insert one savepoint at a time. The created rows back."""
        rows = [model(**spec) for spec in specs]
        try:
            with self.session.begin_nested():
                self.session.add_all(rows)
                self.session.flush()
        except IntegrityError:
            created = []
            for spec in specs:
                row, made = insert_or_existing(self.session, model(**spec), existing(spec))
                if made:
                    created.append(row)
            return created
        return rows

    def _apply_memberships(
        self,
        course: Course,
        members: list[Member],
        people: dict[str, Person],
        now: dt.datetime,
        report: RosterReport,
    ) -> None:
        current = {
            m.person_id: m
            for m in self.session.scalars(
                select(CourseMembership).where(CourseMembership.course_id == course.id)
            )
        }
        listed: set[int] = set()
        new_specs: list[dict[str, Any]] = []
        for member in members:
            person = people.get(member.user_id)
            if person is None:
                continue
            listed.add(person.id)
            row = current.get(person.id)
            roles = list(member.roles.all)
            if row is None:
                if member.is_active:
                    new_specs.append(
                        {
                            "organisation_id": course.organisation_id,
                            "course_id": course.id,
                            "person_id": person.id,
                            "active": True,
                            "lms_status": member.status[:20],
                            "roles": roles,
                            "first_seen_at": now,
                            "last_seen_at": now,
                        }
                    )
                    report.joined.append(person.id)
                continue
            row.lms_status = member.status[:20]
            if roles != list(row.roles or []):
                row.roles = roles
            if member.is_active:
                row.last_seen_at = now
                if not row.active:
                    row.active = True
                    row.left_at = None
                    report.joined.append(person.id)
            elif row.active:
                row.active = False
                row.left_at = now
                report.left.append(person.id)
        for person_id, row in current.items():
            if person_id not in listed and row.active:
                row.active = False
                row.lms_status = "absent"
                row.left_at = now
                report.left.append(person_id)

        def existing(spec: dict[str, Any]) -> Callable[[], CourseMembership | None]:
            return lambda: self.session.scalar(
                select(CourseMembership).where(
                    CourseMembership.course_id == spec["course_id"],
                    CourseMembership.person_id == spec["person_id"],
                )
            )

        self._insert_batch(CourseMembership, new_specs, existing)

    def _staff_roles(
        self, course: Course, school_id: int, people: dict[str, Person], report: RosterReport
    ) -> None:
        """A role (not yet set) at the school for each active member with no role there."""
        self.session.flush()
        active = list(
            self.session.scalars(
                select(CourseMembership.person_id).where(
                    CourseMembership.course_id == course.id, CourseMembership.active.is_(True)
                )
            )
        )
        have: set[int] = set()
        for chunk in _chunks(active):
            have.update(
                self.session.scalars(
                    select(StaffRole.person_id).where(
                        StaffRole.school_id == school_id, StaffRole.person_id.in_(chunk)
                    )
                )
            )
        missing = sorted(set(active) - have)
        specs = [
            {"person_id": pid, "school_id": school_id, "role": StaffRoleKind.UNASSIGNED}
            for pid in missing
        ]

        def existing(spec: dict[str, Any]) -> Callable[[], StaffRole | None]:
            return lambda: self.session.scalar(
                select(StaffRole).where(
                    StaffRole.person_id == spec["person_id"],
                    StaffRole.school_id == school_id,
                    StaffRole.role == StaffRoleKind.UNASSIGNED,
                )
            )

        created = self._insert_batch(StaffRole, specs, existing)
        report.staff_roles.extend(sorted(r.person_id for r in created))
        # Loaded people's role lists are stale after the batch insert.
        by_id = {p.id: p for p in people.values()}
        for role in created:
            person = by_id.get(role.person_id)
            if person is not None:
                self.session.expire(person, ["staff_roles"])
