"""LTI Dynamic Registration 1.0, tool side (1EdTech, www.imsglobal.org/spec/lti-dr/v1p0).

The platform opens the tool's registration page with ``openid_configuration`` and, usually,
``registration_token``. The tool then:

- §3.4 fetches the platform's OpenID configuration (:func:`fetch_platform_configuration`),
  checking §3.5.1 that its issuer matches the URL it came from;
- §3.5.2 builds its client registration (:func:`build_registration_request`) and POSTs it;
- §3.6 reads the platform's answer (:func:`register_tool`): the ``client_id`` and, on Moodle,
  the ``deployment_id``;
- finally, its page posts :data:`CLOSE_MESSAGE` to ``window.parent`` so the LMS closes the frame.

Platform differences (Canvas extensions, Moodle's answers) come from :mod:`lti.platforms`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Final
from urllib.parse import SplitResult, urlsplit

import requests

from lti.http import (
    DeadlineExceeded,
    HttpClient,
    HttpError,
    OutboundBusy,
    OutboundRefused,
    ResponseTooLarge,
)
from lti.platforms import PlatformEndpoints, canvas, moodle
from lti.registration import Registration
from lti.registration_errors import (
    InsecureUrlError,
    PlatformConfigurationError,
    RegistrationError,
    describe_body,
    platform_reason,
)

LTI_PLATFORM_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-platform-configuration"
LTI_TOOL_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-tool-configuration"

RESOURCE_LINK_REQUEST = "LtiResourceLinkRequest"
DEEP_LINKING_REQUEST = "LtiDeepLinkingRequest"

SCOPE_LINEITEM = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"
SCOPE_LINEITEM_READONLY = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly"
SCOPE_RESULT_READONLY = "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly"
SCOPE_SCORE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
SCOPE_NRPS = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"

DEFAULT_SCOPES = (
    SCOPE_LINEITEM,
    SCOPE_LINEITEM_READONLY,
    SCOPE_RESULT_READONLY,
    SCOPE_SCORE,
    SCOPE_NRPS,
)
# Moodle switches on names and email from these claims; Canvas from its privacy level.
DEFAULT_CLAIMS = ("iss", "sub", "name", "given_name", "family_name", "email")

#: What the registration page posts to ``window.parent`` when done (Canvas and Moodle close on it).
CLOSE_MESSAGE: Final[Mapping[str, str]] = MappingProxyType({"subject": "org.imsglobal.lti.close"})

_LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


def close_message() -> dict[str, str]:
    """A fresh, JSON-serialisable copy of :data:`CLOSE_MESSAGE` for templates."""
    return dict(CLOSE_MESSAGE)


@dataclass(frozen=True)
class MessageDescriptor:
    """One LTI message the tool accepts, as declared in the tool configuration's ``messages``."""

    type: str
    label: str | None = None
    target_link_uri: str | None = None
    icon_uri: str | None = None
    custom_parameters: Mapping[str, str] = field(default_factory=dict)
    roles: tuple[str, ...] = ()
    #: Canvas placement names (``course_navigation``, ``link_selection``,
    #: ``assignment_selection``...): sent to Canvas only, other platforms name theirs differently.
    placements: tuple[str, ...] = ()


@dataclass(frozen=True)
class ToolDescription:
    """Everything the tool tells a platform about itself when it registers."""

    client_name: str
    #: The tool's public base URL, e.g. ``https://cpd.example.org``.
    base_url: str
    initiate_login_uri: str
    redirect_uris: tuple[str, ...]
    jwks_uri: str
    target_link_uri: str
    #: Host (with port if not the default) every launch URL lives on. Moodle requires the
    #: ``target_link_uri`` to be on it.
    domain: str
    logo_uri: str | None = None
    scopes: tuple[str, ...] = DEFAULT_SCOPES
    claims: tuple[str, ...] = DEFAULT_CLAIMS
    description: str | None = None
    messages: tuple[MessageDescriptor, ...] = ()
    custom_parameters: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.redirect_uris:
            raise ValueError("ToolDescription needs at least one redirect URI")
        urls = [self.base_url, self.initiate_login_uri, self.jwks_uri, self.target_link_uri]
        urls += [*self.redirect_uris, *([self.logo_uri] if self.logo_uri else [])]
        for url in urls:
            parts = _split(url)
            if parts is None or parts.scheme not in ("http", "https"):
                raise ValueError(f"ToolDescription URLs must be absolute http(s) URLs: {url!r}")
        launch_urls = [self.target_link_uri]
        launch_urls += [m.target_link_uri for m in self.messages if m.target_link_uri]
        for url in launch_urls:
            parts = urlsplit(url)
            if self.domain not in (parts.netloc, parts.hostname):
                raise ValueError(f"Launch URL {url} is not on the tool's domain {self.domain}")

    @classmethod
    def for_app(
        cls,
        base_url: str,
        *,
        client_name: str,
        description: str | None = None,
        login_path: str = "/lti/login",
        launch_path: str = "/lti/launch",
        jwks_path: str = "/lti/jwks",
        deep_linking_path: str | None = None,
        logo_path: str | None = None,
    ) -> ToolDescription:
        """The usual description: one launch URL, a course link and deep linking for Canvas."""
        base = base_url.rstrip("/")
        launch = base + launch_path
        deep_linking = base + deep_linking_path if deep_linking_path else launch
        return cls(
            client_name=client_name,
            base_url=base,
            initiate_login_uri=base + login_path,
            redirect_uris=tuple(dict.fromkeys((launch, deep_linking))),
            jwks_uri=base + jwks_path,
            target_link_uri=launch,
            domain=urlsplit(base).netloc,
            logo_uri=base + logo_path if logo_path else None,
            description=description,
            messages=(
                MessageDescriptor(
                    RESOURCE_LINK_REQUEST, client_name, launch, placements=("course_navigation",)
                ),
                MessageDescriptor(
                    DEEP_LINKING_REQUEST,
                    client_name,
                    deep_linking,
                    placements=("link_selection", "assignment_selection"),
                ),
            ),
        )


@dataclass(frozen=True)
class PlatformConfiguration:
    """The parts of a platform's OpenID configuration the tool uses (§3.4), plus the rest raw."""

    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    registration_endpoint: str
    #: ``product_family_code``, lower case ("moodle", "canvas", ...).
    product_family: str
    openid_configuration_url: str
    version: str | None = None
    #: None when the platform does not say (then nothing is filtered out).
    scopes_supported: tuple[str, ...] | None = None
    claims_supported: tuple[str, ...] | None = None
    #: Message type -> placements the platform lists for it (empty when it lists none).
    messages_supported: Mapping[str, tuple[str, ...]] | None = None
    raw: Mapping[str, Any] = field(default_factory=dict)

    @property
    def is_canvas(self) -> bool:
        return self.product_family == canvas.PRODUCT_FAMILY

    @property
    def endpoints(self) -> PlatformEndpoints:
        return PlatformEndpoints(
            issuer=self.issuer,
            auth_login_url=self.authorization_endpoint,
            auth_token_url=self.token_endpoint,
            key_set_url=self.jwks_uri,
            product_family=self.product_family,
        )


@dataclass(frozen=True)
class RegistrationResult:
    """The platform's answer to a registration (§3.6)."""

    client_id: str
    #: Moodle returns the deployment (its tool type id); Canvas does not, so None.
    deployment_id: str | None
    #: Scopes the platform granted; an admin may have removed some of those asked for.
    scopes: tuple[str, ...] = ()
    raw: Mapping[str, Any] = field(default_factory=dict)

    def registration(self, config: PlatformConfiguration) -> Registration:
        """The :class:`Registration` to store. Without a deployment id (Canvas) the first valid
        launch of each deployment records it, as LTI.md prescribes; otherwise only the one."""
        known = frozenset({self.deployment_id}) if self.deployment_id else frozenset()
        return config.endpoints.to_registration(
            self.client_id,
            deployment_ids=known,
            accept_new_deployments=self.deployment_id is None,
        )


def fetch_platform_configuration(
    http: HttpClient,
    openid_configuration_url: str,
    registration_token: str | None,
    *,
    allow_loopback_http: bool = True,
) -> PlatformConfiguration:
    """GET and validate the platform's OpenID configuration (§3.4, §3.5.1).

    Canvas answers only with ``Authorization: Bearer <registration_token>``; Moodle ignores it.
    Redirects are not followed: the issuer check is about the URL the document came from.
    """
    _require_secure(openid_configuration_url, "configuration", allow_loopback_http)
    try:
        response = http.get(
            openid_configuration_url,
            headers=_headers(registration_token),
            raise_for_status=False,
            allow_redirects=False,
        )
    except HttpError as exc:
        raise PlatformConfigurationError(
            f"Could not fetch your LMS's configuration: {exc}",
            hint=_network_hint(exc)
            or "Check that the LMS is reachable, then start the registration again.",
        ) from exc
    if not 200 <= response.status_code < 300:
        reason = platform_reason(response)
        raise PlatformConfigurationError(
            f"Your LMS did not share its configuration (HTTP {response.status_code}): {reason}",
            hint=(
                "Start the registration again from your LMS so that it sends a fresh "
                "registration token (Canvas requires one to show its configuration)."
            ),
            platform_status=response.status_code,
            platform_reason=reason,
        )
    body = _json_object(response, PlatformConfigurationError, "configuration")
    return _parse_configuration(body, openid_configuration_url, allow_loopback_http)


def build_registration_request(
    config: PlatformConfiguration, tool: ToolDescription
) -> dict[str, Any]:
    """The client registration JSON (§3.5.2), trimmed to what this platform says it supports."""
    tool_configuration: dict[str, Any] = {
        "domain": tool.domain,
        "target_link_uri": tool.target_link_uri,
        "claims": list(_supported(tool.claims, config.claims_supported)),
        "messages": [
            _message_json(message, config)
            for message in tool.messages
            if config.messages_supported is None or message.type in config.messages_supported
        ],
    }
    if tool.description:
        tool_configuration["description"] = tool.description
    if tool.custom_parameters:
        tool_configuration["custom_parameters"] = dict(tool.custom_parameters)
    if config.is_canvas:
        # Without it Canvas sends no names or email (its default privacy is "anonymous").
        tool_configuration[canvas.PRIVACY_LEVEL_KEY] = canvas.PRIVACY_LEVEL
    body: dict[str, Any] = {
        "application_type": "web",
        "grant_types": ["client_credentials", "implicit"],
        "response_types": ["id_token"],
        "initiate_login_uri": tool.initiate_login_uri,
        "redirect_uris": list(tool.redirect_uris),
        "client_name": tool.client_name,
        "client_uri": tool.base_url,
        "jwks_uri": tool.jwks_uri,
        "token_endpoint_auth_method": "private_key_jwt",
        "scope": " ".join(_supported(tool.scopes, config.scopes_supported)),
        LTI_TOOL_CONFIGURATION: tool_configuration,
    }
    if tool.logo_uri:
        body["logo_uri"] = tool.logo_uri
    return body


def register_tool(
    http: HttpClient,
    config: PlatformConfiguration,
    request_body: Mapping[str, Any],
    registration_token: str | None,
    *,
    allow_loopback_http: bool = True,
) -> RegistrationResult:
    """POST the registration to the platform and read its answer (§3.5.2, §3.6)."""
    url = config.registration_endpoint
    _require_secure(url, "registration", allow_loopback_http)
    try:
        response = http.post(
            url,
            json=dict(request_body),
            headers=_headers(registration_token),
            raise_for_status=False,
            allow_redirects=False,
        )
    except HttpError as exc:
        raise RegistrationError(
            f"Could not send the registration to your LMS: {exc}", hint=_network_hint(exc)
        ) from exc
    if not 200 <= response.status_code < 300:
        reason = platform_reason(response)
        is_moodle = config.product_family == moodle.PRODUCT_FAMILY
        raise RegistrationError(
            f"Your LMS refused the registration (HTTP {response.status_code}): {reason}",
            hint=moodle.error_hint(reason) if is_moodle else None,
            platform_status=response.status_code,
            platform_reason=reason,
        )
    body = _json_object(response, RegistrationError, "registration response")
    client_id = _identifier(body.get("client_id"))
    if client_id is None:
        raise RegistrationError("Your LMS accepted the registration but sent no client_id.")
    tool_configuration = body.get(LTI_TOOL_CONFIGURATION)
    deployment_id = None
    if isinstance(tool_configuration, Mapping):
        deployment_id = _identifier(tool_configuration.get("deployment_id"))
    scope = body.get("scope")
    return RegistrationResult(
        client_id=client_id,
        deployment_id=deployment_id,
        scopes=tuple(scope.split()) if isinstance(scope, str) else (),
        raw=MappingProxyType(body),
    )


# --- configuration checks -------------------------------------------------------------------


def _parse_configuration(
    body: dict[str, Any], url: str, allow_loopback_http: bool
) -> PlatformConfiguration:
    names = (
        "issuer",
        "authorization_endpoint",
        "token_endpoint",
        "jwks_uri",
        "registration_endpoint",
    )
    values = {name: _required_string(body, name) for name in names}
    for name, value in values.items():
        _require_secure(value, name, allow_loopback_http, PlatformConfigurationError)
    lti = body.get(LTI_PLATFORM_CONFIGURATION)
    family = lti.get("product_family_code") if isinstance(lti, Mapping) else None
    if not isinstance(lti, Mapping) or not isinstance(family, str) or not family.strip():
        raise PlatformConfigurationError(
            f"Your LMS's configuration has no {LTI_PLATFORM_CONFIGURATION} product_family_code: "
            "it does not look like an LTI 1.3 platform."
        )
    _check_issuer(values, url)
    _require_listed(body, "token_endpoint_auth_methods_supported", "private_key_jwt")
    _require_listed(body, "id_token_signing_alg_values_supported", "RS256")
    version = lti.get("version")
    return PlatformConfiguration(
        issuer=values["issuer"],
        authorization_endpoint=values["authorization_endpoint"],
        token_endpoint=values["token_endpoint"],
        jwks_uri=values["jwks_uri"],
        registration_endpoint=values["registration_endpoint"],
        product_family=family.strip().lower(),
        openid_configuration_url=url,
        version=version if isinstance(version, str) else None,
        scopes_supported=_strings(body.get("scopes_supported")),
        claims_supported=_strings(body.get("claims_supported")),
        messages_supported=_messages_supported(lti.get("messages_supported")),
        raw=MappingProxyType(body),
    )


def _check_issuer(values: Mapping[str, str], config_url: str) -> None:
    """§3.5.1: the configuration must come from the platform it names as issuer.

    The spec's rule, as Moodle's dev docs restate it: "the issuer domain must match the
    openid-configuration URL domain; a tool should not proceed if there is a mismatch". Applied
    here as same scheme, host and port. Moodle passes (issuer = site URL, configuration under it).

    Hosted Canvas cannot pass it: every school's issuer is ``https://canvas.instructure.com``
    while the configuration URL may be on the school's own ``<school>.instructure.com``. For
    the three hosted Canvas issuers only, accept a configuration URL on an Instructure host of
    the *same environment*, and then require the registration, authorization, token and JWKS
    endpoints to be on Instructure hosts too. Anyone else claiming a Canvas issuer is refused,
    and a document that did get through can only point launches at Canvas's own keys.
    """
    issuer = values["issuer"]
    environment = canvas.environment_of(issuer)
    if environment is None:
        if _origin(issuer) != _origin(config_url):
            raise PlatformConfigurationError(
                f"Your LMS's configuration names the issuer {issuer} but was fetched from "
                f"{config_url}: the two must be on the same site.",
                hint="Start the registration from the LMS itself, not from a copied link.",
            )
        return
    for name, url in {"configuration URL": config_url, **values}.items():
        if name != "issuer" and not canvas.is_instructure_url(url, environment):
            raise PlatformConfigurationError(
                f"The configuration claims to be Canvas ({issuer}) but its {name} {url} is not "
                f"an Instructure {environment} address."
            )


def _origin(url: str) -> tuple[str, str, int]:
    # Only called on URLs _require_secure has accepted, so the port parses.
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return parts.scheme, (parts.hostname or "").lower(), port


def _require_secure(
    url: str,
    what: str,
    allow_loopback_http: bool,
    error: type[RegistrationError] = InsecureUrlError,
) -> None:
    parts = _split(url)
    if parts is not None and parts.hostname:
        if parts.scheme == "https":
            return
        if parts.scheme == "http" and allow_loopback_http and parts.hostname in _LOOPBACK_HOSTS:
            return
    raise error(f"The LMS's {what} URL {url!r} is not an https:// address; refusing to use it.")


def _split(url: str) -> SplitResult | None:
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:
        return None
    return parts if parts.scheme and parts.netloc else None


def _required_string(body: Mapping[str, Any], name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value.strip():
        raise PlatformConfigurationError(
            f"Your LMS's configuration is missing {name}, which LTI Dynamic Registration requires."
        )
    return value.strip()


def _require_listed(body: Mapping[str, Any], name: str, needed: str) -> None:
    listed = _strings(body.get(name))
    if listed is not None and needed not in listed:
        raise PlatformConfigurationError(
            f"Your LMS does not support {needed} ({name} lists {', '.join(listed) or 'nothing'}),"
            " which this tool needs."
        )


def _strings(value: Any) -> tuple[str, ...] | None:
    if not isinstance(value, list):
        return None
    return tuple(item for item in value if isinstance(item, str))


def _messages_supported(value: Any) -> Mapping[str, tuple[str, ...]] | None:
    """Message types and their placements; the spec lists objects, older Moodle bare strings."""
    if not isinstance(value, list):
        return None
    supported: dict[str, tuple[str, ...]] = {}
    placements: tuple[str, ...]
    for item in value:
        if isinstance(item, str):
            kind, placements = item, ()
        elif isinstance(item, Mapping) and isinstance(item.get("type"), str):
            kind, placements = item["type"], _strings(item.get("placements")) or ()
        else:
            continue
        kind = moodle.MESSAGE_TYPE_ALIASES.get(kind, kind)
        supported[kind] = supported.get(kind, ()) + placements
    return MappingProxyType(supported)


# --- request and response helpers -----------------------------------------------------------


def _supported(wanted: tuple[str, ...], supported: tuple[str, ...] | None) -> tuple[str, ...]:
    return wanted if supported is None else tuple(item for item in wanted if item in supported)


def _message_json(message: MessageDescriptor, config: PlatformConfiguration) -> dict[str, Any]:
    out: dict[str, Any] = {"type": message.type}
    optional = {
        "target_link_uri": message.target_link_uri,
        "label": message.label,
        "icon_uri": message.icon_uri,
        "custom_parameters": dict(message.custom_parameters) or None,
        "roles": list(message.roles) or None,
    }
    out.update({key: value for key, value in optional.items() if value})
    if config.is_canvas and message.placements:
        offered = (config.messages_supported or {}).get(message.type) or message.placements
        placements = [p for p in message.placements if p in offered]
        if placements:
            out["placements"] = placements
    return out


def _network_hint(exc: HttpError) -> str | None:
    """What to do about a call the guard in :mod:`lti.http` refused or cut short."""
    if isinstance(exc, OutboundRefused):
        return (
            "Start the registration from your LMS's public https:// address: the tool only "
            "contacts LMSs on the public internet."
        )
    if isinstance(exc, OutboundBusy):
        return "The tool is busy talking to other LMSs: start the registration again in a minute."
    if isinstance(exc, ResponseTooLarge | DeadlineExceeded):
        return (
            "Check that the address is your LMS's own registration address (Moodle: "
            "/mod/lti/openid-configuration.php), then start the registration again."
        )
    return None


def _headers(registration_token: str | None) -> dict[str, str]:
    headers = {"Accept": "application/json"}
    if registration_token:
        headers["Authorization"] = f"Bearer {registration_token}"
    return headers


def _json_object(
    response: requests.Response, error: type[RegistrationError], what: str
) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise error(f"Your LMS's {what} is not a JSON object: it sent {describe_body(response)}.")
    return body


def _identifier(value: Any) -> str | None:
    # Identifiers are strings in the spec; some platforms send numbers.
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None
