"""Issue 14, finding 6: with the database down, every response (``/lti/config`` and 404s
included) was gunicorn's bare "Internal Server Error": no reference, no CSP or nosniff, no
503 or Retry-After, and a stack trace per request in the log.

The tool runs here on a real PostgreSQL behind a TCP forwarder that the test cuts and
restores, so the outage is one the driver really sees (connections refused and cut)."""

from __future__ import annotations

import logging
import os
import re
import uuid
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.exc import OperationalError

from cpd_tracker import create_app, migrate
from cpd_tracker.extensions import db
from tests.support.factories import make_org, register
from tests.support.http import FakeHttp
from tests.support.launching import follow, launch
from tests.support.platform import TOOL_HOST, TestPlatform
from tests.support.tcp_proxy import TcpProxy

SERVER = os.environ.get(
    "CPD_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


@pytest.fixture
def postgres() -> Iterator[str]:
    """A fresh database on the machine's PostgreSQL (skipped where there is none)."""
    admin = create_engine(SERVER, isolation_level="AUTOCOMMIT")
    name = f"cpd_outage_{uuid.uuid4().hex[:8]}"
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError:
        admin.dispose()
        pytest.skip("no PostgreSQL at 127.0.0.1:5432 for the database outage test")
    url = make_url(SERVER).set(database=name)
    yield url.render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def outage(
    postgres: str, fake_http: FakeHttp, tmp_path: object
) -> Iterator[tuple[Flask, TcpProxy]]:
    engine = create_engine(postgres)
    migrate.upgrade(engine)
    engine.dispose()
    target = make_url(postgres)
    proxy = TcpProxy(target.host or "127.0.0.1", target.port or 5432)
    proxy.start()
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": target.set(port=proxy.port).render_as_string(hide_password=False),
            "SECRET_KEY": "test-secret-key-not-for-production",
            "BASE_URL": f"https://{TOOL_HOST}",
        }
    )
    app.instance_path = str(tmp_path)
    app.extensions["http"] = fake_http
    yield app, proxy
    proxy.stop()
    with app.app_context():
        db.engine.dispose()


def browser(app: Flask) -> FlaskClient:
    client = app.test_client()
    client.environ_base.update({"wsgi.url_scheme": "https", "HTTP_HOST": TOOL_HOST})
    return client


def test_without_a_database_the_tool_answers_503_and_comes_back(
    outage: tuple[Flask, TcpProxy], fake_http: FakeHttp, caplog: pytest.LogCaptureFixture
) -> None:
    app, proxy = outage
    platform = TestPlatform("moodle")
    platform.serve_jwks(fake_http)
    register(app, platform, make_org(app))
    teacher = browser(app)
    assert follow(teacher, launch(teacher, platform).response).status_code == 200

    proxy.stop()
    with caplog.at_level(logging.INFO, logger="cpd_tracker"):
        pages = [teacher.get("/my-training") for _ in range(5)]
        login = browser(app).post("/lti/login", data=platform.login_params())
        config = browser(app).get("/lti/config")
        missing = teacher.get("/no-such-page")

    for page in [*pages, login]:
        assert page.status_code == 503
        assert page.headers["Retry-After"] == "30"
        assert page.headers["X-Content-Type-Options"] == "nosniff"
        assert "frame-ancestors 'self'" in page.headers["Content-Security-Policy"]
        assert page.headers["Content-Type"] == "text/html; charset=utf-8"
        html = page.get_data(as_text=True)
        assert "not available just now" in html
        assert page.headers["X-Correlation-Id"] in html  # the reference, shown and logged
        assert "Traceback" not in html
        assert "OperationalError" not in html
    assert config.status_code == 200  # needs no database
    assert missing.status_code == 404
    reports = [r for r in caplog.records if "Database unavailable" in r.getMessage()]
    assert len(reports) == 1  # once per interval, not once per request
    assert not [r for r in caplog.records if r.exc_info]  # no stack trace per request
    assert "password" not in reports[0].getMessage().lower()

    proxy.start()
    back = teacher.get("/my-training")
    assert back.status_code == 200
    assert platform.user("learner").name in back.get_data(as_text=True)


def test_the_outage_report_counts_the_requests_it_stood_for(
    outage: tuple[Flask, TcpProxy], caplog: pytest.LogCaptureFixture
) -> None:
    from cpd_tracker import outage as outage_module

    app, proxy = outage
    proxy.stop()
    report = outage_module._OutageLog(interval=3600)
    with caplog.at_level(logging.ERROR, logger="cpd_tracker"), app.test_request_context():
        for _ in range(4):
            report.note(OperationalError("SELECT 1", {}, Exception("connection refused")))
        report.interval = 0
        report.note(OperationalError("SELECT 1", {}, Exception("connection refused")))
    messages = [r.getMessage() for r in caplog.records if "Database unavailable" in r.getMessage()]
    assert len(messages) == 2
    assert re.search(r"; 1 request\(s\) answered 503", messages[0])
    assert re.search(r"; 4 request\(s\) answered 503", messages[1])
