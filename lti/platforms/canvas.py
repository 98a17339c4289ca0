"""Instructure-hosted Canvas as an LTI 1.3 platform.

Sources: /work/shared/design/LTI.md "Canvas as a platform"; Canvas's docs in instructure/canvas-lms
``doc/api/lti_dev_key_config.md`` (issuers; OIDC auth and JWKS moved to ``sso.canvaslms.com`` in
2023), ``doc/api/registration.md`` (Dynamic Registration), ``doc/api/oauth_endpoints.md`` (client
assertion ``aud``); ``app/controllers/lti/ims/dynamic_registration_controller.rb``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, get_args
from urllib.parse import urlsplit

from lti.platforms import PlatformEndpoints

PRODUCT_FAMILY = "canvas"

Environment = Literal["production", "beta", "test"]

# Every hosted school shares one issuer per environment, whatever its own domain: which is why
# registrations are keyed by (issuer, client_id).
ISSUERS: Mapping[Environment, str] = {
    "production": "https://canvas.instructure.com",
    "beta": "https://canvas.beta.instructure.com",
    "test": "https://canvas.test.instructure.com",
}
# OIDC auth, JWKS and token endpoints are per environment, not per school.
SSO_HOSTS: Mapping[Environment, str] = {
    "production": "sso.canvaslms.com",
    "beta": "sso.beta.canvaslms.com",
    "test": "sso.test.canvaslms.com",
}

# Tool-configuration extension giving names and email to the tool; Canvas defaults to
# "anonymous" (doc/api/registration.md, "LTI Tool Configuration schema").
PRIVACY_LEVEL_KEY = "https://canvas.instructure.com/lti/privacy_level"
PRIVACY_LEVEL = "public"

# Claim prefixes only Canvas sends (e.g. ``https://www.instructure.com/placement``).
_CLAIM_PREFIXES = ("https://www.instructure.com/", "https://canvas.instructure.com/")


def preset(environment: Environment = "production") -> PlatformEndpoints:
    """Endpoints shared by every Instructure-hosted Canvas school in ``environment``."""
    if environment not in get_args(Environment):
        raise ValueError(
            f"Canvas environment must be production, beta or test, got {environment!r}"
        )
    sso = f"https://{SSO_HOSTS[environment]}"
    token_url = f"{sso}/login/oauth2/token"
    return PlatformEndpoints(
        issuer=ISSUERS[environment],
        auth_login_url=f"{sso}/api/lti/authorize_redirect",
        auth_token_url=token_url,
        key_set_url=f"{sso}/api/lti/security/jwks",
        product_family=PRODUCT_FAMILY,
        # Canvas accepts a client assertion whose ``aud`` is the token URL of one of its
        # "grant hosts" (canvas.instructure.com or sso.canvaslms.com): name it explicitly.
        auth_audience=token_url,
    )


def environment_of(issuer: str) -> Environment | None:
    """The hosted environment whose issuer this is, or None (self-hosted Canvas, other LMSs)."""
    for environment, known in ISSUERS.items():
        if issuer.rstrip("/") == known:
            return environment
    return None


def is_instructure_host(host: str, environment: Environment) -> bool:
    """Whether ``host`` is run by Instructure for ``environment``.

    Schools live at ``<school>.instructure.com``, ``<school>.beta.instructure.com`` and
    ``<school>.test.instructure.com``; the shared endpoints at ``sso[.beta|.test].canvaslms.com``.
    A host of another environment does not count: beta must not speak for production.
    """
    host = host.lower().rstrip(".")
    if host == SSO_HOSTS[environment]:
        return True
    if environment == "production":
        return host.endswith(".instructure.com") and not host.endswith(
            (".beta.instructure.com", ".test.instructure.com")
        )
    return host.endswith(f".{environment}.instructure.com")


def is_instructure_url(url: str, environment: Environment) -> bool:
    parts = urlsplit(url)
    return parts.scheme == "https" and is_instructure_host(parts.hostname or "", environment)


def sent(claims: Mapping[str, Any]) -> bool:
    """Whether launch claims come from hosted Canvas: its issuer or its own claim names."""
    issuer = claims.get("iss")
    if isinstance(issuer, str) and environment_of(issuer) is not None:
        return True
    return any(key.startswith(_CLAIM_PREFIXES) for key in claims)


def score_already_held(status: int, body: str) -> bool:
    """Canvas stores a resend with the same timestamp again (no error), and refuses an older
    one with 400 "Provided timestamp of ... before last updated timestamp of ..."
    (``app/controllers/lti/ims/scores_controller.rb``, ``verify_valid_timestamp``): it holds
    a newer grade."""
    return status == 400 and "before last updated timestamp" in body
