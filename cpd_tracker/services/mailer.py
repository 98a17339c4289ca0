"""How e-mail leaves: the outbox sender and the mailers it hands messages to.

ARCHITECTURE.md, "Outbound": reminder e-mails go through SMTP, queued in ``outgoing_email`` and
sent after commit, each once. ``OutboxSender.send_pending`` is the only code that sends; it runs
from ``cpd-tracker reminders send`` (never inside a web request) and commits after every
message, so what has gone is recorded as gone before the next one is tried.

Each message is *claimed* before it is sent: one conditional UPDATE moves its
``next_attempt_at`` a lease into the future, and only the run whose UPDATE matched sends it.
Two cron runs at once therefore never send the same row twice. If the process dies between
the SMTP server accepting a message and the commit of ``sent_at`` (a window of milliseconds),
the message is retried when the lease ends: SMTP offers no exactly-once delivery, so the
``Message-ID`` is derived from the dedupe key and a repeat is recognisably the same message.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import smtplib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, parseaddr
from ssl import SSLContext, create_default_context
from typing import Any, Protocol, TextIO, cast

from sqlalchemy import ColumnElement, CursorResult, func, select, update
from sqlalchemy.orm import Session

from cpd_tracker.models import OutgoingEmail

#: Waits before the 1st, 2nd, ... retry; the last one repeats (the 4-hour cap).
BACKOFF = (
    dt.timedelta(minutes=1),
    dt.timedelta(minutes=5),
    dt.timedelta(minutes=15),
    dt.timedelta(hours=1),
    dt.timedelta(hours=4),
)
#: How long a claimed message is left to its sender: far longer than an SMTP conversation.
CLAIM_LEASE = dt.timedelta(minutes=15)
ERROR_LIMIT = 500


class MailerError(Exception):
    """This message could not be sent (refused by the server, say); others may still go."""


class MailerUnavailable(MailerError):
    """The mail server cannot be used at all (unreachable, login refused, connection lost)."""


class Mailer(Protocol):
    def send(self, message: EmailMessage) -> None:
        """Hand over one message, or raise ``MailerError``."""

    def close(self) -> None:
        """Finish the conversation with the server, if one is open."""


class SmtpMailer:
    """SMTP with ``smtplib``: one connection reused for a run, TLS verified, timeouts on
    every socket operation."""

    def __init__(
        self,
        host: str,
        port: int,
        username: str | None = None,
        password: str | None = None,
        *,
        starttls: bool = True,
        ssl: bool = False,
        timeout: float = 10.0,
        tls_context: SSLContext | None = None,
    ) -> None:
        if ssl and starttls:
            raise ValueError("choose SSL or STARTTLS, not both")
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.starttls = starttls
        self.use_ssl = ssl
        self.timeout = timeout
        self.tls_context = tls_context
        self._smtp: smtplib.SMTP | None = None

    def _context(self) -> SSLContext:
        return self.tls_context or create_default_context()

    def _connect(self) -> smtplib.SMTP:
        smtp: smtplib.SMTP
        if self.use_ssl:
            smtp = smtplib.SMTP_SSL(
                self.host, self.port, timeout=self.timeout, context=self._context()
            )
        else:
            smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        try:
            if self.starttls:
                smtp.starttls(context=self._context())
            if self.username:
                smtp.login(self.username, self.password or "")
        except BaseException:
            smtp.close()
            raise
        return smtp

    def send(self, message: EmailMessage) -> None:
        try:
            if self._smtp is None:
                self._smtp = self._connect()
            self._smtp.send_message(message)
        except (smtplib.SMTPRecipientsRefused, smtplib.SMTPDataError) as exc:
            # Only this message was refused; smtplib has reset the conversation for the next.
            raise MailerError(self._describe(exc)) from exc
        except (smtplib.SMTPException, OSError) as exc:
            # Cannot connect, TLS or login refused, the connection dropped, or the server will
            # not take mail from MAIL_FROM: no message can go until that is fixed.
            self._reset()
            raise MailerUnavailable(self._describe(exc)) from exc

    def close(self) -> None:
        if self._smtp is None:
            return
        try:
            self._smtp.quit()
        except (smtplib.SMTPException, OSError):
            self._smtp.close()
        finally:
            self._smtp = None

    def _reset(self) -> None:
        if self._smtp is not None:
            self._smtp.close()
            self._smtp = None

    def _describe(self, exc: BaseException) -> str:
        text = f"{type(exc).__name__}: {exc}".replace("\r", " ").replace("\n", " ")
        # Some servers echo what they were sent; a password never goes into the outbox.
        if self.password:
            text = text.replace(self.password, "***")
        return f"{self.host}:{self.port}: {text}"


class ConsoleMailer:
    """Demo mode: print each message instead of sending it."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    def send(self, message: EmailMessage) -> None:
        # Headers as sent, the body as read (not in its quoted-printable transfer encoding).
        headers = "".join(f"{name}: {value}\n" for name, value in message.items())
        body = message.get_content() if not message.is_multipart() else message.as_string()
        rule = "-" * 72
        self.stream.write(f"{rule}\n{headers}\n{body}{rule}\n")
        self.stream.flush()

    def close(self) -> None:
        """Nothing to close."""


def mailer_from_config(config: Mapping[str, Any], stream: TextIO) -> Mailer | None:
    """The configured mailer; None when no SMTP server is set outside demo mode."""
    if config.get("SMTP_HOST"):
        return SmtpMailer(
            config["SMTP_HOST"],
            int(config["SMTP_PORT"]),
            config.get("SMTP_USERNAME"),
            config.get("SMTP_PASSWORD"),
            starttls=bool(config["SMTP_STARTTLS"]),
            ssl=bool(config["SMTP_SSL"]),
            timeout=float(config["SMTP_TIMEOUT"]),
        )
    if config.get("DEMO_MODE"):
        return ConsoleMailer(stream)
    return None


def backoff(attempts: int) -> dt.timedelta:
    """How long to wait after the ``attempts``-th failed try (1 min, 5, 15, 60, then 4 h)."""
    return BACKOFF[min(max(attempts, 1), len(BACKOFF)) - 1]


def message_id(dedupe_key: str, mail_from: str) -> str:
    """The same on every try, so a repeat after a crash is recognisably the same message."""
    digest = hashlib.sha256(dedupe_key.encode()).hexdigest()[:32]
    _name, address = parseaddr(mail_from)
    domain = address.rpartition("@")[2] if "@" in address else "localhost"
    return f"<{digest}@{domain}>"


def build_message(row: OutgoingEmail, mail_from: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = mail_from
    message["To"] = row.to_address
    message["Subject"] = row.subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = message_id(row.dedupe_key, mail_from)
    # Reminders are automatic: ask auto-responders (out-of-office) not to answer them.
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(row.body_text)
    return message


def _due(now: dt.datetime) -> ColumnElement[bool]:
    return (OutgoingEmail.sent_at.is_(None)) & (OutgoingEmail.next_attempt_at <= now)


def count_due(session: Session, now: dt.datetime) -> int:
    """Messages waiting to be sent that may be tried at ``now``."""
    return int(session.scalar(select(func.count(OutgoingEmail.id)).where(_due(now))) or 0)


@dataclass
class SendReport:
    sent: int = 0
    #: Tried and failed (or not tried because the server was unreachable): retried later.
    failed: int = 0
    #: Due but left for a later run: over the limit, or being sent by another run.
    deferred: int = 0
    #: The first error of the run, for the operator.
    error: str | None = None
    #: Why the mail server could not be used at all, if it could not.
    unreachable: str | None = None

    @property
    def unavailable(self) -> bool:
        """The mail server could not be used and nothing went: the run has failed.

        One refused message (an unknown mailbox, say) is not: the others still go, and
        failing every run over it would make cron cry wolf.
        """
        return self.unreachable is not None and self.sent == 0


class OutboxSender:
    """Sends due outbox rows. Unlike other services it commits, once per message: it is the
    edge of a CLI job, and each commit is the record that a message has gone."""

    def __init__(
        self,
        session: Session,
        mailer: Mailer,
        *,
        mail_from: str,
        clock: Callable[[], dt.datetime],
    ) -> None:
        self.session = session
        self.mailer = mailer
        self.mail_from = mail_from
        self.clock = clock

    def send_pending(
        self,
        now: dt.datetime,
        limit: int = 1000,
        *,
        on_each: Callable[[], None] | None = None,
    ) -> SendReport:
        report = SendReport()
        ids = list(
            self.session.scalars(
                select(OutgoingEmail.id)
                .where(_due(now))
                .order_by(OutgoingEmail.next_attempt_at, OutgoingEmail.id)
                .limit(limit)
            )
        )
        report.deferred = max(count_due(self.session, now) - len(ids), 0)
        # Nothing is held open while talking to the mail server.
        self.session.commit()
        unreachable: str | None = None
        try:
            for email_id in ids:
                row = self._claim(email_id, now)
                if row is None:
                    report.deferred += 1  # another run has it
                elif unreachable is not None:
                    self._failed(row, unreachable, report)
                else:
                    try:
                        self.mailer.send(build_message(row, self.mail_from))
                    except MailerUnavailable as exc:
                        unreachable = report.unreachable = str(exc)
                        self._failed(row, unreachable, report)
                    except MailerError as exc:
                        self._failed(row, str(exc), report)
                    except ValueError as exc:
                        # The row cannot make a valid message (a header with a line break):
                        # it waits, with the reason, rather than stopping every other message.
                        self._failed(row, f"Cannot build the message: {exc}", report)
                    else:
                        row.sent_at = self.clock()
                        row.last_error = None
                        self.session.commit()
                        report.sent += 1
                if on_each is not None:
                    on_each()
        finally:
            self.mailer.close()
        return report

    def _claim(self, email_id: int, now: dt.datetime) -> OutgoingEmail | None:
        # Conditional on the row still being due: of two runs racing for it, only one UPDATE
        # matches (PostgreSQL re-checks the WHERE after the row lock; SQLite has one writer).
        # The lease runs from the clock, not from the start of a run that may be long.
        claimed = cast(
            CursorResult[Any],
            self.session.execute(
                update(OutgoingEmail)
                .where(OutgoingEmail.id == email_id, _due(now))
                .values(
                    next_attempt_at=self.clock() + CLAIM_LEASE,
                    attempts=OutgoingEmail.attempts + 1,
                )
                .execution_options(synchronize_session=False)
            ),
        )
        self.session.commit()
        if claimed.rowcount != 1:
            return None
        return self.session.get(OutgoingEmail, email_id, populate_existing=True)

    def _failed(self, row: OutgoingEmail, error: str, report: SendReport) -> None:
        row.last_error = error[:ERROR_LIMIT]
        row.next_attempt_at = self.clock() + backoff(row.attempts)
        self.session.commit()
        report.failed += 1
        report.error = report.error or error


@dataclass(frozen=True)
class OutboxStatus:
    #: Not sent yet (due now or waiting for a retry).
    queued: int
    #: Of those, tried at least once and failed.
    failing: int
    sent: int
    sent_last_day: int
    #: The most recently failed message's error and its next try.
    last_error: str | None
    next_attempt_at: dt.datetime | None


def outbox_status(session: Session, now: dt.datetime) -> OutboxStatus:
    unsent = OutgoingEmail.sent_at.is_(None)

    def count(*where: ColumnElement[bool]) -> int:
        return int(session.scalar(select(func.count(OutgoingEmail.id)).where(*where)) or 0)

    failing = unsent & (OutgoingEmail.last_error.is_not(None))
    latest = session.execute(
        select(OutgoingEmail.last_error, OutgoingEmail.next_attempt_at)
        .where(failing)
        .order_by(OutgoingEmail.next_attempt_at.desc(), OutgoingEmail.id.desc())
        .limit(1)
    ).first()
    return OutboxStatus(
        queued=count(unsent),
        failing=count(failing),
        sent=count(OutgoingEmail.sent_at.is_not(None)),
        sent_last_day=count(OutgoingEmail.sent_at > now - dt.timedelta(days=1)),
        last_error=latest[0] if latest else None,
        next_attempt_at=latest[1] if latest else None,
    )
