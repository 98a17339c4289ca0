"""Monthly coverage snapshots, and the trends drawn from them (issue 6, "Trends"; the
trend object itself is ``services/trends.py``).

A snapshot is one school's coverage of one requirement in one calendar month, computed by the
status engine (``ComplianceService.school`` with that month's date as "today") and counted the
way the school page counts it (``coverage_of``: trained is compliant or expiring soon;
leavers and exempt staff are outside both figures).

**As of when.** A month is measured on its last day; the current month on today.

**This month is the headline.** A chart's current month is not read from its snapshot rows,
which are only as fresh as the last run: it is counted from the same kept counts as the
dashboards' headlines (``school_counts``, brought up to date first with
``StatusFactsService.ensure_fresh``), so after an INSET or an import the school chart's
"this month" is the school page's figure and the trust trend's last point the trust page's
(issue 17, "Charts contradict the page"). Earlier months come from the snapshots; a school
with none has no chart yet.

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

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, case, func, literal, select
from sqlalchemy.orm import Session

from cpd_tracker.dates import local_date
from cpd_tracker.models import Completion, CoverageSnapshot, Module, Requirement, School
from cpd_tracker.rules.training import Status, add_months
from cpd_tracker.services.compliance import ComplianceService, coverage_of
from cpd_tracker.services.months import month_end, month_label, month_of, months_from
from cpd_tracker.services.school_statements import OUTSIDE, TRAINED
from cpd_tracker.services.status_facts import StatusFactsService
from cpd_tracker.services.trends import (
    DEFAULT_WINDOW,
    LinePoint,
    Trend,
    TrendPoint,
    backfilled_until,
    series_of,
)

#: Back-filling stops this many months before the current month (three school years).
MAX_BACKFILL_MONTHS = 36
_COUNTED = ("expiring_soon", "not_yet_due", "due", "due_soon", "overdue", "extended", "expired")


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
        self,
        session: Session,
        compliance: ComplianceService,
        clock: Callable[[], dt.datetime],
        facts: StatusFactsService | None = None,
    ) -> None:
        self.session = session
        self.compliance = compliance
        self.clock = clock
        self.facts = facts or StatusFactsService(session, compliance)

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
        today = local_date(self.clock())
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
        today = local_date(self.clock())
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
        current = month_of(local_date(self.clock()))
        return months_from(add_months(current, -(months - 1)), current)

    def school_trend(
        self, school: School, months: int = DEFAULT_WINDOW, *, lines: bool = True
    ) -> Trend:
        """One school: a line per training (module) and an overall line, month by month;
        without ``lines``, the overall line alone (the dashboard's headline)."""
        window = self.window(months)
        rows = self._trend_points(
            [
                CoverageSnapshot.organisation_id == school.organisation_id,
                CoverageSnapshot.school_id == school.id,
            ],
            window,
            by="module" if lines else None,
        )
        rows = self._live_month(
            rows, window, school.organisation_id, [school.id], "module" if lines else None
        )
        return Trend(
            kind="school",
            scope_id=school.id,
            subject=school.name,
            title=f"Staff trained, {school.name}",
            series_heading="Training",
            months=tuple(window),
            series=tuple(series_of(rows, window, "All required training")),
            backfilled_until=backfilled_until(rows),
            window=months,
        ).trimmed()

    def trust_trend(
        self, organisation_id: int, name: str, months: int = DEFAULT_WINDOW, *, lines: bool = True
    ) -> Trend:
        """The organisation: a line per school and an overall line, month by month; without
        ``lines``, the overall line alone (the dashboard's headline)."""
        window = self.window(months)
        rows = self._trend_points(
            [CoverageSnapshot.organisation_id == organisation_id],
            window,
            by="school" if lines else None,
        )
        school_ids = list(
            self.session.scalars(select(School.id).where(School.organisation_id == organisation_id))
        )
        rows = self._live_month(
            rows, window, organisation_id, school_ids, "school" if lines else None
        )
        return Trend(
            kind="trust",
            scope_id=organisation_id,
            subject=name,
            title=f"Staff trained, {name}",
            series_heading="School",
            months=tuple(window),
            series=tuple(series_of(rows, window, "All schools")),
            backfilled_until=backfilled_until(rows),
            window=months,
        ).trimmed()

    def _live_month(
        self,
        rows: list[LinePoint],
        window: list[dt.date],
        organisation_id: int,
        school_ids: list[int],
        by: str | None,
    ) -> list[LinePoint]:
        """``rows`` with the current month's points counted from the headline's kept counts
        instead of its snapshots (see the module docstring). With no snapshot in the window
        there is no trend to end, and the page says so."""
        today = local_date(self.clock())
        current = month_of(today)
        if not rows or window[-1] != current:
            return rows
        kept = [row for row in rows if row.month != current]
        if not school_ids:
            return kept
        self.facts.ensure_fresh(organisation_id, today, school_ids)
        counted = self.facts.counts.summed(school_ids, by)
        labels: dict[int, str] = {0: ""}
        if by == "module":
            ids = {line for line, _, _ in counted}
            query = select(Module.id, Module.title).where(Module.id.in_(ids))
            labels = {row[0]: row[1] for row in self.session.execute(query)}
        elif by == "school":
            query = select(School.id, School.name).where(School.id.in_(school_ids))
            labels = {row[0]: row[1] for row in self.session.execute(query)}
        points: dict[int, TrendPoint] = {}
        for line, status, n in counted:
            point = TrendPoint(
                n if status in TRAINED else 0,
                0 if status in OUTSIDE else n,
                n if status == Status.OVERDUE.value else 0,
                n if status == Status.EXPIRED.value else 0,
                n if status == Status.EXEMPT.value else 0,
            )
            points[line] = points[line] + point if line in points else point
        live = [
            LinePoint(
                f"{by}-{line}" if by else "overall",
                labels.get(line, ""),
                current,
                point,
                False,
            )
            for line, point in points.items()
        ]
        return kept + live

    def _trend_points(
        self, scope: list[ColumnElement[bool]], window: list[dt.date], by: str | None
    ) -> list[LinePoint]:
        """The snapshots summed in SQL by month and, with ``by``, by training ("module") or
        school: one point per line and month, however many snapshots are behind it. Without
        ``by``: by month alone, the overall line."""
        s = CoverageSnapshot
        line: list[Any] = [literal(0), literal("")]
        query = select(s.month)
        if by == "module":
            line = [Module.id, Module.title]
            query = query.join(Requirement, Requirement.id == s.requirement_id).join(
                Module, Module.id == Requirement.module_id
            )
        elif by == "school":
            line = [School.id, School.name]
            query = query.join(School, School.id == s.school_id)
        query = (
            query.add_columns(
                *line,
                func.sum(s.compliant),
                func.sum(s.applicable),
                func.sum(s.overdue),
                func.sum(s.expired),
                func.sum(s.exempt),
                func.max(case((s.backfilled, 1), else_=0)),
            )
            .where(*scope, s.month >= window[0], s.month <= window[-1])
            .group_by(s.month, *(line if by else []))
        )
        found: Sequence[Any] = self.session.connection().execute(query).all()
        return [
            LinePoint(
                f"{by}-{id_}" if by else "overall",
                name,
                month,
                TrendPoint(int(trained), int(expected), int(overdue), int(expired), int(exempt)),
                bool(backfilled),
            )
            for month, id_, name, trained, expected, overdue, expired, exempt, backfilled in found
        ]


def _figures_of(row: CoverageSnapshot) -> dict[str, int]:
    names = ("applicable", "compliant", *_COUNTED, "exempt")
    return {name: getattr(row, name) for name in names}
