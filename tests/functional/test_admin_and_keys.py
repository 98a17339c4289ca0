"""The LMS registrations page (trust leaders only, own organisation only), and the public
endpoints an LMS admin and the platforms read: ``/lti/config`` and the tool's JWKS."""

from __future__ import annotations

import html as html_lib
import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from cpd_tracker.extensions import db
from cpd_tracker.models import PlatformRegistration
from cpd_tracker.models.base import utcnow
from cpd_tracker.services.invitations import InvitationService
from tests.conftest import BASE_URL
from tests.support.factories import make_org, register
from tests.support.http import FakeHttp
from tests.support.launching import follow, launch
from tests.support.platform import TOOL_HOST, TestPlatform
from tests.support.platform_users import UserKind

OAK_MOODLE = "https://moodle.oak-trust.org"
ELM_MOODLE = "https://moodle.elm-trust.org"


def _name(app: Flask, registration_id: int, name: str) -> None:
    with app.app_context():
        row = db.session.get(PlatformRegistration, registration_id)
        assert row is not None
        row.name = name
        db.session.commit()


def _browser(app: Flask) -> FlaskClient:
    client = app.test_client()
    client.environ_base.update({"wsgi.url_scheme": "https", "HTTP_HOST": TOOL_HOST})
    return client


@pytest.fixture
def oak(app: Flask, fake_http: FakeHttp) -> tuple[int, TestPlatform, TestPlatform]:
    """Oak Trust: a Moodle site (launching) and a Canvas developer key."""
    org = make_org(app, "Oak Trust")
    moodle = TestPlatform("moodle", issuer=OAK_MOODLE, client_id="oakMoodleClient")
    moodle.serve_jwks(fake_http)
    _name(app, register(app, moodle, org), "Oak Moodle")
    canvas = TestPlatform("canvas", client_id="10000000000111")
    _name(app, register(app, canvas, org, deployments=[], accept_new=True), "Oak Canvas")
    return org, moodle, canvas


@pytest.fixture
def elm(app: Flask, fake_http: FakeHttp) -> tuple[int, TestPlatform]:
    """Elm Trust, another tenant with its own Moodle site."""
    org = make_org(app, "Elm Trust", schools=[("100009", "Elm Primary")])
    moodle = TestPlatform(
        "moodle", issuer=ELM_MOODLE, client_id="elmMoodleClient", deployment_id="7"
    )
    moodle.serve_jwks(fake_http)
    _name(app, register(app, moodle, org), "Elm Moodle")
    return org, moodle


def signed_in(app: Flask, platform: TestPlatform, user: UserKind) -> FlaskClient:
    client = _browser(app)
    result = launch(client, platform, login_options={"user": user})
    assert result.response.status_code == 303, result.response.get_data(as_text=True)[:500]
    assert follow(client, result.response).status_code == 200
    return client


def registrations_page(client: FlaskClient) -> TestResponse:
    return client.get("/admin/registrations")


def made_invite(app: Flask, client: FlaskClient) -> tuple[str, int]:
    """Make a registration link on the page, as a trust leader does; (link, its organisation)."""
    page = registrations_page(client).get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    assert token is not None
    made = client.post(
        "/admin/registrations/invitations",
        data={"csrf_token": token.group(1), "days": "7", "uses": "1"},
    )
    assert made.status_code == 201
    link = invite_in(made.get_data(as_text=True))
    with app.app_context():
        invitation = InvitationService(db.session, None, utcnow).find(  # type: ignore[arg-type]
            link.split("invite=", 1)[1]
        )
        return link, invitation.organisation_id


def invite_in(page: str) -> str:
    match = re.search(r"(https://tool\.example\.org/lti/register\?invite=[^<\s\"]+)", page)
    assert match is not None, "no invite link on the page"
    return html_lib.unescape(match.group(1))


# ---------------------------------------------------------------- the registrations page


def test_trust_leader_sees_the_organisations_registrations(
    app: Flask, oak: tuple[int, TestPlatform, TestPlatform]
) -> None:
    org, moodle, _canvas = oak
    # A Moodle site administrator: system Administrator, so a trust leader.
    client = signed_in(app, moodle, "admin")

    page = registrations_page(client)

    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for expected in (
        "Oak Moodle",
        OAK_MOODLE,
        "oakMoodleClient",
        f"{OAK_MOODLE}/mod/lti/auth.php",
        f"{OAK_MOODLE}/mod/lti/certs.php",
        "Only the deployments listed below",
        "Oak Canvas",
        "https://canvas.instructure.com",
        "10000000000111",
        "Accepted on first launch",
        "One is recorded on the first launch.",
    ):
        assert expected in html, expected
    # The Moodle deployment, in the deployments table.
    assert re.search(r"<td[^>]*>\s*1\s*</td>", html)
    # Tool URLs for registering by hand.
    for url in ("/lti/login", "/lti/launch", "/.well-known/jwks.json", "/lti/register"):
        assert f"{BASE_URL}{url}" in html
    _link, invited_into = made_invite(app, client)
    assert invited_into == org


def test_registrations_page_is_in_a_trust_leaders_menu_only(
    app: Flask, oak: tuple[int, TestPlatform, TestPlatform]
) -> None:
    _org, moodle, _canvas = oak
    leader = registrations_page(signed_in(app, moodle, "admin"))
    assert 'href="/admin/registrations"' in leader.get_data(as_text=True)

    learner = _browser(app)
    result = launch(learner, moodle, login_options={"user": "learner"})
    page = follow(learner, result.response)
    assert page.request.path == "/my-training"
    assert "/admin/registrations" not in page.get_data(as_text=True)


@pytest.mark.parametrize("user", ["learner", "instructor"])
def test_other_people_are_refused(
    app: Flask, oak: tuple[int, TestPlatform, TestPlatform], user: UserKind
) -> None:
    _org, moodle, _canvas = oak
    client = signed_in(app, moodle, user)

    page = registrations_page(client)

    assert page.status_code == 403
    html = page.get_data(as_text=True)
    assert "You do not have access to this page" in html
    assert "oakMoodleClient" not in html
    assert "invite=" not in html


def test_nobody_signed_in_is_refused(
    client: FlaskClient, oak: tuple[int, TestPlatform, TestPlatform]
) -> None:
    page = registrations_page(client)

    assert page.status_code == 401
    assert "oakMoodleClient" not in page.get_data(as_text=True)


def test_trust_leader_of_another_organisation_sees_only_their_own(
    app: Flask,
    oak: tuple[int, TestPlatform, TestPlatform],
    elm: tuple[int, TestPlatform],
) -> None:
    oak_org, _oak_moodle, _oak_canvas = oak
    elm_org, elm_moodle = elm
    client = signed_in(app, elm_moodle, "admin")

    page = registrations_page(client)

    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Elm Moodle" in html
    assert ELM_MOODLE in html
    assert "elmMoodleClient" in html
    for secret in (
        "Oak Moodle",
        OAK_MOODLE,
        "oakMoodleClient",
        "Oak Canvas",
        "10000000000111",
        "canvas.instructure.com",
    ):
        assert secret not in html, secret
    _link, invited_into = made_invite(app, client)
    assert invited_into == elm_org != oak_org


def test_organisation_without_registrations_says_so(app: Flask, fake_http: FakeHttp) -> None:
    # A Canvas account admin (institution Administrator, no course role) is a trust leader.
    org = make_org(app, "Birch Trust")
    canvas = TestPlatform("canvas", client_id="10000000000222")
    canvas.serve_jwks(fake_http)
    register(app, canvas, org)
    client = signed_in(app, canvas, "admin")
    with app.app_context():
        db.session.query(PlatformRegistration).filter_by(organisation_id=org).update(
            {"organisation_id": make_org(app, "Elsewhere", schools=[])}
        )
        db.session.commit()

    page = registrations_page(client)

    assert page.status_code == 200
    assert "No LMS is registered yet." in page.get_data(as_text=True)


# ---------------------------------------------------------------- public endpoints


def test_lti_config_lists_the_tool_urls(client: FlaskClient) -> None:
    response = client.get("/lti/config")

    assert response.status_code == 200
    assert response.get_json() == {
        "title": "SEND CPD Tracker",
        "oidc_initiation_url": f"{BASE_URL}/lti/login",
        "target_link_uri": f"{BASE_URL}/lti/launch",
        "redirect_uris": [f"{BASE_URL}/lti/launch"],
        "public_jwk_url": f"{BASE_URL}/.well-known/jwks.json",
        "dynamic_registration_url": f"{BASE_URL}/lti/register",
    }


def test_lti_config_follows_the_request_host_without_base_url(app: Flask) -> None:
    app.config["BASE_URL"] = None
    data = app.test_client().get("/lti/config", base_url="https://cpd.school.org").get_json()

    assert data["oidc_initiation_url"] == "https://cpd.school.org/lti/login"
    assert data["public_jwk_url"] == "https://cpd.school.org/.well-known/jwks.json"


@pytest.mark.parametrize("path", ["/.well-known/jwks.json", "/lti/jwks"])
def test_jwks_is_public_and_cacheable(client: FlaskClient, path: str) -> None:
    response = client.get(path)

    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.headers["Cache-Control"] == "public, max-age=3600"
    (key,) = response.get_json()["keys"]
    assert (key["kty"], key["alg"], key["use"]) == ("RSA", "RS256", "sig")
    assert key["kid"]


def test_jwks_key_is_stable_across_requests(client: FlaskClient) -> None:
    first = client.get("/.well-known/jwks.json").get_json()
    second = client.get("/.well-known/jwks.json").get_json()

    assert first == second
