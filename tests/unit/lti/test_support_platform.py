"""tests.support.platform: the fake LMS behaves like Moodle and Canvas, and like a strict one.

The app's functional tests drive launches through it, so its own rules are tested here.
"""

from __future__ import annotations

import json
from typing import Any

import jwt
import pytest

from lti import claims as c
from lti import roles as r
from tests.support.clock import FakeClock
from tests.support.platform import (
    CANVAS_DEPLOYMENT,
    REDIRECT_URI,
    AuthRequestRejected,
    TestPlatform,
)


def auth_params(platform: TestPlatform, **login_kw: Any) -> dict[str, str]:
    """What a well-behaved tool sends back for this platform's login."""
    login = platform.login_params(**login_kw)
    return {
        "scope": "openid",
        "response_type": "id_token",
        "response_mode": "form_post",
        "prompt": "none",
        "client_id": platform.client_id,
        "redirect_uri": REDIRECT_URI,
        "login_hint": login["login_hint"],
        "lti_message_hint": login["lti_message_hint"],
        "state": "st",
        "nonce": "nn",
    }


def test_moodle_defaults(clock: FakeClock) -> None:
    platform = TestPlatform("moodle", clock=clock)
    registration = platform.registration()
    assert platform.issuer == "https://moodle.example.org"
    assert len(platform.client_id) == 15
    assert platform.deployment_id == "1"
    assert registration.auth_login_url == "https://moodle.example.org/mod/lti/auth.php"
    assert registration.auth_token_url == "https://moodle.example.org/mod/lti/token.php"
    assert registration.key_set_url == "https://moodle.example.org/mod/lti/certs.php"
    assert registration.deployment_ids == frozenset({"1"})
    assert platform.login_method == "POST"


def test_moodle_login_and_token(clock: FakeClock) -> None:
    platform = TestPlatform("moodle", clock=clock)
    login = platform.login_params(user="instructor")
    hint = json.loads(login["lti_message_hint"])
    assert set(hint) == {"cmid", "launchid"}
    assert login["lti_deployment_id"] == "1"
    assert "deployment_id" not in login
    assert login["login_hint"] == platform.user("instructor").sub

    claims = platform.claims(nonce="n", user="instructor")
    assert claims["exp"] - claims["iat"] == 60
    assert claims["aud"] == platform.client_id
    assert "azp" not in claims
    assert claims[c.CONTEXT]["type"] == ["CourseSection"]
    assert claims["https://purl.imsglobal.org/spec/lti/claim/ext"]["lms"] == "moodle-2"
    assert c.LIS in claims


def test_canvas_defaults(clock: FakeClock) -> None:
    platform = TestPlatform("canvas", clock=clock)
    registration = platform.registration()
    assert platform.issuer == "https://canvas.instructure.com"
    assert platform.client_id == "10000000000001"
    assert platform.deployment_id == CANVAS_DEPLOYMENT
    assert registration.auth_login_url == "https://sso.canvaslms.com/api/lti/authorize_redirect"
    assert registration.key_set_url == "https://sso.canvaslms.com/api/lti/security/jwks"
    assert registration.auth_token_url == "https://sso.canvaslms.com/login/oauth2/token"


@pytest.mark.parametrize(
    ("issuer", "sso"),
    [
        ("https://canvas.beta.instructure.com", "https://sso.beta.canvaslms.com"),
        ("https://canvas.test.instructure.com", "https://sso.test.canvaslms.com"),
        ("https://canvas.school.example", "https://canvas.school.example"),
    ],
)
def test_canvas_environments(issuer: str, sso: str) -> None:
    platform = TestPlatform("canvas", issuer=issuer)
    assert platform.registration().key_set_url == f"{sso}/api/lti/security/jwks"


def test_canvas_login_and_token(clock: FakeClock) -> None:
    platform = TestPlatform("canvas", clock=clock)
    login = platform.login_params(platform_storage=True)
    assert login["deployment_id"] == CANVAS_DEPLOYMENT
    assert login["lti_storage_target"] == "post_message_forwarding"
    assert login["canvas_environment"] == "prod"
    assert "canvas_region" in login
    assert jwt.get_unverified_header(login["lti_message_hint"])["alg"] == "HS256"
    assert login["login_hint"] != platform.user("learner").sub

    claims = platform.claims(nonce="n")
    assert claims["exp"] - claims["iat"] == 3600
    assert claims["aud"] == claims["azp"] == platform.client_id
    assert claims[c.CONTEXT]["errors"] == {"errors": {}}
    assert claims[c.LTI11_LEGACY_USER_ID]
    assert r.SYSTEM_USER in claims[c.ROLES]


def test_canvas_storage_target_is_opt_in() -> None:
    assert "lti_storage_target" not in TestPlatform("canvas").login_params()


@pytest.mark.parametrize("dialect", ["moodle", "canvas"])
def test_login_parameters_can_be_left_out(dialect: str) -> None:
    platform = TestPlatform(dialect)  # type: ignore[arg-type]
    login = platform.login_params(send_client_id=False, send_deployment_id=False)
    assert "client_id" not in login
    assert not {"deployment_id", "lti_deployment_id"} & set(login)


@pytest.mark.parametrize("dialect", ["moodle", "canvas"])
def test_launch_form_signs_the_login_s_launch(dialect: str, clock: FakeClock) -> None:
    platform = TestPlatform(dialect, clock=clock)  # type: ignore[arg-type]
    params = auth_params(platform, user="instructor", custom={"k": "v"})

    form = platform.launch_form(params)
    claims = jwt.decode(form["id_token"], options={"verify_signature": False})

    assert form["state"] == "st"
    assert claims["nonce"] == "nn"
    assert claims["sub"] == platform.user("instructor").sub
    assert claims[c.CUSTOM] == {"k": "v"}


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"scope": "email"}, "scope"),
        ({"response_type": "code"}, "response_type"),
        ({"response_mode": "query"}, "response_mode"),
        ({"prompt": "login"}, "prompt"),
        ({"client_id": "someone-else"}, "client_id"),
        ({"redirect_uri": "https://tool.example.org/other"}, "redirect_uri"),
        ({"nonce": ""}, "nonce"),
        ({"state": ""}, "state"),
        ({"lti_message_hint": "tampered"}, "lti_message_hint"),
        ({"login_hint": "someone-else"}, "login_hint"),
    ],
)
@pytest.mark.parametrize("dialect", ["moodle", "canvas"])
def test_a_bad_auth_request_is_rejected(dialect: str, change: dict[str, str], words: str) -> None:
    platform = TestPlatform(dialect)  # type: ignore[arg-type]
    with pytest.raises(AuthRequestRejected, match=words):
        platform.launch_form({**auth_params(platform), **change})


def test_a_message_hint_is_single_use() -> None:
    platform = TestPlatform("canvas")
    params = auth_params(platform)
    platform.launch_form(params)
    with pytest.raises(AuthRequestRejected):
        platform.launch_form(params)


def test_another_signed_in_user_is_rejected() -> None:
    platform = TestPlatform("moodle")
    with pytest.raises(AuthRequestRejected, match="signed-in user"):
        platform.launch_form(auth_params(platform, user="learner"), user="admin")


def test_launch_form_from_redirect_checks_the_auth_url() -> None:
    platform = TestPlatform("moodle")
    with pytest.raises(AuthRequestRejected, match="auth URL"):
        platform.launch_form_from_redirect("https://elsewhere.example/auth.php?state=x")


def test_redirect_uris_are_configurable() -> None:
    platform = TestPlatform("canvas", redirect_uris=["http://localhost/lti/launch"])
    params = {**auth_params(platform), "redirect_uri": "http://localhost/lti/launch"}
    assert platform.launch_form(params)["id_token"]


def test_headers_can_be_removed_and_added() -> None:
    platform = TestPlatform("canvas")
    token = platform.id_token(nonce="n", headers={"kid": None, "jku": "https://x"})
    header = jwt.get_unverified_header(token)
    assert "kid" not in header
    assert header["jku"] == "https://x"


def test_attack_tokens_have_the_advertised_headers() -> None:
    platform = TestPlatform("canvas")
    claims = platform.claims(nonce="n")
    assert jwt.get_unverified_header(platform.token_alg_none(claims))["alg"] == "none"
    hs = jwt.get_unverified_header(platform.token_hs256_with_public_key(claims))
    assert hs == {"alg": "HS256", "typ": "JWT", "kid": platform.kid}
    assert jwt.get_unverified_header(platform.token_with_kid(claims, "x"))["kid"] == "x"
    other = jwt.get_unverified_header(platform.token_signed_by_other_key(claims))
    assert other["kid"] == platform.kid


def test_personal_data_variants() -> None:
    platform = TestPlatform("moodle")
    assert {"name", "email"} <= set(platform.claims(nonce="n"))
    assert "name" not in platform.claims(nonce="n", personal="email_only")
    assert "email" not in platform.claims(nonce="n", personal="names_only")
    none = platform.claims(nonce="n", personal="none")
    assert not {"name", "given_name", "family_name", "email"} & set(none)
    anonymous = platform.claims(nonce="n", user="anonymous")
    assert "sub" not in anonymous
    assert "name" not in anonymous
