"""lti.launch: one test per launch check in LTI.md, in both dialects (the ``launcher`` fixture)."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import pytest

from lti import claims as c
from lti.errors import (
    BadSignature,
    DeploymentIdTooLong,
    DisallowedAlgorithm,
    ExpiredToken,
    ForeignTargetLink,
    InvalidClaim,
    LaunchReplayed,
    MalformedToken,
    MissingAzp,
    MissingClaim,
    MissingDeployment,
    MissingKid,
    MissingLaunchParameter,
    MissingMessageType,
    MissingNonce,
    MissingVersion,
    NonceMismatch,
    StateMismatch,
    SubTooLong,
    TargetLinkMismatch,
    TokenFromFuture,
    TokenTooLarge,
    UnknownDeployment,
    UnknownKid,
    UnknownMessageType,
    UnknownPlatform,
    UnknownState,
    WrongAudience,
    WrongVersion,
)
from lti.launch import LaunchValidator
from tests.support import tokens
from tests.support.launcher import Launcher, assert_clean
from tests.support.platform import TARGET_LINK_URI, TOOL_HOST


def test_a_valid_launch_lands(launcher: Launcher) -> None:
    result = launcher.accepted(user="instructor")

    assert result.registration == launcher.platform.registration()
    assert result.deployment_is_new is False
    assert result.context.sub == launcher.platform.user("instructor").sub
    assert result.context.deployment_id == launcher.platform.deployment_id
    assert result.context.message_type == c.RESOURCE_LINK_REQUEST
    assert result.context.target_link_uri == TARGET_LINK_URI
    assert result.context.roles.is_instructor


# ---------------------------------------------------------------- 12. shape and size


@pytest.mark.parametrize(
    ("id_token", "state", "name"),
    [("", "s", "id_token"), ("a.b.c", "", "state"), (None, "s", "id_token"), ("a.b.c", 5, "state")],
)
def test_missing_form_fields_are_named(
    validator: LaunchValidator, id_token: Any, state: Any, name: str
) -> None:
    with pytest.raises(MissingLaunchParameter) as caught:
        validator.validate(id_token, state, bound_state="s")
    assert caught.value.name == name


def test_an_oversized_token_is_refused_before_parsing(launcher: Launcher) -> None:
    auth = launcher.start()
    error = launcher.refused_token(TokenTooLarge, "a" * 256_001, auth)
    assert error.status == 413


def test_a_token_of_custom_data_over_the_limit_is_refused(launcher: Launcher) -> None:
    launcher.refused(TokenTooLarge, custom={"blob": "x" * 300_000})


@pytest.mark.parametrize(
    "garbage",
    [
        "not a jwt",
        "only.two",
        "a.b.c.d",
        "é.b.c",
        ".payload.sig",
        tokens.b64url(b"not json") + ".e30.sig",
        tokens.unsigned({"alg": "RS256", "kid": "k"}, ["a", "list"]),
        tokens.unsigned({"alg": "RS256", "kid": "k"}, "text"),
        tokens.b64url_json(["header", "list"]) + ".e30.c2ln",
    ],
)
def test_garbage_is_a_malformed_token(launcher: Launcher, garbage: str) -> None:
    launcher.refused_token(MalformedToken, garbage, launcher.start())


# ---------------------------------------------------------------- 1. kid


def test_a_token_without_kid_is_refused(launcher: Launcher) -> None:
    launcher.refused(MissingKid, headers={"kid": None})


def test_an_empty_kid_is_refused(launcher: Launcher) -> None:
    auth = launcher.start()
    token = tokens.unsigned({"alg": "RS256", "kid": ""}, launcher.claims(auth))
    launcher.refused_token(MissingKid, token, auth)


def test_a_non_string_kid_is_malformed(launcher: Launcher) -> None:
    auth = launcher.start()
    token = tokens.unsigned({"alg": "RS256", "kid": 42}, launcher.claims(auth))
    launcher.refused_token(MalformedToken, token, auth)


def test_an_unknown_kid_is_refused(launcher: Launcher) -> None:
    auth = launcher.start()
    token = launcher.platform.token_with_kid(launcher.claims(auth), "imstester_66067")
    error = launcher.refused_token(UnknownKid, token, auth)
    assert "imstester_66067" in error.message
    assert launcher.platform.key_set_url in error.message


def test_jku_x5u_and_jwk_headers_are_never_followed(launcher: Launcher, http: Any) -> None:
    evil = "https://attacker.example/jwks.json"
    http.add(evil, json=launcher.platform.attacker_jwks())
    auth = launcher.start()
    token = launcher.platform.token_with_attacker_key_set(launcher.claims(auth), evil)

    launcher.refused_token(UnknownKid, token, auth)
    assert http.count(evil) == 0


def test_jku_headers_on_a_genuine_token_are_ignored(launcher: Launcher, http: Any) -> None:
    evil = "https://attacker.example/jwks.json"
    auth = launcher.start()
    token = launcher.platform.id_token(nonce=auth.nonce, headers={"jku": evil, "x5u": evil})

    assert launcher.submit(token, auth).context.sub
    assert http.count(evil) == 0


def test_a_signature_by_an_unpublished_key_is_refused(launcher: Launcher) -> None:
    auth = launcher.start()
    token = launcher.platform.token_signed_by_other_key(launcher.claims(auth))
    launcher.refused_token(BadSignature, token, auth)


def test_a_tampered_payload_is_refused(launcher: Launcher) -> None:
    auth = launcher.start()
    header, _, signature = launcher.platform.id_token(nonce=auth.nonce).split(".")
    forged = launcher.claims(auth, user="admin")
    token = f"{header}.{tokens.b64url_json(forged)}.{signature}"
    launcher.refused_token(BadSignature, token, auth)


# ---------------------------------------------------------------- 2. alg


def test_alg_none_is_refused(launcher: Launcher) -> None:
    auth = launcher.start()
    token = launcher.platform.token_alg_none(launcher.claims(auth))
    launcher.refused_token(DisallowedAlgorithm, token, auth)


def test_hs256_keyed_with_the_platform_public_key_is_refused(launcher: Launcher) -> None:
    auth = launcher.start()
    token = launcher.platform.token_hs256_with_public_key(launcher.claims(auth))
    launcher.refused_token(DisallowedAlgorithm, token, auth)


@pytest.mark.parametrize("alg", ["HS256", "HS512", "RS512", "PS256", "ES256", "none", None])
def test_only_rs256_is_allowed(launcher: Launcher, alg: str | None) -> None:
    auth = launcher.start()
    header = {"alg": alg, "kid": launcher.platform.kid}
    token = tokens.unsigned(header, launcher.claims(auth))
    launcher.refused_token(DisallowedAlgorithm, token, auth)


# ---------------------------------------------------------------- 3. iss


def test_an_unregistered_issuer_is_refused(launcher: Launcher) -> None:
    error = launcher.refused(UnknownPlatform, overrides={"iss": "https://other.example.org"})
    assert "https://other.example.org" in error.message


@pytest.mark.parametrize("value", [None, 42, ""])
def test_iss_must_be_a_string(launcher: Launcher, value: object) -> None:
    if value is None:
        launcher.refused(MissingClaim, remove=["iss"])
    else:
        launcher.refused(InvalidClaim, overrides={"iss": value})


def test_a_store_that_returns_another_issuer_fails_closed(launcher: Launcher) -> None:
    wrong = dataclasses.replace(launcher.platform.registration(), issuer="https://x.org")
    launcher.registrations.find_registration = lambda *_: wrong  # type: ignore[method-assign]
    auth = launcher.start()
    token = launcher.platform.id_token(nonce=auth.nonce)
    error = launcher.refused_token(InvalidClaim, token, auth)
    assert error.claim == "iss"  # type: ignore[attr-defined]


# ---------------------------------------------------------------- 4. aud and azp


def test_aud_as_a_one_element_array_is_accepted(launcher: Launcher) -> None:
    client_id = launcher.platform.client_id
    assert launcher.accepted(overrides={"aud": [client_id], "azp": client_id}).context


def test_several_audiences_with_azp_are_accepted(launcher: Launcher) -> None:
    client_id = launcher.platform.client_id
    result = launcher.accepted(overrides={"aud": ["other-tool", client_id], "azp": client_id})
    assert result.context.client_id == client_id


def test_several_audiences_without_azp_are_refused(launcher: Launcher) -> None:
    aud = [launcher.platform.client_id, "other-tool"]
    launcher.refused(MissingAzp, overrides={"aud": aud}, remove=["azp"])


def test_azp_outside_aud_is_refused(launcher: Launcher) -> None:
    launcher.refused(WrongAudience, overrides={"azp": "other-tool"})


def test_aud_for_another_client_is_an_unknown_platform(launcher: Launcher) -> None:
    error = launcher.refused(UnknownPlatform, overrides={"aud": "other-tool"}, remove=["azp"])
    assert "other-tool" in error.message


@pytest.mark.parametrize("aud", [42, [], [42], [""], "", {"a": 1}])
def test_aud_of_the_wrong_type_is_refused(launcher: Launcher, aud: object) -> None:
    launcher.refused(InvalidClaim, overrides={"aud": aud}, remove=["azp"])


def test_missing_aud_is_refused(launcher: Launcher) -> None:
    launcher.refused(MissingClaim, remove=["aud", "azp"])


def test_azp_of_the_wrong_type_is_refused(launcher: Launcher) -> None:
    launcher.refused(InvalidClaim, overrides={"azp": 42})


def test_pyjwt_audience_check_backs_up_the_registration_choice(launcher: Launcher) -> None:
    wrong = dataclasses.replace(launcher.platform.registration(), client_id="nope")
    launcher.registrations.find_registration = lambda *_: wrong  # type: ignore[method-assign]
    # The login record must match the (wrong) registration to reach the signature check.
    auth = launcher.start()
    launcher.refused_token(WrongAudience, launcher.platform.id_token(nonce=auth.nonce), auth)


# ---------------------------------------------------------------- 5. exp and iat, 60 s leeway


def test_iat_five_seconds_ahead_passes(launcher: Launcher) -> None:
    assert launcher.accepted(iat=launcher.clock.timestamp + 5).context


def test_iat_sixty_one_seconds_ahead_is_refused(launcher: Launcher) -> None:
    error = launcher.refused(TokenFromFuture, iat=launcher.clock.timestamp + 61)
    assert "NTP" in error.hint


def test_nbf_in_the_future_is_refused(launcher: Launcher) -> None:
    launcher.refused(TokenFromFuture, overrides={"nbf": launcher.clock.timestamp + 120})


def test_nbf_in_the_past_passes(launcher: Launcher) -> None:
    assert launcher.accepted(overrides={"nbf": launcher.clock.timestamp - 5}).context


def test_exp_fifty_nine_seconds_ago_passes(launcher: Launcher) -> None:
    now = launcher.clock.timestamp
    assert launcher.accepted(iat=now - 120, exp=now - 59).context


def test_exp_sixty_one_seconds_ago_is_refused(launcher: Launcher) -> None:
    now = launcher.clock.timestamp
    error = launcher.refused(ExpiredToken, iat=now - 120, exp=now - 61)
    assert error.seconds_ago == 61  # type: ignore[attr-defined]


@pytest.mark.parametrize("claim", ["exp", "iat"])
def test_exp_and_iat_are_required(launcher: Launcher, claim: str) -> None:
    error = launcher.refused(MissingClaim, remove=[claim])
    assert error.claim == claim  # type: ignore[attr-defined]


@pytest.mark.parametrize("value", ["soon", True, math.nan, math.inf])
@pytest.mark.parametrize("claim", ["exp", "iat", "nbf"])
def test_times_must_be_finite_numbers(launcher: Launcher, claim: str, value: object) -> None:
    launcher.refused(InvalidClaim, overrides={claim: value})


# ---------------------------------------------------------------- 6. nonce


def test_a_missing_nonce_is_refused(launcher: Launcher) -> None:
    launcher.refused(MissingNonce, remove=["nonce"])


def test_a_nonce_we_did_not_issue_is_refused(launcher: Launcher) -> None:
    auth = launcher.start()
    token = launcher.platform.id_token(nonce="made-up")
    launcher.refused_token(NonceMismatch, token, auth)


def test_a_non_string_nonce_is_refused(launcher: Launcher) -> None:
    launcher.refused(InvalidClaim, overrides={"nonce": 12345})


def test_a_valid_token_replayed_is_refused(launcher: Launcher) -> None:
    auth = launcher.start()
    token = launcher.platform.id_token(nonce=auth.nonce)
    launcher.submit(token, auth)

    error = launcher.refused_token(LaunchReplayed, token, auth)
    assert error.status == 403


@pytest.mark.parametrize("bound_state", [None, "cookie-of-a-later-login"])
def test_a_replay_without_its_cookie_is_still_named_a_replay(
    launcher: Launcher, bound_state: str | None
) -> None:
    auth = launcher.start()
    token = launcher.platform.id_token(nonce=auth.nonce)
    launcher.submit(token, auth)

    launcher.refused_token(LaunchReplayed, token, auth, bound_state=bound_state)


def test_an_overlong_unbound_state_is_a_mismatch(launcher: Launcher) -> None:
    auth = launcher.start()
    token = launcher.platform.id_token(nonce=auth.nonce)
    with pytest.raises(StateMismatch):
        launcher.validator.validate(token, "s" * 600, bound_state=None)


def test_a_token_replayed_against_a_fresh_login_is_refused(launcher: Launcher) -> None:
    first = launcher.start()
    token = launcher.platform.id_token(nonce=first.nonce)
    launcher.submit(token, first)

    second = launcher.start()
    launcher.refused_token(NonceMismatch, token, second)


# ---------------------------------------------------------------- 7. state bound to the browser


def test_no_state_in_the_browser_is_a_state_mismatch_that_names_cookies(
    launcher: Launcher,
) -> None:
    auth = launcher.start()
    token = launcher.platform.id_token(nonce=auth.nonce)
    error = launcher.refused_token(StateMismatch, token, auth, bound_state=None)
    assert "cookie" in error.hint.lower()
    assert error.status == 403


def test_login_csrf_is_refused(launcher: Launcher) -> None:
    """An attacker posts their own valid launch into a victim's browser."""
    attacker = launcher.start(user="instructor")
    victim = launcher.start(user="learner")
    attacker_token = launcher.platform.id_token(nonce=attacker.nonce, user="instructor")

    launcher.refused_token(StateMismatch, attacker_token, attacker, bound_state=victim.state)


def test_a_refused_binding_does_not_burn_the_login(launcher: Launcher) -> None:
    auth = launcher.start()
    token = launcher.platform.id_token(nonce=auth.nonce)
    launcher.refused_token(StateMismatch, token, auth, bound_state="other")

    assert launcher.submit(token, auth).context


def test_a_non_ascii_bound_state_is_a_clean_mismatch(launcher: Launcher) -> None:
    auth = launcher.start()
    token = launcher.platform.id_token(nonce=auth.nonce)
    launcher.refused_token(StateMismatch, token, auth, bound_state="état\udcff")


def test_an_unknown_state_is_refused(validator: LaunchValidator, launcher: Launcher) -> None:
    auth = launcher.start()
    token = launcher.platform.id_token(nonce=auth.nonce)
    with pytest.raises(UnknownState) as caught:
        validator.validate(token, "never-issued", bound_state="never-issued")
    assert_clean(caught.value)


def test_an_overlong_state_is_unknown(validator: LaunchValidator, launcher: Launcher) -> None:
    auth = launcher.start()
    token = launcher.platform.id_token(nonce=auth.nonce)
    state = "s" * 600
    with pytest.raises(UnknownState):
        validator.validate(token, state, bound_state=state)


def test_a_login_older_than_ten_minutes_is_refused(launcher: Launcher) -> None:
    auth = launcher.start()
    launcher.clock.advance(601)
    token = launcher.platform.id_token(nonce=auth.nonce)
    launcher.refused_token(UnknownState, token, auth)


# ---------------------------------------------------------------- 8. deployment_id


def test_a_missing_deployment_is_refused(launcher: Launcher) -> None:
    launcher.refused(MissingDeployment, remove=[c.DEPLOYMENT_ID])


def test_a_deployment_id_of_255_characters_passes(launcher: Launcher) -> None:
    long_id = "d" * 255
    launcher.registrations.add(launcher.platform.registration(deployment_ids=[long_id]))
    assert launcher.accepted(deployment_id=long_id).context.deployment_id == long_id


def test_a_deployment_id_over_255_characters_is_refused(launcher: Launcher) -> None:
    launcher.refused(DeploymentIdTooLong, deployment_id="d" * 256)


def test_an_unknown_deployment_is_refused(launcher: Launcher) -> None:
    error = launcher.refused(UnknownDeployment, deployment_id="99")
    assert "99" in error.message


def test_an_unknown_deployment_is_accepted_when_the_registration_says_so(
    launcher: Launcher,
) -> None:
    launcher.registrations.add(
        launcher.platform.registration(deployment_ids=[], accept_new_deployments=True)
    )
    result = launcher.accepted()
    assert result.deployment_is_new is True
    assert result.context.deployment_id == launcher.platform.deployment_id


def test_a_numeric_deployment_id_is_read_as_its_digits(launcher: Launcher) -> None:
    launcher.registrations.add(launcher.platform.registration(deployment_ids=["5"]))
    assert launcher.accepted(overrides={c.DEPLOYMENT_ID: 5}).context.deployment_id == "5"


def test_a_deployment_id_of_the_wrong_type_is_refused(launcher: Launcher) -> None:
    launcher.refused(InvalidClaim, overrides={c.DEPLOYMENT_ID: ["1"]})


# ---------------------------------------------------------------- 9. version, type, required claims


@pytest.mark.parametrize("version", ["1.1", "LTI-1p0", "1.3", 1.3])
def test_a_wrong_version_is_refused(launcher: Launcher, version: object) -> None:
    launcher.refused(WrongVersion, overrides={c.VERSION: version})


def test_a_missing_version_is_refused(launcher: Launcher) -> None:
    launcher.refused(MissingVersion, remove=[c.VERSION])


def test_a_missing_message_type_is_refused(launcher: Launcher) -> None:
    launcher.refused(MissingMessageType, remove=[c.MESSAGE_TYPE])


@pytest.mark.parametrize("message_type", ["LtiSubmissionReviewRequest", "basic-lti-launch", 7])
def test_an_unknown_message_type_is_refused(launcher: Launcher, message_type: object) -> None:
    launcher.refused(UnknownMessageType, overrides={c.MESSAGE_TYPE: message_type})


def test_the_roles_claim_is_required(launcher: Launcher) -> None:
    launcher.refused(MissingClaim, remove=[c.ROLES])


@pytest.mark.parametrize("roles", ["Instructor", {"role": "Instructor"}, None])
def test_roles_must_be_a_list(launcher: Launcher, roles: object) -> None:
    launcher.refused(InvalidClaim, overrides={c.ROLES: roles})


def test_an_empty_roles_list_is_valid(launcher: Launcher) -> None:
    assert launcher.accepted(roles=()).context.roles.all == ()


def test_resource_link_is_required_for_a_resource_link_launch(launcher: Launcher) -> None:
    error = launcher.refused(MissingClaim, remove=[c.RESOURCE_LINK])
    assert "resource_link" in error.message


@pytest.mark.parametrize("value", ["7", ["7"], {"title": "no id"}, {"id": None}, {"id": True}])
def test_resource_link_must_be_an_object_with_an_id(launcher: Launcher, value: object) -> None:
    launcher.refused(InvalidClaim, overrides={c.RESOURCE_LINK: value})


def test_deep_linking_settings_are_required_for_deep_linking(launcher: Launcher) -> None:
    launcher.refused(
        MissingClaim, message_type=c.DEEP_LINKING_REQUEST, remove=[c.DEEP_LINKING_SETTINGS]
    )


@pytest.mark.parametrize("settings", [{"accept_types": []}, {"deep_link_return_url": 5}, "x"])
def test_deep_linking_settings_need_a_return_url(launcher: Launcher, settings: object) -> None:
    launcher.refused(
        InvalidClaim,
        message_type=c.DEEP_LINKING_REQUEST,
        overrides={c.DEEP_LINKING_SETTINGS: settings},
    )


def test_a_deep_linking_request_needs_no_resource_link(launcher: Launcher) -> None:
    result = launcher.accepted(message_type=c.DEEP_LINKING_REQUEST)
    assert result.context.message_type == c.DEEP_LINKING_REQUEST
    assert result.context.resource_link_id is None
    assert result.context.deep_linking_settings is not None


@pytest.mark.parametrize("context", ["course", ["course"], {"title": "no id"}, {"id": []}])
def test_a_context_claim_must_be_an_object_with_an_id(launcher: Launcher, context: object) -> None:
    launcher.refused(InvalidClaim, overrides={c.CONTEXT: context})


# ---------------------------------------------------------------- 10. target_link_uri


def test_a_target_link_other_than_the_login_s_is_refused(launcher: Launcher) -> None:
    auth = launcher.start(target_link_uri=f"https://{TOOL_HOST}/lti/launch?module=1")
    token = launcher.platform.id_token(nonce=auth.nonce, target_link_uri=TARGET_LINK_URI)
    launcher.refused_token(TargetLinkMismatch, token, auth)


def test_a_target_link_on_another_host_is_refused(launcher: Launcher) -> None:
    launcher.refused(ForeignTargetLink, target_link_uri="https://evil.example/launch")


def test_the_target_link_is_required_for_a_resource_link_launch(launcher: Launcher) -> None:
    launcher.refused(MissingClaim, remove=[c.TARGET_LINK_URI])


def test_a_deep_linking_launch_without_target_link_keeps_the_login_s(launcher: Launcher) -> None:
    result = launcher.accepted(message_type=c.DEEP_LINKING_REQUEST, remove=[c.TARGET_LINK_URI])
    assert result.context.target_link_uri == TARGET_LINK_URI


def test_a_non_string_target_link_is_refused(launcher: Launcher) -> None:
    launcher.refused(InvalidClaim, overrides={c.TARGET_LINK_URI: {"url": TARGET_LINK_URI}})


# ---------------------------------------------------------------- 11. sub


def test_a_sub_of_255_characters_passes(launcher: Launcher) -> None:
    assert launcher.accepted(overrides={"sub": "s" * 255}).context.sub == "s" * 255


def test_a_sub_over_255_characters_is_refused(launcher: Launcher) -> None:
    launcher.refused(SubTooLong, overrides={"sub": "s" * 256})


@pytest.mark.parametrize("sub", [42, "", None, ["a"]])
def test_a_sub_that_is_not_a_string_is_refused(launcher: Launcher, sub: object) -> None:
    launcher.refused(InvalidClaim, overrides={"sub": sub})


def test_a_launch_without_sub_is_anonymous(launcher: Launcher) -> None:
    context = launcher.accepted(user="anonymous").context
    assert context.sub is None
    assert context.is_anonymous


def test_an_anonymous_launch_drops_stray_personal_data(launcher: Launcher) -> None:
    context = launcher.accepted(
        overrides={"name": "Someone", "email": "a@b.c"}, remove=["sub"]
    ).context
    assert context.is_anonymous
    assert context.name is None
    assert context.email is None


def test_other_malformed_registered_claims_are_refused(launcher: Launcher) -> None:
    launcher.refused(MalformedToken, overrides={"jti": 5})


# ---------------------------------------------------------------- ordering


def test_a_forged_post_costs_no_key_fetch(launcher: Launcher, http: Any) -> None:
    auth = launcher.start()
    token = launcher.platform.id_token(nonce=auth.nonce)
    launcher.refused_token(StateMismatch, token, auth, bound_state="other")
    assert http.count() == 0


def test_tokens_from_other_registration_keys_are_refused(
    launcher: Launcher, http: Any, clock: Any
) -> None:
    """A key from platform B's set never verifies a token that says it is from A."""
    from tests.support.platform import TestPlatform

    other = TestPlatform("moodle", issuer="https://other-moodle.example.org", clock=clock)
    other.serve_jwks(http)
    launcher.registrations.add(other.registration())
    auth = launcher.start()
    token = other.sign(launcher.claims(auth))  # A's claims, B's key and kid
    launcher.refused_token(UnknownKid, token, auth)
