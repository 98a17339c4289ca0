"""Moodle (mod/lti, 4.x and 5.x) as an LTI 1.3 platform.

Sources: /work/shared/design/LTI.md "Moodle as a platform"; Moodle's source,
``mod/lti/openid-configuration.php``, ``mod/lti/openid-registration.php`` and
``mod/lti/classes/local/ltiopenid/registration_helper.php``; the Moodle dev docs page
"LTI Advantage Automatic Registration" (moodle/devdocs ``dynreg``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from lti.platforms import PlatformEndpoints, scores_url_for

PRODUCT_FAMILY = "moodle"

# Every mod/lti endpoint hangs off the site URL ($CFG->wwwroot), which is also the issuer.
AUTH_PATH = "/mod/lti/auth.php"
TOKEN_PATH = "/mod/lti/token.php"  # noqa: S105 - a URL path, not a secret
JWKS_PATH = "/mod/lti/certs.php"
OPENID_CONFIGURATION_PATH = "/mod/lti/openid-configuration.php"
REGISTRATION_PATH = "/mod/lti/openid-registration.php"

EXT_CLAIM = "https://purl.imsglobal.org/spec/lti/claim/ext"

# Moodle 3.10/3.11 listed ``messages_supported`` as bare strings and called the resource link
# message "LtiResourceLink" (see the dev docs example); later releases say "LtiResourceLinkRequest".
MESSAGE_TYPE_ALIASES: Mapping[str, str] = {"LtiResourceLink": "LtiResourceLinkRequest"}

# openid-registration.php answers failures with a bare text code, not JSON (registration_exception
# messages): turn the ones an admin can fix into instructions.
_ERROR_HINTS: Mapping[str, str] = {
    "token_already_used": (
        "Moodle registration links work once. Start again from Site administration > Plugins > "
        "Activity modules > External tool > Manage tools."
    ),
    "missing_registration_token": (
        "Open the registration from Moodle's Manage tools page so Moodle adds its token."
    ),
}


def preset(site_url: str) -> PlatformEndpoints:
    """Endpoints of the Moodle site at ``site_url`` (e.g. ``https://moodle.school.org.uk``).

    Moodle's issuer is the site URL exactly as in ``$CFG->wwwroot``, which never ends in ``/``:
    a stray trailing slash here would make every launch fail the issuer check.
    """
    issuer = _site_root(site_url)
    return PlatformEndpoints(
        issuer=issuer,
        auth_login_url=issuer + AUTH_PATH,
        auth_token_url=issuer + TOKEN_PATH,
        key_set_url=issuer + JWKS_PATH,
        product_family=PRODUCT_FAMILY,
    )


def scores_url(lineitem_url: str) -> str:
    """The scores URL of a Moodle line item (``...?type_id=3`` keeps its query)."""
    return scores_url_for(lineitem_url)


def sent(claims: Mapping[str, Any]) -> bool:
    """Whether launch claims carry Moodle's fingerprint, ``ext.lms == "moodle-2"``."""
    ext = claims.get(EXT_CLAIM)
    return isinstance(ext, Mapping) and ext.get("lms") == "moodle-2"


def error_hint(reason: str) -> str | None:
    """What an admin should do about a registration refusal Moodle sent as ``reason``."""
    return _ERROR_HINTS.get(reason.strip())


def _site_root(site_url: str) -> str:
    value = site_url.strip()
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(
            f"Moodle site URL must be an http(s) URL such as https://moodle.example.org, "
            f"got {site_url!r}"
        )
    if parts.query or parts.fragment:
        raise ValueError(
            f"Moodle site URL must be the site's address without ?query or #fragment, "
            f"got {site_url!r}"
        )
    return value.rstrip("/")


def score_already_held(status: int, body: str) -> bool:
    """Moodle's answer to a score not newer than the grade it holds: 409 "Refusing score with
    an earlier timestamp" (``mod/lti/service/gradebookservices/classes/local/resources/
    scores.php``), also for the same timestamp, i.e. a resend after a lost answer."""
    return status == 409
