"""The dashboards' figures, counted ahead of time per school and day (issue 14, finding 9).

A school of 26,000 staff and 30 requirements has 762,840 status facts; counting them on every
view cost the school page seconds. ``SchoolCounts.recount`` counts them once per school and
day into ``report_count`` (a few hundred rows: coverage per requirement and module, per role,
per expiry window, who never started, staff with each status) and ``report_list`` (the first
``LIST_LIMIT`` rows of each gap list and of "never started"), for all staff and for each role
filter. The pages read those rows and only the facts of the people on the page shown.

When: with the facts (``StatusFactsService._replace``, the same transaction) and on the first
read of a new day (``StatusFactsService.ensure_fresh``: statuses and expiry windows move with
the date), so the nightly ``cpd-tracker report-status refresh`` recounts too. A person's new
name (the lists' order) clears ``counted_on``; every other change that can move a figure
already marks the facts stale. Derived data, like the facts: not audited.

Every figure is the same ``GROUP BY`` the dashboard ran per view (``school_statements``),
grouped by role filter as well; ``tests/unit/cpd_tracker/services/test_school_counts.py``
holds the two to the same answers.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Date,
    Executable,
    Integer,
    Select,
    String,
    bindparam,
    case,
    cast,
    delete,
    func,
    insert,
    literal,
    null,
    select,
    true,
    tuple_,
    union_all,
    update,
)
from sqlalchemy.orm import Session

from cpd_tracker.models import Person, ReportStatus, ReportStatusSchool, StaffRole
from cpd_tracker.models.status import ReportCount, ReportListRow, ReportStaffRow
from cpd_tracker.services import school_statements as statements
from cpd_tracker.services.employed import employed_sql
from cpd_tracker.services.school_statements import (
    EXPIRY_WINDOWS,
    GAP_LISTS,
    OUTSIDE,
    TRAINED,
    gap_condition,
    gap_order,
    name_order,
    role_shown,
)
from cpd_tracker.services.status_facts import COUNTS_READ, due_on, status_on

#: The scope of the figures without a role filter.
ALL_STAFF = ""
_BUILT_FOR = dt.date(2000, 1, 1)
_COUNT_COLUMNS = ("scope", "kind", "column_id", "module_id", "tag", "status", "n")
_LIST_COLUMNS = ("scope", "tag", "position", "person_id", "column_id", "status", "due_on",
                 "expires_on")  # fmt: skip


def _only(column: Any, people: bool) -> Any:
    """``column`` among the people ``only_people`` names, when counting ``people`` alone."""
    return column.in_(bindparam("only_people", expanding=True)) if people else true()


def _rows(people: bool = False) -> Any:
    """The school's facts on ``report_today``: one row per person and requirement (of
    ``only_people`` alone, with ``people``)."""
    return (
        select(
            ReportStatus.person_id,
            ReportStatus.column_id,
            ReportStatus.module_id,
            status_on(_BUILT_FOR).label("status"),
            due_on(_BUILT_FOR).label("due"),
            ReportStatus.expires_on,
            ReportStatus.last_completed_on,
        )
        .where(
            ReportStatus.school_id == bindparam("school_id"), _only(ReportStatus.person_id, people)
        )
        .cte("school_rows")
    )


def _shown(people: bool = False) -> Any:
    """(person, role) for each current role at the school as the staff list shows it: what a
    role filter (``school_statements.has_role``) and the role breakdown use."""
    return (
        select(StaffRole.person_id, cast(StaffRole.role, String(20)).label("scope"))
        .where(
            StaffRole.school_id == bindparam("school_id"),
            StaffRole.ended_on.is_(None),
            role_shown(StaffRole),
            _only(StaffRole.person_id, people),
        )
        .cte("shown")
    )


@functools.cache
def counts_statement(people: bool = False) -> Executable:
    """Every figure of ``ReportCount`` for one school and day, per scope: columns as
    ``_COUNT_COLUMNS``. With ``people``, what ``only_people`` add to those figures (each
    figure counts people, or their rows, one by one)."""
    rows = _rows(people)
    r = rows.c
    shown = _shown(people)
    # Each person with rows in scope "" and in the scope of each role they hold.
    scopes = union_all(
        select(r.person_id, literal(ALL_STAFF).label("scope")).group_by(r.person_id),
        select(shown.c.person_id, shown.c.scope),
    ).cte("scopes")
    # Who is on the staff list ("" for anyone holding a current role; each role as shown).
    staff = union_all(
        select(StaffRole.person_id, literal(ALL_STAFF).label("scope"))
        .where(
            StaffRole.school_id == bindparam("school_id"),
            StaffRole.ended_on.is_(None),
            _only(StaffRole.person_id, people),
        )
        .group_by(StaffRole.person_id),
        select(shown.c.person_id, shown.c.scope),
    ).cte("staff")
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
    today = bindparam("report_today", type_=Date)
    window = case(
        *(
            (r.expires_on <= bindparam(f"expiry_{days}", type_=Date), str(days))
            for days in EXPIRY_WINDOWS
        )
    )
    s = scopes.c
    zero = literal(0, Integer)
    blank = literal("", String)
    return union_all(
        select(
            s.scope, literal("requirement"), r.column_id, r.module_id, blank, r.status, func.count()
        )
        .join(scopes, s.person_id == r.person_id)
        .group_by(s.scope, r.column_id, r.module_id, r.status),
        select(
            s.scope,
            literal("role"),
            zero,
            zero,
            shown.c.scope,
            pp.status,
            cast(func.sum(pp.n), Integer),
        )
        .select_from(per_person)
        .join(scopes, s.person_id == pp.person_id)
        .join(shown, shown.c.person_id == pp.person_id)
        .group_by(s.scope, shown.c.scope, pp.status),
        # Each school's staff per status over every requirement: what the trust page ranks
        # and totals (600 schools: 4,800 rows instead of summing 80,000).
        select(s.scope, literal("school_total"), zero, zero, blank, r.status, func.count())
        .join(scopes, s.person_id == r.person_id)
        .group_by(s.scope, r.status),
        select(s.scope, literal("expiring"), zero, zero, window, blank, func.count())
        .join(scopes, s.person_id == r.person_id)
        .where(
            r.status.in_(TRAINED),
            r.expires_on >= today,
            r.expires_on <= bindparam("expiry_horizon", type_=Date),
        )
        .group_by(s.scope, window),
        select(s.scope, literal("never_started"), zero, zero, blank, blank, func.count())
        .select_from(never_started)
        .join(scopes, s.person_id == never_started.c.person_id)
        .group_by(s.scope),
        # ``school_statements.staff_counts`` with a status: people on the staff list with
        # that status on some requirement.
        select(staff.c.scope, literal("with_status"), zero, zero, blank, pp.status, func.count())
        .select_from(per_person)
        .join(staff, staff.c.person_id == pp.person_id)
        .join(Person, Person.id == pp.person_id)
        .where(
            Person.active.is_(True),
            Person.organisation_id == bindparam("organisation_id"),
            employed_sql(today),
        )
        .group_by(staff.c.scope, pp.status),
    )


@functools.cache
def lists_statement() -> Executable:
    """The first ``list_limit`` rows of each gap list and of "never started", per scope, in
    the page's order: columns as ``_LIST_COLUMNS``."""
    rows = _rows()
    r = rows.c
    shown = _shown()
    scopes = union_all(
        select(r.person_id, literal(ALL_STAFF).label("scope")).group_by(r.person_id),
        select(shown.c.person_id, shown.c.scope),
    ).cte("scopes")
    s = scopes.c
    parts = []
    for tag in GAP_LISTS:
        condition, _ = gap_condition(rows, tag)
        position = func.row_number().over(partition_by=s.scope, order_by=gap_order(rows, tag))
        parts.append(
            select(
                s.scope,
                literal(tag).label("tag"),
                position.label("position"),
                r.person_id,
                r.column_id,
                r.status,
                r.due.label("due_on"),
                r.expires_on,
            )
            .join(scopes, s.person_id == r.person_id)
            .join(Person, Person.id == r.person_id)
            .where(condition, Person.active.is_(True))
        )
    per_person = (
        select(
            r.person_id,
            func.max(r.last_completed_on).label("last_completed_on"),
            func.sum(case((r.status.in_(OUTSIDE), 0), else_=1)).label("expected"),
        )
        .group_by(r.person_id)
        .cte("per_person")
    )
    pp = per_person.c
    position = func.row_number().over(partition_by=s.scope, order_by=name_order())
    parts.append(
        select(
            s.scope,
            literal("never_started"),
            position,
            pp.person_id,
            cast(null(), Integer),
            cast(null(), String),
            cast(null(), Date),
            cast(null(), Date),
        )
        .select_from(per_person)
        .join(scopes, s.person_id == pp.person_id)
        .join(Person, Person.id == pp.person_id)
        .where(pp.last_completed_on.is_(None), pp.expected > 0)
    )
    ranked = union_all(*parts).subquery("ranked")
    return select(*(ranked.c[c] for c in _LIST_COLUMNS)).where(
        ranked.c.position <= bindparam("list_limit")
    )


@functools.cache
def staff_statement(people: bool = False) -> Select[Any]:
    """Everyone on the school's staff list (``school_statements._on_staff``, as the page
    has it; in a role filter, holding that role as shown) at their position in its name
    order, per scope, with their statuses at the school today between bars
    ("|overdue|due|"; "||" for none): columns scope, position, person_id, statuses. The
    numbering is the database's own ``ORDER BY`` of the page, so its order (collation,
    where NULLs go) is the page's."""
    rows = _rows(people)
    r = rows.c
    shown = _shown(people)
    held = union_all(
        select(StaffRole.person_id, literal(ALL_STAFF).label("scope")).where(
            StaffRole.school_id == bindparam("school_id"),
            StaffRole.ended_on.is_(None),
            _only(StaffRole.person_id, people),
        ),
        select(shown.c.person_id, shown.c.scope),
    ).subquery("held")
    # Each (person, scope) once, however many current rows of a role they hold.
    members = (
        select(held.c.person_id, held.c.scope)
        .group_by(held.c.person_id, held.c.scope)
        .subquery("members")
    )
    each = select(r.person_id, r.status).group_by(r.person_id, r.status).subquery("each")
    statuses = (
        select(each.c.person_id, func.aggregate_strings(each.c.status, "|").label("statuses"))
        .group_by(each.c.person_id)
        .subquery("person_statuses")
    )
    m = members.c
    position = func.row_number().over(partition_by=m.scope, order_by=name_order())
    return (
        select(
            m.scope,
            position.label("position"),
            m.person_id,
            ("|" + func.coalesce(statuses.c.statuses, "") + "|").label("statuses"),
        )
        .select_from(members)
        .join(Person, Person.id == m.person_id)
        .outerjoin(statuses, statuses.c.person_id == m.person_id)
        # The page's own test of who is on the list, so the two cannot drift apart.
        .where(*statements._on_staff(False, False))
    )


def _launch_counts(school_id: int, organisation_id: int) -> Any:
    """Rows of ``ReportCount``: kind "on_list" (everyone on the staff list) and
    "never_launched" (of them, no launch yet), per scope, from ``report_staff``."""
    s = ReportStaffRow
    parts = []
    for kind, condition in (
        ("on_list", None),
        ("never_launched", Person.last_launch_at.is_(None)),
    ):
        part = (
            select(
                literal(school_id, Integer),
                literal(organisation_id, Integer),
                s.scope,
                literal(kind, String),
                literal(0, Integer),
                literal(0, Integer),
                literal("", String),
                literal("", String),
                func.count(),
            )
            .join(Person, Person.id == s.person_id)
            .where(s.school_id == school_id)
            .group_by(s.scope)
        )
        parts.append(part if condition is None else part.where(condition))
    return union_all(*parts)


#: More people than this changed at once (an import): the school is recounted whole.
PEOPLE_RECOUNT_LIMIT = 50


@dataclass(frozen=True)
class PeopleBefore:
    """What some people added to a school's kept figures before their facts changed."""

    values: dict[str, Any]
    #: (scope, kind, column, module, tag, status) -> n
    counts: dict[tuple[Any, ...], int]
    #: (person, scope) on the staff list
    listed: frozenset[tuple[int, str]]


def _tally(rows: Any) -> dict[tuple[Any, ...], int]:
    """Rows of ``counts_statement`` as figure -> n."""
    found: dict[tuple[Any, ...], int] = {}
    for *key, n in rows:
        found[tuple(key)] = found.get(tuple(key), 0) + int(n)
    return found


class SchoolCounts:
    """Counts a school's figures for a day from its status facts (flushes, never commits)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def recount(self, school_id: int, organisation_id: int, today: dt.date) -> int:
        """Replace the school's counts and lists with those of ``today``; returns how many
        count rows there are."""
        values = statements.parameters(
            school_id, organisation_id, today, None, dt.date(today.year, 1, 1)
        )
        self.session.info.pop(COUNTS_READ, None)
        connection = self.session.connection()
        if connection.dialect.name == "postgresql":
            # As the dashboard did: a cost estimate over every row would JIT-compile this.
            connection.exec_driver_sql("SET LOCAL jit = off")
        counted = connection.execute(counts_statement(), values).all()
        connection.execute(delete(ReportCount).where(ReportCount.school_id == school_id))
        connection.execute(delete(ReportStaffRow).where(ReportStaffRow.school_id == school_id))
        # Numbered and written by the database (INSERT ... SELECT): a row per person and
        # scope (26,000 staff: some 57,000 rows).
        staff = staff_statement().subquery("numbered")
        connection.execute(
            insert(ReportStaffRow).from_select(
                ["school_id", "scope", "position", "person_id", "statuses"],
                select(
                    literal(school_id, Integer),
                    staff.c.scope,
                    staff.c.position,
                    staff.c.person_id,
                    staff.c.statuses,
                ),
            ),
            values,
        )
        # How many are on the list and how many of them never opened the tool, per scope:
        # counted from the list just written, so the two cannot disagree. A first launch
        # takes its person off the second (``status_facts._launched``), without a recount.
        connection.execute(
            insert(ReportCount).from_select(
                ["school_id", "organisation_id", *_COUNT_COLUMNS],
                _launch_counts(school_id, organisation_id),
            )
        )
        common = {"school_id": school_id}
        if counted:
            connection.execute(
                insert(ReportCount),
                [
                    {
                        **common,
                        "organisation_id": organisation_id,
                        **dict(zip(_COUNT_COLUMNS, c, strict=True)),
                    }
                    for c in counted
                ],
            )
        self._rewrite_lists(values)
        connection.execute(
            update(ReportStatusSchool)
            .where(ReportStatusSchool.school_id == school_id)
            .values(counted_on=today)
        )
        return len(counted)

    # -- one person's change -------------------------------------------------------------

    def before_people(
        self, school_id: int, organisation_id: int, today: dt.date, person_ids: Sequence[int]
    ) -> PeopleBefore | None:
        """What ``person_ids`` add to the school's kept figures now, before their facts are
        replaced (``recount_people`` after): None when the figures are not ``today``'s, or
        the people are too many to be worth it, and the school is recounted whole."""
        counted_on = self.session.scalar(
            select(ReportStatusSchool.counted_on).where(ReportStatusSchool.school_id == school_id)
        )
        if counted_on != today or not person_ids or len(person_ids) > PEOPLE_RECOUNT_LIMIT:
            return None
        values = {
            **statements.parameters(
                school_id, organisation_id, today, None, dt.date(today.year, 1, 1)
            ),
            "only_people": sorted(set(person_ids)),
        }
        connection = self.session.connection()
        listed = connection.execute(
            select(ReportStaffRow.person_id, ReportStaffRow.scope).where(
                ReportStaffRow.school_id == school_id,
                ReportStaffRow.person_id.in_(values["only_people"]),
            )
        )
        on_list = frozenset((row.person_id, row.scope) for row in listed)
        if {person_id for person_id, _ in on_list} != set(values["only_people"]):
            # Someone not on the list before (a new starter, a roster's newcomer): the list's
            # positions move, so the school is recounted whole.
            return None
        return PeopleBefore(
            values, _tally(connection.execute(counts_statement(people=True), values)), on_list
        )

    def recount_people(self, before: PeopleBefore) -> bool:
        """The school's figures moved by what its changed people add now instead of what
        they added (``before``), their statuses on the staff list rewritten and the gap
        lists' first rows read again; False, with nothing written, when someone joined or
        left a list (its positions move: the school is recounted whole)."""
        values = before.values
        school_id = values["school_id"]
        connection = self.session.connection()
        now = connection.execute(staff_statement(people=True), values).all()
        if frozenset((row.person_id, row.scope) for row in now) != before.listed:
            return False
        self.session.info.pop(COUNTS_READ, None)
        delta = _tally(connection.execute(counts_statement(people=True), values))
        for key, n in before.counts.items():
            delta[key] = delta.get(key, 0) - n
        moved = [key for key, n in delta.items() if n]
        c = ReportCount
        key_columns = (c.scope, c.kind, c.column_id, c.module_id, c.tag, c.status)
        totals = dict(delta)
        for start in range(0, len(moved), 400):
            chunk = moved[start : start + 400]
            for row in connection.execute(
                select(*key_columns, c.n).where(
                    c.school_id == school_id, tuple_(*key_columns).in_(chunk)
                )
            ):
                kept = tuple(row[:-1])
                totals[kept] = totals.get(kept, 0) + row.n
            connection.execute(
                delete(c).where(c.school_id == school_id, tuple_(*key_columns).in_(chunk))
            )
        written = [
            {
                "school_id": school_id,
                "organisation_id": values["organisation_id"],
                **dict(zip(_COUNT_COLUMNS, (*key, totals[key]), strict=True)),
            }
            for key in moved
            if totals[key]
        ]
        if written:
            connection.execute(insert(c), written)
        if now:
            s = ReportStaffRow
            connection.execute(
                update(s)
                .where(
                    s.school_id == bindparam("at_school"),
                    s.scope == bindparam("at_scope"),
                    s.person_id == bindparam("for_person"),
                )
                .values(statuses=bindparam("new_statuses")),
                [
                    {
                        "at_school": school_id,
                        "at_scope": row.scope,
                        "for_person": row.person_id,
                        "new_statuses": row.statuses,
                    }
                    for row in now
                ],
            )
        self._rewrite_lists(values)
        return True

    def _rewrite_lists(self, values: dict[str, Any]) -> None:
        """The first rows of each gap list and of "never started", read again."""
        connection = self.session.connection()
        listed = connection.execute(lists_statement(), values).all()
        school_id = values["school_id"]
        connection.execute(delete(ReportListRow).where(ReportListRow.school_id == school_id))
        if listed:
            connection.execute(
                insert(ReportListRow),
                [
                    {"school_id": school_id, **dict(zip(_LIST_COLUMNS, r, strict=True))}
                    for r in listed
                ],
            )

    # -- reading -------------------------------------------------------------------------

    def counts(
        self, school_ids: list[int], scope: str = ALL_STAFF, kind: str | None = None
    ) -> list[Any]:
        """(school, kind, column, module, tag, status, n) for the schools, in ``scope`` (of
        ``kind`` only, if given). Read once a transaction: a second reader (the school page's
        trend chart after its figures) filters what the first read."""
        read: dict[tuple[Any, ...], list[Any]] = self.session.info.setdefault(COUNTS_READ, {})
        schools = tuple(school_ids)
        if (schools, scope, None) in read:
            return [r for r in read[schools, scope, None] if kind is None or r.kind == kind]
        if (schools, scope, kind) in read:
            return read[schools, scope, kind]
        c = ReportCount
        query = select(c.school_id, c.kind, c.column_id, c.module_id, c.tag, c.status, c.n).where(
            c.school_id.in_(school_ids), c.scope == scope
        )
        if kind is not None:
            query = query.where(c.kind == kind)
        rows = list(self.session.connection().execute(query))
        read[schools, scope, kind] = rows
        return rows

    def summed(self, school_ids: list[int], by: str | None = None) -> list[tuple[int, str, int]]:
        """(line, status, n): the schools' staff per requirement and status in all staff,
        summed per training (``by`` "module"), per school ("school") or over them all (line
        0). By the database, unless the transaction has read those counts already (the
        school page's trend after its figures): a trust of 600 schools has some 80,000."""
        # Per training from the requirement rows; per school or overall from each school's
        # totals (``school_total``).
        kind = "requirement" if by == "module" else "school_total"
        read = self.session.info.get(COUNTS_READ, {})
        rows = read.get((tuple(school_ids), ALL_STAFF, None)) or read.get(
            (tuple(school_ids), ALL_STAFF, kind)
        )
        if rows is not None:
            found: dict[tuple[int, str], int] = {}
            for row in rows:
                if row.kind == kind:
                    line = row.module_id if by == "module" else row.school_id if by else 0
                    found[line, row.status] = found.get((line, row.status), 0) + row.n
            return [(line, status, n) for (line, status), n in found.items()]
        c = ReportCount
        line_column: Any = (
            c.module_id if by == "module" else c.school_id if by else literal(0, Integer)
        )
        query = (
            select(line_column.label("line"), c.status, func.sum(c.n))
            .where(c.school_id.in_(school_ids), c.scope == ALL_STAFF, c.kind == kind)
            .group_by(line_column, c.status)
        )
        return [
            (int(line), status, int(n))
            for line, status, n in self.session.connection().execute(query)
        ]

    def staff(
        self,
        school_id: int,
        scope: str,
        status: str | None,
        limit: int,
        offset: int,
        *,
        unlaunched: bool = False,
    ) -> list[Any]:
        """``limit`` people of the school's staff list (in ``scope``) from ``offset``, in its
        order: a range of positions read by the primary key, the people by theirs. With
        ``status``, of those with that status on some requirement today; with
        ``unlaunched``, of those who never opened the tool (read live: a launch does not
        recount): the positions are walked in order until ``limit`` are found. Columns as
        ``school_statements.staff_page``."""
        s = ReportStaffRow
        query = (
            select(
                Person.id,
                Person.name,
                Person.given_name,
                Person.family_name,
                Person.email,
                Person.last_launch_at,
            )
            .join(s, s.person_id == Person.id)
            .where(s.school_id == school_id, s.scope == scope)
            .order_by(s.position)
        )
        if status is None and not unlaunched:
            query = query.where(s.position > offset, s.position <= offset + limit)
        else:
            if status is not None:
                query = query.where(s.statuses.contains(f"|{status}|", autoescape=True))
            if unlaunched:
                query = query.where(Person.last_launch_at.is_(None))
            query = query.limit(limit).offset(offset)
        return list(self.session.connection().execute(query))

    def lists(self, school_id: int, scope: str = ALL_STAFF) -> list[Any]:
        """The school's list rows in ``scope``, list by list in order."""
        c = ReportListRow
        return list(
            self.session.connection().execute(
                select(
                    c.tag, c.position, c.person_id, c.column_id, c.status, c.due_on, c.expires_on
                )
                .where(c.school_id == school_id, c.scope == scope)
                .order_by(c.tag, c.position)
            )
        )
