"""The school dashboard's SQL, built once per process (``functools.cache``) with bound
parameters, and run on the session's connection as plain Core rows.

The dashboard is the page a CPD lead opens most; building these statements and turning their
3,000 rows into ORM result rows each time cost more than running them. ``parameters()`` gives
the values each statement is run with.

``dashboard()`` reads every figure of the page, the cells of the staff on the page and the
first rows of each gap list in one statement; ``staff_page()`` a page of the staff list,
``staff_counts()`` how many there are, ``staff_roles()`` their roles.

Issue 14, finding 9: a school may hold 26,000 staff. Every count is still over everyone (a
``GROUP BY``), but no statement returns a row per member of staff: the heatmap and hours
table come a page at a time (``PAGE_ROWS``), the gap lists and name lists their first
``LIST_LIMIT`` rows, ordered in SQL. Exports read everyone, page by page or streamed.
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
    or_,
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
from cpd_tracker.services.employed import employed_sql
from cpd_tracker.services.status_facts import due_on, status_on

EXPIRY_WINDOWS = (30, 60, 90)
#: Rows of each gap list and name list on the page; the downloads have them all.
LIST_LIMIT = 50
#: Staff per page of the heatmap and the hours table: 50 people x every requirement is what a
#: CPD lead reads at once, and keeps a 26,000-staff school's page under 100 ms (README, Big
#: schools: 52 ms at 50 a page, 185 ms at 200).
PAGE_ROWS = 50
#: The gap lists, each with the date it is ordered by: "overdue" (overdue or expired) by
#: due date, "30", "60", "90" (trained, expiring within that many days) by expiry.
GAP_LISTS = ("overdue", *(str(days) for days in EXPIRY_WINDOWS))
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
    school_id: int,
    organisation_id: int,
    today: dt.date,
    role: str | None,
    since: dt.date,
    status: str | None = None,
) -> dict[str, Any]:
    """Values for ``dashboard(role is not None)`` and the staff statements (``page_people``,
    ``limit`` and ``offset`` are the caller's)."""
    values: dict[str, Any] = {
        "school_id": school_id,
        "organisation_id": organisation_id,
        "report_today": today,
        "hours_since": since,
        "expiry_horizon": today + dt.timedelta(days=EXPIRY_WINDOWS[-1]),
        "limit": LIST_LIMIT,
        "list_limit": LIST_LIMIT,
        "offset": 0,
        "page_people": [],
    }
    if status:
        values["status"] = status
    for days in EXPIRY_WINDOWS:
        values[f"expiry_{days}"] = today + dt.timedelta(days=days)
    if role:
        values["role"] = StaffRoleKind(role)
    return values


@functools.cache
def dashboard(filtered: bool) -> Executable:
    """Every figure of the dashboard, the cells of the staff on the page and the first rows
    of each gap list, one row each, in one statement.

    Columns: kind, person, column, tag, status, due, expires, n. Kinds:

    - "cell": person, column, status, one row per requirement of each person in
      ``page_people`` (the heatmap's page);
    - "gap" (person, column, tag, status, due, expires): the first ``list_limit`` rows of
      each gap list, tag naming the list (``GAP_LISTS``), in ``gap_order``;
    - "never_started" (person): the first ``list_limit`` of the staff expected to train
      (neither exempt nor a leaver) for some requirement who never completed any of them,
      by name; "never_started_count" (n): how many there are;
    - "requirement" (column, status, n) and "role" (tag: the role, status, n): staff counts;
    - "expiring" (column: days, n): trained staff whose training expires within 30, 60, 90
      days; "evidence" (n): evidence awaiting verification;
    - "hours" (person, n): CPD hours since ``hours_since`` of each person in
      ``page_people``, in hundredths of an hour (n is an integer column; a count read as
      Decimal costs more than it should).

    The school's rows are read once (a CTE, the status and due date worked out once); each
    figure is a ``GROUP BY`` over them.

    The page no longer runs this per view: it reads the figures ``school_counts`` keeps per
    school and day, and ``dashboard_cells`` for the page's staff. This statement stays as
    the per-view count those must equal (``tests/.../test_school_counts.py``) and the
    benchmark's "counting the facts per view" line.
    """
    rows = school_rows(filtered)
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
    page: BindParameter[Any] = bindparam("page_people", expanding=True)
    # Each person's statuses once (26,000 people: a fraction of their 780,000 rows), for the
    # role counts and "never started" alike.
    per_person = (
        select(
            r.person_id,
            r.status,
            func.count().label("n"),
            func.max(r.last_completed_on).label("last_completed_on"),
        )
        .group_by(r.person_id, r.status)
        .cte("per_person")
    )
    horizon = _day("expiry_horizon")
    listed = _listed(rows)
    pp = per_person.c
    never_started = (
        select(pp.person_id)
        .group_by(pp.person_id)
        .having(
            func.max(pp.last_completed_on).is_(None)
            & (func.sum(case((pp.status.in_(OUTSIDE), 0), else_=1)) > 0)
        )
        .cte("never_started")
    )
    first_never_started = (
        select(never_started.c.person_id)
        .join(Person, Person.id == never_started.c.person_id)
        .order_by(*name_order())
        .limit(bindparam("list_limit"))
        .subquery("first_never_started")
    )
    return union_all(
        select(
            literal("cell").label("kind"),
            r.person_id.label("person"),
            r.column_id.label("column"),
            cast(null(), String).label("tag"),
            r.status,
            r.due,
            r.expires_on.label("expires"),
            cast(null(), Integer).label("n"),
        ).where(r.person_id.in_(page)),
        *(select(gap.c) for gap in (_gap_list(listed, tag) for tag in GAP_LISTS)),
        _figure("never_started", person=first_never_started.c.person_id, n=literal(0)),
        _figure("never_started_count").select_from(never_started),
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
            # The page's staff. Not also filtered on organisation_id: SQLite would then
            # pick that index and walk every completion of the trust.
            Completion.person_id.in_(page),
            Completion.completed_on >= _day("hours_since"),
            Completion.completed_on <= today,
        )
        .group_by(Completion.person_id),
    )


def school_rows(filtered: bool) -> Any:
    """The school's status rows as a CTE: person, column, today's status and due date,
    expiry and last completion."""
    return (
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


def name_order() -> tuple[Any, ...]:
    """The staff list's order: family name, given name, full name, then id (each list and
    page of people is in it, so a cut at N people is the same N everywhere)."""
    return (Person.family_name, Person.given_name, Person.name, Person.id)


def _listed(rows: Any) -> Any:
    """The school's rows on any gap list, read once for the four lists (a fifth of them)."""
    r = rows.c
    on_a_list = or_(*(gap_condition(rows, tag)[0] for tag in GAP_LISTS))
    return select(*r).where(on_a_list).cte("listed")


def gap_condition(rows: Any, tag: str) -> tuple[ColumnElement[bool], ColumnElement[Any]]:
    """Which of the school's rows are on gap list ``tag``, and the date it is ordered by."""
    r = rows.c
    today = _day("report_today")
    if tag == "overdue":
        return r.status.in_(OVERDUE), r.due
    days = int(tag)
    earlier = [d for d in EXPIRY_WINDOWS if d < days]
    low = _day(f"expiry_{earlier[-1]}") if earlier else None
    condition = r.status.in_(TRAINED) & (r.expires_on >= today)
    condition &= r.expires_on <= _day(f"expiry_{days}")
    if low is not None:
        condition &= r.expires_on > low
    return condition, r.expires_on


def gap_order(rows: Any, tag: str) -> tuple[Any, ...]:
    """A gap list's order: its date (none last), then the staff list's order, then column."""
    _, day = gap_condition(rows, tag)
    return (day.is_(None), day, *name_order(), rows.c.column_id)


def _gap_list(rows: Any, tag: str) -> Any:
    """The first ``list_limit`` rows of gap list ``tag``, in ``gap_order``, as "gap" rows."""
    r = rows.c
    condition, _ = gap_condition(rows, tag)
    return (
        select(
            literal("gap").label("kind"),
            r.person_id.label("person"),
            r.column_id.label("column"),
            literal(tag).label("tag"),
            r.status,
            r.due,
            r.expires_on.label("expires"),
            cast(null(), Integer).label("n"),
        )
        .join(Person, Person.id == r.person_id)
        .where(condition, Person.active.is_(True))
        .order_by(*gap_order(rows, tag))
        .limit(bindparam("list_limit"))
        .subquery(f"gap_{tag}")
    )


@functools.cache
def gap_rows(filtered: bool, tag: str) -> Executable:
    """Every row of gap list ``tag`` in ``gap_order`` with the person's name (the download)."""
    rows = school_rows(filtered)
    r = rows.c
    condition, _ = gap_condition(rows, tag)
    return (
        select(
            r.person_id,
            r.column_id,
            r.status,
            r.due,
            r.expires_on,
            Person.name,
            Person.given_name,
            Person.family_name,
            Person.email,
        )
        .join(Person, Person.id == r.person_id)
        .where(condition, Person.active.is_(True))
        .order_by(*gap_order(rows, tag))
    )


@functools.cache
def never_started_people(filtered: bool) -> Executable:
    """Every member of staff who never started any required training, by name."""
    rows = school_rows(filtered)
    r = rows.c
    ids = (
        select(r.person_id)
        .group_by(r.person_id)
        .having(
            func.max(r.last_completed_on).is_(None)
            & (func.sum(case((r.status.in_(OUTSIDE), 0), else_=1)) > 0)
        )
        .subquery("never_started")
    )
    return (
        select(Person.id, Person.name, Person.given_name, Person.family_name, Person.email)
        .join(ids, ids.c.person_id == Person.id)
        .order_by(*name_order())
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


def _on_staff(filtered: bool, by_status: bool) -> list[ColumnElement[bool]]:
    """A person on the school's staff list (holding the role asked for; with the status
    asked for on some requirement today): a leaver is off it from the day after their leaving
    day (``rules.employment``)."""
    held = aliased(StaffRole)
    role = [held.role == bindparam("role", type_=StaffRole.role.type), role_shown(held)]
    scope = [
        Person.organisation_id == bindparam("organisation_id"),
        Person.active.is_(True),
        employed_sql(_day("report_today")),
        exists(
            select(held.id).where(
                held.person_id == Person.id,
                held.school_id == bindparam("school_id"),
                held.ended_on.is_(None),
                *(role if filtered else []),
            )
        ),
    ]
    if by_status:
        scope.append(_with_status())
    return scope


def _with_status() -> ColumnElement[bool]:
    return exists(
        select(ReportStatus.person_id).where(
            ReportStatus.school_id == bindparam("school_id"),
            ReportStatus.person_id == Person.id,
            status_on(_BUILT_FOR) == bindparam("status"),
        )
    )


@functools.cache
def staff_page(filtered: bool, by_status: bool, unlaunched: bool = False) -> Executable:
    """``limit`` of the school's current staff from ``offset``, by name (only those who
    never opened the tool, with ``unlaunched``)."""
    query = select(
        Person.id,
        Person.name,
        Person.given_name,
        Person.family_name,
        Person.email,
        Person.last_launch_at,
    ).where(*_on_staff(filtered, by_status))
    if unlaunched:
        query = query.where(Person.last_launch_at.is_(None))
    return query.order_by(*name_order()).limit(bindparam("limit")).offset(bindparam("offset"))


@functools.cache
def staff_counts(filtered: bool, by_status: bool) -> Executable:
    """How many staff are on the list, how many never opened the tool, and (``by_status``)
    how many have the status asked for."""
    with_status = (func.sum(case((_with_status(), 1), else_=0)) if by_status else literal(0)).label(
        "with_status"
    )
    return select(
        func.count().label("staff"),
        func.coalesce(func.sum(case((Person.last_launch_at.is_(None), 1), else_=0)), 0).label(
            "unlaunched"
        ),
        func.coalesce(with_status, 0).label("with_status"),
    ).where(*_on_staff(filtered, False))


@functools.cache
def staff_roles() -> Executable:
    """The current roles at the school of the people in ``page_people``."""
    return select(StaffRole.person_id, StaffRole.role).where(
        StaffRole.school_id == bindparam("school_id"),
        StaffRole.ended_on.is_(None),
        StaffRole.person_id.in_(bindparam("page_people", expanding=True)),
    )


@functools.cache
def evidence_pending() -> Executable:
    """How much of the school's evidence awaits verification."""
    return select(func.count()).where(
        Evidence.school_id == bindparam("school_id"),
        Evidence.organisation_id == bindparam("organisation_id"),
        Evidence.status == EvidenceStatus.PENDING,
    )


@functools.cache
def names() -> Executable:
    """Names of the people in ``page_people`` (those on the gap lists)."""
    return select(
        Person.id, Person.name, Person.given_name, Person.family_name, Person.email
    ).where(Person.id.in_(bindparam("page_people", expanding=True)))


@functools.cache
def dashboard_cells(filtered: bool, cells_too: bool = True) -> Executable:
    """The cells (kind "cell": person, column, status; unless not ``cells_too``) and CPD hours
    (kind "hours": person, n in hundredths) of the people in ``page_people``: the downloads,
    a batch at a time."""
    hours = (
        select(
            literal("hours"),
            Completion.person_id,
            cast(null(), Integer),
            cast(null(), String),
            _hundredths(func.sum(Completion.cpd_hours)),
        )
        .where(
            Completion.person_id.in_(bindparam("page_people", expanding=True)),
            Completion.completed_on >= _day("hours_since"),
            Completion.completed_on <= _day("report_today"),
        )
        .group_by(Completion.person_id)
    )
    cells = select(
        literal("cell"),
        ReportStatus.person_id,
        ReportStatus.column_id,
        status_on(_BUILT_FOR),
        cast(null(), Integer),
    ).where(
        *_scope(filtered),
        ReportStatus.person_id.in_(bindparam("page_people", expanding=True)),
    )
    return union_all(cells, hours) if cells_too else hours
