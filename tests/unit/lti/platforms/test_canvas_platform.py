"""Canvas quirks: shared issuers and sso endpoints, Instructure hosts, launch fingerprint."""

from __future__ import annotations

from typing import Any

import pytest

from lti.platforms import canvas


@pytest.mark.parametrize(
    ("environment", "issuer", "sso"),
    [
        ("production", "https://canvas.instructure.com", "https://sso.canvaslms.com"),
        ("beta", "https://canvas.beta.instructure.com", "https://sso.beta.canvaslms.com"),
        ("test", "https://canvas.test.instructure.com", "https://sso.test.canvaslms.com"),
    ],
)
def test_preset_per_environment(environment: canvas.Environment, issuer: str, sso: str) -> None:
    endpoints = canvas.preset(environment)

    assert endpoints.issuer == issuer
    assert endpoints.auth_login_url == f"{sso}/api/lti/authorize_redirect"
    assert endpoints.auth_token_url == f"{sso}/login/oauth2/token"
    assert endpoints.key_set_url == f"{sso}/api/lti/security/jwks"
    assert endpoints.auth_audience == endpoints.auth_token_url
    assert endpoints.product_family == "canvas"


def test_preset_defaults_to_production_and_refuses_unknown_environments() -> None:
    assert canvas.preset().issuer == "https://canvas.instructure.com"
    with pytest.raises(ValueError, match="production, beta or test"):
        canvas.preset("staging")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("issuer", "environment"),
    [
        ("https://canvas.instructure.com", "production"),
        ("https://canvas.instructure.com/", "production"),
        ("https://canvas.test.instructure.com", "test"),
        ("https://canvas.school.edu", None),
        ("https://moodle.school.org.uk", None),
    ],
)
def test_environment_of_knows_only_hosted_issuers(issuer: str, environment: str | None) -> None:
    assert canvas.environment_of(issuer) == environment


@pytest.mark.parametrize(
    ("host", "environment", "expected"),
    [
        ("school.instructure.com", "production", True),
        ("SCHOOL.Instructure.com.", "production", True),
        ("canvas.instructure.com", "production", True),
        ("sso.canvaslms.com", "production", True),
        ("school.beta.instructure.com", "production", False),
        ("school.test.instructure.com", "production", False),
        ("sso.beta.canvaslms.com", "production", False),
        ("evilinstructure.com", "production", False),
        ("school.instructure.com.evil.example", "production", False),
        ("instructure.com", "production", False),
        ("school.beta.instructure.com", "beta", True),
        ("canvas.beta.instructure.com", "beta", True),
        ("sso.beta.canvaslms.com", "beta", True),
        ("school.instructure.com", "beta", False),
        ("school.test.instructure.com", "test", True),
        ("school.beta.instructure.com", "test", False),
    ],
)
def test_instructure_hosts_per_environment(
    host: str, environment: canvas.Environment, expected: bool
) -> None:
    assert canvas.is_instructure_host(host, environment) is expected


def test_instructure_urls_must_be_https() -> None:
    assert canvas.is_instructure_url("https://school.instructure.com/x", "production")
    assert not canvas.is_instructure_url("http://school.instructure.com/x", "production")
    assert not canvas.is_instructure_url("https:///x", "production")


@pytest.mark.parametrize(
    ("claims", "expected"),
    [
        ({"iss": "https://canvas.instructure.com"}, True),
        ({"iss": "https://canvas.beta.instructure.com"}, True),
        ({"iss": "https://canvas.school.edu", "https://www.instructure.com/placement": "x"}, True),
        ({"iss": "https://canvas.school.edu", "https://canvas.instructure.com/lti/x": 1}, True),
        ({"iss": "https://moodle.school.org.uk"}, False),
        ({"iss": 7}, False),
    ],
)
def test_fingerprint_is_the_issuer_or_instructure_claims(
    claims: dict[str, Any], expected: bool
) -> None:
    assert canvas.sent(claims) is expected
