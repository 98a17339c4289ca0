"""The school dashboard's SQL, built once per process (``functools.cache``) with bound
parameters, and run on the session's connection as plain Core rows.

The dashboard is the page a CPD lead opens most; building these statements and turning their
3,000 rows into ORM result rows each time cost more than running them. ``parameters()`` gives
the values each statement is run with.

``dashboard()`` reads every cell and every figure of the page in one statement;
``staff()`` the staff list with names and roles.
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Date,
    Executable,
    Integer,
    Select,
    String,
    bindparam,
    case,
    cast,
    exists,
    func,
    literal,
    null,
    select,
    union_all,
)
from sqlalchemy.orm import aliased

from cpd_tracker.models import (
    Completion,
    Evidence,
    EvidenceStatus,
    Person,
    ReportStatus,
    StaffRole,
    StaffRoleKind,
)
from cpd_tracker.services.compliance import EXCLUDED, VALID
from cpd_tracker.services.status_facts import due_on, status_on

EXPIRY_WINDOWS = (30, 60, 90)
TRAINED = tuple(s.value for s in VALID)
#: Outside every figure: exempt staff and leavers.
OUTSIDE = tuple(s.value for s in EXCLUDED)
OVERDUE = ("overdue", "expired")
#: Placeholder for the day bound at construction; every run passes ``report_today``.
_BUILT_FOR = dt.date(2000, 1, 1)


def _day(name: str) -> BindParameter[dt.date]:
    return bindparam(name, type_=Date)


def role_shown(held: Any) -> ColumnElement[bool]:
    """A current role as the staff list shows it: "unassigned" only for someone with no
    other current role at the school (the staff list drops it beside a real role)."""
    other = aliased(StaffRole)
    shown: ColumnElement[bool] = (held.role != StaffRoleKind.UNASSIGNED) | ~exists(
        select(other.id).where(
            other.person_id == held.person_id,
            other.school_id == held.school_id,
            other.ended_on.is_(None),
            other.role != StaffRoleKind.UNASSIGNED,
        )
    )
    return shown


def has_role(role: ColumnElement[Any] | StaffRoleKind) -> ColumnElement[bool]:
    """The status row's person holds ``role`` (as shown) at the row's school."""
    # An alias: the role breakdown joins staff_role itself, and must not correlate this away.
    held = aliased(StaffRole)
    return exists(
        select(held.id).where(
            held.person_id == ReportStatus.person_id,
            held.school_id == ReportStatus.school_id,
            held.ended_on.is_(None),
            held.role == role,
            role_shown(held),
        )
    )


def _scope(filtered: bool) -> list[ColumnElement[bool]]:
    scope = [
        ReportStatus.school_id == bindparam("school_id"),
        ReportStatus.organisation_id == bindparam("organisation_id"),
    ]
    if filtered:
        scope.append(has_role(bindparam("role", type_=StaffRole.role.type)))
    return scope


def parameters(
    school_id: int, organisation_id: int, today: dt.date, role: str | None, since: dt.date
) -> dict[str, Any]:
    """Values for ``dashboard(role is not None)``."""
    values: dict[str, Any] = {
        "school_id": school_id,
        "organisation_id": organisation_id,
        "report_today": today,
        "hours_since": since,
        "expiry_horizon": today + dt.timedelta(days=EXPIRY_WINDOWS[-1]),
    }
    for days in EXPIRY_WINDOWS:
        values[f"expiry_{days}"] = today + dt.timedelta(days=days)
    if role:
        values["role"] = StaffRoleKind(role)
    return values


@functools.cache
def dashboard(filtered: bool) -> Executable:
    """Every cell and every figure of the dashboard, one row each, in one statement.

    Columns: kind, person, column, tag, status, due, expires, n. Kinds:

    - "cell": person, column, status, one row per person and requirement (the heatmap);
      for the gap lists, tag names the list the row belongs on ("overdue": overdue or
      expired; "30", "60", "90": trained, expiring within that many days), due and expires
      the dates;
    - "never_started" (person): expected to train (neither exempt nor a leaver) for some
      requirement, and never completed any of them;
    - "requirement" (column, status, n) and "role" (tag: the role, status, n): staff counts;
    - "expiring" (column: days, n): trained staff whose training expires within 30, 60, 90
      days; "evidence" (n): evidence awaiting verification;
    - "hours" (person, n): CPD hours since ``hours_since``, in hundredths of an hour (n is
      an integer column; a count read as Decimal costs more than it should).

    The school's rows are read once (a CTE, the status and due date worked out once); each
    figure is a ``GROUP BY`` over them.
    """
    rows = (
        select(
            ReportStatus.person_id,
            ReportStatus.column_id,
            status_on(_BUILT_FOR).label("status"),
            due_on(_BUILT_FOR).label("due"),
            ReportStatus.expires_on,
            ReportStatus.last_completed_on,
        )
        .where(*_scope(filtered))
        .cte("school_rows")
    )
    roles = (
        select(StaffRole.person_id, StaffRole.role)
        .where(
            StaffRole.school_id == bindparam("school_id"),
            StaffRole.ended_on.is_(None),
            role_shown(StaffRole),
        )
        .cte("school_roles")
    )
    window = case(
        *((rows.c.expires_on <= _day(f"expiry_{days}"), days) for days in EXPIRY_WINDOWS)
    ).label("expiry_window")
    today = _day("report_today")
    r = rows.c
    per_person = (
        select(r.person_id, r.status, func.count().label("n"))
        .group_by(r.person_id, r.status)
        .subquery("per_person")
    )
    horizon = _day("expiry_horizon")
    listed = case(
        (r.status.in_(OVERDUE), "overdue"),
        (
            (r.status.in_(TRAINED)) & (r.expires_on >= today) & (r.expires_on <= horizon),
            cast(window, String),
        ),
    )
    return union_all(
        select(
            literal("cell").label("kind"),
            r.person_id.label("person"),
            r.column_id.label("column"),
            cast(listed, String).label("tag"),
            r.status,
            r.due,
            r.expires_on.label("expires"),
            cast(null(), Integer).label("n"),
        ),
        _figure("never_started", person=r.person_id)
        .group_by(r.person_id)
        .having(
            func.max(r.last_completed_on).is_(None)
            & (func.sum(case((r.status.in_(OUTSIDE), 0), else_=1)) > 0)
        ),
        _figure("requirement", column=r.column_id, status=r.status).group_by(r.column_id, r.status),
        # Counted per person first (a hundred people, a few statuses each), then per role:
        # joining the roles to every row first costs PostgreSQL twice as much.
        _figure(
            "role",
            tag=cast(roles.c.role, String),
            status=per_person.c.status,
            n=cast(func.sum(per_person.c.n), Integer),
        )
        .select_from(per_person)
        .join(roles, roles.c.person_id == per_person.c.person_id)
        .group_by(roles.c.role, per_person.c.status),
        _figure("expiring", column=window)
        .where(r.status.in_(TRAINED), r.expires_on >= today, r.expires_on <= horizon)
        .group_by(window),
        _figure("evidence").where(
            Evidence.school_id == bindparam("school_id"),
            Evidence.organisation_id == bindparam("organisation_id"),
            Evidence.status == EvidenceStatus.PENDING,
        ),
        _figure("hours", person=Completion.person_id, n=_hundredths(func.sum(Completion.cpd_hours)))
        .where(
            # The school's current staff. Not also filtered on organisation_id: SQLite would
            # then pick that index and walk every completion of the trust.
            Completion.person_id.in_(select(roles.c.person_id)),
            Completion.completed_on >= _day("hours_since"),
            Completion.completed_on <= today,
        )
        .group_by(Completion.person_id),
    )


def _hundredths(hours: ColumnElement[Any]) -> ColumnElement[int]:
    """Hours as a whole number of hundredths: the figures' value column is an integer."""
    return cast(func.round(hours * 100), Integer)


def _figure(
    kind: str,
    *,
    person: Any = None,
    column: Any = None,
    tag: Any = None,
    status: Any = None,
    n: Any = None,
) -> Select[Any]:
    """One figure's part of ``dashboard()``: the columns it does not use are NULL."""
    return select(
        literal(kind),
        person if person is not None else null(),
        column if column is not None else null(),
        tag if tag is not None else null(),
        status if status is not None else null(),
        null(),
        null(),
        n if n is not None else func.count(),
    )


@functools.cache
def staff() -> Executable:
    """The school's current staff with each current role, by family name."""
    return (
        select(
            Person.id,
            Person.name,
            Person.given_name,
            Person.family_name,
            Person.email,
            Person.last_launch_at,
            StaffRole.role,
        )
        .join(StaffRole, StaffRole.person_id == Person.id)
        .where(
            StaffRole.school_id == bindparam("school_id"),
            StaffRole.ended_on.is_(None),
            Person.organisation_id == bindparam("organisation_id"),
            Person.active.is_(True),
            # Implied by the join, and there for PostgreSQL's planner: without it, it reads
            # every person of the trust into a hash (1 ms at 6,000 staff, growing with the
            # trust) instead of looking up the school's hundred by primary key (0.3 ms).
            Person.id.in_(
                select(StaffRole.person_id).where(StaffRole.school_id == bindparam("school_id"))
            ),
        )
        .order_by(Person.family_name, Person.given_name, Person.name, Person.id)
    )
