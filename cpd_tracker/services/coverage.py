"""The figures behind the school and trust dashboards, counted in SQL from the status facts
(``services/status_facts.py``; issue 6, "School dashboard", "Trust dashboard").

Every count is a ``GROUP BY``. The school dashboard's cells and figures come from one
statement (``services/school_statements.py``): its rows are read once, the counts grouped in
SQL over everyone; the cells come for one page of staff (``PAGE_ROWS``) and the gap lists'
first ``LIST_LIMIT`` rows, so a school of 26,000 staff (issue 14, finding 9) costs its counts
and one page, never a row per person. The trust's figures are aggregates only; exports read
everyone, page by page or streamed from the database.

"Trained" and "expected" follow ``services/compliance.py``: trained is compliant or expiring
soon; leavers and exempt staff are outside both figures.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Executable,
    func,
    select,
)
from sqlalchemy.orm import Session

from cpd_tracker.models import (
    Module,
    Person,
    ReportStatus,
    Requirement,
    School,
    StaffRoleKind,
)
from cpd_tracker.models.status import ReportCount
from cpd_tracker.rules.training import Status
from cpd_tracker.services import school_statements as statements
from cpd_tracker.services.compliance import EXCLUDED, VALID
from cpd_tracker.services.cpd_record import academic_year_of
from cpd_tracker.services.school_counts import ALL_STAFF
from cpd_tracker.services.school_statements import (
    EXPIRY_WINDOWS,
    GAP_LISTS,
    OUTSIDE,
    OVERDUE,
    TRAINED,
)
from cpd_tracker.services.school_statements import LIST_LIMIT as LIST_LIMIT
from cpd_tracker.services.school_statements import PAGE_ROWS as PAGE_ROWS
from cpd_tracker.services.status_facts import StatusFactsService, due_on, status_on

#: Statuses that count as a gap: expected but not trained.
GAP = tuple(s.value for s in Status if s not in VALID and s not in EXCLUDED)
#: Drill-down groups beside the single statuses.
GROUPS = {"gap": GAP, "trained": TRAINED, "expected": GAP + TRAINED}
#: Order of statuses in legends and filters: most urgent first.
STATUS_ORDER = (
    "overdue",
    "expired",
    "due_soon",
    "due",
    "extended",
    "not_yet_due",
    "expiring_soon",
    "compliant",
    "exempt",
    "left",
)
#: Schools a page of the trust's matrix shows (a trust of 600 would otherwise render
#: 18,000 cells; the downloads have every school).
SCHOOL_ROWS = 50


@dataclass
class Counts:
    """Staff per status for one cell (a requirement, a role, a school, ...)."""

    by_status: dict[str, int] = field(default_factory=dict)
    # Running totals: a trust's matrix adds some 20,000 figures and reads each cell often.
    trained: int = 0
    expected: int = 0

    def add(self, status: str, n: int) -> None:
        self.by_status[status] = self.by_status.get(status, 0) + n
        if status in TRAINED:
            self.trained += n
        if status not in OUTSIDE:
            self.expected += n

    @property
    def gap(self) -> int:
        return self.expected - self.trained

    @property
    def percent(self) -> int | None:
        return round(100 * self.trained / self.expected) if self.expected else None

    def of(self, *statuses: str) -> int:
        return sum(self.by_status.get(s, 0) for s in statuses)


@dataclass(frozen=True)
class Column:
    """A requirement as a column: trust-wide, or one school's own."""

    id: int
    title: str
    module_id: int
    school_id: int | None
    #: Who it is for, as ``compliance.audience_label`` words it.
    audience: str = ""


@dataclass(frozen=True)
class TrustFilters:
    phase: str | None = None
    school_id: int | None = None
    role: str | None = None
    module_id: int | None = None

    @property
    def active(self) -> bool:
        return any(v is not None for v in (self.phase, self.school_id, self.role, self.module_id))


@dataclass(frozen=True)
class StaffLine:
    person_id: int
    name: str
    email: str | None
    roles: tuple[str, ...]
    last_launch_at: dt.datetime | None


@dataclass(frozen=True)
class GapLine:
    person_id: int
    name: str
    title: str
    status: str
    due_on: dt.date | None
    expires_on: dt.date | None


@dataclass
class SchoolReport:
    school: School
    today: dt.date
    columns: list[Column]
    #: The page of staff shown (heatmap, hours), of ``staff_count`` on the list (with the
    #: role filter) and ``listed_count`` shown across the pages (with the status filter too).
    staff: list[StaffLine]
    by_requirement: dict[int, Counts]
    by_role: dict[str, Counts]
    total: Counts
    #: person id -> requirement id -> status, for the page's staff
    cells: dict[int, dict[int, str]]
    #: The first ``LIST_LIMIT`` of each list, and how many there are.
    overdue: list[GapLine]
    overdue_count: int
    expiring: dict[int, list[GapLine]]
    expiring_counts: dict[int, int]
    never_started: list[StaffLine]
    never_launched: list[StaffLine]
    evidence_pending: int
    #: CPD hours of the page's staff
    hours: dict[int, Decimal]
    academic_year: int
    staff_count: int = 0
    listed_count: int = 0
    never_started_count: int = 0
    never_launched_count: int = 0
    page: int = 1
    page_size: int = PAGE_ROWS

    @property
    def pages(self) -> int:
        """Pages of staff (at least one, even for none)."""
        return max(1, -(-self.listed_count // self.page_size))

    @property
    def first_shown(self) -> int:
        """The position on the list of the page's first person (1-based)."""
        return (self.page - 1) * self.page_size + 1


@dataclass
class TrustReport:
    today: dt.date
    filters: TrustFilters
    #: The schools shown (filtered) and every school of the organisation (for the filter).
    schools: list[School]
    all_schools: list[School]
    columns: list[Column]
    #: (school id, column id) -> counts
    cells: dict[tuple[int, int], Counts]
    by_school: dict[int, Counts]
    total: Counts
    phases: list[str]
    modules: list[tuple[int, str]]
    #: The page of schools (by name) the matrix shows, ``page_size`` a page; every school
    #: when the report was made for a download (``page`` 0). ``cells`` are theirs.
    page: int = 0
    page_size: int = SCHOOL_ROWS

    def ranked(self) -> list[tuple[School, Counts]]:
        """Schools by gap (expected but not trained), largest first, then by name."""
        rows = [(s, self.by_school.get(s.id, Counts())) for s in self.schools]
        return sorted(rows, key=lambda r: (-r[1].gap, r[0].name.lower()))

    @property
    def pages(self) -> int:
        """Pages of schools in the matrix (at least one, even for none)."""
        return max(1, -(-len(self.schools) // self.page_size)) if self.page else 1

    @property
    def shown(self) -> list[School]:
        """The schools of the page, by name (all of them for a download)."""
        if not self.page:
            return self.schools
        start = (self.page - 1) * self.page_size
        return self.schools[start : start + self.page_size]


@dataclass(frozen=True)
class PersonRow:
    school_id: int
    school_name: str
    urn: str
    person_id: int
    name: str
    email: str | None
    title: str
    status: str
    due_on: dt.date | None
    expires_on: dt.date | None
    last_completed_on: dt.date | None


@dataclass
class _SchoolPage:
    """What ``school_statements.dashboard`` returns, sorted into place."""

    cells: dict[int, dict[int, str]] = field(default_factory=dict)
    by_requirement: dict[int, Counts] = field(default_factory=dict)
    by_role: dict[str, Counts] = field(default_factory=dict)
    total: Counts = field(default_factory=Counts)
    expiring_counts: dict[int, int] = field(default_factory=dict)
    evidence_pending: int = 0
    hours: dict[int, Decimal] = field(default_factory=dict)
    overdue: list[GapLine] = field(default_factory=list)
    expiring: dict[int, list[GapLine]] = field(
        default_factory=lambda: {days: [] for days in EXPIRY_WINDOWS}
    )
    never_started: list[int] = field(default_factory=list)
    never_started_count: int = 0
    #: Staff on the list with a status on some requirement, by status.
    with_status: dict[str, int] = field(default_factory=dict)
    #: On the staff list, and of them never opened the tool (kept: ``school_counts``).
    on_list: int = 0
    never_launched: int = 0
    #: "gap" rows: (tag, person, column, status, due, expires)
    gaps: list[tuple[str, int, int, str, dt.date | None, dt.date | None]] = field(
        default_factory=list
    )

    def add(self, kind: str, person_id: int, column_id: int, tag: str, status: str, n: int) -> None:
        """One figure of the statement (any kind but "cell")."""
        if kind == "requirement":
            self.by_requirement.setdefault(column_id, Counts()).add(status, n)
            self.total.add(status, n)
        elif kind == "role":
            self.by_role.setdefault(tag, Counts()).add(status, n)
        elif kind == "expiring":
            self.expiring_counts[column_id] = n
        elif kind == "evidence":
            self.evidence_pending = n
        elif kind == "hours":
            self.hours[person_id] = Decimal(n) / 100
        elif kind == "never_started":
            self.never_started.append(person_id)
        elif kind == "never_started_count":
            self.never_started_count = n


def display_name(name: str | None, given: str | None, family: str | None, email: str | None,
                 person_id: int) -> str:  # fmt: skip
    """``Person.display_name`` for a row read with Core."""
    if name:
        return name
    parts = [p for p in (given, family) if p]
    if parts:
        return " ".join(parts)
    return email or f"Staff member #{person_id}"


#: Rows streamed from a server-side cursor, for one statement only: ``Connection.
#: execution_options()`` would set it on the session's connection for every later statement
#: (on PostgreSQL a later DELETE then fails as a cursor declaration).
_STREAMED = {"yield_per": 2000}

_PERSON_COLUMNS = (Person.id, Person.name, Person.given_name, Person.family_name, Person.email)


def _name(row: Any) -> str:
    return display_name(row.name, row.given_name, row.family_name, row.email, row.id)


def _audience(roles: Sequence[str] | None, school_name: str | None) -> str:
    from cpd_tracker.templating import ROLE_LABELS

    where = school_name or "every school"
    if not roles:
        return f"All staff, {where}"
    return f"{', '.join(ROLE_LABELS.get(r, r) for r in roles)}, {where}"


class ReportService:
    def __init__(self, session: Session, facts: StatusFactsService | None = None) -> None:
        self.session = session
        self.facts = facts or StatusFactsService(session)

    # -- columns -------------------------------------------------------------------------

    def columns(self, organisation_id: int, school_id: int | None = None) -> list[Column]:
        """Trust-wide requirements, then schools' own, by module title. With ``school_id``:
        that school's view, where its override stands in the column of what it overrides."""
        query = (
            select(
                Requirement.id,
                Module.title,
                Requirement.module_id,
                Requirement.school_id,
                Requirement.overrides_id,
                Requirement.roles,
                School.name.label("school_name"),
            )
            .join(Module, Module.id == Requirement.module_id)
            .outerjoin(School, School.id == Requirement.school_id)
            .where(
                Requirement.organisation_id == organisation_id,
                Requirement.retired_at.is_(None),
                # A retired module's requirement carries over to its replacement (issue 16).
                Module.retired_at.is_(None) | Module.replaced_by_id.is_not(None),
            )
            .order_by(Requirement.school_id.is_not(None), Module.title, Requirement.id)
        )
        if school_id is not None:
            query = query.where(
                Requirement.school_id.is_(None) | (Requirement.school_id == school_id)
            )
        rows = list(self.session.execute(query))
        overrides = {r.overrides_id: r for r in rows if r.overrides_id and school_id is not None}
        present = {r.id for r in rows if not r.overrides_id}
        columns: dict[int, Column] = {}
        for r in rows:
            # Status facts file an override under what it overrides (``column_id``), even
            # once that is retired and the override stands alone.
            if r.overrides_id and r.overrides_id in present:
                continue
            key = r.overrides_id or r.id
            shown = r if r.overrides_id else overrides.get(r.id, r)
            columns.setdefault(
                key,
                Column(
                    key,
                    shown.title,
                    shown.module_id,
                    r.school_id,
                    _audience(shown.roles, shown.school_name),
                ),
            )
        return list(columns.values())

    # -- the school ----------------------------------------------------------------------

    def school(
        self,
        school: School,
        today: dt.date,
        role: str | None = None,
        *,
        page: int = 1,
        status: str | None = None,
        page_size: int | None = None,
    ) -> SchoolReport:
        """The dashboard: every figure over the whole school (with ``role``, its staff in
        that role); the heatmap and hours for page ``page`` of the staff (with ``status``,
        of those with that status on some requirement). A page past the last is empty."""
        self.facts.ensure_fresh(school.organisation_id, today, [school.id])
        page_size = page_size or statements.PAGE_ROWS
        year = academic_year_of(today)
        values = statements.parameters(
            school.id, school.organisation_id, today, role, dt.date(year, 9, 1), status
        )
        found = self._counted(school.id, role)
        # Both kept with the counts, not counted over everyone per view (issue 14, finding 9).
        staff_count, unlaunched = found.on_list, found.never_launched
        staff, never_launched = self._with_roles(
            values,
            self._staff_rows(values, page_size, (page - 1) * page_size, status is not None),
            self._staff_rows(values, values["list_limit"], 0, False, unlaunched=True),
        )
        columns = self.columns(school.organisation_id, school.id)
        values["page_people"] = [m.person_id for m in staff]
        self._page_figures(values, found)
        names = self._names(values, {g[1] for g in found.gaps} | set(found.never_started))
        titles = {c.id: c.title for c in columns}
        gaps: dict[str, list[GapLine]] = {tag: [] for tag in GAP_LISTS}
        for tag, person_id, column_id, value, due, expires in sorted(
            found.gaps, key=lambda g: self._gap_key(g, names)
        ):
            name = names[person_id][0] if person_id in names else f"Staff member #{person_id}"
            line = GapLine(person_id, name, titles.get(column_id, ""), value, due, expires)
            gaps[tag].append(line)
        never_started = sorted(found.never_started, key=lambda p: names[p][1] if p in names else ())
        return SchoolReport(
            school=school,
            today=today,
            columns=columns,
            staff=staff,
            by_requirement=found.by_requirement,
            by_role=found.by_role,
            total=found.total,
            cells=found.cells,
            overdue=gaps["overdue"],
            overdue_count=found.total.of(*OVERDUE),
            expiring={days: gaps[str(days)] for days in EXPIRY_WINDOWS},
            expiring_counts=found.expiring_counts,
            never_started=[
                StaffLine(p, names[p][0], None, (), None) for p in never_started if p in names
            ],
            never_launched=never_launched,
            evidence_pending=found.evidence_pending,
            hours=found.hours,
            academic_year=year,
            staff_count=staff_count,
            listed_count=found.with_status.get(status, 0) if status is not None else staff_count,
            never_started_count=found.never_started_count,
            never_launched_count=unlaunched,
            page=page,
            page_size=page_size,
        )

    def _run(self, statement: Executable, values: dict[str, Any]) -> Sequence[Any]:
        # fetchall: iterating a result fetches row by row, a measurable cost over many rows.
        return self.session.connection().execute(statement, values).all()

    @staticmethod
    def _gap_key(
        gap: tuple[str, int, int, str, dt.date | None, dt.date | None],
        names: dict[int, tuple[str, tuple[Any, ...]]],
    ) -> tuple[Any, ...]:
        """``school_statements.gap_order`` again, for the rows of a UNION (which keeps no
        order of its own): the list's date, none last, then the name order, then column."""
        tag, person_id, column_id, _, due, expires = gap
        day = due if tag == "overdue" else expires
        order = names[person_id][1] if person_id in names else ("", "", "", person_id)
        return (tag, day is None, day or dt.date.min, order, column_id)

    def _names(
        self, values: dict[str, Any], ids: set[int]
    ) -> dict[int, tuple[str, tuple[Any, ...]]]:
        """Person id -> (display name, the name order's key) for a few people."""
        if not ids:
            return {}
        found = self._run(statements.names(), {**values, "page_people": sorted(ids)})
        return {
            r.id: (_name(r), (r.family_name or "", r.given_name or "", r.name or "", r.id))
            for r in found
        }

    def _counted(self, school_id: int, role: str | None) -> _SchoolPage:
        """The dashboard's figures and the gap lists' first rows, as counted for today
        (``school_counts``: a few hundred rows, whatever the school's size)."""
        page = _SchoolPage(expiring_counts=dict.fromkeys(EXPIRY_WINDOWS, 0))
        scope = StaffRoleKind(role).value if role else ALL_STAFF
        for _, kind, column_id, _, tag, value, n in self.facts.counts.counts([school_id], scope):
            if kind == "requirement":
                page.add(kind, 0, column_id, tag, value, n)
            elif kind == "role":
                page.add(kind, 0, 0, tag, value, n)
            elif kind == "expiring":
                page.expiring_counts[int(tag)] = n
            elif kind == "never_started":
                page.never_started_count = n
            elif kind == "with_status":
                page.with_status[value] = n
            elif kind == "on_list":
                page.on_list = n
            elif kind == "never_launched":
                page.never_launched = n
        for tag, _, person_id, column_id, value, due, expires in self.facts.counts.lists(
            school_id, scope
        ):
            if tag == "never_started":
                page.never_started.append(person_id)
            else:
                page.gaps.append((tag, person_id, column_id, value, due, expires))
        return page

    def _page_figures(self, values: dict[str, Any], page: _SchoolPage) -> None:
        """The cells and CPD hours of the page's staff (their facts only, by the primary
        key) and the evidence awaiting verification, into ``page``."""
        if values["page_people"]:
            found = self._run(statements.dashboard_cells("role" in values), values)
            for kind, person_id, column_id, value, n in found:
                if kind == "cell":
                    page.cells.setdefault(person_id, {})[column_id] = value
                else:
                    page.hours[person_id] = Decimal(n) / 100
        [(page.evidence_pending,)] = self._run(statements.evidence_pending(), values)

    def _staff_rows(
        self,
        values: dict[str, Any],
        limit: int,
        offset: int,
        by_status: bool,
        *,
        unlaunched: bool = False,
    ) -> list[Any]:
        """``limit`` staff from ``offset`` in the staff list's order: a range of the
        positions ``school_counts`` keeps for today (``ensure_fresh`` first), not a sort of
        the whole school."""
        role = values.get("role")
        return self.facts.counts.staff(
            values["school_id"],
            StaffRoleKind(role).value if role else ALL_STAFF,
            values["status"] if by_status else None,
            limit,
            offset,
            unlaunched=unlaunched,
        )

    def _with_roles(self, values: dict[str, Any], *lists: list[Any]) -> list[list[StaffLine]]:
        """Each list of staff rows as lines with their roles, read in one statement."""
        ids = sorted({row.id for rows in lists for row in rows})
        roles: dict[int, list[str]] = {}
        if ids:
            for person_id, role in self._run(
                statements.staff_roles(), {**values, "page_people": ids}
            ):
                roles.setdefault(person_id, []).append(StaffRoleKind(role).value)
        found = []
        for rows in lists:
            lines = []
            for row in rows:
                held = list(roles.get(row.id, []))
                if len(held) > 1 and StaffRoleKind.UNASSIGNED.value in held:
                    held.remove(StaffRoleKind.UNASSIGNED.value)
                lines.append(
                    StaffLine(
                        row.id, _name(row), row.email, tuple(sorted(held)), row.last_launch_at
                    )
                )
            found.append(lines)
        return found

    # -- the school's exports: everyone, a page at a time or streamed --------------------

    def school_staff(
        self,
        school: School,
        today: dt.date,
        role: str | None = None,
        batch: int = 2000,
        *,
        cells: bool = True,
    ) -> Iterator[tuple[StaffLine, dict[int, str], Decimal]]:
        """Every member of staff (in ``role``) in the staff list's order, with their cells
        (empty unless ``cells``) and CPD hours this academic year, read ``batch`` people at a
        time (the heatmap and hours downloads: memory bounded by the batch, whatever the
        school's size)."""
        self.facts.ensure_fresh(school.organisation_id, today, [school.id])
        year = academic_year_of(today)
        values = statements.parameters(
            school.id, school.organisation_id, today, role, dt.date(year, 9, 1)
        )
        offset = 0
        while True:
            [staff] = self._with_roles(values, self._staff_rows(values, batch, offset, False))
            if not staff:
                return
            values["page_people"] = [m.person_id for m in staff]
            found = self._run(statements.dashboard_cells("role" in values, cells), values)
            statuses: dict[int, dict[int, str]] = {}
            hours: dict[int, Decimal] = {}
            for kind, person_id, column_id, value, n in found:
                if kind == "cell":
                    statuses.setdefault(person_id, {})[column_id] = value
                else:
                    hours[person_id] = Decimal(n) / 100
            for member in staff:
                yield (
                    member,
                    statuses.get(member.person_id, {}),
                    hours.get(member.person_id, Decimal(0)),
                )
            offset += batch

    def school_gaps(
        self, school: School, today: dt.date, role: str | None = None
    ) -> Iterator[tuple[str, GapLine | StaffLine]]:
        """Every row of every gap list, in the page's order, streamed: (list, line) with
        list one of ``GAP_LISTS``, "never_started" or "never_launched"."""
        self.facts.ensure_fresh(school.organisation_id, today, [school.id])
        year = academic_year_of(today)
        values = statements.parameters(
            school.id, school.organisation_id, today, role, dt.date(year, 9, 1)
        )
        titles = {c.id: c.title for c in self.columns(school.organisation_id, school.id)}
        connection = self.session.connection()
        filtered = role is not None
        for tag in GAP_LISTS:
            found = connection.execute(
                statements.gap_rows(filtered, tag), values, execution_options=_STREAMED
            )
            for r in found:
                name = display_name(r.name, r.given_name, r.family_name, r.email, r.person_id)
                title = titles.get(r.column_id, "")
                yield tag, GapLine(r.person_id, name, title, r.status, r.due, r.expires_on)
        found = connection.execute(
            statements.never_started_people(filtered), values, execution_options=_STREAMED
        )
        for r in found:
            yield "never_started", StaffLine(r.id, _name(r), r.email, (), None)
        offset, batch = 0, 2000
        while True:
            [staff] = self._with_roles(
                values, self._staff_rows(values, batch, offset, False, unlaunched=True)
            )
            if not staff:
                return
            for member in staff:
                yield "never_launched", member
            offset += batch

    # -- the trust -----------------------------------------------------------------------

    def _trust_scope(self, organisation_id: int, filters: TrustFilters) -> list[Any]:
        scope: list[Any] = [ReportStatus.organisation_id == organisation_id]
        if filters.school_id is not None:
            scope.append(ReportStatus.school_id == filters.school_id)
        if filters.phase:
            scope.append(
                ReportStatus.school_id.in_(
                    select(School.id).where(
                        School.organisation_id == organisation_id, School.phase == filters.phase
                    )
                )
            )
        if filters.module_id is not None:
            scope.append(ReportStatus.module_id == filters.module_id)
        if filters.role:
            scope.append(statements.has_role(StaffRoleKind(filters.role)))
        return scope

    def trust(
        self,
        organisation_id: int,
        today: dt.date,
        filters: TrustFilters,
        *,
        page: int = 0,
        page_size: int | None = None,
    ) -> TrustReport:
        """The trust's figures: totals and each school's over every school shown (the
        ranking), the matrix's cells for ``page`` of them by name (``page_size`` a page), or
        for every school with ``page`` 0 (the downloads)."""
        self.facts.ensure_fresh(organisation_id, today)
        all_schools = list(
            self.session.scalars(
                select(School)
                .where(School.organisation_id == organisation_id)
                .order_by(School.name)
            )
        )
        schools = [
            s
            for s in all_schools
            if (filters.school_id is None or s.id == filters.school_id)
            and (not filters.phase or s.phase == filters.phase)
        ]
        every_column = self.columns(organisation_id)
        columns = [
            c
            for c in every_column
            if (filters.module_id is None or c.module_id == filters.module_id)
            and (c.school_id is None or c.school_id in {s.id for s in schools})
        ]
        report = TrustReport(
            today=today,
            filters=filters,
            schools=schools,
            all_schools=all_schools,
            columns=columns,
            cells={},
            by_school={},
            total=Counts(),
            phases=sorted({s.phase for s in all_schools if s.phase}),
            modules=sorted({(c.module_id, c.title) for c in every_column}, key=lambda m: m[1]),
            page=page,
            page_size=page_size or SCHOOL_ROWS,
        )
        if schools:
            self._trust_counts(
                report, StaffRoleKind(filters.role).value if filters.role else ALL_STAFF
            )
        return report

    def _trust_counts(self, report: TrustReport, scope: str) -> None:
        """Each school's counts for today (``school_counts``), not its facts: a few hundred
        rows a school, whatever its size (issue 14, finding 9); summed per school and status
        by the database for the ranking and totals, and read cell by cell only for the
        matrix's page of schools (issue 18, item 5: 600 schools)."""
        c = ReportCount
        module_id = report.filters.module_id

        def kept(schools: Sequence[School], kind: str) -> list[ColumnElement[bool]]:
            """The kept rows of ``kind`` for ``schools`` (one module's, when filtered)."""
            where = [c.school_id.in_([s.id for s in schools]), c.scope == scope, c.kind == kind]
            if kind == "requirement" and module_id is not None:
                where.append(c.module_id == module_id)
            return where

        if module_id is not None:
            totals = (
                select(c.school_id, c.status, func.sum(c.n))
                .where(*kept(report.schools, "requirement"))
                .group_by(c.school_id, c.status)
            )
        else:
            # Kept per school and status with the counts.
            totals = select(c.school_id, c.status, c.n).where(*kept(report.schools, "school_total"))
        for school_id, value, n in self._run(totals, {}):
            report.by_school.setdefault(school_id, Counts()).add(value, int(n))
            report.total.add(value, int(n))
        # The matrix's cells for its page of schools (every school in a download).
        cells = select(c.school_id, c.column_id, c.status, c.n).where(
            *kept(report.shown, "requirement")
        )
        for school_id, column_id, value, n in self._run(cells, {}):
            report.cells.setdefault((school_id, column_id), Counts()).add(value, n)

    # -- the people behind a figure ------------------------------------------------------

    def people(
        self,
        organisation_id: int,
        today: dt.date,
        filters: TrustFilters,
        *,
        column_id: int | None = None,
        statuses: Sequence[str] = (),
        limit: int | None = None,
    ) -> Iterator[PersonRow]:
        """Status rows behind a figure, school by school and name by name: the facts are
        brought up to date now, the rows stream from the database as they are read."""
        self.facts.ensure_fresh(organisation_id, today, self._school_ids(organisation_id, filters))
        status = status_on(today).label("status")
        due = due_on(today).label("due")
        query = (
            select(
                ReportStatus.school_id,
                School.name.label("school_name"),
                School.urn,
                *_PERSON_COLUMNS,
                Module.title,
                status,
                due,
                ReportStatus.expires_on,
                ReportStatus.last_completed_on,
            )
            .join(School, School.id == ReportStatus.school_id)
            .join(Person, Person.id == ReportStatus.person_id)
            .join(Module, Module.id == ReportStatus.module_id)
            .where(*self._trust_scope(organisation_id, filters))
            .order_by(School.name, Person.family_name, Person.given_name, Person.id, Module.title)
        )
        if column_id is not None:
            query = query.where(ReportStatus.column_id == column_id)
        if statuses:
            query = query.where(status.in_(list(statuses)))
        if limit is not None:
            query = query.limit(limit)
        return self._stream(query)

    def _stream(self, query: Executable) -> Iterator[PersonRow]:
        result = self.session.execute(query, execution_options={"yield_per": 2000})
        for r in result:
            yield PersonRow(
                r.school_id,
                r.school_name,
                r.urn,
                r.id,
                _name(r),
                r.email,
                r.title,
                r.status,
                r.due,
                r.expires_on,
                r.last_completed_on,
            )

    def count_people(
        self,
        organisation_id: int,
        today: dt.date,
        filters: TrustFilters,
        *,
        column_id: int | None = None,
        statuses: Sequence[str] = (),
    ) -> int:
        query = select(func.count()).where(*self._trust_scope(organisation_id, filters))
        if column_id is not None:
            query = query.where(ReportStatus.column_id == column_id)
        if statuses:
            query = query.where(status_on(today).in_(list(statuses)))
        return self.session.scalar(query) or 0

    def _school_ids(self, organisation_id: int, filters: TrustFilters) -> list[int] | None:
        if filters.school_id is not None:
            return [filters.school_id]
        return None
