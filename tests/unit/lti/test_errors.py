"""lti.errors: every refusal is a 4xx with a stable code and words an LMS admin can act on."""

from __future__ import annotations

import inspect

import pytest

from lti import errors
from lti.errors import LtiError, LtiLaunchError, LtiLoginError, claim_label

SAMPLE_ARGS: dict[str, tuple[object, ...]] = {
    "UnknownPlatform": ("https://lms.example", "client-9"),
    "ForeignTargetLink": ("https://evil.example/x", frozenset({"tool.example.org"})),
    "MissingLoginParameter": ("iss",),
    "LoginParameterTooLong": ("login_hint", 5000, 4096),
    "MissingLaunchParameter": ("id_token",),
    "TokenTooLarge": (300_000, 256_000),
    "MalformedToken": ("it is not a compact JWT",),
    "UnknownKid": ("kid-1", "https://lms.example/jwks"),
    "DisallowedAlgorithm": ("HS256",),
    "BadSignature": ("https://lms.example/jwks",),
    "UnsuitablePlatformKey": ("kid-1", "its key type is 'EC', not RSA"),
    "PlatformKeysUnavailable": ("https://lms.example/jwks", "connection refused"),
    "WrongAudience": ("its audience does not include “c”",),
    "ExpiredToken": (61,),
    "TokenFromFuture": ("iat", 61),
    "DeploymentIdTooLong": (300,),
    "UnknownDeployment": ("7:abc", "https://lms.example", "client-9"),
    "WrongVersion": ("1.1",),
    "UnknownMessageType": ("LtiSubmissionReviewRequest",),
    "MissingClaim": ("https://purl.imsglobal.org/spec/lti/claim/roles",),
    "InvalidClaim": ("https://purl.imsglobal.org/spec/lti/claim/context", "a JSON object"),
    "TargetLinkMismatch": ("https://tool/a", "https://tool/b"),
    "SubTooLong": (300,),
    "RegistrationNotApproved": ("https://lms.example", "client-9"),
    "LoginParameterInvalid": ("iss",),
}
KWARGS: dict[str, dict[str, object]] = {
    "TokenLoginMismatch": {"login": ("i", "a"), "token": ("i", "b")},
}


def _subclasses() -> list[type[LtiError]]:
    found = [
        cls
        for _, cls in inspect.getmembers(errors, inspect.isclass)
        if issubclass(cls, LtiError) and cls not in (LtiError, LtiLoginError, LtiLaunchError)
    ]
    assert len(found) > 30
    return found


def _make(cls: type[LtiError]) -> LtiError:
    return cls(*SAMPLE_ARGS.get(cls.__name__, ()), **KWARGS.get(cls.__name__, {}))  # type: ignore[arg-type]


@pytest.mark.parametrize("cls", _subclasses(), ids=lambda c: c.__name__)
def test_each_error_is_a_clean_4xx(cls: type[LtiError]) -> None:
    error = _make(cls)
    assert 400 <= error.status < 500
    assert error.code not in ("lti_error", "login_error", "launch_error")
    assert error.message
    assert error.message == str(error)
    assert error.title
    assert error.hint
    assert error.hint != LtiError.hint
    assert isinstance(error, LtiLoginError | LtiLaunchError)


def test_codes_are_unique() -> None:
    codes = [cls.code for cls in _subclasses()]
    assert len(codes) == len(set(codes))


def test_platform_keys_unavailable_is_not_a_bad_gateway() -> None:
    assert errors.PlatformKeysUnavailable("u", "r").status == 424


def test_state_mismatch_says_cookies() -> None:
    assert "cookies" in errors.StateMismatch().hint
    assert "storage" in errors.StateMismatch(storage_target="_parent").message


@pytest.mark.parametrize("cls", [errors.UnknownPlatform, errors.ForeignTargetLink])
def test_errors_raised_at_both_stages_are_both_kinds(cls: type[LtiError]) -> None:
    assert issubclass(cls, LtiLoginError)
    assert issubclass(cls, LtiLaunchError)


def test_unknown_platform_names_issuer_and_client() -> None:
    error = errors.UnknownPlatform("https://canvas.instructure.com", "10000000000042")
    assert "https://canvas.instructure.com" in error.message
    assert "10000000000042" in error.message
    assert "client ID" in errors.UnknownPlatform("https://canvas.instructure.com", None).hint


def test_messages_name_the_value_that_was_wrong() -> None:
    assert "deployment_id" in errors.MissingDeployment().message
    assert "7:abc" in errors.UnknownDeployment("7:abc", "i", "c").message
    assert "roles" in errors.MissingClaim("https://purl.imsglobal.org/spec/lti/claim/roles").message
    assert "kid-1" in errors.UnknownKid("kid-1", "https://j").message
    assert "https://j" in errors.UnknownKid("kid-1", "https://j").message


def test_the_base_class_keeps_its_default_hint() -> None:
    error = LtiError("plain")
    assert error.hint == LtiError.hint
    assert LtiError("x", hint="do this").hint == "do this"


@pytest.mark.parametrize(
    ("claim", "label"),
    [
        ("https://purl.imsglobal.org/spec/lti/claim/deployment_id", "deployment_id"),
        (
            "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings/",
            "deep_linking_settings",
        ),
        ("sub", "sub"),
    ],
)
def test_claim_label(claim: str, label: str) -> None:
    assert claim_label(claim) == label
