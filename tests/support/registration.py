"""A Moodle site or a hosted Canvas as the other side of LTI Dynamic Registration.

:class:`DynamicPlatform` serves, on a :class:`~tests.support.http.FakeHttp`, the platform's
OpenID configuration and its registration endpoint, shaped as each LMS really sends them:

- Moodle (``mod/lti/openid-configuration.php``, ``mod/lti/openid-registration.php``): the issuer
  is the site URL, everything hangs off it; the registration answer echoes the tool
  configuration with Moodle's ``deployment_id`` (the tool type id) added.
- Canvas (``doc/api/registration.md``): issuer ``https://canvas.instructure.com``, auth, token
  and JWKS on ``sso.canvaslms.com``; the answer carries no ``deployment_id``; refusals are
  ``422 {"errors": [...]}``.

After registering, :meth:`DynamicPlatform.test_platform` is the :class:`TestPlatform` that
launches with the client id the fake platform handed out, its keys served at the JWKS URL
the configuration advertised.

:func:`form_fields` reads a page's form (hidden inputs included), for the CSRF token and for
the auto-posted forms of the demo LMS.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

from tests.support.http import FakeHttp, RecordedRequest
from tests.support.platform import TOOL_HOST, TestPlatform
from tests.support.platform_users import Dialect

TOOL = f"https://{TOOL_HOST}"
LTI_PLATFORM_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-platform-configuration"
LTI_TOOL_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-tool-configuration"
CANVAS_PRIVACY_LEVEL = "https://canvas.instructure.com/lti/privacy_level"

MOODLE_SITE = "https://moodle.school.org"
CANVAS_ISSUER = "https://canvas.instructure.com"
CANVAS_SSO = "https://sso.canvaslms.com"

AGS_SCOPES = [
    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem",
    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly",
    "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly",
    "https://purl.imsglobal.org/spec/lti-ags/scope/score",
]
NRPS_SCOPE = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"


@dataclass
class DynamicPlatform:
    dialect: Dialect
    issuer: str
    openid_configuration: str
    registration_endpoint: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    #: What the platform puts in ``registration_token`` (Canvas: a JWT; Moodle: a random string).
    token: str
    #: The client id the platform hands out when it accepts the registration.
    client_id: str
    #: Moodle's tool type id; Canvas sends none.
    deployment_id: str | None
    changes: dict[str, Any] = field(default_factory=dict)

    # ------------------------------------------------------------ what the platform serves

    def configuration(self) -> dict[str, Any]:
        if self.dialect == "moodle":
            doc = self._moodle_configuration()
        else:
            doc = self._canvas_configuration()
        doc.update(self.changes)
        return doc

    def _moodle_configuration(self) -> dict[str, Any]:
        # As mod/lti/openid-configuration.php (Moodle 4.5) builds it.
        return {
            "issuer": self.issuer,
            "token_endpoint": self.token_endpoint,
            "token_endpoint_auth_methods_supported": ["private_key_jwt"],
            "token_endpoint_auth_signing_alg_values_supported": ["RS256"],
            "jwks_uri": self.jwks_uri,
            "authorization_endpoint": self.authorization_endpoint,
            "registration_endpoint": self.registration_endpoint,
            "scopes_supported": [*AGS_SCOPES, NRPS_SCOPE, "openid"],
            "response_types_supported": ["id_token"],
            "subject_types_supported": ["public", "pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "claims_supported": ["sub", "iss", "name", "given_name", "family_name", "email"],
            LTI_PLATFORM_CONFIGURATION: {
                "product_family_code": "moodle",
                "version": "4.5.2 (Build: 20250210)",
                "messages_supported": [
                    {"type": "LtiResourceLinkRequest"},
                    {"type": "LtiDeepLinkingRequest", "placements": ["ContentArea"]},
                ],
                "variables": ["basic-lti-launch-request", "Context.id", "ResourceLink.id"],
            },
        }

    def _canvas_configuration(self) -> dict[str, Any]:
        # As Canvas documents it (doc/api/registration.md), with the 2023 sso endpoints.
        return {
            "issuer": self.issuer,
            "authorization_endpoint": self.authorization_endpoint,
            "registration_endpoint": self.registration_endpoint,
            "jwks_uri": self.jwks_uri,
            "token_endpoint": self.token_endpoint,
            "token_endpoint_auth_methods_supported": ["private_key_jwt"],
            "token_endpoint_auth_signing_alg_values_supported": ["RS256"],
            "scopes_supported": [
                *AGS_SCOPES,
                NRPS_SCOPE,
                "https://canvas.instructure.com/lti/public_jwk/scope/update",
                "https://canvas.instructure.com/lti/account_lookup/scope/show",
            ],
            "response_types_supported": ["id_token"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "claims_supported": [
                "sub",
                "iss",
                "name",
                "given_name",
                "family_name",
                "nickname",
                "picture",
                "email",
                "locale",
            ],
            "subject_types_supported": ["public"],
            "authorization_server": "canvas.instructure.com",
            LTI_PLATFORM_CONFIGURATION: {
                "product_family_code": "canvas",
                "version": "vCloud",
                "messages_supported": [
                    {
                        "type": "LtiResourceLinkRequest",
                        "placements": [
                            "account_navigation",
                            "course_navigation",
                            "assignment_selection",
                            "link_selection",
                        ],
                    },
                    {
                        "type": "LtiDeepLinkingRequest",
                        "placements": ["assignment_selection", "link_selection", "editor_button"],
                    },
                ],
                "variables": ["ResourceLink.id", "Context.id", "Canvas.course.id"],
                "https://canvas.instructure.com/lti/account_name": "Example School",
                "https://canvas.instructure.com/lti/account_lookup_url": (
                    "https://canvas.instructure.com/api/lti/accounts/{account_id}"
                ),
            },
        }

    def registration_response(self) -> dict[str, Any]:
        """The platform's 200 answer: the registration echoed with its client id."""
        tool_configuration: dict[str, Any] = {
            "domain": TOOL_HOST,
            "target_link_uri": f"{TOOL}/lti/launch",
            "claims": ["iss", "sub", "name", "given_name", "family_name", "email"],
            "messages": [{"type": "LtiResourceLinkRequest"}, {"type": "LtiDeepLinkingRequest"}],
        }
        body: dict[str, Any] = {
            "client_id": self.client_id,
            "application_type": "web",
            "grant_types": ["client_credentials", "implicit"],
            "response_types": ["id_token"],
            "initiate_login_uri": f"{TOOL}/lti/login",
            "redirect_uris": [f"{TOOL}/lti/launch"],
            "client_name": "SEND CPD Tracker",
            "jwks_uri": f"{TOOL}/.well-known/jwks.json",
            "token_endpoint_auth_method": "private_key_jwt",
            "scope": " ".join([*AGS_SCOPES, NRPS_SCOPE]),
        }
        if self.dialect == "moodle":
            # Moodle adds its tool type id as the deployment (registration_helper.php).
            tool_configuration["deployment_id"] = self.deployment_id
        else:
            tool_configuration[CANVAS_PRIVACY_LEVEL] = "public"
            body["https://canvas.instructure.com/lti/registration_config_url"] = (
                f"{CANVAS_ISSUER}/api/lti/registrations/{self.client_id[-3:]}/view"
            )
        body[LTI_TOOL_CONFIGURATION] = tool_configuration
        return body

    def serve(
        self,
        http: FakeHttp,
        *,
        configuration: dict[str, Any] | None = None,
        registration_status: int = 200,
        registration_body: Any = None,
    ) -> None:
        """Publish the configuration and the registration endpoint on the fake network."""
        http.add(self.openid_configuration, json=configuration or self.configuration())
        http.add(
            self.registration_endpoint,
            method="POST",
            status=registration_status,
            json=registration_body
            if registration_body is not None
            else (self.registration_response()),
        )

    # ------------------------------------------------------------ what the tool sent it

    def configuration_requests(self, http: FakeHttp) -> list[RecordedRequest]:
        return http.calls(self.openid_configuration, "GET")

    def registration_requests(self, http: FakeHttp) -> list[RecordedRequest]:
        return http.calls(self.registration_endpoint, "POST")

    def posted_registration(self, http: FakeHttp) -> dict[str, Any]:
        """The one registration the tool POSTed, as JSON."""
        posts = self.registration_requests(http)
        assert len(posts) == 1, f"expected one registration POST, got {len(posts)}"
        assert posts[0].body is not None
        body: dict[str, Any] = json.loads(posts[0].body)
        return body

    # ------------------------------------------------------------ the tool's registration link

    def query(self, invite: str | None = None) -> dict[str, str]:
        """What the LMS appends to the tool's registration URL."""
        params = {
            "openid_configuration": self.openid_configuration,
            "registration_token": self.token,
        }
        if invite:
            params["invite"] = invite
        return params

    # ------------------------------------------------------------ launching afterwards

    def test_platform(self) -> TestPlatform:
        """The LMS that launches through the registration it just made."""
        platform = TestPlatform(
            self.dialect,
            issuer=self.issuer,
            client_id=self.client_id,
            deployment_id=self.deployment_id,
        )
        # The registration stored what the configuration advertised; the fake LMS must agree.
        assert platform.auth_login_url == self.authorization_endpoint
        assert platform.auth_token_url == self.token_endpoint
        assert platform.key_set_url == self.jwks_uri
        return platform


def moodle(
    site: str = MOODLE_SITE, *, client_id: str = "Xq3vT8kP2mLw9Rz", deployment_id: str = "4"
) -> DynamicPlatform:
    return DynamicPlatform(
        dialect="moodle",
        issuer=site,
        openid_configuration=f"{site}/mod/lti/openid-configuration.php",
        registration_endpoint=f"{site}/mod/lti/openid-registration.php",
        authorization_endpoint=f"{site}/mod/lti/auth.php",
        token_endpoint=f"{site}/mod/lti/token.php",
        jwks_uri=f"{site}/mod/lti/certs.php",
        token="f1d8c7e2b3a4",
        client_id=client_id,
        deployment_id=deployment_id,
    )


# A Canvas registration token is a short-lived JWT (header.payload.signature); any opaque value
# does for the tool, which only sends it back.
CANVAS_REGISTRATION_TOKEN = (
    "eyJhbGciOiJIUzI1NiJ9.eyJ1dWlkIjoiOWQ4ZiIsImV4cCI6MTc2MDAwMDAwMH0.c2lnbmF0dXJl"
)


def canvas(*, client_id: str = "10000000000042") -> DynamicPlatform:
    return DynamicPlatform(
        dialect="canvas",
        issuer=CANVAS_ISSUER,
        openid_configuration=(
            f"{CANVAS_ISSUER}/api/lti/security/openid-configuration"
            f"?registration_token={CANVAS_REGISTRATION_TOKEN}"
        ),
        registration_endpoint=f"{CANVAS_ISSUER}/api/lti/registrations",
        authorization_endpoint=f"{CANVAS_SSO}/api/lti/authorize_redirect",
        token_endpoint=f"{CANVAS_SSO}/login/oauth2/token",
        jwks_uri=f"{CANVAS_SSO}/api/lti/security/jwks",
        token=CANVAS_REGISTRATION_TOKEN,
        client_id=client_id,
        deployment_id=None,
    )


# ---------------------------------------------------------------- reading pages


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict[str, Any]] = []
        self._radio_seen: set[tuple[int, str]] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.forms.append(
                {"action": a.get("action", ""), "method": a.get("method", "get"), "fields": {}}
            )
        elif tag in ("input", "textarea", "select") and self.forms and a.get("name"):
            fields = self.forms[-1]["fields"]
            kind = a.get("type", "text")
            if kind in ("radio", "checkbox"):
                if "checked" in a:
                    fields[a["name"]] = a.get("value", "on")
                return
            fields.setdefault(a["name"], a.get("value", ""))


def forms(html: str) -> list[dict[str, Any]]:
    """Every form on the page: ``{"action", "method", "fields"}``."""
    parser = _FormParser()
    parser.feed(html)
    return parser.forms


def form_fields(html: str, index: int = 0) -> dict[str, str]:
    """The named fields of the page's ``index``-th form, with their values."""
    found = forms(html)
    assert len(found) > index, f"no form {index} on the page: {html[:300]}"
    fields: dict[str, str] = found[index]["fields"]
    return fields
