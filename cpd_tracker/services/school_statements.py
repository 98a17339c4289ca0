"""The school dashboard's SQL, built once per process (``functools.cache``) with bound
parameters, and run on the session's connection as plain Core rows.

The dashboard is the page a CPD lead opens most; building these statements and turning their
3,000 rows into ORM result rows each time cost more than running them. ``parameters()`` gives
the values each statement is run with.

Two statements read ``report_status`` for the page (``services/coverage.py``):

- ``figures()``: every count on the page in one statement: staff per requirement and status,
  per role and status, trained staff per expiry window, evidence awaiting verification and
  CPD hours per person. The school's rows are read once (a CTE), each figure a ``GROUP BY``.
- ``rows()``: one row per person and requirement, for the heatmap and the gap lists.
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
    Numeric,
    String,
    bindparam,
    case,
    cast,
    exists,
    func,
    literal,
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
from cpd_tracker.services.compliance import VALID
from cpd_tracker.services.status_facts import due_on, status_on

EXPIRY_WINDOWS = (30, 60, 90)
TRAINED = tuple(s.value for s in VALID)
#: Placeholder for the day bound at construction; every run passes ``report_today``.
_BUILT_FOR = dt.date(2000, 1, 1)
#: The figures' value column: counts and hours alike, hours to the hundredth.
_FIGURE = Numeric(12, 2)


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
    """Values for ``figures(role is not None)`` and ``rows(role is not None)``."""
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
def figures(filtered: bool) -> Executable:
    """Rows of (kind, key, status, n); kinds "requirement" (key: column id), "role" (key:
    role), "expiring" (key: days), "evidence" and "hours" (key: person id, n: hours)."""
    status = status_on(_BUILT_FOR).label("status")
    rows = (
        select(ReportStatus.person_id, ReportStatus.column_id, status, ReportStatus.expires_on)
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
        *(
            (
                rows.c.expires_on <= bindparam(f"expiry_{days}", type_=rows.c.expires_on.type),
                str(days),
            )
            for days in EXPIRY_WINDOWS
        )
    ).label("expiry_window")
    today = bindparam("report_today", type_=rows.c.expires_on.type)
    return union_all(
        select(
            literal("requirement").label("kind"),
            cast(rows.c.column_id, String).label("key"),
            rows.c.status,
            cast(func.count(), _FIGURE).label("n"),
        ).group_by(rows.c.column_id, rows.c.status),
        select(literal("role"), cast(roles.c.role, String), rows.c.status, func.count())
        .select_from(rows)
        .join(roles, roles.c.person_id == rows.c.person_id)
        .group_by(roles.c.role, rows.c.status),
        select(literal("expiring"), window, literal(""), func.count())
        .where(
            rows.c.status.in_(TRAINED),
            rows.c.expires_on >= today,
            rows.c.expires_on <= _day("expiry_horizon"),
        )
        .group_by(window),
        select(literal("evidence"), literal(""), literal(""), func.count()).where(
            Evidence.school_id == bindparam("school_id"),
            Evidence.organisation_id == bindparam("organisation_id"),
            Evidence.status == EvidenceStatus.PENDING,
        ),
        select(
            literal("hours"),
            cast(Completion.person_id, String),
            literal(""),
            func.sum(Completion.cpd_hours),
        )
        .where(
            # The school's current staff. Not also filtered on organisation_id: SQLite would
            # then pick that index and walk every completion of the trust.
            Completion.person_id.in_(select(roles.c.person_id)),
            Completion.completed_on >= _day("hours_since"),
            Completion.completed_on <= today,
        )
        .group_by(Completion.person_id),
    )


@functools.cache
def rows(filtered: bool) -> Executable:
    """(person id, column id, status, due, expires on, last completed on), one per status."""
    return select(
        ReportStatus.person_id,
        ReportStatus.column_id,
        status_on(_BUILT_FOR),
        due_on(_BUILT_FOR),
        ReportStatus.expires_on,
        ReportStatus.last_completed_on,
    ).where(*_scope(filtered))


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
        )
        .order_by(Person.family_name, Person.given_name, Person.name, Person.id)
    )
