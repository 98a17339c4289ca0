"""Issue 14, finding 3: every /lti/login wrote a login_state row (1,933 rows in 20 s from one
client). Login initiation, launch and registration are limited per client address and per
platform, counted in the database so every worker and host shares the count."""

from __future__ import annotations

import datetime as dt

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from cpd_tracker import create_app
from cpd_tracker.extensions import db
from cpd_tracker.models import LoginState
from cpd_tracker.services.rate_limits import LOGIN_PER_ADDRESS, Limit
from tests.support.clock import FakeClock
from tests.support.factories import make_org, register
from tests.support.http import FakeHttp
from tests.support.platform import TOOL_HOST, TestPlatform


@pytest.fixture
def clock(app: Flask) -> FakeClock:
    clock = FakeClock(dt.datetime.now(dt.UTC).replace(second=5, microsecond=0))
    app.extensions["clock"] = clock
    app.config["RATE_LIMITS"] = True
    return clock


@pytest.fixture
def moodle(app: Flask, fake_http: FakeHttp) -> TestPlatform:
    platform = TestPlatform("moodle")
    platform.serve_jwks(fake_http)
    register(app, platform, make_org(app))
    return platform


def from_address(app: Flask, address: str) -> FlaskClient:
    client = app.test_client()
    client.environ_base.update(
        {"wsgi.url_scheme": "https", "HTTP_HOST": TOOL_HOST, "REMOTE_ADDR": address}
    )
    return client


def login_states(app: Flask) -> int:
    with app.app_context():
        return int(db.session.scalar(select(func.count()).select_from(LoginState)) or 0)


def test_a_login_flood_from_one_address_is_cut_off_and_writes_nothing_more(
    app: Flask, moodle: TestPlatform, clock: FakeClock
) -> None:
    flooder = from_address(app, "203.0.113.7")
    answers = [
        flooder.get("/lti/login", query_string=moodle.login_params()).status_code
        for _ in range(LOGIN_PER_ADDRESS.requests + 15)
    ]
    assert answers[: LOGIN_PER_ADDRESS.requests] == [302] * LOGIN_PER_ADDRESS.requests
    assert set(answers[LOGIN_PER_ADDRESS.requests :]) == {429}
    assert login_states(app) == LOGIN_PER_ADDRESS.requests

    refused = flooder.get("/lti/login", query_string=moodle.login_params())
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert "Wait a minute" in refused.get_data(as_text=True)
    # Someone else at the school is not held up; the flooder is, until the window ends.
    neighbour = from_address(app, "198.51.100.20")
    assert neighbour.get("/lti/login", query_string=moodle.login_params()).status_code == 302
    clock.advance(60)
    assert flooder.get("/lti/login", query_string=moodle.login_params()).status_code == 302


def test_a_platform_is_limited_across_addresses(
    app: Flask, moodle: TestPlatform, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    small = Limit("login-platform", 5, dt.timedelta(minutes=1))
    monkeypatch.setattr("cpd_tracker.launch.routes.LOGIN_PER_PLATFORM", small)
    answers = [
        from_address(app, f"192.0.2.{n}")
        .get("/lti/login", query_string=moodle.login_params())
        .status_code
        for n in range(1, 9)
    ]
    assert answers == [302] * 5 + [429] * 3


def test_the_count_is_shared_by_every_worker(
    app: Flask, database_url: str, fake_http: FakeHttp, moodle: TestPlatform, clock: FakeClock
) -> None:
    other = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": database_url,
            "SECRET_KEY": app.config["SECRET_KEY"],
            "BASE_URL": app.config["BASE_URL"],
            "RATE_LIMITS": True,
        }
    )
    other.extensions["http"] = fake_http
    other.extensions["clock"] = clock
    workers = [from_address(app, "203.0.113.9"), from_address(other, "203.0.113.9")]
    answers = [
        workers[n % 2].get("/lti/login", query_string=moodle.login_params()).status_code
        for n in range(LOGIN_PER_ADDRESS.requests + 2)
    ]
    assert answers.count(302) == LOGIN_PER_ADDRESS.requests
    assert answers[-2:] == [429, 429]
    with other.app_context():
        db.engine.dispose()


def test_registration_attempts_are_limited_per_address(app: Flask, clock: FakeClock) -> None:
    client = from_address(app, "203.0.113.50")
    query = {"openid_configuration": "https://lms.example.org/config", "invite": "nope"}
    answers = [client.get("/lti/register", query_string=query).status_code for _ in range(22)]
    assert answers[:20] == [400] * 20  # refused for the bad invitation, and counted
    assert answers[20:] == [429, 429]


def test_launch_posts_are_limited_per_address(app: Flask, clock: FakeClock) -> None:
    client = from_address(app, "203.0.113.60")
    answers = [
        client.post("/lti/launch", data={"id_token": "x", "state": "y"}).status_code
        for _ in range(62)
    ]
    assert all(400 <= a < 500 and a != 429 for a in answers[:60])
    assert answers[60:] == [429, 429]


def test_expired_logins_are_forgotten_as_new_ones_are_made(
    app: Flask, moodle: TestPlatform, clock: FakeClock
) -> None:
    """Logins that are never completed used to stay until the nightly purge (about 5.6 GB a
    day from one client): each new login now forgets a few that expired over a day ago."""
    client = from_address(app, "203.0.113.70")
    for _ in range(30):
        assert client.get("/lti/login", query_string=moodle.login_params()).status_code == 302
    assert login_states(app) == 30
    clock.advance(2 * 24 * 3600)  # they expired (minutes after) and a day has passed since
    assert client.get("/lti/login", query_string=moodle.login_params()).status_code == 302
    assert login_states(app) == 1  # the 30 forgotten, the new one kept
