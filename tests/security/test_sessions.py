"""Issue 14, finding 4: sessions with an end.

Launch tokens in URLs were bearer sessions that never ended: a token copied from a log renewed
itself in every link forever; there was no sign-out and no revocation; the cookie lived 31
days. Now a session ends a working day after its launch (cookie and token alike, however
often the token is renewed), on sign-out, and when the person's permissions are taken away.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from flask import Flask
from flask.testing import FlaskClient

from cpd_tracker.extensions import db
from cpd_tracker.models import Person
from tests.support.clock import FakeClock
from tests.support.factories import make_org, register
from tests.support.http import FakeHttp
from tests.support.launching import follow, launch
from tests.support.platform import TOOL_HOST, TestPlatform

HOUR = 3600


def browser(app: Flask, *, cookies: bool = True) -> FlaskClient:
    client = app.test_client(use_cookies=cookies)
    client.environ_base.update({"wsgi.url_scheme": "https", "HTTP_HOST": TOOL_HOST})
    return client


@pytest.fixture
def clock(app: Flask) -> FakeClock:
    clock = FakeClock(dt.datetime.now(dt.UTC))
    app.extensions["clock"] = clock
    return clock


@pytest.fixture
def moodle(app: Flask, fake_http: FakeHttp) -> TestPlatform:
    org = make_org(app)
    platform = TestPlatform("moodle")
    platform.serve_jwks(fake_http)
    register(app, platform, org)
    return platform


def token_in(url: str) -> str:
    found = re.search(r"[?&]lt=([^&\"]+)", url)
    assert found is not None, url
    return found.group(1)


def teacher_session(app: Flask, platform: TestPlatform, user: str = "learner") -> FlaskClient:
    client = browser(app)
    options = {"user": user, "custom": {"school_urn": "100001"}}
    landing = follow(client, launch(client, platform, login_options=options).response)
    assert landing.status_code == 200
    return client


def test_a_renewed_token_still_ends_with_its_session(
    app: Flask, moodle: TestPlatform, clock: FakeClock
) -> None:
    """The token from a log, replayed without cookies, renews itself in every link: each
    renewal keeps the launch's start, so the chain ends a working day after the launch."""
    client = browser(app)
    token = token_in(launch(client, moodle).response.headers["Location"])
    thief = browser(app, cookies=False)
    for _hour in range(9):
        clock.advance(HOUR)
        page = thief.get(f"/my-training?lt={token}")
        assert page.status_code == 200
        token = token_in(page.get_data(as_text=True))  # the renewed token in the page's links
    clock.advance(HOUR)  # ten hours after the launch
    assert thief.get(f"/my-training?lt={token}").status_code == 401
    assert client.get("/my-training").status_code == 401  # the cookie too


def test_the_working_day_can_be_set_by_the_operator(app: Flask, tmp_path: object) -> None:
    from pathlib import Path

    from cpd_tracker.config import ConfigError, load_config

    env = {"SECRET_KEY": "x" * 40, "CPD_TRACKER_SESSION_HOURS": "8"}
    config = load_config(Path(str(tmp_path)), environ=env)
    assert config["SESSION_LIFETIME"] == dt.timedelta(hours=8)
    assert config["PERMANENT_SESSION_LIFETIME"] == dt.timedelta(hours=8)
    with pytest.raises(ConfigError):
        load_config(Path(str(tmp_path)), environ={**env, "CPD_TRACKER_SESSION_HOURS": "720"})


def test_sign_out_ends_the_cookie_and_every_token(
    app: Flask, moodle: TestPlatform, clock: FakeClock
) -> None:
    client = browser(app)
    landing = launch(client, moodle).response
    token = token_in(landing.headers["Location"])
    page = follow(client, landing).get_data(as_text=True)
    assert "Sign out" in page
    csrf = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.split("app-sign-out")[1])
    assert csrf is not None

    signed_out = client.post("/sign-out", data={"csrf_token": csrf.group(1)})

    assert signed_out.status_code == 200
    assert "You have signed out" in signed_out.get_data(as_text=True)
    assert client.get("/my-training").status_code == 401
    assert browser(app, cookies=False).get(f"/my-training?lt={token}").status_code == 401
    # Opening the tool from the LMS again starts a new session.
    clock.advance(1)
    again = browser(app)
    assert follow(again, launch(again, moodle).response).status_code == 200


def test_sign_out_needs_the_forms_token(app: Flask, moodle: TestPlatform, clock: FakeClock) -> None:
    client = teacher_session(app, moodle)
    assert client.post("/sign-out", data={}).status_code == 400
    assert client.get("/my-training").status_code == 200


def test_taking_a_permission_away_ends_that_persons_sessions(
    app: Flask, moodle: TestPlatform, clock: FakeClock
) -> None:
    lead = teacher_session(app, moodle, "instructor")
    assert lead.get("/my-training").status_code == 200
    leader = teacher_session(app, moodle, "admin")
    page = leader.get("/admin/permissions").get_data(as_text=True)
    with app.app_context():
        person = db.session.query(Person).filter_by(sub=moodle.user("instructor").sub).one()
        person_id = person.id
        school_id = next(p.school_id for p in person.permissions if p.school_id)
    csrf = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    assert csrf is not None
    clock.advance(60)
    taken = leader.post(
        "/admin/permissions/revoke",
        data={
            "csrf_token": csrf.group(1),
            "person_id": str(person_id),
            "kind": "cpd_lead",
            "school_id": str(school_id),
        },
    )
    assert taken.status_code == 302
    assert lead.get("/my-training").status_code == 401
    assert leader.get("/my-training").status_code == 200  # only that person's sessions


def test_https_responses_carry_hsts_when_the_tool_is_on_https(tmp_path: object) -> None:
    from pathlib import Path

    from cpd_tracker.config import ConfigError, load_config

    base = {"SECRET_KEY": "x" * 40}
    on_https = {**base, "CPD_TRACKER_BASE_URL": "https://cpd.trust.org.uk"}
    assert load_config(Path(str(tmp_path)), environ=on_https)["HSTS_SECONDS"] == 31_536_000
    assert load_config(Path(str(tmp_path)), environ=base)["HSTS_SECONDS"] == 0
    off = {**on_https, "CPD_TRACKER_HSTS_SECONDS": "0"}
    assert load_config(Path(str(tmp_path)), environ=off)["HSTS_SECONDS"] == 0
    with pytest.raises(ConfigError):
        load_config(Path(str(tmp_path)), environ={**on_https, "CPD_TRACKER_HSTS_SECONDS": "²"})


def test_the_hsts_header_goes_on_https_answers_only(app: Flask) -> None:
    app.config["HSTS_SECONDS"] = 600
    client = app.test_client()
    secure = client.get("/lti/config", base_url=f"https://{TOOL_HOST}")
    assert secure.headers["Strict-Transport-Security"] == "max-age=600"
    plain = client.get("/lti/config", base_url=f"http://{TOOL_HOST}")
    assert "Strict-Transport-Security" not in plain.headers
