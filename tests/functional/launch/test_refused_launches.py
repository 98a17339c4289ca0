"""Every bad launch in LTI.md is refused over HTTP with a 4xx page an LMS admin can act on:
the error's code, a hint, a correlation id; never a 5xx, never a stack trace."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from werkzeug.test import TestResponse

from cpd_tracker.extensions import db
from cpd_tracker.models import Person
from lti import claims as c
from tests.support.factories import register
from tests.support.http import FakeHttp
from tests.support.launching import launch, login
from tests.support.platform import TestPlatform


def assert_refused(
    response: TestResponse, code: str | tuple[str, ...], status: int | None = None
) -> str:
    html = response.get_data(as_text=True)
    assert 400 <= response.status_code < 500, (response.status_code, html[:300])
    if status is not None:
        assert response.status_code == status
    codes = (code,) if isinstance(code, str) else code
    assert any(c in html for c in codes), codes
    assert "Traceback" not in html
    correlation = response.headers["X-Correlation-Id"]
    assert correlation
    assert correlation in html
    return html


# Token changes made by the platform, each with the error code the tool must answer with.
BAD_TOKENS: dict[str, tuple[dict[str, Any], str | tuple[str, ...]]] = {
    "no_kid": ({"headers": {"kid": None}}, "missing_kid"),
    "incorrect_kid": ({"headers": {"kid": "no-such-key"}}, "unknown_kid"),
    "wrong_lti_version": ({"overrides": {c.VERSION: "1.2.0"}}, "wrong_version"),
    "no_lti_version": ({"remove": [c.VERSION]}, "missing_version"),
    "invalid_message_type": (
        {"overrides": {c.MESSAGE_TYPE: "LtiFooRequest"}},
        "unknown_message_type",
    ),
    "no_message_type": ({"remove": [c.MESSAGE_TYPE]}, "missing_message_type"),
    "no_roles_claim": ({"remove": [c.ROLES]}, "missing_claim"),
    "no_deployment_id": ({"remove": [c.DEPLOYMENT_ID]}, "missing_deployment"),
    "unknown_deployment": ({"deployment_id": "999"}, "unknown_deployment"),
    "long_deployment_id": ({"deployment_id": "d" * 256}, "deployment_id_too_long"),
    "no_resource_link": ({"remove": [c.RESOURCE_LINK]}, "missing_claim"),
    # iat and exp: see TIMED.
    "expired": ({}, "expired_token"),
    "issued_in_future": ({}, "token_from_future"),
    # Canvas also sends azp = client_id: its token then names a party it is not for.
    "wrong_audience": (
        {"overrides": {"aud": "someone-else"}},
        ("unknown_platform", "wrong_audience"),
    ),
    "several_audiences_no_azp": (
        {"overrides": {"aud": ["x", "y"]}, "remove": ["azp"]},
        "missing_azp",
    ),
    "wrong_target_link": (
        {"overrides": {c.TARGET_LINK_URI: "https://tool.example.org/other"}},
        "target_link_mismatch",
    ),
    "long_sub": ({"overrides": {"sub": "s" * 256}}, "sub_too_long"),
}
#: Token times as offsets from the moment the token is made (not from when this module was
#: imported: a long run would otherwise age "issued in the future" into the past).
TIMED = {"expired": (-7200, -120), "issued_in_future": (300, 900)}


@pytest.mark.parametrize("case", sorted(BAD_TOKENS))
def test_bad_token_is_refused_and_nothing_is_written(
    app: Flask, client: FlaskClient, platform: TestPlatform, case: str
) -> None:
    overrides, code = BAD_TOKENS[case]
    if case in TIMED:
        now = int(time.time())
        overrides = {**overrides, "iat": now + TIMED[case][0], "exp": now + TIMED[case][1]}
    first = login(client, platform)
    form = platform.launch_form_from_redirect(first.headers["Location"], **overrides)
    assert_refused(client.post("/lti/launch", data=form), code)
    with app.app_context():
        assert db.session.scalar(select(func.count(Person.id))) == 0


def _token_attack(client: FlaskClient, platform: TestPlatform, build: str) -> TestResponse:
    first = login(client, platform)
    form = platform.launch_form_from_redirect(first.headers["Location"])
    import jwt

    claims = jwt.decode(form["id_token"], options={"verify_signature": False})
    if build == "alg_none":
        form["id_token"] = platform.token_alg_none(claims)
    elif build == "hs256_public_key":
        form["id_token"] = platform.token_hs256_with_public_key(claims)
    elif build == "other_key_same_kid":
        form["id_token"] = platform.token_signed_by_other_key(claims)
    else:
        form["id_token"] = platform.token_with_attacker_key_set(
            claims, "https://attacker.example/jwks"
        )
    return client.post("/lti/launch", data=form)


@pytest.mark.parametrize(
    ("attack", "code"),
    [
        ("alg_none", "disallowed_algorithm"),
        ("hs256_public_key", "disallowed_algorithm"),
        ("other_key_same_kid", "bad_signature"),
        ("jwks_url_in_token", "unknown_kid"),
    ],
)
def test_forged_tokens_are_refused(
    client: FlaskClient, platform: TestPlatform, fake_http: FakeHttp, attack: str, code: str
) -> None:
    response = _token_attack(client, platform, attack)
    assert_refused(response, code)
    assert fake_http.count("https://attacker.example/jwks") == 0


def test_replayed_launch_is_refused(client: FlaskClient, platform: TestPlatform) -> None:
    first = launch(client, platform)
    assert first.response.status_code == 303
    replay = client.post("/lti/launch", data=first.form)
    assert_refused(replay, "launch_replayed", 403)


def test_state_from_another_browser_is_refused(
    app: Flask, client: FlaskClient, platform: TestPlatform
) -> None:
    """Login CSRF: a victim's browser receives a launch begun in the attacker's browser."""
    attacker = app.test_client()
    attacker.environ_base.update(client.environ_base)
    first = login(attacker, platform)
    form = platform.launch_form_from_redirect(first.headers["Location"])
    response = client.post("/lti/launch", data=form)
    # The victim's browser never started this login: no session is made, and the page
    # offers to start a login of its own in a new tab.
    assert response.status_code == 401
    assert "new tab" in response.get_data(as_text=True).lower()
    assert "cpd_session" not in response.headers.get("Set-Cookie", "")


def test_canvas_token_for_one_school_cannot_complete_another_schools_login(
    app: Flask, client: FlaskClient, fake_http: FakeHttp, org_id: int
) -> None:
    school_a = TestPlatform("canvas", client_id="10000000000001")
    school_b = TestPlatform("canvas", client_id="10000000000002")
    for p in (school_a, school_b):
        p.serve_jwks(fake_http)
    register(app, school_b, org_id)
    from tests.support.factories import make_org

    register(app, school_a, make_org(app, "School A Trust", schools=[("300001", "Ash")]))
    # A login for school B, answered with a token school A signed for itself.
    first = login(client, school_b)
    form_b = school_b.launch_form_from_redirect(first.headers["Location"])
    import jwt

    claims = jwt.decode(form_b["id_token"], options={"verify_signature": False})
    claims["aud"] = claims["azp"] = school_a.client_id
    form_b["id_token"] = school_a.sign(claims)
    assert_refused(client.post("/lti/launch", data=form_b), "token_login_mismatch")


@pytest.mark.parametrize(
    ("data", "code"),
    [
        ({}, "launch_error"),
        ({"id_token": "not-a-jwt", "state": "abc"}, ""),
        ({"id_token": "a.b.c", "state": "x" * 100}, ""),
    ],
)
def test_garbage_launch_bodies_get_400s(
    client: FlaskClient, data: dict[str, str], code: str
) -> None:
    response = client.post("/lti/launch", data=data)
    assert_refused(response, code)


def test_oversized_launch_body_is_refused_before_parsing(client: FlaskClient) -> None:
    response = client.post("/lti/launch", data={"id_token": "a" * 600_000, "state": "s"})
    assert response.status_code == 413
    assert "Traceback" not in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("params", "code"),
    [
        (
            {"target_link_uri": "https://tool.example.org/lti/launch", "login_hint": "1"},
            "missing_login_parameter",
        ),
        (
            {
                "iss": "https://unknown.example",
                "login_hint": "1",
                "client_id": "x",
                "target_link_uri": "https://tool.example.org/lti/launch",
            },
            "unknown_platform",
        ),
    ],
)
def test_bad_login_initiations_are_refused(
    client: FlaskClient, params: dict[str, str], code: str
) -> None:
    assert_refused(client.post("/lti/login", data=params), code)


def test_login_never_redirects_to_a_foreign_target_link(
    client: FlaskClient, platform: TestPlatform
) -> None:
    params = platform.login_params(target_link_uri="https://evil.example/steal")
    response = client.post("/lti/login", data=params)
    assert_refused(response, "foreign_target_link")
    assert "evil.example" not in response.headers.get("Location", "")


def test_platform_keys_unreachable_is_a_clear_4xx(
    client: FlaskClient, platform: TestPlatform, fake_http: FakeHttp
) -> None:
    fake_http.fail(platform.key_set_url)
    first = login(client, platform)
    form = platform.launch_form_from_redirect(first.headers["Location"])
    html = assert_refused(client.post("/lti/launch", data=form), "platform_keys_unavailable")
    assert platform.key_set_url in html or "keyset" in html.lower() or "JWKS" in html


def test_error_pages_answer_json_to_api_callers(client: FlaskClient) -> None:
    response = client.post("/lti/launch", data={}, headers={"Accept": "application/json"})
    assert response.status_code == 400
    body = response.get_json()
    assert body["error"]["correlation_id"] == response.headers["X-Correlation-Id"]
    assert re.fullmatch(r"[0-9a-f]{16}", body["error"]["correlation_id"])
