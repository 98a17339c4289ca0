"""The outbox sender and its mailers: SMTP (plain, STARTTLS, TLS, login) against a real server on
loopback, the console mailer, the SMTP settings, backoff, claiming, and what a crash leaves."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select, update

from cpd_tracker.config import ConfigError, load_config
from cpd_tracker.extensions import db
from cpd_tracker.models import OutgoingEmail
from cpd_tracker.services.mailer import (
    CLAIM_LEASE,
    ConsoleMailer,
    MailerError,
    MailerUnavailable,
    OutboxSender,
    SmtpMailer,
    backoff,
    build_message,
    mailer_from_config,
    message_id,
    outbox_status,
)
from tests.support.clock import FakeClock
from tests.support.factories import make_org
from tests.support.smtp import Certificate, free_port, make_certificate, smtp_server

NOW = dt.datetime(2025, 1, 15, 10, 0, tzinfo=dt.UTC)
MAIL_FROM = "SEND CPD Tracker <cpd@trust.example>"


def message(to: str = "ann@alder.sch.uk", subject: str = "Hello") -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = MAIL_FROM
    msg["To"] = to
    msg["Subject"] = subject
    msg.set_content("Dear Siân,\n\nA reminder.\n")
    return msg


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> Certificate:
    return make_certificate(tmp_path_factory.mktemp("tls"))


# ---------------------------------------------------------------- backoff and message ids


@pytest.mark.parametrize(
    ("attempts", "minutes"),
    [(0, 1), (1, 1), (2, 5), (3, 15), (4, 60), (5, 240), (6, 240), (50, 240)],
)
def test_backoff_grows_to_a_four_hour_cap(attempts: int, minutes: int) -> None:
    assert backoff(attempts) == dt.timedelta(minutes=minutes)


@pytest.mark.parametrize(
    ("mail_from", "domain"),
    [
        (MAIL_FROM, "trust.example"),
        ("cpd@school.org.uk", "school.org.uk"),
        ("no address at all", "localhost"),
    ],
)
def test_message_id_is_stable_per_key_and_in_the_senders_domain(
    mail_from: str, domain: str
) -> None:
    first = message_id("reminder:1:2:overdue:2025-01-01", mail_from)

    assert first == message_id("reminder:1:2:overdue:2025-01-01", mail_from)
    assert first != message_id("reminder:1:2:overdue:2026-01-01", mail_from)
    assert first.startswith("<")
    assert first.endswith(f"@{domain}>")


def test_built_messages_are_plain_text_automatic_and_addressed() -> None:
    row = OutgoingEmail(
        dedupe_key="reminder:1:2:overdue:2025-01-01",
        to_address="ann@alder.sch.uk",
        subject="SEND training overdue",
        body_text="Dear Ann,\n",
    )

    built = build_message(row, MAIL_FROM)

    assert built["From"] == MAIL_FROM
    assert built["To"] == "ann@alder.sch.uk"
    assert built["Subject"] == "SEND training overdue"
    assert built["Auto-Submitted"] == "auto-generated"
    assert built["Message-ID"] == message_id(row.dedupe_key, MAIL_FROM)
    assert built["Date"]
    assert built.get_content_type() == "text/plain"
    assert built.get_content() == "Dear Ann,\n"


# ---------------------------------------------------------------- SMTP against a real server


def test_smtp_sends_and_reuses_its_connection() -> None:
    with smtp_server() as server:
        mailer = SmtpMailer(server.host, server.port, starttls=False, timeout=5)
        mailer.send(message("ann@alder.sch.uk"))
        connection = mailer._smtp
        mailer.send(message("owen@alder.sch.uk"))
        assert mailer._smtp is connection
        mailer.close()
        mailer.close()  # closing twice is harmless

    assert [r.rcpt_tos for r in server.received] == [("ann@alder.sch.uk",), ("owen@alder.sch.uk",)]
    assert server.received[0].body == "Dear Siân,\n\nA reminder.\n"


def test_starttls_verifies_the_server_certificate(certificate: Certificate) -> None:
    with smtp_server(starttls=certificate) as server:
        trusting = SmtpMailer(
            server.host, server.port, tls_context=certificate.client_context(), timeout=5
        )
        trusting.send(message())
        trusting.close()
        # The system's trust store does not know this certificate: refused, not sent.
        default = SmtpMailer(server.host, server.port, timeout=5)
        with pytest.raises(MailerUnavailable, match="CERTIFICATE_VERIFY_FAILED"):
            default.send(message())
        default.close()

    assert len(server.received) == 1


def test_implicit_tls_on_connect(certificate: Certificate) -> None:
    with smtp_server(implicit_tls=certificate) as server:
        mailer = SmtpMailer(
            server.host,
            server.port,
            starttls=False,
            ssl=True,
            tls_context=certificate.client_context(),
            timeout=5,
        )
        mailer.send(message())
        mailer.close()

    assert len(server.received) == 1


def test_login_and_a_refused_login_that_never_leaks_the_password(
    certificate: Certificate,
) -> None:
    with smtp_server(starttls=certificate, login=("reminders", "s3cret-pw")) as server:
        good = SmtpMailer(
            server.host,
            server.port,
            "reminders",
            "s3cret-pw",
            tls_context=certificate.client_context(),
            timeout=5,
        )
        good.send(message())
        good.close()
        bad = SmtpMailer(
            server.host,
            server.port,
            "reminders",
            "wrong-pw",
            tls_context=certificate.client_context(),
            timeout=5,
        )
        with pytest.raises(MailerUnavailable, match="SMTPAuthenticationError") as refused:
            bad.send(message())

    assert len(server.received) == 1
    assert "wrong-pw" not in str(refused.value)


def test_a_refused_sender_stops_every_message() -> None:
    with smtp_server() as server:
        server.refuse_sender("cpd@trust.example")
        mailer = SmtpMailer(server.host, server.port, starttls=False, timeout=5)
        try:
            with pytest.raises(MailerUnavailable, match="SMTPSenderRefused"):
                mailer.send(message())
        finally:
            mailer.close()

    assert server.received == []


def test_a_password_echoed_by_the_server_is_masked() -> None:
    mailer = SmtpMailer("mail.example", 587, "u", "hunter2")

    text = mailer._describe(RuntimeError("535 bad credentials hunter2\r\n"))

    assert text == "mail.example:587: RuntimeError: 535 bad credentials ***  "


def test_an_unreachable_server_is_unavailable() -> None:
    port = free_port()
    mailer = SmtpMailer("127.0.0.1", port, starttls=False, timeout=5)

    with pytest.raises(MailerUnavailable, match=f"127.0.0.1:{port}: ConnectionRefusedError"):
        mailer.send(message())
    mailer.close()


def test_a_refused_message_leaves_the_connection_usable() -> None:
    with smtp_server() as server:
        server.refuse("554 5.6.0 Message rejected")
        mailer = SmtpMailer(server.host, server.port, starttls=False, timeout=5)
        with pytest.raises(MailerError, match="SMTPDataError") as refused:
            mailer.send(message("ann@alder.sch.uk"))
        mailer.send(message("owen@alder.sch.uk"))
        mailer.close()

    assert not isinstance(refused.value, MailerUnavailable)
    assert [r.rcpt_tos for r in server.received] == [("owen@alder.sch.uk",)]


def drop_connection(mailer: SmtpMailer) -> None:
    assert mailer._smtp is not None
    mailer._smtp.close()


def test_a_dropped_connection_is_unavailable_and_reconnects_next_time() -> None:
    with smtp_server() as server:
        mailer = SmtpMailer(server.host, server.port, starttls=False, timeout=5)
        mailer.send(message())
        drop_connection(mailer)  # the server went away between messages
        with pytest.raises(MailerUnavailable, match="SMTPServerDisconnected"):
            mailer.send(message())
        assert mailer._smtp is None
        mailer.send(message())
        drop_connection(mailer)
        mailer.close()  # QUIT on a dead connection: closed all the same
        assert mailer._smtp is None

    assert len(server.received) == 2


def test_ssl_and_starttls_together_are_refused() -> None:
    with pytest.raises(ValueError, match="not both"):
        SmtpMailer("mail.example", 465, ssl=True, starttls=True)


# ---------------------------------------------------------------- console and configuration


def test_the_console_mailer_prints_headers_and_the_readable_body() -> None:
    stream = io.StringIO()

    ConsoleMailer(stream).send(message(subject="SEND training due soon"))
    ConsoleMailer(stream).close()

    printed = stream.getvalue()
    assert "To: ann@alder.sch.uk\n" in printed
    assert "Subject: SEND training due soon\n" in printed
    assert "Dear Siân,\n\nA reminder.\n" in printed


def test_mailer_from_config() -> None:
    smtp = mailer_from_config(
        {
            "SMTP_HOST": "mail.example",
            "SMTP_PORT": 465,
            "SMTP_USERNAME": "u",
            "SMTP_PASSWORD": "p",
            "SMTP_STARTTLS": False,
            "SMTP_SSL": True,
            "SMTP_TIMEOUT": 7.5,
        },
        io.StringIO(),
    )
    assert isinstance(smtp, SmtpMailer)
    assert (smtp.host, smtp.port, smtp.username, smtp.password) == ("mail.example", 465, "u", "p")
    assert (smtp.use_ssl, smtp.starttls, smtp.timeout) == (True, False, 7.5)
    assert isinstance(mailer_from_config({"DEMO_MODE": True}, io.StringIO()), ConsoleMailer)
    assert mailer_from_config({"DEMO_MODE": False}, io.StringIO()) is None


def _smtp_config(tmp_path: Path, **environ: str) -> dict[str, object]:
    config = load_config(tmp_path, {"TESTING": True}, environ)
    return {k: v for k, v in config.items() if k.startswith(("SMTP_", "MAIL_"))}


def test_smtp_settings_default_to_starttls_on_587(tmp_path: Path) -> None:
    assert _smtp_config(tmp_path, CPD_TRACKER_BASE_URL="https://cpd.trust.org.uk/") == {
        "SMTP_HOST": None,
        "SMTP_PORT": 587,
        "SMTP_USERNAME": None,
        "SMTP_PASSWORD": None,
        "SMTP_STARTTLS": True,
        "SMTP_SSL": False,
        "SMTP_TIMEOUT": 10.0,
        "MAIL_FROM": "SEND CPD Tracker <no-reply@cpd.trust.org.uk>",
    }


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({"SMTP_SSL": "1"}, {"SMTP_SSL": True, "SMTP_STARTTLS": False, "SMTP_PORT": 465}),
        ({"SMTP_STARTTLS": "0"}, {"SMTP_SSL": False, "SMTP_STARTTLS": False, "SMTP_PORT": 25}),
        (
            {"SMTP_HOST": " smtp.office365.com ", "SMTP_PORT": "2525", "SMTP_TIMEOUT": "3"},
            {"SMTP_HOST": "smtp.office365.com", "SMTP_PORT": 2525, "SMTP_TIMEOUT": 3.0},
        ),
        (
            {"SMTP_USERNAME": "cpd", "SMTP_PASSWORD": "pw", "MAIL_FROM": "CPD <cpd@t.org>"},
            {"SMTP_USERNAME": "cpd", "SMTP_PASSWORD": "pw", "MAIL_FROM": "CPD <cpd@t.org>"},
        ),
    ],
)
def test_smtp_settings_from_the_environment(
    tmp_path: Path, environ: dict[str, str], expected: dict[str, object]
) -> None:
    config = _smtp_config(tmp_path, **environ)

    assert {k: config[k] for k in expected} == expected
    assert config["MAIL_FROM"]


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"SMTP_SSL": "1", "SMTP_STARTTLS": "1"}, "not both"),
        ({"SMTP_PORT": "smtp"}, "SMTP_PORT and SMTP_TIMEOUT must be numbers"),
        ({"SMTP_TIMEOUT": "soon"}, "SMTP_PORT and SMTP_TIMEOUT must be numbers"),
    ],
)
def test_contradictory_or_malformed_smtp_settings_are_refused(
    tmp_path: Path, environ: dict[str, str], message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        load_config(tmp_path, {"TESTING": True}, environ)


# ---------------------------------------------------------------- the outbox sender


class FakeMailer:
    """Records what it is given; fails as told."""

    def __init__(self, *failures: BaseException | None) -> None:
        self.failures = list(failures)
        self.sent: list[EmailMessage] = []
        self.tried = 0
        self.closed = 0

    def send(self, message: EmailMessage) -> None:
        self.tried += 1
        failure = self.failures.pop(0) if self.failures else None
        if failure is not None:
            raise failure
        self.sent.append(message)

    def close(self) -> None:
        self.closed += 1


@pytest.fixture
def org_id(app: Flask) -> int:
    return make_org(app)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(NOW)


def queue(app: Flask, org_id: int, *keys: str, at: dt.datetime = NOW) -> None:
    with app.app_context():
        for key in keys:
            db.session.add(
                OutgoingEmail(
                    organisation_id=org_id,
                    dedupe_key=key,
                    to_address=f"{key}@alder.sch.uk",
                    subject=f"About {key}",
                    body_text="Hello\n",
                    created_at=at,
                    next_attempt_at=at,
                )
            )
        db.session.commit()


def rows(app: Flask) -> dict[str, OutgoingEmail]:
    with app.app_context():
        return {
            r.dedupe_key: r
            for r in db.session.scalars(select(OutgoingEmail).order_by(OutgoingEmail.id))
        }


@pytest.fixture
def sender(app: Flask, clock: FakeClock) -> Iterator[tuple[OutboxSender, FakeMailer]]:
    mailer = FakeMailer()
    with app.app_context():
        session = db.new_session()
        yield OutboxSender(session, mailer, mail_from=MAIL_FROM, clock=clock), mailer
        session.close()


def test_sends_oldest_first_and_marks_each_sent(
    app: Flask, org_id: int, sender: tuple[OutboxSender, FakeMailer]
) -> None:
    queue(app, org_id, "b", at=NOW - dt.timedelta(minutes=5))
    queue(app, org_id, "a", at=NOW - dt.timedelta(minutes=1))
    queue(app, org_id, "later", at=NOW + dt.timedelta(minutes=1))
    outbox, mailer = sender
    ticks: list[int] = []

    report = outbox.send_pending(NOW, on_each=lambda: ticks.append(1))

    assert (report.sent, report.failed, report.deferred, report.error) == (2, 0, 0, None)
    assert [m["To"] for m in mailer.sent] == ["b@alder.sch.uk", "a@alder.sch.uk"]
    assert len(ticks) == 2
    assert mailer.closed == 1
    stored = rows(app)
    assert stored["a"].sent_at == NOW
    assert stored["a"].attempts == 1
    assert stored["later"].sent_at is None
    assert stored["later"].attempts == 0


def test_when_the_server_is_unreachable_the_rest_wait_without_being_tried(
    app: Flask, org_id: int, sender: tuple[OutboxSender, FakeMailer]
) -> None:
    queue(app, org_id, "a", "b", "c")
    outbox, mailer = sender
    mailer.failures = [MailerUnavailable("mail.example:587: ConnectionRefusedError")]

    report = outbox.send_pending(NOW)

    assert (report.sent, report.failed, report.unavailable) == (0, 3, True)
    assert report.unreachable == "mail.example:587: ConnectionRefusedError"
    assert mailer.tried == 1
    for row in rows(app).values():
        assert row.attempts == 1
        assert row.last_error == "mail.example:587: ConnectionRefusedError"
        assert row.next_attempt_at == NOW + dt.timedelta(minutes=1)


def test_one_refusal_does_not_stop_the_others_and_errors_are_truncated(
    app: Flask, org_id: int, sender: tuple[OutboxSender, FakeMailer]
) -> None:
    queue(app, org_id, "a", "b")
    outbox, mailer = sender
    mailer.failures = [MailerError("550 " + "x" * 1000)]

    report = outbox.send_pending(NOW)

    assert (report.sent, report.failed, report.unavailable) == (1, 1, False)
    assert report.unreachable is None
    failed = rows(app)["a"]
    assert failed.last_error is not None
    assert len(failed.last_error) == 500
    assert failed.sent_at is None


def test_a_row_that_cannot_make_a_message_waits_with_its_reason(
    app: Flask, org_id: int, sender: tuple[OutboxSender, FakeMailer]
) -> None:
    queue(app, org_id, "a", "b")
    with app.app_context():
        db.session.execute(
            update(OutgoingEmail)
            .where(OutgoingEmail.dedupe_key == "a")
            .values(subject="Two\nlines")
        )
        db.session.commit()
    outbox, mailer = sender

    report = outbox.send_pending(NOW)

    assert (report.sent, report.failed) == (1, 1)
    assert (rows(app)["a"].last_error or "").startswith("Cannot build the message:")
    assert mailer.tried == 1


def test_repeated_failures_back_off_to_the_cap(
    app: Flask, org_id: int, sender: tuple[OutboxSender, FakeMailer], clock: FakeClock
) -> None:
    queue(app, org_id, "a")
    outbox, mailer = sender
    waits = []
    for _ in range(6):
        mailer.failures = [MailerUnavailable("down")]
        outbox.send_pending(clock.now)
        row = rows(app)["a"]
        waits.append(row.next_attempt_at - clock.now)
        clock.now = row.next_attempt_at

    assert [w // dt.timedelta(minutes=1) for w in waits] == [1, 5, 15, 60, 240, 240]
    assert rows(app)["a"].attempts == 6


def test_a_message_claimed_by_another_run_is_left_to_it(
    app: Flask,
    org_id: int,
    sender: tuple[OutboxSender, FakeMailer],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    queue(app, org_id, "a", "b")
    outbox, mailer = sender
    with app.app_context():
        other_run = OutboxSender(
            db.new_session(), FakeMailer(), mail_from=MAIL_FROM, clock=FakeClock(NOW)
        )
    a_id = rows(app)["a"].id
    claim = outbox._claim

    def overtaken(email_id: int, now: dt.datetime) -> OutgoingEmail | None:
        # Both runs saw "a" as due; the other run's claim lands first.
        if email_id == a_id:
            assert other_run._claim(email_id, now) is not None
        return claim(email_id, now)

    monkeypatch.setattr(outbox, "_claim", overtaken)

    report = outbox.send_pending(NOW)
    other_run.session.close()

    assert (report.sent, report.failed, report.deferred) == (1, 0, 1)
    assert [m["To"] for m in mailer.sent] == ["b@alder.sch.uk"]
    assert rows(app)["a"].attempts == 1


def test_the_limit_defers_the_rest(
    app: Flask, org_id: int, sender: tuple[OutboxSender, FakeMailer]
) -> None:
    queue(app, org_id, "a", "b", "c")
    outbox, _mailer = sender

    report = outbox.send_pending(NOW, limit=2)

    assert (report.sent, report.deferred) == (2, 1)


def test_a_crash_mid_run_never_resends_what_went(
    app: Flask, org_id: int, sender: tuple[OutboxSender, FakeMailer], clock: FakeClock
) -> None:
    queue(app, org_id, "a", "b", "c")
    outbox, mailer = sender
    mailer.failures = [None, KeyboardInterrupt()]

    with pytest.raises(KeyboardInterrupt):
        outbox.send_pending(NOW)

    assert mailer.closed == 1
    stored = rows(app)
    assert stored["a"].sent_at == NOW
    # "b" was claimed when the run died: nobody sends it until the claim runs out ...
    assert stored["b"].sent_at is None
    assert stored["b"].next_attempt_at == NOW + CLAIM_LEASE
    assert stored["c"].attempts == 0

    again = FakeMailer()
    with app.app_context():
        session = db.new_session()
        next_run = OutboxSender(session, again, mail_from=MAIL_FROM, clock=clock)
        assert next_run.send_pending(NOW + dt.timedelta(minutes=1)).sent == 1
        clock.now = NOW + CLAIM_LEASE
        # ... then it is tried again; "a" never is.
        assert next_run.send_pending(clock.now).sent == 1
        session.close()
    assert [m["To"] for m in again.sent] == ["c@alder.sch.uk", "b@alder.sch.uk"]


def test_outbox_status_counts(app: Flask, org_id: int, clock: FakeClock) -> None:
    queue(app, org_id, "sent-long-ago", "sent", "failing", "waiting")
    with app.app_context():
        for key, values in (
            ("sent-long-ago", {"sent_at": NOW - dt.timedelta(days=2)}),
            ("sent", {"sent_at": NOW - dt.timedelta(hours=1)}),
            (
                "failing",
                {"last_error": "down", "next_attempt_at": NOW + dt.timedelta(minutes=5)},
            ),
        ):
            db.session.execute(
                update(OutgoingEmail).where(OutgoingEmail.dedupe_key == key).values(**values)
            )
        db.session.commit()
        status = outbox_status(db.session, NOW)

    assert (status.queued, status.failing, status.sent, status.sent_last_day) == (2, 1, 2, 1)
    assert status.last_error == "down"
    assert status.next_attempt_at == NOW + dt.timedelta(minutes=5)
