"""Issue 14, findings 2 and 3: who may register an LMS into an organisation.

A leaked invitation used to register any LMS into the trust, as often as anyone liked for 30
days, and its administrator then launched as trust leader; open registration let anyone make
organisations. Each attack is replayed here and must be refused, with nothing written.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from cpd_tracker.config import load_config
from cpd_tracker.extensions import db
from cpd_tracker.models import AuditEntry, Invitation, PlatformRegistration
from tests.support.factories import make_invite, make_org, register
from tests.support.http import FakeHttp
from tests.support.launching import follow, launch, login
from tests.support.platform import TOOL_HOST, TestPlatform
from tests.support.registration import DynamicPlatform, form_fields, moodle


def browser(app: Flask) -> FlaskClient:
    client = app.test_client()
    client.environ_base.update({"wsgi.url_scheme": "https", "HTTP_HOST": TOOL_HOST})
    return client


def open_page(app: Flask, lms: DynamicPlatform, invite: str | None) -> TestResponse:
    return browser(app).get("/lti/register", query_string=lms.query(invite))


def register_with(app: Flask, lms: DynamicPlatform, invite: str) -> TestResponse:
    client = browser(app)
    page = client.get("/lti/register", query_string=lms.query(invite))
    assert page.status_code == 200, page.get_data(as_text=True)[:400]
    return client.post("/lti/register", data=form_fields(page.get_data(as_text=True)))


def registrations(app: Flask) -> list[tuple[str, str, bool]]:
    with app.app_context():
        return [
            (r.issuer, r.client_id, r.approved_at is not None)
            for r in db.session.scalars(select(PlatformRegistration).order_by("id"))
        ]


def lms_at(site: str, client_id: str, fake_http: FakeHttp) -> DynamicPlatform:
    lms = moodle(site, client_id=client_id)
    lms.serve(fake_http)
    return lms


@pytest.fixture
def trust(app: Flask, fake_http: FakeHttp) -> tuple[int, FlaskClient]:
    """Willow Trust, with its Moodle and a trust leader (the Moodle site administrator)."""
    org = make_org(app, "Willow Trust")
    platform = TestPlatform("moodle")
    platform.serve_jwks(fake_http)
    register(app, platform, org)
    leader = browser(app)
    landing = follow(
        leader,
        launch(
            leader, platform, login_options={"user": "admin", "custom": {"school_urn": "100001"}}
        ).response,
    )
    assert landing.request.path == "/trust"
    return org, leader


def test_open_registration_is_off_unless_the_operator_turns_it_on(tmp_path: Path) -> None:
    env = {"SECRET_KEY": "x" * 40}
    assert load_config(tmp_path, environ=env)["OPEN_REGISTRATION"] is False
    opted_in = {**env, "CPD_TRACKER_OPEN_REGISTRATION": "1"}
    assert load_config(tmp_path, environ=opted_in)["OPEN_REGISTRATION"] is True


def test_without_an_invitation_nobody_makes_an_organisation(
    app: Flask, fake_http: FakeHttp
) -> None:
    app.config["OPEN_REGISTRATION"] = load_config(
        Path(app.instance_path), environ={"SECRET_KEY": "x" * 40}
    )["OPEN_REGISTRATION"]
    lms = lms_at("https://moodle.stranger.example", "s1", fake_http)
    page = open_page(app, lms, None)
    assert page.status_code == 403
    assert "needs an invitation link" in page.get_data(as_text=True)
    assert lms.configuration_requests(fake_http) == []  # nothing fetched for a stranger
    assert registrations(app) == []


def test_a_leaked_invitation_registers_one_lms_then_nothing(
    app: Flask, fake_http: FakeHttp, trust: tuple[int, FlaskClient]
) -> None:
    org, _leader = trust
    invite = make_invite(app, org)
    ours = lms_at("https://moodle.willow.example", "ours", fake_http)
    assert register_with(app, ours, invite).status_code == 200

    stranger = lms_at("https://moodle.attacker.example", "evil", fake_http)
    again = open_page(app, stranger, invite)
    assert again.status_code == 400
    assert "has been used already" in again.get_data(as_text=True)
    forced = browser(app).post("/lti/register", data={**stranger.query(invite)})
    assert forced.status_code == 400
    issuers = [issuer for issuer, _client, _approved in registrations(app)]
    assert "https://moodle.attacker.example" not in issuers


def test_two_registrations_racing_on_one_link_cannot_both_have_it(
    app: Flask, fake_http: FakeHttp, trust: tuple[int, FlaskClient]
) -> None:
    org, _leader = trust
    invite = make_invite(app, org)
    first = lms_at("https://moodle.a.example", "a", fake_http)
    second = lms_at("https://moodle.b.example", "b", fake_http)
    pages = []
    for lms in (first, second):  # both pages open before either is confirmed
        client = browser(app)
        page = client.get("/lti/register", query_string=lms.query(invite))
        assert page.status_code == 200
        pages.append((client, page))
    answers = [
        client.post("/lti/register", data=form_fields(page.get_data(as_text=True)))
        for client, page in pages
    ]
    assert sorted(a.status_code for a in answers) == [200, 400]
    assert len(registrations(app)) == 2  # the trust's own and one of the two


def test_an_invitation_expires_and_can_be_withdrawn(
    app: Flask, fake_http: FakeHttp, trust: tuple[int, FlaskClient]
) -> None:
    _org, leader = trust
    made = leader.post(
        "/admin/registrations/invitations",
        data={"csrf_token": csrf(leader.get("/admin/registrations")), "days": "3", "uses": "2"},
    )
    assert made.status_code == 201
    link = re.search(r"data-new-invite>([^<]+)<", made.get_data(as_text=True)).group(1)
    secret = link.split("invite=", 1)[1]
    with app.app_context():
        (row,) = db.session.scalars(select(Invitation)).all()
        assert row.token_hash != secret
        assert secret not in row.token_hash
        assert (row.expires_at - row.created_at).days == 3
        assert row.max_uses == 2
        invitation_id = row.id

    page = leader.get("/admin/registrations").get_data(as_text=True)
    assert secret not in page  # shown once, when made
    assert "Can be used" in page
    withdrawn = leader.post(
        f"/admin/registrations/invitations/{invitation_id}/revoke",
        data={"csrf_token": csrf(page)},
    )
    assert withdrawn.status_code == 302
    lms = lms_at("https://moodle.late.example", "late", fake_http)
    refused = open_page(app, lms, secret)
    assert refused.status_code == 400
    assert "withdrawn by a trust leader" in refused.get_data(as_text=True)
    with app.app_context():
        actions = set(db.session.scalars(select(AuditEntry.action)))
    assert {"invitation.created", "invitation.revoked"} <= actions


def test_a_registration_into_a_led_trust_waits_inert_until_a_trust_leader_approves(
    app: Flask, fake_http: FakeHttp, trust: tuple[int, FlaskClient]
) -> None:
    org, leader = trust
    lms = lms_at("https://moodle.second.example", "second", fake_http)
    done = register_with(app, lms, make_invite(app, org))
    assert done.status_code == 200
    assert "must approve this registration" in done.get_data(as_text=True)
    assert registrations(app)[-1] == ("https://moodle.second.example", "second", False)

    platform = lms.test_platform()
    platform.serve_jwks(fake_http)
    refused = login(browser(app), platform)
    assert refused.status_code == 403
    assert "waiting for approval" in refused.get_data(as_text=True)
    assert "moodle.second.example" not in leader.get("/trust").headers["Content-Security-Policy"]

    page = leader.get("/admin/registrations").get_data(as_text=True)
    assert "Waiting for approval" in page
    (registration_id,) = list(re.findall(r"/admin/registrations/(\d+)/approve", page))
    approved = leader.post(
        f"/admin/registrations/{registration_id}/approve", data={"csrf_token": csrf(page)}
    )
    assert approved.status_code == 302
    teacher = browser(app)
    assert launch(teacher, platform).response.status_code == 303
    assert "moodle.second.example" in leader.get("/trust").headers["Content-Security-Policy"]


def test_a_registration_nobody_expected_is_refused_and_removed(
    app: Flask, fake_http: FakeHttp, trust: tuple[int, FlaskClient]
) -> None:
    org, leader = trust
    lms = lms_at("https://moodle.unexpected.example", "unexpected", fake_http)
    assert register_with(app, lms, make_invite(app, org)).status_code == 200
    page = leader.get("/admin/registrations").get_data(as_text=True)
    (registration_id,) = re.findall(r"/admin/registrations/(\d+)/refuse", page)
    removed = leader.post(
        f"/admin/registrations/{registration_id}/refuse", data={"csrf_token": csrf(page)}
    )
    assert removed.status_code == 302
    assert "https://moodle.unexpected.example" not in [r[0] for r in registrations(app)]


def test_the_first_registration_of_a_new_organisation_does_not_wait(
    app: Flask, fake_http: FakeHttp
) -> None:
    org = make_org(app, "Rowan Trust")  # nobody leads it in the tool yet
    lms = lms_at("https://moodle.rowan.example", "rowan", fake_http)
    assert register_with(app, lms, make_invite(app, org)).status_code == 200
    assert registrations(app) == [("https://moodle.rowan.example", "rowan", True)]


def test_no_secret_reaches_the_log(
    app: Flask, fake_http: FakeHttp, caplog: pytest.LogCaptureFixture
) -> None:
    org = make_org(app, "Rowan Trust")
    invite = make_invite(app, org)
    lms = lms_at("https://moodle.rowan.example", "rowan", fake_http)
    with caplog.at_level(logging.DEBUG):
        assert register_with(app, lms, invite).status_code == 200
        platform = lms.test_platform()
        platform.serve_jwks(fake_http)
        client = browser(app)
        landing = launch(client, platform).response
        token = re.search(r"lt=([^&]+)", landing.headers["Location"]).group(1)
        follow(client, landing)
    logged = "\n".join(r.getMessage() for r in caplog.records)
    for secret in (invite, lms.token, token):
        assert secret not in logged


def test_the_access_log_leaves_out_query_strings() -> None:
    """gunicorn's default access log writes the request line, query string included: every
    launch token, invitation and registration token went to the log."""
    from cpd_tracker.cli import ACCESS_LOG_FORMAT

    assert "%(r)s" not in ACCESS_LOG_FORMAT  # the full request line
    assert "%(q)s" not in ACCESS_LOG_FORMAT  # the query string
    assert "%(f)s" not in ACCESS_LOG_FORMAT  # the referrer: our own URLs, tokens and all
    assert "%(U)s" in ACCESS_LOG_FORMAT  # the path alone


def csrf(html: str | TestResponse) -> str:
    text = html if isinstance(html, str) else html.get_data(as_text=True)
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', text).group(1)


def test_the_development_servers_log_leaves_out_query_strings() -> None:
    """`cpd-tracker demo` (and `serve` without gunicorn) log through werkzeug."""
    from cpd_tracker.cli import QueryStringFilter

    record = logging.LogRecord(
        "werkzeug",
        logging.INFO,
        __file__,
        1,
        '%s - - [%s] "%s" %s %s',
        (
            "127.0.0.1",
            "07/Dec/2026 09:00:00",
            "GET /my-training?lt=SECRET.TOKEN HTTP/1.1",
            "200",
            "-",
        ),
        None,
    )
    assert QueryStringFilter().filter(record)
    assert (
        record.getMessage()
        == '127.0.0.1 - - [07/Dec/2026 09:00:00] "GET /my-training HTTP/1.1" 200 -'
    )


def test_making_a_link_twice_from_one_form_makes_one(
    app: Flask, trust: tuple[int, FlaskClient]
) -> None:
    _org, leader = trust
    fields = {"csrf_token": csrf(leader.get("/admin/registrations")), "days": "7", "uses": "1"}
    assert leader.post("/admin/registrations/invitations", data=fields).status_code == 201
    again = leader.post("/admin/registrations/invitations", data=fields)
    assert again.status_code == 303
    assert "data-new-invite" not in again.get_data(as_text=True)
    with app.app_context():
        assert len(db.session.scalars(select(Invitation)).all()) == 1
