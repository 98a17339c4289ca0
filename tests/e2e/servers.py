"""The two servers of the browser tests and what they share: a throwaway certificate
authority, the tool (``create_app`` on a fresh, migrated and seeded SQLite database) on
``https://localhost:PORT`` and the test LMS (:mod:`tests.e2e.lms`) on ``https://127.0.0.1:PORT``:
two sites, so the tool's iframe is third party exactly as in Canvas or Moodle. Both are
werkzeug servers in threads of the test process.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import logging
import ssl
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from flask import Flask
from sqlalchemy import create_engine, select
from werkzeug.serving import BaseWSGIServer, make_server

from cpd_tracker import create_app, migrate
from cpd_tracker.extensions import db
from cpd_tracker.models import DueRule, Module, Requirement
from lti.http import HttpClient
from tests.e2e.lms import Lms, create_lms_app
from tests.support.factories import make_org, register
from tests.support.platform import TestPlatform

IN_TOOL_MODULE = "send-code-of-practice-essentials"
SCHOOL_URN = "100001"
SCHOOL_NAME = "Alder Primary"
SESSION_COOKIE = "cpd_session"


# ------------------------------------------------------------------ certificates


@dataclass(frozen=True)
class Certs:
    ca: Path
    cert: Path
    key: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert, self.key)
        return context


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


def make_certs(folder: Path) -> Certs:
    """A throwaway CA and a certificate for localhost and 127.0.0.1, valid for two days."""
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(_name("cpd-tracker e2e test CA"))
        .issuer_name(_name("cpd-tracker e2e test CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name("localhost"))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=2))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    paths = Certs(folder / "ca.pem", folder / "cert.pem", folder / "key.pem")
    paths.ca.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths.key.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return paths


# ------------------------------------------------------------------ servers


class Recorder:
    """WSGI middleware: what reached the tool (path, cookies, Sec-Fetch-Dest), for asserting
    which requests carried the tool's cookie."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.seen: list[Seen] = []
        self.lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        cookie = environ.get("HTTP_COOKIE", "")
        names = {part.split("=", 1)[0].strip() for part in cookie.split(";") if "=" in part}
        with self.lock:
            self.seen.append(
                Seen(
                    environ.get("REQUEST_METHOD", ""),
                    environ.get("PATH_INFO", ""),
                    environ.get("QUERY_STRING", ""),
                    frozenset(names),
                    environ.get("HTTP_SEC_FETCH_DEST", ""),
                )
            )
        return self.app(environ, start_response)

    def mark(self) -> int:
        with self.lock:
            return len(self.seen)

    def since(self, mark: int) -> list[Seen]:
        with self.lock:
            return list(self.seen[mark:])


@dataclass(frozen=True)
class Seen:
    method: str
    path: str
    query: str
    cookies: frozenset[str]
    dest: str

    @property
    def is_page(self) -> bool:
        return self.dest in ("iframe", "document") and not self.path.startswith("/static/")


@dataclass
class Servers:
    tool_base: str
    lms: Lms
    tool_app: Flask
    recorder: Recorder
    ca: Path
    org_id: int

    @property
    def lms_base(self) -> str:
        return self.lms.base

    def tool_jwks(self) -> dict[str, Any]:
        response = requests.get(
            self.tool_base + "/.well-known/jwks.json", verify=self.ca, timeout=10
        )
        response.raise_for_status()
        keys: dict[str, Any] = response.json()
        return keys

    def module(self, slug: str = IN_TOOL_MODULE) -> Module:
        """The module with its pages, questions and options loaded (detached)."""
        with self.tool_app.app_context():
            module = db.session.scalar(
                select(Module).where(Module.organisation_id == self.org_id, Module.slug == slug)
            )
            assert module is not None
            _ = module.pages, [q.options for q in module.questions]
            db.session.expunge(module)
            return module


def _serve(app: Any, certs: Certs) -> tuple[BaseWSGIServer, Callable[[], None]]:
    server = make_server("127.0.0.1", 0, app, threaded=True, ssl_context=certs.server_context())
    thread = threading.Thread(target=server.serve_forever, name="e2e-server", daemon=True)
    thread.start()

    def stop() -> None:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()

    return server, stop


def _seed(app: Flask, platform: TestPlatform) -> int:
    org_id = make_org(
        app, "E2E Learning Trust", schools=((SCHOOL_URN, SCHOOL_NAME), ("100002", "Birch Academy"))
    )
    register(app, platform, org_id)
    with app.app_context():
        for slug in (IN_TOOL_MODULE, "autism-awareness"):
            module = db.session.scalar(
                select(Module).where(Module.organisation_id == org_id, Module.slug == slug)
            )
            assert module is not None, slug
            # Introduced a year ago, 30 days to do it: the report has overdue staff in it.
            db.session.add(
                Requirement(
                    organisation_id=org_id,
                    module_id=module.id,
                    roles=[],
                    due_rule=DueRule.DAYS_AFTER_START,
                    due_days=30,
                    created_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=365),
                )
            )
        db.session.commit()
    return org_id


#: What a run's database holds besides the catalogue: given the tool and the LMS's platform,
#: makes the organisation the LMS launches into and registers the platform; returns its id.
Seed = Callable[[Flask, TestPlatform], int]


@contextmanager
def running_servers(folder: Path, seed: Seed = _seed) -> Iterator[Servers]:
    """Start the tool and the LMS; stop both on exit."""
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    certs = make_certs(folder)
    url = f"sqlite:///{folder / 'e2e.sqlite3'}"
    engine = create_engine(url)
    migrate.upgrade(engine)
    engine.dispose()

    tool_app = create_app(
        {
            "DATABASE_URL": url,
            "SECRET_KEY": "e2e-secret-key-not-for-production",
            # Every persona launches from 127.0.0.1, dozens of times a minute: the per-address
            # limits (tested in tests/security) would refuse the suite itself.
            "RATE_LIMITS": False,
        }
    )
    tool_app.instance_path = str(folder / "instance")
    session = requests.Session()
    session.verify = str(certs.ca)
    # Ignore REQUESTS_CA_BUNDLE and proxy variables: they would override ``verify``.
    session.trust_env = False
    tool_app.extensions["http"] = HttpClient(session=session)
    recorder = Recorder(tool_app.wsgi_app)
    tool_app.wsgi_app = recorder  # type: ignore[method-assign]
    tool_server, stop_tool = _serve(tool_app, certs)
    tool_base = f"https://localhost:{tool_server.server_port}"
    tool_app.config["BASE_URL"] = tool_base

    # The LMS's issuer names its port: bind first, then make its platform.
    lms = Lms(TestPlatform("canvas", issuer="https://placeholder.invalid"), tool_base=tool_base)
    lms_server, stop_lms = _serve(create_lms_app(lms), certs)
    lms.platform = TestPlatform("canvas", issuer=f"https://127.0.0.1:{lms_server.server_port}")
    org_id = seed(tool_app, lms.platform)
    try:
        yield Servers(tool_base, lms, tool_app, recorder, certs.ca, org_id)
    finally:
        stop_lms()
        stop_tool()
        with tool_app.app_context():
            db.engine.dispose()
