"""lti.oidc: login initiation read from the platform, and the authentication request built."""

from __future__ import annotations

import dataclasses
import json
from datetime import timedelta
from urllib.parse import parse_qsl, urlsplit

import jwt
import pytest

from lti.errors import (
    ForeignTargetLink,
    LoginParameterTooLong,
    LtiLaunchError,
    LtiLoginError,
    MissingLoginParameter,
    UnknownPlatform,
)
from lti.memory import MemoryLaunchStateStore, MemoryRegistrationStore
from lti.oidc import MAX_LENGTHS, AuthRedirect, LoginRequest, begin_login
from tests.support.clock import FakeClock
from tests.support.launcher import TOOL_HOSTS, assert_clean
from tests.support.platform import REDIRECT_URI, TARGET_LINK_URI, TOOL_HOST, TestPlatform

AUTH_PARAMS = {
    "scope",
    "response_type",
    "response_mode",
    "prompt",
    "client_id",
    "redirect_uri",
    "login_hint",
    "state",
    "nonce",
    "lti_message_hint",
}


def login(
    platform: TestPlatform,
    registrations: MemoryRegistrationStore,
    states: MemoryLaunchStateStore,
    clock: FakeClock,
    **login_kw: object,
) -> AuthRedirect:
    return begin_login(
        LoginRequest.from_params(platform.login_params(**login_kw)),  # type: ignore[arg-type]
        registrations=registrations,
        states=states,
        launch_url=REDIRECT_URI,
        tool_hosts=TOOL_HOSTS,
        now=clock(),
    )


# ---------------------------------------------------------------- LoginRequest


def test_moodle_login_parameters_are_read() -> None:
    platform = TestPlatform("moodle")
    request = LoginRequest.from_params(platform.login_params())

    assert request.issuer == platform.issuer
    assert request.client_id == platform.client_id
    assert request.deployment_id == "1"
    assert request.login_hint == platform.user("learner").login_hint
    assert json.loads(request.lti_message_hint or "")["cmid"] == 7
    assert request.target_link_uri == TARGET_LINK_URI
    assert request.storage_target is None


def test_canvas_login_parameters_are_read() -> None:
    platform = TestPlatform("canvas")
    request = LoginRequest.from_params(platform.login_params(platform_storage=True))

    assert request.deployment_id == platform.deployment_id  # sent as deployment_id
    assert request.storage_target == "post_message_forwarding"
    assert request.lti_message_hint
    assert jwt.get_unverified_header(request.lti_message_hint)["alg"] == "HS256"


def test_the_spec_name_wins_when_both_deployment_names_are_sent() -> None:
    params = {"iss": "i", "login_hint": "h", "target_link_uri": "t"}
    request = LoginRequest.from_params({**params, "lti_deployment_id": "a", "deployment_id": "b"})
    assert request.deployment_id == "a"


def test_only_the_required_parameters_are_enough() -> None:
    request = LoginRequest.from_params({"iss": "i", "login_hint": "h", "target_link_uri": "t"})
    assert request == LoginRequest(issuer="i", login_hint="h", target_link_uri="t")


@pytest.mark.parametrize("name", ["iss", "login_hint", "target_link_uri"])
@pytest.mark.parametrize("how", ["absent", "empty"])
def test_a_missing_required_parameter_is_named(name: str, how: str) -> None:
    params = {"iss": "i", "login_hint": "h", "target_link_uri": "t"}
    if how == "absent":
        del params[name]
    else:
        params[name] = ""
    with pytest.raises(MissingLoginParameter) as caught:
        LoginRequest.from_params(params)
    assert caught.value.name == name
    assert name in caught.value.message
    assert_clean(caught.value)


@pytest.mark.parametrize("name", sorted(MAX_LENGTHS))
def test_overlong_parameters_are_refused(name: str) -> None:
    params = {"iss": "i", "login_hint": "h", "target_link_uri": "t"}
    params[name] = "x" * (MAX_LENGTHS[name] + 1)
    with pytest.raises(LoginParameterTooLong) as caught:
        LoginRequest.from_params(params)
    assert_clean(caught.value)


# ---------------------------------------------------------------- begin_login


def test_the_auth_request_has_exactly_the_oidc_parameters(
    platform: TestPlatform,
    registrations: MemoryRegistrationStore,
    states: MemoryLaunchStateStore,
    clock: FakeClock,
) -> None:
    params = platform.login_params()
    auth = login(platform, registrations, states, clock)

    assert set(auth.params) == AUTH_PARAMS  # no lti_deployment_id: not an auth parameter
    assert auth.params["scope"] == "openid"
    assert auth.params["response_type"] == "id_token"
    assert auth.params["response_mode"] == "form_post"
    assert auth.params["prompt"] == "none"
    assert auth.params["client_id"] == platform.client_id
    assert auth.params["redirect_uri"] == REDIRECT_URI
    assert auth.params["state"] == auth.state
    assert auth.params["nonce"] == auth.nonce
    assert auth.params["login_hint"] == params["login_hint"]


def test_hints_are_echoed_unchanged(
    platform: TestPlatform,
    registrations: MemoryRegistrationStore,
    states: MemoryLaunchStateStore,
    clock: FakeClock,
) -> None:
    params = platform.login_params()
    auth = begin_login(
        LoginRequest.from_params(params),
        registrations=registrations,
        states=states,
        launch_url=REDIRECT_URI,
        tool_hosts=TOOL_HOSTS,
        now=clock(),
    )
    assert auth.params["lti_message_hint"] == params["lti_message_hint"]
    assert auth.params["login_hint"] == params["login_hint"]
    assert dict(parse_qsl(urlsplit(auth.url).query)) == auth.params


def test_no_message_hint_means_none_is_sent(
    platform: TestPlatform, registrations: MemoryRegistrationStore, clock: FakeClock
) -> None:
    request = dataclasses.replace(
        LoginRequest.from_params(platform.login_params()), lti_message_hint=None
    )
    auth = begin_login(
        request,
        registrations=registrations,
        states=MemoryLaunchStateStore(),
        launch_url=REDIRECT_URI,
        tool_hosts=TOOL_HOSTS,
        now=clock(),
    )
    assert "lti_message_hint" not in auth.params


def test_the_auth_url_keeps_an_existing_query_string(
    platform: TestPlatform, clock: FakeClock
) -> None:
    registration = dataclasses.replace(
        platform.registration(), auth_login_url="https://lms.example/auth?tenant=7"
    )
    auth = begin_login(
        LoginRequest.from_params(platform.login_params()),
        registrations=MemoryRegistrationStore([registration]),
        states=MemoryLaunchStateStore(),
        launch_url=REDIRECT_URI,
        tool_hosts=TOOL_HOSTS,
        now=clock(),
    )
    parts = urlsplit(auth.url)
    assert parts.path == "/auth"
    assert parts.query.startswith("tenant=7&")
    assert dict(parse_qsl(parts.query)) == {"tenant": "7", **auth.params}


def test_the_login_is_remembered_for_ten_minutes(
    platform: TestPlatform,
    registrations: MemoryRegistrationStore,
    states: MemoryLaunchStateStore,
    clock: FakeClock,
) -> None:
    auth = login(platform, registrations, states, clock, platform_storage=True)
    record = states.take_login(auth.state, clock())

    assert record is not None
    assert record.nonce == auth.nonce
    assert record.issuer == platform.issuer
    assert record.client_id == platform.client_id
    assert record.target_link_uri == TARGET_LINK_URI
    assert record.expires_at - record.created_at == timedelta(minutes=10)
    expected_target = "post_message_forwarding" if platform.dialect == "canvas" else None
    assert record.storage_target == expected_target
    assert auth.storage_target == expected_target


def test_state_and_nonce_are_fresh_and_unguessable(
    platform: TestPlatform,
    registrations: MemoryRegistrationStore,
    states: MemoryLaunchStateStore,
    clock: FakeClock,
) -> None:
    first = login(platform, registrations, states, clock)
    second = login(platform, registrations, states, clock)
    values = {first.state, first.nonce, second.state, second.nonce}
    assert len(values) == 4
    assert all(len(v) >= 43 for v in values)  # 32 random bytes, base64url


def test_a_login_without_client_id_finds_the_only_registration(
    platform: TestPlatform,
    registrations: MemoryRegistrationStore,
    states: MemoryLaunchStateStore,
    clock: FakeClock,
) -> None:
    auth = login(platform, registrations, states, clock, send_client_id=False)
    assert auth.params["client_id"] == platform.client_id


def test_an_unknown_issuer_is_refused_naming_it(
    registrations: MemoryRegistrationStore, states: MemoryLaunchStateStore, clock: FakeClock
) -> None:
    stranger = TestPlatform("moodle", issuer="https://unknown.example.org", client_id="abc")
    with pytest.raises(UnknownPlatform) as caught:
        login(stranger, registrations, states, clock)
    error = caught.value
    assert isinstance(error, LtiLoginError)
    assert isinstance(error, LtiLaunchError)
    assert "https://unknown.example.org" in error.message
    assert "abc" in error.message
    assert error.status == 403
    assert_clean(error)


def test_an_unknown_client_id_is_refused(
    platform: TestPlatform, registrations: MemoryRegistrationStore, clock: FakeClock
) -> None:
    impostor = TestPlatform(platform.dialect, client_id="not-registered")
    with pytest.raises(UnknownPlatform):
        login(impostor, registrations, MemoryLaunchStateStore(), clock)


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/lti/launch",
        f"https://{TOOL_HOST}.evil.example/launch",
        f"https://{TOOL_HOST}:8443/launch",
        f"https://user@{TOOL_HOST}/launch",
        f"https://evil.example\\@{TOOL_HOST}/launch",
        f"javascript://{TOOL_HOST}/%0Aalert(1)",
        "/lti/launch",
        f"ftp://{TOOL_HOST}/launch",
        f"https://{TOOL_HOST}:bad/launch",
        f"https://{TOOL_HOST}/launch\n",
    ],
)
def test_a_target_link_off_the_tool_is_refused(
    platform: TestPlatform,
    registrations: MemoryRegistrationStore,
    states: MemoryLaunchStateStore,
    clock: FakeClock,
    target: str,
) -> None:
    with pytest.raises(ForeignTargetLink) as caught:
        login(platform, registrations, states, clock, target_link_uri=target)
    assert TOOL_HOST in caught.value.hint
    assert_clean(caught.value)


def test_redirect_uri_is_never_the_target_link(
    platform: TestPlatform,
    registrations: MemoryRegistrationStore,
    states: MemoryLaunchStateStore,
    clock: FakeClock,
) -> None:
    target = f"https://{TOOL_HOST}/modules/42"
    auth = login(platform, registrations, states, clock, target_link_uri=target)
    assert auth.params["redirect_uri"] == REDIRECT_URI
    assert target not in auth.url


def test_the_platform_accepts_the_auth_request(
    platform: TestPlatform,
    registrations: MemoryRegistrationStore,
    states: MemoryLaunchStateStore,
    clock: FakeClock,
) -> None:
    auth = login(platform, registrations, states, clock)
    form = platform.launch_form_from_redirect(auth.url)
    assert form["state"] == auth.state
