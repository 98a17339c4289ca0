"""A real SMTP server on loopback (aiosmtpd) that keeps what it receives, for the reminder tests.

It speaks SMTP over a real socket, so the mailer under test goes through ``smtplib`` exactly as
in production: plain, STARTTLS or TLS from the start (with a throwaway certificate for
127.0.0.1), with or without a login. ``refuse`` makes it answer the next DATA commands with an
error, as a server under load or a full mailbox would.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import ipaddress
import socket
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

HOST = "127.0.0.1"


def free_port() -> int:
    """A loopback port nothing listens on (just now): also the "mail server is down" port."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
    return port


@dataclass(frozen=True)
class Received:
    mail_from: str
    rcpt_tos: tuple[str, ...]
    message: EmailMessage

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    @property
    def body(self) -> str:
        part = self.message.get_body(("plain",))
        assert part is not None
        # As a mail client shows it: line endings back to newlines.
        return str(part.get_content()).replace("\r\n", "\n")


class _Handler:
    def __init__(self) -> None:
        self.received: list[Received] = []
        self.refusals: list[str] = []
        self.refused_senders: set[str] = set()
        self.lock = threading.Lock()

    async def handle_MAIL(
        self, server: Any, session: Any, envelope: Any, address: str, mail_options: list[str]
    ) -> str:
        with self.lock:
            if address in self.refused_senders:
                return "553 5.7.1 Sender address rejected: not owned by user"
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            if self.refusals:
                return self.refusals.pop(0)
            message = email.message_from_bytes(envelope.content, policy=email.policy.default)
            assert isinstance(message, EmailMessage)
            self.received.append(Received(envelope.mail_from, tuple(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"


@dataclass
class Certificate:
    cert_file: Path
    key_file: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert_file, self.key_file)
        return context

    def client_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.cert_file))


def make_certificate(folder: Path) -> Certificate:
    """A self-signed certificate for 127.0.0.1, valid for a day."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, HOST)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(HOST))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = folder / "smtp-cert.pem", folder / "smtp-key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return Certificate(cert_file, key_file)


class SmtpServer:
    """What the running server received, and a way to make it refuse."""

    def __init__(self, controller: Controller, handler: _Handler, port: int) -> None:
        self.controller = controller
        self.handler = handler
        self.host = HOST
        self.port = port

    @property
    def received(self) -> list[Received]:
        with self.handler.lock:
            return list(self.handler.received)

    def refuse(self, *responses: str) -> None:
        """Answer the next DATA commands with these responses, e.g. ``"451 Try again later"``."""
        with self.handler.lock:
            self.handler.refusals.extend(responses)

    def refuse_sender(self, address: str) -> None:
        """Refuse MAIL FROM this address, as a relay refuses a From it does not own."""
        with self.handler.lock:
            self.handler.refused_senders.add(address)

    def to(self, address: str) -> list[Received]:
        return [r for r in self.received if address in r.rcpt_tos]


@contextmanager
def smtp_server(
    *,
    port: int | None = None,
    starttls: Certificate | None = None,
    implicit_tls: Certificate | None = None,
    login: tuple[str, str] | None = None,
) -> Iterator[SmtpServer]:
    """Run a server on 127.0.0.1 for the duration of the ``with`` block."""
    handler = _Handler()
    port = port or free_port()
    options: dict[str, Any] = {}
    if starttls is not None:
        options.update(tls_context=starttls.server_context(), require_starttls=True)
    if implicit_tls is not None:
        options["ssl_context"] = implicit_tls.server_context()
    if login is not None:

        def authenticate(
            server: Any, session: Any, envelope: Any, mechanism: str, data: Any
        ) -> AuthResult:
            ok = (
                isinstance(data, LoginPassword)
                and (
                    data.login.decode(),
                    data.password.decode(),
                )
                == login
            )
            return AuthResult(success=ok, handled=False)

        options.update(
            authenticator=authenticate,
            auth_required=True,
            # The tests log in over plain SMTP too; production mailers use TLS by default.
            auth_require_tls=starttls is not None or implicit_tls is not None,
        )
    controller = Controller(handler, hostname=HOST, port=port, **options)
    controller.start()
    try:
        yield SmtpServer(controller, handler, port)
    finally:
        controller.stop()
