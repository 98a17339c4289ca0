"""The floors the dashboards are timed against (issue 6: "the single aggregate SQL query for
the same figures timed in the same run as the floor").

Each floor is one SQL statement, run with SQLAlchemy Core on a bare connection and fetched,
that returns every figure its page shows: nothing rendered, no Python beyond fetching. Built
here independently of the app's own statements, from the tables, so that a slow shape in
the app is not copied into its floor.

- School dashboard: every status cell of the school with its dates (the heatmap and gap
  lists), staff per requirement and status and per role and status, trained staff per
  expiry window, evidence awaiting verification, CPD hours per person, the staff list with
  names and roles, the requirements' titles and audiences, the school, its LMS courses, the
  SENCO appointments and the trend's monthly sums (the dashboard draws the overall line).
- Trust dashboard (``kept_trust_floor``): as kept in ``report_count``, each school's staff
  per status (the ranking and the totals) and staff per requirement column and status of the
  matrix's page of 50 schools (what the page reads since issue 18), the trust trend's monthly
  sums (the overall line), the SENCO appointments and the schools. With ``matrix_schools``
  None it is the previous one (every school's cells, the totals summed from them);
  ``trust_floor`` the one before: the same counts grouped over every status row.

``narrow_*`` are the previous floors (coverage counts only), still printed for comparison.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from sqlalchemy import (
    Date,
    Engine,
    Integer,
    Numeric,
    String,
    case,
    cast,
    func,
    literal,
    null,
    select,
    type_coerce,
    union_all,
)

from cpd_tracker.models import (
    Completion,
    Course,
    CoverageSnapshot,
    Evidence,
    EvidenceStatus,
    Module,
    Person,
    ReportStatus,
    Requirement,
    School,
    SencoAppointment,
    StaffRole,
)
from cpd_tracker.models.status import ReportCount
from cpd_tracker.services.coverage import SCHOOL_ROWS
from cpd_tracker.services.status_facts import due_on, status_on

TRAINED = ("compliant", "expiring_soon")
WINDOWS = (30, 60, 90)


def _part(
    kind: str,
    a: Any = None,
    b: Any = None,
    text: Any = None,
    day: Any = None,
    n1: Any = None,
    n2: Any = None,
    day2: Any = None,
    day3: Any = None,
) -> list[Any]:
    """One part of a floor's UNION ALL: (kind, a, b, text, day, n1, n2, day2, day3), the
    unused ones NULL."""

    def typed(value: Any, type_: Any) -> Any:
        # A NULL is CAST, for PostgreSQL to match the branches' types; a value is typed for
        # SQLAlchemy only, as SQLite's CAST(... AS DATE) would make a date a number.
        return cast(null(), type_) if value is None else type_coerce(value, type_)

    return [
        literal(kind).label("kind"),
        typed(a, Integer).label("a"),
        typed(b, Integer).label("b"),
        typed(text, String).label("text"),
        typed(day, Date).label("day"),
        typed(n1, Numeric(12, 2)).label("n1"),
        typed(n2, Numeric(12, 2)).label("n2"),
        typed(day2, Date).label("day2"),
        typed(day3, Date).label("day3"),
    ]


def school_floor(
    engine: Engine, org_id: int, school_id: int, today: dt.date, first_month: dt.date
) -> Callable[[], int]:
    """Every figure of ``GET /schools/<id>`` in one statement; returns the rows fetched."""
    rows = (
        select(
            ReportStatus.person_id,
            ReportStatus.column_id,
            status_on(today).label("status"),
            due_on(today).label("due"),
            ReportStatus.expires_on,
            ReportStatus.last_completed_on,
        )
        .where(ReportStatus.school_id == school_id, ReportStatus.organisation_id == org_id)
        .cte("rows")
    )
    staff = (
        select(StaffRole.person_id, StaffRole.role)
        .where(StaffRole.school_id == school_id, StaffRole.ended_on.is_(None))
        .cte("staff")
    )
    r = rows.c
    window = case(*((r.expires_on <= today + dt.timedelta(days=d), d) for d in WINDOWS))
    since = dt.date(today.year if today.month >= 9 else today.year - 1, 9, 1)
    query = union_all(
        select(
            *_part(
                "cell",
                r.person_id,
                r.column_id,
                r.status,
                r.due,
                day2=r.expires_on,
                day3=r.last_completed_on,
            )
        ),
        select(*_part("requirement", None, r.column_id, r.status, None, func.count())).group_by(
            r.column_id, r.status
        ),
        select(*_part("role", None, None, staff.c.role + ":" + r.status, None, func.count()))
        .select_from(rows)
        .join(staff, staff.c.person_id == r.person_id)
        .group_by(staff.c.role, r.status),
        select(*_part("expiring", window, None, None, None, func.count()))
        .where(
            r.status.in_(TRAINED),
            r.expires_on >= today,
            r.expires_on <= today + dt.timedelta(days=WINDOWS[-1]),
        )
        .group_by(window),
        select(*_part("evidence", n1=func.count())).where(
            Evidence.school_id == school_id, Evidence.status == EvidenceStatus.PENDING
        ),
        select(*_part("hours", Completion.person_id, n1=func.sum(Completion.cpd_hours)))
        .where(
            Completion.person_id.in_(select(staff.c.person_id)),
            Completion.completed_on >= since,
            Completion.completed_on <= today,
        )
        .group_by(Completion.person_id),
        select(
            *_part(
                "staff",
                Person.id,
                None,
                func.coalesce(Person.name, Person.given_name + " " + Person.family_name)
                + ":"
                + staff.c.role,
                None,
                None,
                case((Person.last_launch_at.is_(None), 0), else_=1),
            )
        )
        .select_from(Person)
        .join(staff, staff.c.person_id == Person.id),
        select(
            *_part("senco", SencoAppointment.person_id, None, None, SencoAppointment.started_on)
        ).where(SencoAppointment.school_id == school_id, SencoAppointment.ended_on.is_(None)),
        select(
            *_part(
                "trend",
                None,
                None,
                None,
                CoverageSnapshot.month,
                func.sum(CoverageSnapshot.compliant),
                func.sum(CoverageSnapshot.applicable),
            )
        )
        .where(CoverageSnapshot.school_id == school_id, CoverageSnapshot.month >= first_month)
        .group_by(CoverageSnapshot.month),
        select(
            *_part(
                "column",
                Requirement.id,
                Requirement.school_id,
                Module.title + ":" + cast(Requirement.roles, String),
            )
        )
        .join(Module, Module.id == Requirement.module_id)
        .where(
            Requirement.organisation_id == org_id,
            Requirement.school_id.is_(None) | (Requirement.school_id == school_id),
            Requirement.retired_at.is_(None),
        ),
        select(*_part("school", School.id, None, School.name + ":" + School.urn)).where(
            School.id == school_id
        ),
        select(*_part("course", Course.id, None, Course.title)).where(
            Course.school_id == school_id
        ),
    )
    return _fetched(engine, query)


def trust_floor(
    engine: Engine, org_id: int, today: dt.date, first_month: dt.date
) -> Callable[[], int]:
    """Every figure of ``GET /trust`` in one statement; returns the staff counted (the
    status rows behind the matrix), so a run can check it against the table."""
    status = status_on(today)
    query = union_all(
        select(
            *_part(
                "cell",
                ReportStatus.school_id,
                ReportStatus.column_id,
                status,
                None,
                func.count(),
            )
        )
        .where(ReportStatus.organisation_id == org_id)
        .group_by(ReportStatus.school_id, ReportStatus.column_id, status),
        select(
            *_part(
                "trend",
                None,
                None,
                None,
                CoverageSnapshot.month,
                func.sum(CoverageSnapshot.compliant),
                func.sum(CoverageSnapshot.applicable),
            )
        )
        .where(CoverageSnapshot.organisation_id == org_id, CoverageSnapshot.month >= first_month)
        .group_by(CoverageSnapshot.month),
        select(
            *_part(
                "senco",
                SencoAppointment.school_id,
                SencoAppointment.person_id,
                None,
                SencoAppointment.started_on,
            )
        ).where(SencoAppointment.organisation_id == org_id, SencoAppointment.ended_on.is_(None)),
    )

    def run() -> int:
        with engine.connect() as conn:
            return sum(int(row.n1) for row in conn.execute(query).all() if row.kind == "cell")

    return run


def kept_trust_floor(
    engine: Engine, org_id: int, first_month: dt.date, matrix_schools: int | None = SCHOOL_ROWS
) -> Callable[[], int]:
    """Every figure of ``GET /trust`` in one statement, from the counts kept with the facts
    (``report_count``) rather than counted over every status row (issue 18, item 5): each
    school's staff per status (kind ``school_total``: the ranking and totals) and, for the
    matrix, staff per requirement column and status of the first ``matrix_schools`` schools
    by name (the page's 50; None: every school, and the totals summed from those cells, as the
    page read them before); returns the staff counted."""
    count = ReportCount
    kept = (count.organisation_id == org_id, count.scope == "")
    matrix = select(*_part("cell", count.school_id, count.column_id, count.status, None, count.n))
    matrix = matrix.where(*kept, count.kind == "requirement")
    parts: list[Any] = [matrix]
    if matrix_schools is not None:
        shown = (
            select(School.id)
            .where(School.organisation_id == org_id)
            .order_by(School.name)
            .limit(matrix_schools)
        )
        parts = [
            matrix.where(count.school_id.in_(shown.scalar_subquery())),
            select(*_part("total", count.school_id, None, count.status, None, count.n)).where(
                *kept, count.kind == "school_total"
            ),
        ]
    query = union_all(
        *parts,
        select(
            *_part(
                "trend",
                None,
                None,
                None,
                CoverageSnapshot.month,
                func.sum(CoverageSnapshot.compliant),
                func.sum(CoverageSnapshot.applicable),
            )
        )
        .where(CoverageSnapshot.organisation_id == org_id, CoverageSnapshot.month >= first_month)
        .group_by(CoverageSnapshot.month),
        select(
            *_part(
                "senco",
                SencoAppointment.school_id,
                SencoAppointment.person_id,
                None,
                SencoAppointment.started_on,
            )
        ).where(SencoAppointment.organisation_id == org_id, SencoAppointment.ended_on.is_(None)),
        select(*_part("school", School.id, None, School.name)).where(
            School.organisation_id == org_id
        ),
    )
    counted = "cell" if matrix_schools is None else "total"

    def run() -> int:
        with engine.connect() as conn:
            return sum(int(row.n1) for row in conn.execute(query).all() if row.kind == counted)

    return run


def narrow_school_floor(
    engine: Engine, org_id: int, school_id: int, today: dt.date
) -> Callable[[], int]:
    """The previous floor: the coverage counts of one school (one GROUP BY)."""
    status = status_on(today)
    query = (
        select(ReportStatus.column_id, status, func.count())
        .where(ReportStatus.school_id == school_id, ReportStatus.organisation_id == org_id)
        .group_by(ReportStatus.column_id, status)
    )
    return _fetched(engine, query)


def narrow_trust_floor(engine: Engine, org_id: int, today: dt.date) -> Callable[[], int]:
    """The previous floor: the matrix's counts alone (one GROUP BY over every row)."""
    status = status_on(today)
    query = (
        select(ReportStatus.school_id, ReportStatus.column_id, status, func.count())
        .where(ReportStatus.organisation_id == org_id)
        .group_by(ReportStatus.school_id, ReportStatus.column_id, status)
    )
    return _fetched(engine, query)


def _fetched(engine: Engine, query: Any) -> Callable[[], int]:
    def run() -> int:
        with engine.connect() as conn:
            return len(conn.execute(query).all())

    return run


def paged_school_floor(
    engine: Engine,
    org_id: int,
    school_id: int,
    today: dt.date,
    first_month: dt.date,
    page_rows: int,
    list_rows: int,
) -> Callable[[], int]:
    """Every figure of ``GET /schools/<id>`` when the page shows one page of staff (issue 14,
    finding 9), in one statement: the counts over everyone as ``school_floor`` has them, plus
    how many staff, how many never opened the tool and never started (each with its first
    ``list_rows`` names), the first ``list_rows`` rows of each gap list, and, for the first
    ``page_rows`` staff by name only, their names, roles, cells and CPD hours."""
    rows = (
        select(
            ReportStatus.person_id,
            ReportStatus.column_id,
            status_on(today).label("status"),
            due_on(today).label("due"),
            ReportStatus.expires_on,
            ReportStatus.last_completed_on,
        )
        .where(ReportStatus.school_id == school_id, ReportStatus.organisation_id == org_id)
        .cte("rows")
    )
    staff = (
        select(StaffRole.person_id, StaffRole.role)
        .where(StaffRole.school_id == school_id, StaffRole.ended_on.is_(None))
        .cte("staff")
    )
    people = (
        select(Person.id, Person.family_name, Person.given_name, Person.name, Person.last_launch_at)
        .where(Person.id.in_(select(staff.c.person_id)), Person.active.is_(True))
        .cte("people")
    )
    p = people.c
    by_name = (p.family_name, p.given_name, p.name, p.id)
    page = select(p.id).order_by(*by_name).limit(page_rows).cte("page")
    r = rows.c
    window = case(*((r.expires_on <= today + dt.timedelta(days=d), d) for d in WINDOWS))
    since = dt.date(today.year if today.month >= 9 else today.year - 1, 9, 1)
    never = (
        select(r.person_id)
        .group_by(r.person_id)
        .having(func.max(r.last_completed_on).is_(None))
        .cte("never")
    )

    def first(kind: str, condition: Any, day: Any) -> Any:
        listed = (
            select(r.person_id, r.column_id, r.status, day.label("day"))
            .join(people, p.id == r.person_id)
            .where(condition)
            .order_by(day, *by_name, r.column_id)
            .limit(list_rows)
            .subquery()
        )
        return select(
            *_part(kind, listed.c.person_id, listed.c.column_id, listed.c.status, listed.c.day)
        )

    query = union_all(
        select(*_part("cell", r.person_id, r.column_id, r.status, r.due, day2=r.expires_on)).where(
            r.person_id.in_(select(page.c.id))
        ),
        select(*_part("requirement", None, r.column_id, r.status, None, func.count())).group_by(
            r.column_id, r.status
        ),
        select(*_part("role", None, None, staff.c.role + ":" + r.status, None, func.count()))
        .select_from(rows)
        .join(staff, staff.c.person_id == r.person_id)
        .group_by(staff.c.role, r.status),
        select(*_part("expiring", window, None, None, None, func.count()))
        .where(
            r.status.in_(TRAINED),
            r.expires_on >= today,
            r.expires_on <= today + dt.timedelta(days=WINDOWS[-1]),
        )
        .group_by(window),
        first("overdue", r.status.in_(("overdue", "expired")), r.due),
        *(
            first(
                f"expiring {d}",
                r.status.in_(TRAINED)
                & (r.expires_on >= today)
                & (r.expires_on <= today + dt.timedelta(days=d)),
                r.expires_on,
            )
            for d in WINDOWS
        ),
        select(*_part("never started", n1=func.count())).select_from(never),
        select(*_part("never started", never.c.person_id)).where(
            never.c.person_id.in_(
                select(p.id)
                .where(p.id.in_(select(never.c.person_id)))
                .order_by(*by_name)
                .limit(list_rows)
            )
        ),
        select(
            *_part(
                "staff",
                n1=func.count(),
                n2=func.sum(case((p.last_launch_at.is_(None), 1), else_=0)),
            )
        ),
        select(*_part("never launched", p.id)).where(
            p.id.in_(
                select(p.id).where(p.last_launch_at.is_(None)).order_by(*by_name).limit(list_rows)
            )
        ),
        select(*_part("evidence", n1=func.count())).where(
            Evidence.school_id == school_id, Evidence.status == EvidenceStatus.PENDING
        ),
        select(*_part("hours", Completion.person_id, n1=func.sum(Completion.cpd_hours)))
        .where(
            Completion.person_id.in_(select(page.c.id)),
            Completion.completed_on >= since,
            Completion.completed_on <= today,
        )
        .group_by(Completion.person_id),
        select(
            *_part(
                "page",
                Person.id,
                None,
                func.coalesce(Person.name, Person.given_name + " " + Person.family_name)
                + ":"
                + staff.c.role,
            )
        )
        .select_from(Person)
        .join(staff, staff.c.person_id == Person.id)
        .where(Person.id.in_(select(page.c.id))),
        select(
            *_part("senco", SencoAppointment.person_id, None, None, SencoAppointment.started_on)
        ).where(SencoAppointment.school_id == school_id, SencoAppointment.ended_on.is_(None)),
        select(
            *_part(
                "trend",
                None,
                None,
                None,
                CoverageSnapshot.month,
                func.sum(CoverageSnapshot.compliant),
                func.sum(CoverageSnapshot.applicable),
            )
        )
        .where(CoverageSnapshot.school_id == school_id, CoverageSnapshot.month >= first_month)
        .group_by(CoverageSnapshot.month),
        select(
            *_part(
                "column",
                Requirement.id,
                Requirement.school_id,
                Module.title + ":" + cast(Requirement.roles, String),
            )
        )
        .join(Module, Module.id == Requirement.module_id)
        .where(
            Requirement.organisation_id == org_id,
            Requirement.school_id.is_(None) | (Requirement.school_id == school_id),
            Requirement.retired_at.is_(None),
        ),
        select(*_part("school", School.id, None, School.name + ":" + School.urn)).where(
            School.id == school_id
        ),
        select(*_part("course", Course.id, None, Course.title)).where(
            Course.school_id == school_id
        ),
    )
    return _fetched(engine, query)
