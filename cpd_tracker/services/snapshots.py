"""Monthly coverage snapshots and the trends drawn from them (issue 6, "Trends").

A snapshot is one school's coverage of one requirement in one calendar month, computed by the
status engine (``ComplianceService.school`` with that month's date as "today") and counted the
way the school page counts it (``coverage_of``: trained is compliant or expiring soon;
leavers and exempt staff are outside both figures).

**As of when.** A month is measured on its last day; the current month on today.

**Idempotent.** ``take`` for the same month and the same day changes nothing. The current
month is *refreshed* by every later run (its figures move with the month, so a daily cron
keeps it current), until a run after the month's end measures it on its last day: from then on
the month is *final* and never rewritten, unless ``replace=True`` asks for it (after importing
past completions, say). Rows are compared before writing: a run that finds the same figures
writes nothing, except to mark a month final.

**Back-fill.** Months before the first run are reconstructed from history: completion dates,
exemptions and extensions are dated, so the engine gives the status on any past day. What is
*not* dated is who was on the staff and in which role: a reconstruction uses today's staff
list, so people who have since left are missing from it and people are counted in the roles
they hold now. Staff whose start date is after the month's date are left out (they were not in
post yet; the school page lists such future starters as "not yet due"), and a requirement
counts from its first month whatever its creation date: before it was introduced nobody is
overdue against it, so those months show who had done the training already. Reconstructed
rows are marked ``backfilled`` and the trend pages say so. Back-filling goes back at most
``MAX_BACKFILL_MONTHS``.

Not audited: snapshots are derived data, recomputable from audited records at any time, and
carry nothing a person decided (STYLE.md convention 12 audits changes to training data).
The service flushes; its caller (the CLI) commits.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any

from markupsafe import Markup, escape
from sqlalchemy import ColumnElement, case, func, literal, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from cpd_tracker.charts import STYLES, Line, line_chart
from cpd_tracker.models import Completion, CoverageSnapshot, Module, Requirement, School
from cpd_tracker.rules.training import Status, add_months
from cpd_tracker.services.compliance import ComplianceService, coverage_of

#: Back-filling stops this many months before the current month (three school years).
MAX_BACKFILL_MONTHS = 36
#: Trend windows offered on the pages, in months.
WINDOWS = (6, 12, 24, 36)
DEFAULT_WINDOW = 12

_MONTHS = calendar.month_name
_COUNTED = ("expiring_soon", "not_yet_due", "due", "due_soon", "overdue", "extended", "expired")


# -- months -----------------------------------------------------------------------------------


def month_of(day: dt.date) -> dt.date:
    return day.replace(day=1)


def month_end(month: dt.date) -> dt.date:
    return month.replace(day=calendar.monthrange(month.year, month.month)[1])


def months_from(first: dt.date, last: dt.date) -> list[dt.date]:
    """Every month from ``first``'s to ``last``'s, both included."""
    months: list[dt.date] = []
    month = month_of(first)
    while month <= last:
        months.append(month)
        month = add_months(month, 1)
    return months


def parse_month(text: str) -> dt.date:
    """``YYYY-MM`` as the first day of that month; ValueError with a message otherwise."""
    try:
        return dt.datetime.strptime(text.strip(), "%Y-%m").date()
    except ValueError:
        raise ValueError(f"{text!r} is not a month: write it as YYYY-MM, e.g. 2026-09.") from None


def month_label(month: dt.date) -> str:
    return f"{_MONTHS[month.month]} {month.year}"


# -- taking snapshots -------------------------------------------------------------------------


@dataclass
class TakeReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0

    def add(self, other: TakeReport) -> None:
        self.created += other.created
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.removed += other.removed


@dataclass(frozen=True)
class Job:
    """One school's snapshot for one month."""

    school_id: int
    month: dt.date


class SnapshotService:
    def __init__(
        self, session: Session, compliance: ComplianceService, clock: Callable[[], dt.datetime]
    ) -> None:
        self.session = session
        self.compliance = compliance
        self.clock = clock

    # -- what to take -------------------------------------------------------------------------

    def pending(
        self,
        *,
        organisation_id: int | None = None,
        month: dt.date | None = None,
        backfill: bool = False,
        replace: bool = False,
    ) -> list[Job]:
        """The snapshots a run should take, oldest month first.

        ``month``: that month at every school. Otherwise, per school, every month after its
        latest final snapshot up to this one: the current month, any month a missed run left
        out or unfinished, and, for a school with no snapshot yet, its whole history (the
        first run back-fills). ``backfill`` also fills holes before a school's latest final
        month, back to the earliest history; ``replace`` takes every month again.
        """
        today = self.clock().date()
        current = month_of(today)
        if month is not None and month_of(month) > current:
            raise ValueError(f"{month_label(month)} has not started yet.")
        schools = self._schools(organisation_id)
        if month is not None:
            return [Job(s.id, month_of(month)) for s in schools]
        earliest = {
            org: self.earliest_month(org, today) for org in {s.organisation_id for s in schools}
        }
        taken = self._taken(organisation_id)
        jobs: list[Job] = []
        for school in schools:
            first = earliest[school.organisation_id]
            if first is None:
                # Nothing is required any more: only months left open need finishing.
                still_open = (m for m, done in taken.get(school.id, {}).items() if not done)
                jobs.extend(Job(school.id, m) for m in sorted(still_open))
                continue
            final = (
                set() if replace else {m for m, done in taken.get(school.id, {}).items() if done}
            )
            if final and not backfill:
                first = max(first, add_months(max(final), 1))
            jobs.extend(Job(school.id, m) for m in months_from(first, current) if m not in final)
        return sorted(jobs, key=lambda j: (j.month, j.school_id))

    def earliest_month(self, organisation_id: int, today: dt.date) -> dt.date | None:
        """The month of the organisation's earliest completion or requirement (whichever is
        older), but no more than ``MAX_BACKFILL_MONTHS`` ago; None with no requirement."""
        introduced = self.session.scalar(
            select(func.min(Requirement.created_at)).where(
                Requirement.organisation_id == organisation_id, Requirement.retired_at.is_(None)
            )
        )
        if introduced is None:
            return None
        first_completion = self.session.scalar(
            select(func.min(Completion.completed_on)).where(
                Completion.organisation_id == organisation_id
            )
        )
        first = introduced.date()
        if first_completion is not None:
            first = min(first, first_completion)
        limit = add_months(month_of(today), -MAX_BACKFILL_MONTHS)
        return max(month_of(min(first, today)), limit)

    def _schools(self, organisation_id: int | None) -> list[School]:
        query = select(School).order_by(School.organisation_id, School.id)
        if organisation_id is not None:
            query = query.where(School.organisation_id == organisation_id)
        return list(self.session.scalars(query))

    def _taken(self, organisation_id: int | None) -> dict[int, dict[dt.date, bool]]:
        """school id -> month -> whether every row of that month is final."""
        query = select(CoverageSnapshot.school_id, CoverageSnapshot.month, CoverageSnapshot.as_of)
        if organisation_id is not None:
            query = query.where(CoverageSnapshot.organisation_id == organisation_id)
        found: dict[int, dict[dt.date, bool]] = defaultdict(dict)
        for school_id, month, as_of in self.session.execute(query):
            final = as_of == month_end(month)
            found[school_id][month] = found[school_id].get(month, True) and final
        return found

    # -- taking -------------------------------------------------------------------------------

    def take(self, job: Job, *, replace: bool = False) -> TakeReport:
        """Take (or refresh) one school's snapshot for one month; see the module docstring."""
        school = self.session.get(School, job.school_id)
        if school is None:
            raise ValueError(f"There is no school {job.school_id}.")
        today = self.clock().date()
        month = month_of(job.month)
        if month > month_of(today):
            raise ValueError(f"{month_label(month)} has not started yet.")
        as_of = min(month_end(month), today)
        existing = {
            row.requirement_id: row
            for row in self.session.scalars(
                select(CoverageSnapshot).where(
                    CoverageSnapshot.school_id == school.id, CoverageSnapshot.month == month
                )
            )
        }
        report = TakeReport()
        if existing and not replace and all(r.is_final for r in existing.values()):
            report.unchanged = len(existing)
            return report
        now = self.clock()
        current = self.figures(school, as_of)
        for requirement_id, stale in existing.items():
            # A requirement retired (or no longer applying here) while its month is still open
            # has no figure on the month's measuring day. Final rows stay: they are history.
            if requirement_id not in current and not stale.is_final:
                self.session.delete(stale)
                report.removed += 1
        for requirement_id, figures in current.items():
            row = existing.get(requirement_id)
            if row is None:
                row = CoverageSnapshot(
                    organisation_id=school.organisation_id,
                    school_id=school.id,
                    requirement_id=requirement_id,
                    month=month,
                    # A month first measured after it ended is a reconstruction.
                    backfilled=as_of < today,
                )
                self.session.add(row)
                report.created += 1
            elif (row.is_final and not replace) or (
                _figures_of(row) == figures and (row.as_of == as_of or as_of != month_end(month))
            ):
                # Same figures: rewritten only to mark the month final (measured on its last
                # day); ``as_of`` of an open month is the day its figures last changed.
                report.unchanged += 1
                continue
            else:
                # Finishing a month measured live keeps it live (the staff list has had only
                # days to drift); recomputing a final month makes it a reconstruction.
                row.backfilled = row.backfilled or row.is_final
                report.updated += 1
            row.as_of = as_of
            for name, value in figures.items():
                setattr(row, name, value)
            row.taken_at = now
        self.session.flush()
        return report

    def figures(self, school: School, as_of: dt.date) -> dict[int, dict[str, int]]:
        """requirement id -> the snapshot's counts, for the staff in post on ``as_of``."""
        compliance = self.compliance.school(school, as_of)
        in_post = {
            m.person_id for m in compliance.staff if m.start_date is None or m.start_date <= as_of
        }
        statuses: dict[int, list[Status]] = {r.id: [] for r in compliance.requirements}
        for (person_id, requirement_id), row in compliance.cells.items():
            if person_id in in_post:
                statuses[requirement_id].append(row.result.status)
        result = {}
        for requirement_id, found in statuses.items():
            coverage = coverage_of(found)
            counts = Counter(s.value for s in found)
            figures = {"applicable": coverage.expected, "compliant": coverage.trained}
            figures.update({name: counts[name] for name in _COUNTED})
            figures["exempt"] = counts[Status.EXEMPT.value]
            result[requirement_id] = figures
        return result

    def take_pending(self, organisation_id: int | None = None) -> TakeReport:
        """Bring snapshots up to date in one go (for the demo seed and tests; the CLI takes
        the same jobs one by one, committing each)."""
        report = TakeReport()
        for job in self.pending(organisation_id=organisation_id):
            report.add(self.take(job))
        return report

    def has_any(self, organisation_id: int | None = None) -> bool:
        query = select(CoverageSnapshot.id).limit(1)
        if organisation_id is not None:
            query = query.where(CoverageSnapshot.organisation_id == organisation_id)
        return self.session.scalar(query) is not None

    # -- trends -------------------------------------------------------------------------------

    def window(self, months: int) -> list[dt.date]:
        current = month_of(self.clock().date())
        return months_from(add_months(current, -(months - 1)), current)

    def school_trend(
        self, school: School, months: int = DEFAULT_WINDOW, *, lines: bool = True
    ) -> Trend:
        """One school: a line per training (module) and an overall line, month by month;
        without ``lines``, the overall line alone (the dashboard's headline)."""
        window = self.window(months)
        rows = self._trend_points(
            (Module.id, Module.title) if lines else None,
            [
                CoverageSnapshot.organisation_id == school.organisation_id,
                CoverageSnapshot.school_id == school.id,
            ],
            window,
            "module",
        )
        return Trend(
            kind="school",
            scope_id=school.id,
            subject=school.name,
            title=f"Staff trained, {school.name}",
            series_heading="Training",
            months=tuple(window),
            series=tuple(_series(rows, window, "All required training")),
            backfilled_until=_backfilled_until(rows),
            window=months,
        ).trimmed()

    def trust_trend(
        self, organisation_id: int, name: str, months: int = DEFAULT_WINDOW, *, lines: bool = True
    ) -> Trend:
        """The organisation: a line per school and an overall line, month by month; without
        ``lines``, the overall line alone (the dashboard's headline)."""
        window = self.window(months)
        rows = self._trend_points(
            (School.id, School.name) if lines else None,
            [
                CoverageSnapshot.organisation_id == organisation_id,
                School.organisation_id == organisation_id,
            ],
            window,
            "school",
        )
        return Trend(
            kind="trust",
            scope_id=organisation_id,
            subject=name,
            title=f"Staff trained, {name}",
            series_heading="School",
            months=tuple(window),
            series=tuple(_series(rows, window, "All schools")),
            backfilled_until=_backfilled_until(rows),
            window=months,
        ).trimmed()

    def _trend_points(
        self,
        key: tuple[InstrumentedAttribute[int], InstrumentedAttribute[str]] | None,
        scope: list[ColumnElement[bool]],
        window: list[dt.date],
        prefix: str,
    ) -> list[_Point]:
        """The snapshots summed in SQL by ``key`` (a module's or a school's id and name) and
        month: one point per line and month, however many snapshots are behind it. Without
        ``key``: by month alone, the overall line."""
        s = CoverageSnapshot
        key_id: Any = literal(0) if key is None else key[0]
        label: Any = literal("") if key is None else key[1]
        grouping: list[Any] = [] if key is None else [key_id, label]
        query = (
            select(
                key_id,
                label,
                s.month,
                func.sum(s.compliant),
                func.sum(s.applicable),
                func.sum(s.overdue),
                func.sum(s.expired),
                func.sum(s.exempt),
                func.max(case((s.backfilled, 1), else_=0)),
            )
            .where(*scope, s.month >= window[0], s.month <= window[-1])
            .group_by(*grouping, s.month)
        )
        if key is not None and key[0] is Module.id:
            query = query.join(Requirement, Requirement.id == s.requirement_id).join(
                Module, Module.id == Requirement.module_id
            )
        elif prefix == "school":
            query = query.join(School, School.id == s.school_id)
        return [
            _Point(
                "overall" if key is None else f"{prefix}-{id_}",
                name,
                month,
                TrendPoint(int(trained), int(expected), int(overdue), int(expired), int(exempt)),
                bool(backfilled),
            )
            for id_, name, month, trained, expected, overdue, expired, exempt, backfilled in (
                self.session.connection().execute(query).all()
            )
        ]


def _figures_of(row: CoverageSnapshot) -> dict[str, int]:
    names = ("applicable", "compliant", *_COUNTED, "exempt")
    return {name: getattr(row, name) for name in names}


@dataclass(frozen=True)
class _Point:
    """One line's figures for one month, summed from its snapshots."""

    key: str
    label: str
    month: dt.date
    point: TrendPoint
    backfilled: bool


def _backfilled_until(points: Iterable[_Point]) -> dt.date | None:
    months = [p.month for p in points if p.backfilled]
    return max(months) if months else None


# -- the trend object the templates draw ------------------------------------------------------


@dataclass(frozen=True)
class TrendPoint:
    trained: int
    expected: int
    overdue: int = 0
    expired: int = 0
    exempt: int = 0

    @property
    def percent(self) -> int | None:
        return round(100 * self.trained / self.expected) if self.expected else None

    def __add__(self, other: TrendPoint) -> TrendPoint:
        return TrendPoint(
            self.trained + other.trained,
            self.expected + other.expected,
            self.overdue + other.overdue,
            self.expired + other.expired,
            self.exempt + other.exempt,
        )


@dataclass(frozen=True)
class TrendSeries:
    key: str
    label: str
    #: One per month of the trend; None where no snapshot was taken.
    points: tuple[TrendPoint | None, ...]
    emphasis: bool = False

    @property
    def percents(self) -> list[int | None]:
        return [p.percent if p is not None else None for p in self.points]


@dataclass(frozen=True)
class Trend:
    """What ``templates/trends/_chart.html`` draws: built by ``SnapshotService.school_trend``
    or ``trust_trend``. The first series is the overall line (emphasised)."""

    kind: str
    scope_id: int
    subject: str
    title: str
    #: The heading of the table's first column ("Training", "School").
    series_heading: str
    months: tuple[dt.date, ...]
    series: tuple[TrendSeries, ...]
    #: The latest month (in the window) whose figures were reconstructed from history.
    backfilled_until: dt.date | None = None
    #: The months asked for (the window), before leading empty months were trimmed.
    window: int = DEFAULT_WINDOW
    chart_id: str = field(default="")

    def trimmed(self) -> Trend:
        """Without the leading months that have no figure at all (before the first snapshot)."""
        first = next(
            (
                i
                for i in range(len(self.months))
                if any(s.points[i] is not None for s in self.series)
            ),
            None,
        )
        if first is None:
            return replace(self, months=(), series=())
        return replace(
            self,
            months=self.months[first:],
            series=tuple(
                TrendSeries(s.key, s.label, s.points[first:], s.emphasis) for s in self.series
            ),
        )

    @property
    def is_empty(self) -> bool:
        return not self.months

    @property
    def drawn(self) -> list[TrendSeries]:
        """The series the chart draws (``charts.drawable``'s rule): the table has them all."""
        return [s for s in self.series if s.emphasis] + [s for s in self.series if not s.emphasis][
            : len(STYLES)
        ]

    @property
    def left_out(self) -> int:
        """Lines in the table but not drawn (too many to tell apart)."""
        return len(self.series) - len(self.drawn)

    def month_labels(self) -> list[str]:
        return [f"{_MONTHS[m.month][:3]} {m.year}" for m in self.months]

    @property
    def backfilled_label(self) -> str:
        return month_label(self.backfilled_until) if self.backfilled_until else ""

    @property
    def chart(self) -> Markup:
        shade = None
        if self.backfilled_until is not None and self.backfilled_until in self.months:
            shade = self.months.index(self.backfilled_until)
        return line_chart(
            chart_id=self.chart_id or f"trend-{self.kind}-{self.scope_id}",
            title=self.title,
            x_labels=[(_MONTHS[m.month][:3], month_label(m)) for m in self.months],
            lines=[Line(s.label, s.percents, s.emphasis) for s in self.drawn],
            shade_until=shade,
            shade_label="Reconstructed from records",
        )

    def table_body(self) -> Markup:
        """The figures table's rows (the chart's text alternative): a row per line, a cell
        per month. Built here rather than in Jinja: a trust's table has hundreds of cells."""
        rows = []
        for series in self.series:
            cells = [
                f'<tr class="govuk-table__row"><th scope="row" class="govuk-table__header">'
                f"{escape(series.label)}</th>"
            ]
            for point in series.points:
                cells.append(_figure_cell(point))
            cells.append("</tr>")
            rows.append("".join(cells))
        return Markup("".join(rows))  # noqa: S704 - labels escaped, the rest numbers of ours

    def rows(self) -> Iterator[tuple[dt.date, TrendSeries, TrendPoint]]:
        """Every figure: month by month, each series in order."""
        for i, month in enumerate(self.months):
            for series in self.series:
                point = series.points[i]
                if point is not None:
                    yield month, series, point


_NUMERIC_CELL = '<td class="govuk-table__cell govuk-table__cell--numeric">'
_NO_FIGURE = (
    f'{_NUMERIC_CELL}<span aria-hidden="true">\u2013</span>'
    '<span class="govuk-visually-hidden">No figure</span></td>'
)


def _figure_cell(point: TrendPoint | None) -> str:
    if point is None:
        return _NO_FIGURE
    if point.percent is None:
        return f"{_NUMERIC_CELL}No staff</td>"
    return (
        f'{_NUMERIC_CELL}{point.percent}%<br><span class="govuk-!-font-size-16">'
        f"{point.trained} of {point.expected}</span></td>"
    )


def _plus(total: TrendPoint | None, point: TrendPoint) -> TrendPoint:
    return point if total is None else total + point


def _series(rows: list[_Point], window: list[dt.date], overall_label: str) -> list[TrendSeries]:
    """An overall series (the sums) first, then one per key, by label. With a single key the
    overall line would repeat it, so that one line is the emphasised one instead."""
    index = {m: i for i, m in enumerate(window)}
    labels: dict[str, str] = {}
    points: dict[str, list[TrendPoint | None]] = defaultdict(lambda: [None] * len(window))
    overall: list[TrendPoint | None] = [None] * len(window)
    for row in rows:
        labels[row.key] = row.label
        i = index[row.month]
        points[row.key][i] = _plus(points[row.key][i], row.point)
        overall[i] = _plus(overall[i], row.point)
    ordered = sorted(labels, key=lambda k: (labels[k].casefold(), k))
    if ordered == ["overall"]:  # summed by month alone: the overall line only
        return [TrendSeries("overall", overall_label, tuple(overall), emphasis=True)]
    if len(ordered) == 1:
        key = ordered[0]
        return [TrendSeries(key, labels[key], tuple(points[key]), emphasis=True)]
    return [TrendSeries("overall", overall_label, tuple(overall), emphasis=True)] + [
        TrendSeries(k, labels[k], tuple(points[k])) for k in ordered
    ]
