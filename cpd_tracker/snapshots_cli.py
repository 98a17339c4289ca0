"""``cpd-tracker snapshots take``: record each school's monthly coverage for the trend charts.

Run it from cron monthly or daily (see README.md, "Coverage snapshots"): it is idempotent.
Without options it brings every school up to date: the first run back-fills each school's
history, later runs refresh the current month and finish the months that have ended (see
``services/snapshots.py`` for what is refreshed and what is final).

Each school-month is committed on its own, so a long back-fill that dies part way keeps what
it did and the next run carries on. Two runs at once cannot both insert a month: the loser
retries it once as an update. A school whose figures cannot be computed (a requirement with a
broken due rule, say) is reported on stderr and skipped; the others are still taken.

Exit status: 0 done; 1 some school-months could not be taken; 2 wrong usage (a malformed or
future ``--month``, an unknown ``--org``).
"""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

import click
from flask.cli import with_appcontext
from sqlalchemy.exc import IntegrityError

from cpd_tracker.extensions import db
from cpd_tracker.models import Organisation, School
from cpd_tracker.registry import clock
from cpd_tracker.services.compliance import ComplianceService
from cpd_tracker.services.months import month_label, parse_month
from cpd_tracker.services.snapshots import Job, SnapshotService, TakeReport

snapshots_group = click.Group("snapshots", help="Monthly coverage snapshots for the trend charts.")

#: Show a progress bar (on stderr) when a run has more school-months than this to take.
PROGRESS_FROM = 12


def _month(ctx: click.Context, param: click.Parameter, value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return parse_month(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from exc


def _plural(count: int, one: str, many: str | None = None) -> str:
    return f"{count} {one if count == 1 else (many or one + 's')}"


@contextmanager
def _bar(jobs: list[Job]) -> Iterator[Iterable[Job]]:
    if len(jobs) > PROGRESS_FROM:
        with click.progressbar(jobs, label="Taking snapshots", file=sys.stderr) as bar:
            yield bar
    else:
        yield jobs


@snapshots_group.command("take")
@click.option(
    "--month",
    metavar="YYYY-MM",
    callback=_month,
    help="Take this month only (YYYY-MM), at every school. Default: bring every school up to "
    "date, back-filling its history on the first run.",
)
@click.option(
    "--backfill",
    is_flag=True,
    help="Also fill any missing month back to the earliest completion or requirement "
    "(up to three years).",
)
@click.option(
    "--replace",
    is_flag=True,
    help="Take months that are already final again (after importing past completions).",
)
@click.option(
    "--org", "org_id", type=int, help="Only this organisation (see `cpd-tracker org list`)."
)
@with_appcontext
def take(month: dt.date | None, backfill: bool, replace: bool, org_id: int | None) -> None:
    """Take this month's coverage snapshots (and any the last runs left out)."""
    session = db.new_session()
    try:
        if org_id is not None and session.get(Organisation, org_id) is None:
            raise click.BadParameter(
                f"there is no organisation {org_id} (see `cpd-tracker org list`)",
                param_hint="--org",
            )
        service = SnapshotService(session, ComplianceService(session), clock)
        first_run = not service.has_any(org_id)
        try:
            jobs = service.pending(
                organisation_id=org_id, month=month, backfill=backfill, replace=replace
            )
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--month") from exc
        session.rollback()
        report, failed = _run(service, jobs, replace=replace)
    finally:
        session.close()
    click.echo(_summary(jobs, report, first_run=first_run and month is None))
    if failed:
        click.get_current_context().exit(1)


def _run(service: SnapshotService, jobs: list[Job], *, replace: bool) -> tuple[TakeReport, int]:
    session = service.session
    report, failed = TakeReport(), 0
    with _bar(jobs) as progress:
        for job in progress:
            try:
                report.add(_take(service, job, replace=replace))
            except ValueError as exc:
                session.rollback()
                failed += 1
                school = session.get(School, job.school_id)
                name = f"{school.name} (URN {school.urn})" if school else f"School {job.school_id}"
                click.echo(f"\n{name}, {month_label(job.month)}: not taken: {exc}", err=True)
    return report, failed


def _take(service: SnapshotService, job: Job, *, replace: bool) -> TakeReport:
    try:
        done = service.take(job, replace=replace)
        service.session.commit()
        return done
    except IntegrityError:
        # Another run inserted this school-month first: take it again, as an update.
        service.session.rollback()
        done = service.take(job, replace=replace)
        service.session.commit()
        return done


def _summary(jobs: list[Job], report: TakeReport, *, first_run: bool) -> str:
    if not jobs:
        return "Nothing to take: no school has required training yet."
    months = sorted({j.month for j in jobs})
    schools = {j.school_id for j in jobs}
    span = month_label(months[0])
    if len(months) > 1:
        span += f" to {month_label(months[-1])}"
    lead = "First run: back-filled" if first_run else "Took"
    removed = f", {report.removed} removed" if report.removed else ""
    return (
        f"{lead} {_plural(len(schools), 'school')} for {span}: "
        f"{report.created} new, {report.updated} updated, {report.unchanged} unchanged{removed}."
    )
