"""LTI Dynamic Registration through the HTTP surface, as Moodle and as Canvas run it.

The fake LMS (``tests.support.registration``) serves its OpenID configuration and registration
endpoint on the fake network; the test client plays the admin's browser inside the LMS's
registration frame: open ``/lti/register``, confirm, and (LTI.md "Canvas as a platform") see
the page that posts ``org.imsglobal.lti.close``. Then the LMS launches through the new
registration, as learner, instructor and administrator.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select, update
from werkzeug.test import TestResponse

from cpd_tracker import create_app
from cpd_tracker.extensions import db
from cpd_tracker.models import (
    AuditEntry,
    Deployment,
    Invitation,
    Organisation,
    OrganisationKind,
    PlatformRegistration,
)
from cpd_tracker.models.base import utcnow
from tests.support.factories import make_invite, make_org
from tests.support.http import FakeHttp
from tests.support.launching import follow, launch
from tests.support.platform import CANVAS_DEPLOYMENT, TOOL_HOST
from tests.support.platform_users import UserKind
from tests.support.registration import (
    CANVAS_PRIVACY_LEVEL,
    LTI_TOOL_CONFIGURATION,
    TOOL,
    DynamicPlatform,
    canvas,
    form_fields,
    moodle,
)

PLATFORMS = {"moodle": moodle, "canvas": canvas}


class CheckedClient(FlaskClient):
    """The admin's browser: no answer may be a server error or show a stack trace."""

    def open(self, *args: Any, **kwargs: Any) -> TestResponse:
        response = super().open(*args, **kwargs)
        assert response.status_code < 500, response.get_data(as_text=True)[:1000]
        assert "Traceback" not in response.get_data(as_text=True)
        return response


def _client(app: Flask) -> FlaskClient:
    app.test_client_class = CheckedClient
    client = app.test_client()
    client.environ_base.update({"wsgi.url_scheme": "https", "HTTP_HOST": TOOL_HOST})
    return client


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return _client(app)


@pytest.fixture(params=sorted(PLATFORMS))
def lms(request: pytest.FixtureRequest, fake_http: FakeHttp) -> DynamicPlatform:
    platform = PLATFORMS[request.param]()
    platform.serve(fake_http)
    return platform


@pytest.fixture
def org_id(app: Flask) -> int:
    return make_org(app, "Willow Trust")


@pytest.fixture
def invite(app: Flask, org_id: int) -> str:
    return make_invite(app, org_id)


@pytest.fixture(autouse=True)
def registration_open(app: Flask) -> None:
    """Most tests here also try registering without an invitation, which an operator must
    switch on (CPD_TRACKER_OPEN_REGISTRATION=1); the default is tested on its own."""
    app.config["OPEN_REGISTRATION"] = True


# ---------------------------------------------------------------- helpers


def open_registration(
    client: FlaskClient, lms: DynamicPlatform, invite: str | None = None
) -> TestResponse:
    return client.get("/lti/register", query_string=lms.query(invite))


def confirm(client: FlaskClient, page: TestResponse, **changes: str) -> TestResponse:
    """Submit the confirmation form as the page rendered it, with ``changes``."""
    fields = {**form_fields(page.get_data(as_text=True)), **changes}
    return client.post("/lti/register", data=fields)


def register(
    client: FlaskClient, lms: DynamicPlatform, invite: str | None = None, **changes: str
) -> TestResponse:
    page = open_registration(client, lms, invite)
    assert page.status_code == 200, page.get_data(as_text=True)[:500]
    if invite is None:
        changes = {"organisation_name": "Rowan Academy", "organisation_kind": "school", **changes}
    return confirm(client, page, **changes)


def count(app: Flask, model: type) -> int:
    with app.app_context():
        return int(db.session.scalar(select(func.count()).select_from(model)) or 0)


def audit_actions(app: Flask) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


def the_registration(app: Flask) -> dict[str, Any]:
    with app.app_context():
        rows = db.session.scalars(select(PlatformRegistration)).all()
        assert len(rows) == 1
        row = rows[0]
        return {
            "organisation_id": row.organisation_id,
            "organisation_name": row.organisation.name,
            "organisation_kind": row.organisation.kind,
            "issuer": row.issuer,
            "client_id": row.client_id,
            "auth_login_url": row.auth_login_url,
            "auth_token_url": row.auth_token_url,
            "key_set_url": row.key_set_url,
            "product_family": row.product_family,
            "accept_new_deployments": row.accept_new_deployments,
            "created_via": row.created_via,
            "frame_origins": list(row.frame_origins),
            "deployments": [(d.deployment_id, d.created_via) for d in row.deployments],
        }


def nothing_written(app: Flask, organisations: int) -> None:
    assert count(app, PlatformRegistration) == 0
    assert count(app, Deployment) == 0
    assert count(app, Organisation) == organisations
    assert "platform_registration.dynamic_registration" not in audit_actions(app)
    assert "platform_registration.created" not in audit_actions(app)


# ---------------------------------------------------------------- the confirmation page


def test_confirmation_page_fetches_configuration_with_bearer_token(
    client: FlaskClient, fake_http: FakeHttp, lms: DynamicPlatform, invite: str
) -> None:
    page = open_registration(client, lms, invite)

    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Register SEND CPD Tracker" in html
    assert lms.issuer in html
    assert "Willow Trust" in html
    (fetch,) = lms.configuration_requests(fake_http)
    assert fetch.headers["Authorization"] == f"Bearer {lms.token}"
    assert fetch.headers["User-Agent"]
    assert fetch.timeout is not None
    # Nothing is registered until the admin confirms.
    assert lms.registration_requests(fake_http) == []
    fields = form_fields(html)
    assert fields["openid_configuration"] == lms.openid_configuration
    assert fields["registration_token"] == lms.token
    assert fields["invite"] == invite
    assert fields["csrf_token"]


def test_open_registration_page_asks_for_the_organisation(
    client: FlaskClient, lms: DynamicPlatform
) -> None:
    page = open_registration(client, lms)

    assert page.status_code == 200
    fields = form_fields(page.get_data(as_text=True))
    assert "organisation_name" in fields
    assert "invite" in fields
    assert fields["invite"] == ""


# ---------------------------------------------------------------- registering


def test_registration_request_is_right_for_the_platform(
    client: FlaskClient, fake_http: FakeHttp, lms: DynamicPlatform, invite: str
) -> None:
    done = register(client, lms, invite)

    assert done.status_code == 200, done.get_data(as_text=True)[:500]
    (post,) = lms.registration_requests(fake_http)
    assert post.headers["Authorization"] == f"Bearer {lms.token}"
    assert post.headers["Content-Type"] == "application/json"
    body = lms.posted_registration(fake_http)
    assert body["application_type"] == "web"
    assert body["grant_types"] == ["client_credentials", "implicit"]
    assert body["response_types"] == ["id_token"]
    assert body["token_endpoint_auth_method"] == "private_key_jwt"
    assert body["initiate_login_uri"] == f"{TOOL}/lti/login"
    assert body["redirect_uris"] == [f"{TOOL}/lti/launch"]
    assert body["jwks_uri"] == f"{TOOL}/.well-known/jwks.json"
    assert body["client_name"] == "SEND CPD Tracker"
    assert "https://purl.imsglobal.org/spec/lti-ags/scope/score" in body["scope"].split()
    tool = body[LTI_TOOL_CONFIGURATION]
    assert tool["domain"] == TOOL_HOST
    assert tool["target_link_uri"] == f"{TOOL}/lti/launch"
    assert {"name", "given_name", "family_name", "email"} <= set(tool["claims"])
    messages = {m["type"]: m for m in tool["messages"]}
    assert set(messages) == {"LtiResourceLinkRequest", "LtiDeepLinkingRequest"}
    if lms.dialect == "canvas":
        assert tool[CANVAS_PRIVACY_LEVEL] == "public"
        assert messages["LtiResourceLinkRequest"]["placements"] == ["course_navigation"]
        assert messages["LtiDeepLinkingRequest"]["placements"] == [
            "link_selection",
            "assignment_selection",
        ]
    else:
        assert CANVAS_PRIVACY_LEVEL not in tool
        assert all("placements" not in m for m in tool["messages"])


def test_invite_registers_into_its_organisation(
    app: Flask, client: FlaskClient, lms: DynamicPlatform, invite: str, org_id: int
) -> None:
    done = register(client, lms, invite)

    assert done.status_code == 200
    html = done.get_data(as_text=True)
    assert "is registered" in html
    assert lms.client_id in html
    assert "lti_close.js" in html
    row = the_registration(app)
    assert row["organisation_id"] == org_id
    assert row["issuer"] == lms.issuer
    assert row["client_id"] == lms.client_id
    assert row["auth_login_url"] == lms.authorization_endpoint
    assert row["auth_token_url"] == lms.token_endpoint
    assert row["key_set_url"] == lms.jwks_uri
    assert row["product_family"] == lms.dialect
    assert row["created_via"] == "dynamic"
    assert count(app, Organisation) == 1
    if lms.dialect == "moodle":
        # Moodle answers with its tool type id: that deployment, and only it, may launch.
        assert row["deployments"] == [(lms.deployment_id, "dynamic")]
        assert row["accept_new_deployments"] is False
        assert f">{lms.deployment_id}<" in html
        assert row["frame_origins"] == [lms.issuer]
    else:
        # Canvas answers without one: deployments are recorded on their first launch.
        assert row["deployments"] == []
        assert row["accept_new_deployments"] is True
        assert "Recorded on the first launch" in html
        assert row["frame_origins"] == ["https://canvas.instructure.com"]


def test_registration_is_audited(
    app: Flask, client: FlaskClient, lms: DynamicPlatform, invite: str, org_id: int
) -> None:
    before = audit_actions(app)
    done = register(client, lms, invite)

    new = audit_actions(app)[len(before) :]
    expected = ["platform_registration.created", "platform_registration.dynamic_registration"]
    if lms.dialect == "moodle":
        expected.insert(1, "deployment.created")
    assert new == expected
    with app.app_context():
        entry = db.session.scalars(
            select(AuditEntry).where(
                AuditEntry.action == "platform_registration.dynamic_registration"
            )
        ).one()
        assert entry.organisation_id == org_id
        assert entry.details["openid_configuration"] == lms.openid_configuration
        assert entry.actor_person_id is None
        assert entry.actor_label == "dynamic-registration"
        # The entry names the request that made it.
        assert entry.correlation_id == done.headers["X-Correlation-Id"]


def test_open_registration_creates_the_named_organisation(
    app: Flask, client: FlaskClient, lms: DynamicPlatform
) -> None:
    done = register(client, lms, organisation_name="  Rowan Academy ", organisation_kind="school")

    assert done.status_code == 200
    row = the_registration(app)
    assert row["organisation_name"] == "Rowan Academy"
    assert row["organisation_kind"] is OrganisationKind.SCHOOL
    assert count(app, Organisation) == 1
    actions = audit_actions(app)
    assert actions[0] == "organisation.created"
    assert "platform_registration.dynamic_registration" in actions


def test_open_registration_needs_a_name_and_kind(
    app: Flask, client: FlaskClient, fake_http: FakeHttp, lms: DynamicPlatform
) -> None:
    page = open_registration(client, lms)
    answer = confirm(client, page, organisation_name="", organisation_kind="")

    assert answer.status_code == 400
    html = answer.get_data(as_text=True)
    assert "Enter the name of your trust or school." in html
    assert "Say whether this is a trust or a single school." in html
    assert lms.registration_requests(fake_http) == []
    nothing_written(app, organisations=0)


# ---------------------------------------------------------------- launching afterwards


LANDINGS = {
    # (dialect, user) -> the page a launch ends on. An instructor, and Moodle's site admin
    # (who is also an instructor), first link the new course to a school.
    ("moodle", "learner"): "/my-training",
    ("moodle", "instructor"): "/lti/course-school",
    ("moodle", "admin"): "/lti/course-school",
    ("canvas", "learner"): "/my-training",
    ("canvas", "instructor"): "/lti/course-school",
    ("canvas", "admin"): "/trust",
}


@pytest.mark.parametrize("user", ["learner", "instructor", "admin"])
def test_platform_launches_after_dynamic_registration(
    app: Flask, fake_http: FakeHttp, lms: DynamicPlatform, invite: str, user: UserKind
) -> None:
    assert register(_client(app), lms, invite).status_code == 200
    platform = lms.test_platform()
    platform.serve_jwks(fake_http)

    client = _client(app)
    result = launch(client, platform, login_options={"user": user})

    assert result.response.status_code == 303, result.response.get_data(as_text=True)[:800]
    page = follow(client, result.response)
    assert page.status_code == 200
    assert page.request.path == LANDINGS[(lms.dialect, user)]
    assert platform.user(user).name in page.get_data(as_text=True)


def test_canvas_records_its_deployment_on_the_first_launch(
    app: Flask, fake_http: FakeHttp, invite: str, org_id: int
) -> None:
    lms = canvas()
    lms.serve(fake_http)
    register(_client(app), lms, invite)
    platform = lms.test_platform()
    platform.serve_jwks(fake_http)

    for user in ("learner", "instructor", "learner"):
        response = launch(_client(app), platform, login_options={"user": user}).response
        assert response.status_code == 303

    assert the_registration(app)["deployments"] == [(CANVAS_DEPLOYMENT, "launch")]
    with app.app_context():
        accepted = db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "deployment.accepted_on_launch")
        ).all()
        assert len(accepted) == 1
        assert accepted[0].organisation_id == org_id
        assert accepted[0].details["deployment_id"] == CANVAS_DEPLOYMENT


def test_moodle_registration_refuses_other_deployments(
    app: Flask, fake_http: FakeHttp, invite: str
) -> None:
    lms = moodle()
    lms.serve(fake_http)
    register(_client(app), lms, invite)
    platform = lms.test_platform()
    platform.serve_jwks(fake_http)
    platform.deployment_id = "99"

    response = launch(_client(app), platform).response

    assert response.status_code == 403
    assert the_registration(app)["deployments"] == [(lms.deployment_id, "dynamic")]


# ---------------------------------------------------------------- refusals


def test_without_openid_configuration_explains_how_to_start(client: FlaskClient) -> None:
    page = client.get("/lti/register")

    assert page.status_code == 400
    html = page.get_data(as_text=True)
    assert "Register the tool from your LMS" in html
    assert "Manage tools" in html
    assert "Developer Keys" in html


@pytest.mark.parametrize("invite", ["not-a-real-invite", ""])
def test_bad_invite_is_refused_before_calling_the_platform(
    app: Flask, client: FlaskClient, fake_http: FakeHttp, lms: DynamicPlatform, invite: str
) -> None:
    app.config["OPEN_REGISTRATION"] = False
    params = {**lms.query(), "invite": invite}

    page = client.get("/lti/register", query_string=params)

    if invite:
        assert page.status_code == 400
        assert "This registration link is not valid" in page.get_data(as_text=True)
    else:
        assert page.status_code == 403
    assert fake_http.requests == []


def test_an_unknown_invite_is_refused(
    app: Flask, client: FlaskClient, fake_http: FakeHttp, lms: DynamicPlatform
) -> None:
    page = open_registration(client, lms, "not-an-invitation")

    assert page.status_code == 400
    assert "This registration link is not valid" in page.get_data(as_text=True)
    assert lms.configuration_requests(fake_http) == []  # refused before calling the platform


def test_expired_invite_is_refused(
    app: Flask, client: FlaskClient, lms: DynamicPlatform, org_id: int
) -> None:
    invite = make_invite(app, org_id, days=1)
    with app.app_context():
        db.session.execute(update(Invitation).values(expires_at=utcnow() - dt.timedelta(hours=1)))
        db.session.commit()

    page = open_registration(client, lms, invite)

    assert page.status_code == 400
    assert "This registration link has expired" in page.get_data(as_text=True)


def test_closed_registration_needs_an_invite(
    app: Flask, client: FlaskClient, fake_http: FakeHttp, lms: DynamicPlatform, invite: str
) -> None:
    app.config["OPEN_REGISTRATION"] = False

    refused = open_registration(client, lms)
    refused_post = client.post(
        "/lti/register",
        data={**lms.query(), "organisation_name": "X", "organisation_kind": "trust"},
    )
    allowed = open_registration(client, lms, invite)

    assert refused.status_code == 403
    assert "invitation link" in refused.get_data(as_text=True)
    assert refused_post.status_code == 403
    assert allowed.status_code == 200
    nothing_written(app, organisations=1)


REFUSALS: dict[str, tuple[int, Any, str]] = {
    # Canvas: 422 with a list of errors (doc/api/registration.md).
    "canvas": (
        422,
        {"errors": [{"field": "redirect_uris", "message": "redirect_uris is not a valid URL"}]},
        "redirect_uris is not a valid URL",
    ),
    # Moodle's openid-registration.php: a bare text code with HTTP 400.
    "moodle": (400, "token_already_used", "token_already_used"),
}


def test_platform_refusal_is_quoted_and_nothing_is_written(
    app: Flask, client: FlaskClient, fake_http: FakeHttp, lms: DynamicPlatform
) -> None:
    status, body, reason = REFUSALS[lms.dialect]
    if isinstance(body, dict):
        lms.serve(fake_http, registration_status=status, registration_body=body)
    else:
        fake_http.add(lms.registration_endpoint, method="POST", status=status, body=body)

    answer = register(client, lms)

    assert 400 <= answer.status_code < 500
    html = answer.get_data(as_text=True)
    assert reason in html
    assert f"HTTP {status}" in html
    # Written for the LMS administrator registering the tool, not as a refused launch.
    assert "Nothing was saved in the tool" in html
    assert "If you are a teacher" not in html
    if lms.dialect == "moodle":
        assert "registration links work once" in html
    nothing_written(app, organisations=0)
    assert audit_actions(app) == []


def test_platform_unreachable_on_register_is_a_4xx(
    app: Flask, client: FlaskClient, fake_http: FakeHttp, lms: DynamicPlatform
) -> None:
    page = open_registration(client, lms)
    fake_http.fail(lms.registration_endpoint, method="POST")

    answer = confirm(client, page, organisation_name="Rowan", organisation_kind="trust")

    assert 400 <= answer.status_code < 500
    assert "Could not send the registration" in answer.get_data(as_text=True)
    nothing_written(app, organisations=0)


def test_configuration_refused_without_token_is_a_4xx(
    client: FlaskClient, fake_http: FakeHttp, lms: DynamicPlatform, invite: str
) -> None:
    fake_http.add(
        lms.openid_configuration,
        status=401,
        json={"errorMessage": "registration token is invalid or expired"},
    )

    page = open_registration(client, lms, invite)

    assert 400 <= page.status_code < 500
    html = page.get_data(as_text=True)
    assert "registration token is invalid or expired" in html
    assert lms.registration_requests(fake_http) == []


@pytest.mark.parametrize(
    ("dialect", "changes", "message"),
    [
        # Moodle: the issuer must be the site the configuration came from.
        (
            "moodle",
            {"issuer": "https://moodle.other-school.org"},
            "names the issuer https://moodle.other-school.org but was fetched from",
        ),
        # Canvas: a Canvas issuer whose keys are not on an Instructure host.
        (
            "canvas",
            {"jwks_uri": "https://attacker.example.com/jwks"},
            "jwks_uri https://attacker.example.com/jwks is not an Instructure production",
        ),
        # Anyone claiming to be hosted Canvas from their own host.
        (
            "moodle",
            {"issuer": "https://canvas.instructure.com"},
            "claims to be Canvas (https://canvas.instructure.com) but its configuration URL",
        ),
    ],
)
def test_configuration_issuer_mismatch_is_refused(
    app: Flask,
    client: FlaskClient,
    fake_http: FakeHttp,
    dialect: str,
    changes: dict[str, str],
    message: str,
    invite: str,
) -> None:
    lms = PLATFORMS[dialect]()
    lms.changes = changes
    lms.serve(fake_http)

    page = open_registration(client, lms, invite)
    post = client.post("/lti/register", data={**lms.query(invite), "csrf_token": "x"})

    for answer in (page, post):
        assert 400 <= answer.status_code < 500
        assert message in answer.get_data(as_text=True)
    assert lms.registration_requests(fake_http) == []
    nothing_written(app, organisations=1)


@pytest.mark.parametrize("csrf", ["garbage", "", "other-attempt"])
def test_bad_csrf_token_is_refused_and_nothing_is_written(
    app: Flask, client: FlaskClient, fake_http: FakeHttp, lms: DynamicPlatform, csrf: str
) -> None:
    page = open_registration(client, lms)
    if csrf == "other-attempt":
        # A token from the page of another registration attempt (another registration token).
        other = client.get(
            "/lti/register",
            query_string={**lms.query(), "registration_token": "another-token"},
        )
        csrf = form_fields(other.get_data(as_text=True))["csrf_token"]

    answer = confirm(
        client, page, csrf_token=csrf, organisation_name="Rowan", organisation_kind="trust"
    )

    assert answer.status_code == 400
    assert "Reload the page and try again" in answer.get_data(as_text=True)
    # The platform's single-use registration token was not spent.
    assert lms.registration_requests(fake_http) == []
    nothing_written(app, organisations=0)


def test_second_registration_of_the_same_client_is_a_conflict(
    app: Flask, client: FlaskClient, fake_http: FakeHttp, lms: DynamicPlatform
) -> None:
    first = register(client, lms, organisation_name="Rowan Academy")
    assert first.status_code == 200
    before = audit_actions(app)

    second = register(client, lms, organisation_name="Rowan Academy again")

    assert second.status_code == 409
    html = second.get_data(as_text=True)
    assert f"A platform with issuer {lms.issuer} and client id {lms.client_id}" in html
    assert "already registered" in html
    assert "Remove the old registration first" in html
    # The second attempt's new organisation was rolled back with everything else.
    assert count(app, PlatformRegistration) == 1
    assert count(app, Organisation) == 1
    assert audit_actions(app) == before


def test_close_script_posts_the_lti_close_message(client: FlaskClient) -> None:
    script = client.get("/static/lti_close.js")

    assert script.status_code == 200
    assert "org.imsglobal.lti.close" in script.get_data(as_text=True)
    script.close()


# ---------------------------------------------------------------- framing (issue 13)


def frame_ancestors(response: TestResponse) -> list[str]:
    csp = response.headers["Content-Security-Policy"]
    (directive,) = [d.strip() for d in csp.split(";") if d.strip().startswith("frame-ancestors")]
    return directive.split()[1:]


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def test_the_lms_being_registered_may_frame_the_registration_pages(
    app: Flask, client: FlaskClient, fake_http: FakeHttp, lms: DynamicPlatform, invite: str
) -> None:
    """Moodle and Canvas open the registration page in an iframe on their own site, and that
    LMS is not registered yet: with only 'self' and registered platforms, Chromium refused it."""
    lms_origin = origin_of(lms.openid_configuration)
    page = open_registration(client, lms, invite)
    assert page.status_code == 200
    assert lms_origin in frame_ancestors(page)

    done = confirm(client, page)
    assert done.status_code == 200
    assert lms_origin in frame_ancestors(done)

    # A refusal on that page is framed too, so the admin reads it rather than a grey box.
    other = moodle("https://moodle.elsewhere.example", client_id="other")
    fake_http.fail(other.openid_configuration)
    refused = client.get("/lti/register", query_string=other.query(invite))
    assert 400 <= refused.status_code < 500
    assert "https://moodle.elsewhere.example" in frame_ancestors(refused)


def test_only_the_registration_page_is_framed_by_an_unregistered_lms(
    client: FlaskClient, lms: DynamicPlatform, invite: str
) -> None:
    lms_origin = origin_of(lms.openid_configuration)
    assert open_registration(client, lms, invite).status_code == 200
    for path in ("/lti/config", "/my-training", "/no-such-page"):
        ancestors = frame_ancestors(client.get(path))
        assert lms_origin not in ancestors, path
        assert ancestors == ["'self'"], path


def test_a_new_registration_frames_at_once_on_every_worker(
    app: Flask, database_url: str, fake_http: FakeHttp, lms: DynamicPlatform, invite: str
) -> None:
    """Two workers (two apps on one database): the one that did not take the registration
    accepts the new LMS's frames on its very next launch, with no cache to wait out."""
    other_worker = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": database_url,
            "SECRET_KEY": app.config["SECRET_KEY"],
            "BASE_URL": app.config["BASE_URL"],
        }
    )
    other_worker.extensions["http"] = fake_http
    second = _client(other_worker)
    assert frame_ancestors(second.get("/lti/config")) == ["'self'"]  # a page served before

    assert register(_client(app), lms, invite).status_code == 200
    platform = lms.test_platform()
    platform.serve_jwks(fake_http)
    result = launch(second, platform)
    assert result.response.status_code == 303
    page = follow(second, result.response)
    assert page.status_code == 200
    assert origin_of(lms.issuer) in frame_ancestors(page)
    with other_worker.app_context():
        db.engine.dispose()
