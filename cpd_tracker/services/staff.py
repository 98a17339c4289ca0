"""Staff records: a person's roles at a school, start and leaving dates, staff number, email.

ARCHITECTURE.md, "Tenancy and identity": a person has staff roles at one or more schools, a
start date and a leaving date. The issue: "leavers drop out of compliance figures but keep
their history". So nothing here deletes:

- a role taken away is *ended* (``ended_on`` = today), never deleted; a role given back
  reopens its row (``staff_role`` holds one row per person, school and role);
- a leaver only gets a leaving date. ``rules.training.assess`` marks them LEFT from the day after
  which keeps them out of every figure; ``active`` is left alone, so they can still open the
  tool and download their own CPD record;
- completions are never touched.

Every save writes one audit entry on the person naming what changed. The role arithmetic
(``plan_roles``) and the employment status are pure functions.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cpd_tracker.auth import Grant, effective_grants, outranks
from cpd_tracker.dates import local_date
from cpd_tracker.models import Completion, Person, School, StaffRole, StaffRoleKind
from cpd_tracker.models.person import blank_to_none, email_key
from cpd_tracker.rules.employment import has_left
from cpd_tracker.services.audit import AuditService
from cpd_tracker.services.cpd_record import CpdRecord, CpdRecordService

#: Roles a CPD lead gives; "unassigned" is only ever set by a launch, and is ended when a
#: real role is given.
ASSIGNABLE_ROLES: tuple[StaffRoleKind, ...] = tuple(
    kind for kind in StaffRoleKind if kind is not StaffRoleKind.UNASSIGNED
)


class Employment(enum.StrEnum):
    CURRENT = "current"
    #: A leaving date is recorded and not yet past (the leaving day is still employed).
    LEAVING = "leaving"
    #: The leaving date is before today (``rules.employment``; ``assess`` rule 1: LEFT).
    LEFT = "left"


def employment(leaving_date: dt.date | None, today: dt.date) -> Employment:
    if leaving_date is None:
        return Employment.CURRENT
    return Employment.LEFT if has_left(leaving_date, today) else Employment.LEAVING


# --- Roles ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExistingRole:
    role: StaffRoleKind
    started_on: dt.date | None
    ended_on: dt.date | None

    @property
    def current(self) -> bool:
        return self.ended_on is None


@dataclass(frozen=True)
class RolePlan:
    """What to do to a person's roles at one school to reach the roles wanted."""

    #: New rows: role -> appointment date.
    add: dict[StaffRoleKind, dt.date | None] = field(default_factory=dict)
    #: Ended rows given back: role -> new appointment date.
    reopen: dict[StaffRoleKind, dt.date | None] = field(default_factory=dict)
    #: Current rows to end today.
    end: frozenset[StaffRoleKind] = frozenset()
    #: Current rows kept with a new appointment date: role -> (was, now).
    reappoint: dict[StaffRoleKind, tuple[dt.date | None, dt.date | None]] = field(
        default_factory=dict
    )

    @property
    def empty(self) -> bool:
        return not (self.add or self.reopen or self.end or self.reappoint)


def plan_roles(
    existing: Iterable[ExistingRole], wanted: Mapping[StaffRoleKind, dt.date | None]
) -> RolePlan:
    """From the rows a person has at a school (current and ended) to the roles ``wanted``
    (role -> appointment date; the form's whole answer, so a blank date clears one)."""
    rows = {row.role: row for row in existing}
    add: dict[StaffRoleKind, dt.date | None] = {}
    reopen: dict[StaffRoleKind, dt.date | None] = {}
    reappoint: dict[StaffRoleKind, tuple[dt.date | None, dt.date | None]] = {}
    for role, appointed in wanted.items():
        row = rows.get(role)
        if row is None:
            add[role] = appointed
        elif not row.current:
            reopen[role] = appointed
        elif row.started_on != appointed:
            reappoint[role] = (row.started_on, appointed)
    end = frozenset(role for role, row in rows.items() if row.current and role not in wanted)
    return RolePlan(add, reopen, end, reappoint)


# --- Changes ----------------------------------------------------------------------------------


class StaffRecordError(ValueError):
    """A change the form should have refused; the service refuses it too."""


@dataclass(frozen=True)
class StaffRecordChange:
    """The edit form's answer: the whole desired state of the editable fields."""

    roles: Mapping[StaffRoleKind, dt.date | None]
    start_date: dt.date | None
    leaving_date: dt.date | None
    staff_number: str | None
    email: str | None

    def check(self) -> None:
        if not self.roles:
            raise StaffRecordError("a person needs at least one role at the school")
        if StaffRoleKind.UNASSIGNED in self.roles:
            raise StaffRecordError("'unassigned' is not a role a CPD lead gives")
        if self.start_date and self.leaving_date and self.leaving_date < self.start_date:
            raise StaffRecordError("the leaving date is before the start date")


def _iso(day: dt.date | None) -> str | None:
    return None if day is None else day.isoformat()


# --- Reading ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class StaffRecord:
    person: Person
    school: School
    #: Every role at this school, current ones first, then ended (most recent first).
    roles: list[StaffRole]
    history: CpdRecord
    employment: Employment

    @property
    def current_roles(self) -> list[StaffRole]:
        return [r for r in self.roles if r.ended_on is None]


@dataclass(frozen=True)
class Leaver:
    person: Person
    employment: Employment
    #: Every role they held at this school (current or ended).
    roles: tuple[StaffRoleKind, ...]
    completions: int
    cpd_hours: Decimal
    last_completed_on: dt.date | None


class StaffService:
    def __init__(
        self,
        session: Session,
        audit: AuditService,
        clock: Callable[[], dt.datetime],
        cpd_records: CpdRecordService,
    ) -> None:
        self.session = session
        self.audit = audit
        self.clock = clock
        self.cpd_records = cpd_records

    def today(self) -> dt.date:
        return local_date(self.clock())

    def person_at(self, school: School, person_id: int) -> Person | None:
        """A person of the school's organisation who holds, or held, a role at the school."""
        return self.session.scalar(
            select(Person).where(
                Person.id == person_id,
                Person.organisation_id == school.organisation_id,
                select(StaffRole.id)
                .where(StaffRole.person_id == Person.id, StaffRole.school_id == school.id)
                .exists(),
            )
        )

    def roles_at(self, person: Person, school: School) -> list[StaffRole]:
        rows = self.session.scalars(
            select(StaffRole).where(
                StaffRole.person_id == person.id, StaffRole.school_id == school.id
            )
        )
        return sorted(
            rows,
            key=lambda r: (
                r.ended_on is not None,
                # Most recently ended first; current ones in the order of the role list.
                -(r.ended_on or dt.date.min).toordinal(),
                list(StaffRoleKind).index(r.role),
            ),
        )

    def record(self, school: School, person: Person) -> StaffRecord:
        return StaffRecord(
            person=person,
            school=school,
            roles=self.roles_at(person, school),
            history=self.cpd_records.record(person),
            employment=employment(person.leaving_date, self.today()),
        )

    def leavers(self, school: School) -> list[Leaver]:
        """Everyone with a leaving date who holds or held a role at ``school``, with a summary
        of the training history they keep: left first (most recent first), then leaving."""
        at_school = select(StaffRole.person_id).where(StaffRole.school_id == school.id)
        people = list(
            self.session.scalars(
                select(Person)
                .where(
                    Person.organisation_id == school.organisation_id,
                    Person.leaving_date.is_not(None),
                    Person.id.in_(at_school),
                )
                .order_by(Person.leaving_date.desc(), Person.family_name, Person.id)
            )
        )
        ids = [p.id for p in people]
        history = {
            person_id: (count, hours, last_on)
            for person_id, count, hours, last_on in self.session.execute(
                select(
                    Completion.person_id,
                    func.count(Completion.id),
                    func.sum(Completion.cpd_hours),
                    func.max(Completion.completed_on),
                )
                .where(
                    Completion.organisation_id == school.organisation_id,
                    Completion.person_id.in_(ids),
                )
                .group_by(Completion.person_id)
            )
        }
        roles: dict[int, list[StaffRoleKind]] = {}
        for person_id, role in self.session.execute(
            select(StaffRole.person_id, StaffRole.role)
            .where(StaffRole.school_id == school.id, StaffRole.person_id.in_(ids))
            .order_by(StaffRole.id)
        ):
            roles.setdefault(person_id, []).append(role)
        today = self.today()
        leavers = []
        for person in people:
            count, hours, last_on = history.get(person.id, (0, None, None))
            leavers.append(
                Leaver(
                    person=person,
                    employment=employment(person.leaving_date, today),
                    roles=tuple(roles.get(person.id, [])),
                    completions=count,
                    cpd_hours=Decimal(hours or 0),
                    last_completed_on=last_on,
                )
            )
        # Left before leaving; the query already sorted each group by leaving date.
        return sorted(leavers, key=lambda x: x.employment is not Employment.LEFT)

    # -- writing ---------------------------------------------------------------------------

    def update(
        self,
        school: School,
        person: Person,
        change: StaffRecordChange,
        acting: frozenset[Grant] | None = None,
    ) -> list[str]:
        """Apply ``change`` to ``person`` at ``school``; audit it. Returns the names of what
        changed (empty: nothing did, and nothing was written).

        ``acting``, the permissions of whoever makes the change: nobody changes the e-mail or
        staff number of a person whose permissions exceed their own (an e-mail decides whom
        an LMS account is linked to, so changing it could hand that person's permissions to
        another account)."""
        change.check()
        if person.organisation_id != school.organisation_id:
            raise PermissionError("person and school belong to different organisations")
        # Stored as the model stores them (e-mail lower-case, blanks NULL): a change of case
        # alone is no change.
        new_email, new_number = email_key(change.email), blank_to_none(change.staff_number)
        identity_changes = person.email != new_email or person.staff_number != new_number
        if (
            acting is not None
            and identity_changes
            and outranks(effective_grants(list(person.permissions)), acting)
        ):
            raise StaffRecordError(
                f"{person.display_name} has permissions in the tool that you do not have, so "
                "only a trust leader can change their e-mail address or staff number."
            )
        if identity_changes:
            self._check_unique(school, person, new_email, new_number)
        today = self.today()
        rows = {row.role: row for row in self.roles_at(person, school)}
        plan = plan_roles(
            (ExistingRole(r.role, r.started_on, r.ended_on) for r in rows.values()), change.roles
        )
        details: dict[str, Any] = {}
        changed: list[str] = []

        wanted = {
            "start_date": change.start_date,
            "leaving_date": change.leaving_date,
            "staff_number": new_number,
        }
        for name, now in wanted.items():
            was = getattr(person, name)
            if was != now:
                setattr(person, name, now)
                changed.append(name)
                details[name] = {"from": _jsonable(was), "to": _jsonable(now)}
        if "staff_number" in changed:
            # This school's number: numbers are unique per school that gives them.
            person.staff_number_school_id = None if new_number is None else school.id
        if person.email != new_email:
            # The address itself stays out of the audit log, as at launch (identity.py).
            person.email = new_email
            changed.append("email")

        if not plan.empty:
            changed.append("roles")
        for role in sorted(plan.end):
            rows[role].ended_on = today
        for role, appointed in plan.reopen.items():
            row = rows[role]
            details.setdefault("roles_reopened", {})[role.value] = {
                "previously": [_iso(row.started_on), _iso(row.ended_on)],
                "appointed": _iso(appointed),
            }
            row.ended_on = None
            row.started_on = appointed
        for role, (_, now) in plan.reappoint.items():
            rows[role].started_on = now
        for role, appointed in plan.add.items():
            self.session.add(
                StaffRole(person_id=person.id, school_id=school.id, role=role, started_on=appointed)
            )
        if plan.add:
            details["roles_added"] = {r.value: _iso(d) for r, d in sorted(plan.add.items())}
        if plan.end:
            details["roles_ended"] = sorted(r.value for r in plan.end)
        if plan.reappoint:
            details["appointments"] = {
                r.value: {"from": _iso(was), "to": _iso(now)}
                for r, (was, now) in sorted(plan.reappoint.items())
            }

        if not changed:
            return []
        self.audit.record(
            "person.record_updated",
            organisation_id=person.organisation_id,
            entity_type="person",
            entity_id=person.id,
            school_id=school.id,
            fields=changed,
            **details,
        )
        self.session.flush()
        self.session.refresh(person, ["staff_roles"])
        return changed

    def _check_unique(
        self, school: School, person: Person, email: str | None, staff_number: str | None
    ) -> None:
        """One person per e-mail in the organisation, and per staff number at the school
        (issue 15): a clash is refused with who has it, before anything is written."""
        others = select(Person).where(
            Person.organisation_id == school.organisation_id, Person.id != person.id
        )
        if email is not None and email != person.email:
            other = self.session.scalar(others.where(Person.email == email).limit(1))
            if other is not None:
                raise StaffRecordError(
                    f"{other.display_name} already has the email address {email} in the tool. "
                    "Each person's email address must be different: check which of them it "
                    "belongs to."
                )
        if staff_number is not None and staff_number != person.staff_number:
            other = self.session.scalar(
                others.where(
                    Person.staff_number == staff_number,
                    Person.staff_number_school_id == school.id,
                ).limit(1)
            )
            if other is not None:
                raise StaffRecordError(
                    f"{other.display_name} already has staff number {staff_number} at "
                    f"{school.name}. Each person's staff number at a school must be different."
                )


def _jsonable(value: object) -> object:
    return value.isoformat() if isinstance(value, dt.date) else value
