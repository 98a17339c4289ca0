from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from cpd_tracker import create_app
from tests.support.factories import make_org, register
from tests.support.http import FakeHttp
from tests.support.launching import follow, launch
from tests.support.platform import TOOL_HOST, TestPlatform

#: Nothing listens on port 1: connections are refused at once, as with a database that is down.
UNREACHABLE = "postgresql+psycopg://postgres@127.0.0.1:1/cpd_nowhere?connect_timeout=2"


def browser(app: Flask) -> FlaskClient:
    client = app.test_client()
    client.environ_base.update({"wsgi.url_scheme": "https", "HTTP_HOST": TOOL_HOST})
    return client


@pytest.fixture
def platform(app: Flask, fake_http: FakeHttp) -> TestPlatform:
    platform = TestPlatform("moodle")
    platform.serve_jwks(fake_http)
    register(app, platform, make_org(app))
    return platform


@pytest.fixture
def teacher(app: Flask, platform: TestPlatform) -> FlaskClient:
    """A browser that has launched the tool (it carries the session cookie)."""
    client = browser(app)
    page = follow(client, launch(client, platform, login_options={"user": "instructor"}).response)
    assert page.status_code == 200
    return client


def app_on(url: str, tmp_path: Path) -> Flask:
    app = create_app({"TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "s"})
    app.instance_path = str(tmp_path / "instance")
    return app


@pytest.fixture
def unreachable_app(tmp_path: Path) -> Iterator[Flask]:
    app = app_on(UNREACHABLE, tmp_path)
    yield app
    with app.app_context():
        from cpd_tracker.extensions import db

        db.engine.dispose()
