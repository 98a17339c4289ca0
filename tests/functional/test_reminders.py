"""``cpd-tracker reminders send`` and ``status`` against a real SMTP server on loopback.

The issue's promises, each tested end to end through the command: no reminder is ever sent
twice (however often cron runs, and when two runs overlap), none is lost while the mail server
is down (queued, retried with backoff, then sent once), demo mode prints instead of sending,
and each CPD lead gets one digest a week.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator

import pytest
from click.testing import Result
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import func, select

from cpd_tracker.extensions import db
from cpd_tracker.models import AuditEntry, OutgoingEmail
from cpd_tracker.services.compliance import ComplianceService
from cpd_tracker.services.mailer import OutboxSender, SmtpMailer
from cpd_tracker.services.reminders import ReminderService
from tests.conftest import BASE_URL
from tests.support.clock import FakeClock
from tests.support.platform import MOODLE_ISSUER
from tests.support.reminders import ADHD, AUTISM, Seeded, add_teachers, seed_school
from tests.support.smtp import SmtpServer, free_port, smtp_server

NOW = dt.datetime(2025, 1, 15, 10, 0, tzinfo=dt.UTC)
TODAY = NOW.date()
MAIL_FROM = "SEND CPD Tracker <cpd@trust.example>"


@pytest.fixture
def clock(app: Flask) -> FakeClock:
    clock = FakeClock(NOW)
    app.extensions["clock"] = clock
    return clock


@pytest.fixture
def smtp(app: Flask) -> Iterator[SmtpServer]:
    with smtp_server() as server:
        point_at(app, server.port)
        yield server


@pytest.fixture
def seeded(app: Flask, clock: FakeClock) -> Seeded:
    return seed_school(app, TODAY)


def point_at(app: Flask, port: int) -> None:
    app.config.update(
        SMTP_HOST="127.0.0.1",
        SMTP_PORT=port,
        SMTP_STARTTLS=False,
        SMTP_SSL=False,
        SMTP_USERNAME=None,
        SMTP_PASSWORD=None,
        SMTP_TIMEOUT=5.0,
        MAIL_FROM=MAIL_FROM,
    )


def run(runner: FlaskCliRunner, *args: str) -> Result:
    return runner.invoke(args=["reminders", *args])


def ok(runner: FlaskCliRunner, *args: str) -> str:
    result = run(runner, *args)
    assert result.exit_code == 0, (result.output, result.exception)
    return result.output


def outbox(app: Flask) -> list[OutgoingEmail]:
    with app.app_context():
        return list(db.session.scalars(select(OutgoingEmail).order_by(OutgoingEmail.id)))


def subjects(server: SmtpServer) -> list[str]:
    return sorted(r.subject for r in server.received)


EXPECTED = sorted(
    [
        "Your SEND training: 1 due soon",
        "Your SEND training: 1 overdue",
        "Your SEND training: 1 expiring soon",
        "SEND training this week at Alder Primary: 4 people to chase, 1 evidence to verify",
    ]
)


# ---------------------------------------------------------------- sent once, to the right people


def test_send_delivers_each_reminder_once_however_often_it_runs(
    app: Flask, runner: FlaskCliRunner, smtp: SmtpServer, seeded: Seeded, clock: FakeClock
) -> None:
    first = ok(runner, "send")
    clock.advance(15 * 60)
    second = ok(runner, "send")
    clock.advance(24 * 3600)
    third = ok(runner, "send")

    assert subjects(smtp) == EXPECTED
    assert (
        "Queued 4 e-mails to 4 people: 3 weekly digests to staff, 1 digest to CPD leads "
        "(1 person without an e-mail address)."
    ) in first
    assert "Sent 4 messages." in first
    assert (
        "Queued 0 e-mails to 0 people: 0 weekly digests to staff, 0 digests to CPD leads "
        "(4 already queued or sent before" in second
    )
    assert "Sent 0 messages." in second
    assert "Sent 0 messages." in third
    recipients = sorted(a for r in smtp.received for a in r.rcpt_tos)
    assert recipients == sorted(Seeded.email(n) for n in ("ann", "owen", "sam", "carla"))
    assert all(r.mail_from == "cpd@trust.example" for r in smtp.received)
    rows = outbox(app)
    assert all(r.sent_at == NOW and r.attempts == 1 and r.last_error is None for r in rows)


def test_leavers_exempt_staff_and_revoked_leads_get_nothing(
    app: Flask, runner: FlaskCliRunner, smtp: SmtpServer, seeded: Seeded
) -> None:
    ok(runner, "send")

    for name in ("eve", "leo", "nia", "rex"):
        assert smtp.to(Seeded.email(name)) == []
    assert {r.person_id for r in outbox(app)} == {
        seeded.people[n] for n in ("ann", "owen", "sam", "carla")
    }


def test_a_digest_names_the_training_the_date_what_to_do_and_the_way_back(
    runner: FlaskCliRunner, smtp: SmtpServer, seeded: Seeded
) -> None:
    ok(runner, "send")

    (owen,) = smtp.to(Seeded.email("owen"))
    assert owen.subject == "Your SEND training: 1 overdue"
    assert owen.body.startswith("Dear Owen Example,\n\n")
    assert "this week's summary of your SEND training, as of 15 January 2025" in owen.body
    assert (
        f"Overdue (1):\n- {AUTISM}: was due by 16 December 2024 (30 days ago).\n"
        f'  Do it online: open the tool and choose "{AUTISM}" under My training.\n'
    ) in owen.body
    assert f'from your course "Staff CPD" in Moodle ({MOODLE_ISSUER}), or follow' in owen.body
    assert f"{BASE_URL}/my-training\n" in owen.body
    assert owen.message["From"] == MAIL_FROM
    assert owen.message["Auto-Submitted"] == "auto-generated"
    assert owen.message["Message-ID"].endswith("@trust.example>")
    assert owen.message.get_content_type() == "text/plain"

    (sam,) = smtp.to(Seeded.email("sam"))
    assert f"{ADHD}: expires on 15 February 2025 (in 31 days): renew it before then." in sam.body
    assert "external course run by SEND Partnership" in sam.body
    (ann,) = smtp.to(Seeded.email("ann"))
    assert f"Due soon (1):\n- {AUTISM}: due by 4 February 2025 (in 20 days)." in ann.body


def test_the_digest_lists_the_chase_list_and_evidence_once_a_week(
    app: Flask, runner: FlaskCliRunner, smtp: SmtpServer, seeded: Seeded, clock: FakeClock
) -> None:
    ok(runner, "send")
    clock.advance(3 * 24 * 3600)  # Saturday, same ISO week
    ok(runner, "send")

    (digest,) = smtp.to(Seeded.email("carla"))
    body = digest.body
    assert "week beginning 13 January 2025" in body
    assert (
        f"Overdue (2):\n- Nia Example: {AUTISM}, due 16 December 2024\n"
        f"- Owen Example: {AUTISM}, due 16 December 2024\n"
    ) in body
    assert f"Due soon (1):\n- Ann Example: {AUTISM}, due 4 February 2025\n" in body
    assert f"Expiring soon (1):\n- Sam Example: {ADHD}, expires 15 February 2025\n" in body
    assert "Evidence awaiting your verification (1):\n- Sam Example: ADHD in the classroom" in body
    assert "1 person on this list has no e-mail address" in body
    assert f"{BASE_URL}/schools/{seeded.school_id}\n" in body

    clock.advance(3 * 24 * 3600)  # the next Tuesday: a new week
    output = ok(runner, "send")
    # A new week: each person's digest again (their training is still to do), and the lead's.
    assert "Queued 4 e-mails to 4 people: 3 weekly digests to staff, 1 digest" in output
    assert len(smtp.to(Seeded.email("carla"))) == 2
    assert len(smtp.to(Seeded.email("owen"))) == 2
    keys = sorted(r.dedupe_key for r in outbox(app) if r.dedupe_key.startswith("digest:"))
    carla = seeded.people["carla"]
    assert keys == [
        f"digest:{carla}:{seeded.school_id}:2025-W03",
        f"digest:{carla}:{seeded.school_id}:2025-W04",
    ]


def test_queueing_is_audited_per_organisation(
    app: Flask, runner: FlaskCliRunner, smtp: SmtpServer, seeded: Seeded
) -> None:
    ok(runner, "send")
    ok(runner, "send")

    with app.app_context():
        entries = list(
            db.session.scalars(select(AuditEntry).where(AuditEntry.action == "reminders.queued"))
        )
    assert [(e.organisation_id, e.actor_label, e.details) for e in entries] == [
        (seeded.organisation_id, "cli", {"staff_digests": 3, "lead_digests": 1, "senco": 0})
    ]


# ---------------------------------------------------------------- two runs at once


def test_two_runs_at_the_same_moment_send_each_message_once(
    app: Flask, smtp: SmtpServer, seeded: Seeded, clock: FakeClock
) -> None:
    add_teachers(app, seeded, 10, TODAY - dt.timedelta(days=45))
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def cron_run() -> None:
        try:
            with app.app_context():
                session = db.new_session()
                try:
                    service = ReminderService(session, ComplianceService(session), clock, BASE_URL)
                    barrier.wait()
                    service.queue_due(NOW)
                    session.commit()
                    mailer = SmtpMailer("127.0.0.1", smtp.port, starttls=False, timeout=5)
                    OutboxSender(session, mailer, mail_from=MAIL_FROM, clock=clock).send_pending(
                        NOW
                    )
                finally:
                    session.close()
        except BaseException as exc:  # reported below, in the test's own thread
            errors.append(exc)

    threads = [threading.Thread(target=cron_run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    # 3 + 10 staff digests and the lead's, each received exactly once.
    received = [r.message["Message-ID"] for r in smtp.received]
    assert len(received) == 14
    assert len(set(received)) == 14
    assert len(outbox(app)) == 14


# ---------------------------------------------------------------- the mail server is down


def test_nothing_is_lost_while_smtp_is_down_and_each_is_sent_once_after(
    app: Flask, runner: FlaskCliRunner, seeded: Seeded, clock: FakeClock
) -> None:
    port = free_port()  # nothing listens here yet
    point_at(app, port)

    down = run(runner, "send")

    assert down.exit_code == 1, down.output
    assert "Queued 4 e-mails to 4 people" in down.output
    assert "Sent 0 messages; 4 failed and will be retried." in down.output
    assert "Warning: 4 messages could not be sent: 127.0.0.1:" in down.output
    assert "They stay queued" in down.output
    rows = outbox(app)
    assert len(rows) == 4
    assert all(r.sent_at is None and r.attempts == 1 for r in rows)
    assert all("ConnectionRefusedError" in (r.last_error or "") for r in rows)
    assert all(r.next_attempt_at == NOW + dt.timedelta(minutes=1) for r in rows)

    # Before the backoff has passed nothing is tried, and that is not a failure.
    clock.advance(30)
    waiting = ok(runner, "send")
    assert "Sent 0 messages." in waiting
    assert all(r.attempts == 1 for r in outbox(app))

    # Still down a minute later: the second failure waits 5 minutes.
    clock.advance(30)
    assert run(runner, "send").exit_code == 1
    assert all(r.attempts == 2 for r in outbox(app))
    assert all(r.next_attempt_at == clock.now + dt.timedelta(minutes=5) for r in outbox(app))

    status = ok(runner, "status")
    assert "Queued: 4 (4 failing)" in status
    assert "Sent: 0 (0 in the last 24 hours)" in status
    assert "Last error: 127.0.0.1:" in status
    assert "Next try: 2025-01-15 10:06 UTC" in status

    with smtp_server(port=port) as server:
        clock.advance(5 * 60)
        back = ok(runner, "send")
        clock.advance(60 * 60)
        again = ok(runner, "send")

    assert "Sent 4 messages." in back
    assert "Sent 0 messages." in again
    assert subjects(server) == EXPECTED
    rows = outbox(app)
    assert all(r.sent_at is not None and r.last_error is None for r in rows)
    assert "Queued: 0 (0 failing)\nSent: 4 (4 in the last 24 hours)\n" in ok(runner, "status")


def test_a_refused_message_is_retried_while_the_others_go(
    app: Flask, runner: FlaskCliRunner, smtp: SmtpServer, seeded: Seeded, clock: FakeClock
) -> None:
    smtp.refuse("451 4.3.0 Mailbox temporarily unavailable")

    result = run(runner, "send")

    # Some went: the run worked, the refused one waits for its retry.
    assert result.exit_code == 0, result.output
    assert "Sent 3 messages; 1 failed and will be retried." in result.output
    assert "451" in result.output
    (failed,) = [r for r in outbox(app) if r.sent_at is None]
    assert failed.attempts == 1
    assert "SMTPDataError" in (failed.last_error or "")

    clock.advance(60)
    ok(runner, "send")
    assert subjects(smtp) == EXPECTED


def test_limit_leaves_the_rest_for_the_next_run(
    app: Flask, runner: FlaskCliRunner, smtp: SmtpServer, seeded: Seeded
) -> None:
    first = ok(runner, "send", "--limit", "3")
    second = ok(runner, "send", "--limit", "3")

    assert "Sent 3 messages; 1 left for the next run." in first
    assert "Sent 1 message." in second
    assert subjects(smtp) == EXPECTED


def test_a_progress_bar_shows_for_a_big_run(
    app: Flask, runner: FlaskCliRunner, smtp: SmtpServer, seeded: Seeded
) -> None:
    add_teachers(app, seeded, 25, TODAY - dt.timedelta(days=45))

    output = ok(runner, "send")

    assert "Sending" in output
    assert "Sent 29 messages." in output
    assert len(smtp.received) == 29


# ---------------------------------------------------------------- modes and settings


def test_demo_mode_prints_the_messages_instead(
    app: Flask, runner: FlaskCliRunner, seeded: Seeded
) -> None:
    app.config.update(DEMO_MODE=True, SMTP_HOST=None, BASE_URL=None, MAIL_FROM=MAIL_FROM)

    output = ok(runner, "send")

    assert "Subject: Your SEND training: 1 overdue" in output
    assert "To: owen@alder.sch.uk" in output
    assert "http://127.0.0.1:5000/my-training" in output
    assert "Sent 4 messages." in output
    assert all(r.sent_at is not None for r in outbox(app))


def test_without_smtp_outside_demo_mode_it_refuses_and_queues_nothing(
    app: Flask, runner: FlaskCliRunner, seeded: Seeded
) -> None:
    app.config.update(SMTP_HOST=None, DEMO_MODE=False)

    result = run(runner, "send")

    assert result.exit_code == 1
    assert "SMTP_HOST is not set" in result.output
    assert "Traceback" not in result.output
    assert outbox(app) == []


def test_without_a_base_url_outside_demo_mode_it_refuses(
    app: Flask, runner: FlaskCliRunner, smtp: SmtpServer, seeded: Seeded
) -> None:
    app.config.update(BASE_URL=None)

    result = run(runner, "send")

    assert result.exit_code == 1
    assert "CPD_TRACKER_BASE_URL is not set" in result.output
    assert outbox(app) == []


def test_dry_run_shows_what_would_happen_and_changes_nothing(
    app: Flask, runner: FlaskCliRunner, smtp: SmtpServer, seeded: Seeded
) -> None:
    output = ok(runner, "send", "--dry-run")

    assert (
        "Would queue 4 e-mails to 4 people: 3 weekly digests to staff, 1 digest to CPD leads"
    ) in output
    assert "  owen@alder.sch.uk: Your SEND training: 1 overdue" in output
    assert "Would send 4 messages." in output
    assert outbox(app) == []
    assert smtp.received == []
    with app.app_context():
        assert (
            db.session.scalar(
                select(func.count(AuditEntry.id)).where(AuditEntry.action == "reminders.queued")
            )
            == 0
        )


def test_a_run_before_the_weeks_sending_time_queues_no_digests(
    app: Flask, runner: FlaskCliRunner, smtp: SmtpServer, seeded: Seeded, clock: FakeClock
) -> None:
    """The cron job's first run of the week, just after midnight on Monday, waits: the week's
    e-mails go on the first run from Monday 07:00 London time."""
    clock.now = dt.datetime(2025, 1, 13, 0, 15, tzinfo=dt.UTC)  # Monday, GMT
    early = ok(runner, "send", "--dry-run")
    assert "Would queue 0 e-mails to 0 people" in early
    assert "this week's digests wait for their sending time: " in early
    assert "(Monday at 07:00)" in early

    clock.now = dt.datetime(2025, 1, 13, 7, 0, tzinfo=dt.UTC)
    on_time = ok(runner, "send")
    assert "wait for their sending time" not in on_time
    assert "weekly digests to staff, 1 digest to CPD leads" in on_time
    assert smtp.received


def test_dry_run_works_before_smtp_is_configured(
    app: Flask, runner: FlaskCliRunner, seeded: Seeded
) -> None:
    app.config.update(SMTP_HOST=None, DEMO_MODE=False)

    assert "Would queue 4 e-mails to 4 people" in ok(runner, "send", "--dry-run")


def test_status_on_an_empty_outbox(app: Flask, runner: FlaskCliRunner, clock: FakeClock) -> None:
    assert ok(runner, "status") == "Queued: 0 (0 failing)\nSent: 0 (0 in the last 24 hours)\n"


def test_reminders_are_part_of_the_cli(app: Flask) -> None:
    assert {"send", "status"} <= set(app.cli.commands["reminders"].commands)  # type: ignore[attr-defined]


def test_one_bad_mailbox_warns_but_does_not_fail_the_run(
    app: Flask, runner: FlaskCliRunner, smtp: SmtpServer, seeded: Seeded, clock: FakeClock
) -> None:
    ok(runner, "send")
    clock.advance(7 * 24 * 3600)  # next week: four new digests
    smtp.refuse("550 5.1.1 Mailbox unavailable")

    result = run(runner, "send")

    assert result.exit_code == 0, result.output
    assert "Sent 3 messages; 1 failed and will be retried." in result.output
    assert "Warning: 1 message could not be sent: 127.0.0.1:" in result.output
    assert "Queued: 1 (1 failing)" in ok(runner, "status")


def test_what_a_run_queues_it_sends_while_the_clock_moves(
    app: Flask, runner: FlaskCliRunner, smtp: SmtpServer, seeded: Seeded
) -> None:
    class Ticking(FakeClock):
        def __call__(self) -> dt.datetime:
            self.advance(0.001)
            return self.now

    app.extensions["clock"] = Ticking(NOW)

    assert "Sent 4 messages." in ok(runner, "send")
