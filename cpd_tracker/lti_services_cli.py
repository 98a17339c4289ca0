"""``cpd-tracker roster sync`` and ``cpd-tracker lti-outbox run|status``, for cron.

Suggested crontab::

    */5 * * * *  cpd-tracker lti-outbox run       # grades and queued rosters, with retries
    15 2 * * *   cpd-tracker roster sync --all    # every course roster, nightly

Both go through the outbox (:mod:`cpd_tracker.services.outbox`): each job is claimed, run and
committed on its own, so a run that dies part way never sends a delivered grade again, and a
failure stays queued with its error (``/admin/outbox``, ``lti-outbox status``).

Exit status: 0 when the run did its work, including when some jobs failed and will be retried;
1 when jobs were due and none could be done (every LMS down, or a registration broken): cron
reports a non-zero exit, which is what someone needs to hear about.
"""

from __future__ import annotations

import click
from flask.cli import with_appcontext
from sqlalchemy import func, select

from cpd_tracker.extensions import db
from cpd_tracker.models import Course, JobKind, JobStatus, ServiceJob
from cpd_tracker.registry import clock
from cpd_tracker.services.outbox import RunReport, enqueue_roster

roster_group = click.Group("roster", help="Course rosters from the LMS (Names and Roles).")
outbox_group = click.Group("lti-outbox", help="Grades and rosters waiting for an LMS.")


def _plural(count: int, one: str, many: str | None = None) -> str:
    return f"{count} {one if count == 1 else (many or one + 's')}"


def _report(report: RunReport) -> None:
    line = f"Done {_plural(report.done, 'job')}"
    if report.retrying:
        line += f"; {report.retrying} failed and will be retried"
    if report.failed:
        line += f"; {report.failed} gave up (see /admin/outbox)"
    if report.skipped:
        line += f"; {report.skipped} taken by another run"
    click.echo(line + ".")
    for error in dict.fromkeys(report.errors):
        click.echo(f"  {error}", err=True)
    if report.attempted and not report.done:
        click.get_current_context().exit(1)


@roster_group.command("sync")
@click.option("--course", "course_ids", type=int, multiple=True, help="A course id (repeatable).")
@click.option("--all", "all_courses", is_flag=True, help="Every course that offers a roster.")
@with_appcontext
def roster_sync(course_ids: tuple[int, ...], all_courses: bool) -> None:
    """Read course rosters from the LMS now (queued and run through the outbox)."""
    from cpd_tracker.cli import cli_session
    from cpd_tracker.lti_outbox import run_jobs

    if bool(course_ids) == all_courses:
        raise click.UsageError("Give --course ID (one or more) or --all.")
    with cli_session() as (session, _audit):
        query = select(Course).where(Course.memberships_url.is_not(None)).order_by(Course.id)
        if course_ids:
            query = query.where(Course.id.in_(course_ids))
        courses = list(session.scalars(query))
        missing = set(course_ids) - {c.id for c in courses}
        if missing:
            raise click.ClickException(
                f"No course with a roster service has id {', '.join(map(str, sorted(missing)))}: "
                "a course offers one once a teacher has launched the tool from it with the "
                "LMS's names and roles service switched on."
            )
        now = clock()
        ids = [enqueue_roster(session.connection(), course, now)[0] for course in courses]
    click.echo(f"Syncing {_plural(len(ids), 'course roster')}.")
    session = db.new_session()
    try:
        report = run_jobs(session, ids=ids, limit=max(len(ids), 1))
    finally:
        session.close()
    _report(report)


@outbox_group.command("run")
@click.option(
    "--limit",
    default=500,
    show_default=True,
    type=click.IntRange(min=1),
    help="The most jobs to run; the rest wait for the next run.",
)
@with_appcontext
def outbox_run(limit: int) -> None:
    """Send the grades and read the rosters that are due."""
    from cpd_tracker.lti_outbox import run_jobs

    session = db.new_session()
    try:
        report = run_jobs(session, limit=limit)
    finally:
        session.close()
    _report(report)


@outbox_group.command("status")
@with_appcontext
def outbox_status() -> None:
    """How many jobs wait, keep failing, gave up."""
    session = db.new_session()
    try:
        counts = dict(
            session.execute(
                select(ServiceJob.status, func.count(ServiceJob.id)).group_by(ServiceJob.status)
            ).all()
        )
        failing = session.scalar(
            select(func.count(ServiceJob.id)).where(
                ServiceJob.status == JobStatus.PENDING, ServiceJob.attempts > 0
            )
        )
        kinds = dict(
            session.execute(
                select(ServiceJob.kind, func.count(ServiceJob.id))
                .where(ServiceJob.status == JobStatus.PENDING)
                .group_by(ServiceJob.kind)
            ).all()
        )
        last = session.scalars(
            select(ServiceJob)
            .where(ServiceJob.last_error.is_not(None), ServiceJob.status != JobStatus.DONE)
            .order_by(ServiceJob.last_error_at.desc())
            .limit(1)
        ).first()
    finally:
        session.close()
    pending = counts.get(JobStatus.PENDING, 0)
    click.echo(
        f"Waiting: {pending} ({kinds.get(JobKind.SCORE, 0)} grades, "
        f"{kinds.get(JobKind.ROSTER, 0)} rosters; {failing or 0} failing)"
    )
    click.echo(f"Gave up: {counts.get(JobStatus.FAILED, 0)}")
    click.echo(f"Done: {counts.get(JobStatus.DONE, 0)}")
    if last is not None:
        click.echo(f"Last error: {last.last_error}")
