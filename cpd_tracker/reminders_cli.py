"""``cpd-tracker reminders send``: queue due reminders and send the e-mail outbox.

Run it from cron at any frequency (every 15 minutes is plenty). Queueing is committed before
anything is sent, and the sender commits after each message, so a run that dies part way
loses nothing and repeats nothing (see ``services/mailer.py``).

Exit status: 1 when the mail server could not be used (unreachable, TLS or login refused,
MAIL_FROM refused) and nothing was sent: cron reports a non-zero exit, and a mail server that is
down or misconfigured is what someone needs to hear about. 0 otherwise, including when the
server refused single messages (an unknown mailbox): those are warned about, stay queued and
are retried, and failing every run over one bad address would make cron cry wolf. Whatever the
exit status, no message is dropped.
"""

from __future__ import annotations

import sys

import click
from flask import current_app
from flask.cli import with_appcontext

from cpd_tracker.extensions import db
from cpd_tracker.registry import clock
from cpd_tracker.services.compliance import ComplianceService
from cpd_tracker.services.mailer import (
    OutboxSender,
    SendReport,
    count_due,
    mailer_from_config,
    outbox_status,
)
from cpd_tracker.services.reminders import QueueReport, ReminderService
from cpd_tracker.services.senco import SencoService

reminders_group = click.Group("reminders", help="Training reminders by e-mail.")

#: Show a progress bar (on stderr) when a run has more messages than this to send.
PROGRESS_FROM = 20
#: Where links point in demo mode when CPD_TRACKER_BASE_URL is unset (``cpd-tracker demo``).
DEMO_BASE_URL = "http://127.0.0.1:5000"


def _plural(count: int, one: str, many: str | None = None) -> str:
    return f"{count} {one if count == 1 else (many or one + 's')}"


def _queued_line(report: QueueReport, *, dry_run: bool) -> str:
    """How many e-mails to how many people, then which kinds (issue 17: a dry run shows
    what people would receive, not how many rows)."""
    verb = "Would queue" if dry_run else "Queued"
    line = (
        f"{verb} {_plural(report.total, 'e-mail')} to {_plural(report.people, 'person', 'people')}"
        f": {_plural(report.staff, 'weekly digest')} to staff, "
        f"{_plural(report.digests, 'digest')} to CPD leads"
    )
    if report.senco:
        line += f", {_plural(report.senco, 'SENCO qualification reminder')}"
    notes = []
    if report.already_queued:
        notes.append(f"{report.already_queued} already queued or sent before")
    if report.no_email:
        notes.append(f"{_plural(report.no_email, 'person', 'people')} without an e-mail address")
    if report.paused:
        notes.append(f"paused today: {', '.join(report.paused)}")
    if report.waiting:
        notes.append(
            f"this week's digests wait for their sending time: {', '.join(report.waiting)}"
        )
    return line + (f" ({'; '.join(notes)})." if notes else ".")


def _sent_line(report: SendReport) -> str:
    line = f"Sent {_plural(report.sent, 'message')}"
    if report.failed:
        line += f"; {report.failed} failed and will be retried"
    if report.deferred:
        line += f"; {report.deferred} left for the next run"
    return line + "."


@reminders_group.command("send")
@click.option("--dry-run", is_flag=True, help="Show what would be queued and sent; change nothing.")
@click.option(
    "--limit",
    default=1000,
    show_default=True,
    type=click.IntRange(min=1),
    help="The most messages to send in one run; the rest wait for the next.",
)
@with_appcontext
def send(dry_run: bool, limit: int) -> None:
    """Queue the reminders and digests due today, then send what is waiting."""
    from cpd_tracker.cli import cli_session

    config = current_app.config
    mailer = mailer_from_config(config, sys.stdout)
    if mailer is None and not dry_run:
        raise click.ClickException(
            "SMTP_HOST is not set, so reminders cannot be sent. Set SMTP_HOST (and SMTP_PORT, "
            "SMTP_USERNAME, SMTP_PASSWORD, MAIL_FROM as needed); see README.md, Operations."
        )
    base_url = config.get("BASE_URL") or (DEMO_BASE_URL if config["DEMO_MODE"] else None)
    if not base_url:
        raise click.ClickException(
            "CPD_TRACKER_BASE_URL is not set: reminders link to the tool, so set it to the "
            "tool's public URL, e.g. https://cpd.trust.org.uk."
        )

    now = clock()
    with cli_session() as (session, audit):
        service = ReminderService(
            session,
            ComplianceService(session),
            clock,
            base_url,
            audit=audit,
            senco=SencoService(session, audit, clock),
        )
        queued = service.queue_due(now)
        click.echo(_queued_line(queued, dry_run=dry_run))
        if dry_run:
            for draft in queued.queued:
                click.echo(f"  {draft.to_address}: {draft.subject}")
            click.echo(f"Would send {_plural(count_due(session, clock()), 'message')}.")
            session.rollback()
            return
    assert mailer is not None

    # Read the clock again: what was just queued is due from the moment it was queued.
    now = clock()
    session = db.new_session()
    try:
        sender = OutboxSender(session, mailer, mail_from=config["MAIL_FROM"], clock=clock)
        due = min(count_due(session, now), limit)
        if due > PROGRESS_FROM:
            with click.progressbar(length=due, label="Sending", file=sys.stderr) as bar:
                report = sender.send_pending(now, limit, on_each=lambda: bar.update(1))
        else:
            report = sender.send_pending(now, limit)
    finally:
        session.close()
    click.echo(_sent_line(report))
    if report.error:
        click.echo(
            f"Warning: {_plural(report.failed, 'message')} could not be sent: {report.error}. "
            "They stay queued and are retried (see `cpd-tracker reminders status`).",
            err=True,
        )
    if report.unavailable:
        click.get_current_context().exit(1)


@reminders_group.command("status")
@with_appcontext
def status() -> None:
    """How many messages are queued, failing and sent."""
    session = db.new_session()
    try:
        found = outbox_status(session, clock())
    finally:
        session.close()
    click.echo(f"Queued: {found.queued} ({found.failing} failing)")
    click.echo(f"Sent: {found.sent} ({found.sent_last_day} in the last 24 hours)")
    if found.last_error and found.next_attempt_at is not None:
        click.echo(f"Last error: {found.last_error}")
        click.echo(f"Next try: {found.next_attempt_at:%Y-%m-%d %H:%M} UTC")
