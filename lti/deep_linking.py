"""Answering a Deep Linking request: 1EdTech LTI Deep Linking 2.0.

The platform's ``LtiDeepLinkingRequest`` carries the ``deep_linking_settings`` claim (§4.4.1):
where to send the answer (``deep_link_return_url``), which item types it takes
(``accept_types``), whether it takes several (``accept_multiple``), whether it honours line
items (``accept_lineitem``) and an opaque ``data`` value to echo. The tool answers with an
``LtiDeepLinkingResponse`` (§4.5), a Tool-Originating Message (Security Framework 1.0 §5.2):
``iss`` = the tool's client_id, ``aud`` = the platform's issuer (§4.5.1), ``iat``, ``exp``,
``nonce``, the ``deployment_id`` of the request (§4.5.4), ``message_type`` and ``version``
(§4.5.2-3), ``data`` echoed unchanged when the request had it (§4.5.5), the ``content_items``
(§4.5.6, here ``ltiResourceLink`` items, §3.2) and optional ``msg``/``log``/``errormsg``/
``errorlog`` (§4.5.7-10). It is signed RS256 with the tool's key and form-POSTed by the browser
as the parameter ``JWT`` to the return URL (§4.5).

Platform facts this module lives with:

* Moodle accepts ``ltiResourceLink`` items only (LTI.md, "Moodle as a platform"); this tool
  only makes those, and refuses to answer a platform that does not list them rather than send
  something it will drop.
* Moodle's return URL has a query string (``contentitem_return.php?course=2&id=1``): the form
  posts to it unchanged.
* Canvas puts a JWT in ``data`` and reads it back from the response. It verifies the response
  with ``Canvas::Security::JwtValidator``, taking ``nonce`` as the ``jti`` and ``iss`` as the
  ``sub``, with ``aud`` = its issuer (``Lti::IMS::Concerns::DeepLinkingServices`` in
  canvas-lms): so ``nonce`` is always present and fresh, ``iat`` comes from the injected clock
  (never in the future), and the response lives :data:`RESPONSE_LIFETIME`, since the browser
  posts it straight back.
* ``accept_multiple`` has no default in §4.4.1; when absent this module allows one item, which
  every platform takes. A ``lineItem`` is included unless ``accept_lineitem`` is false
  (absent means "no assumption", and Canvas and Moodle both create the grade column from it).
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Any

from lti.advantage_errors import DeepLinkingError
from lti.claims import DEEP_LINKING_REQUEST, DEPLOYMENT_ID, LTI_VERSION, MESSAGE_TYPE, VERSION
from lti.context import LaunchContext
from lti.keys import sign_jwt
from lti.service_tokens import is_secure_url

DL = "https://purl.imsglobal.org/spec/lti-dl/claim/"
CONTENT_ITEMS = DL + "content_items"
DATA = DL + "data"
MSG = DL + "msg"
LOG = DL + "log"
ERRORMSG = DL + "errormsg"
ERRORLOG = DL + "errorlog"
DEEP_LINKING_RESPONSE = "LtiDeepLinkingResponse"
LTI_RESOURCE_LINK = "ltiResourceLink"
#: The browser posts the response straight back; it needs no longer.
RESPONSE_LIFETIME = timedelta(minutes=5)

_RESTART = "Close this window and start adding the activity again from your LMS."


def _flag(value: object, default: bool | None) -> bool | None:
    """A boolean setting; the strings "true"/"false" are tolerated, anything else is absent."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    return default


def _strings(value: object) -> tuple[str, ...]:
    if isinstance(value, str):  # a lone string where the spec wants an array
        return (value,)
    if not isinstance(value, list | tuple):
        return ()
    return tuple(v for v in value if isinstance(v, str))


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


@dataclass(frozen=True)
class DeepLinkingSettings:
    """The ``deep_linking_settings`` claim of one request (§4.4.1), read once."""

    deep_link_return_url: str
    accept_types: tuple[str, ...] = ()
    accept_presentation_document_targets: tuple[str, ...] = ()
    accept_media_types: str | None = None
    accept_multiple: bool = False
    #: None when the platform did not say (§4.4.1: "no assumption can be made").
    accept_lineitem: bool | None = None
    auto_create: bool = False
    #: Opaque value to echo unchanged (Canvas: a JWT); None when the request had none.
    data: Any = None
    title: str | None = None
    text: str | None = None

    @classmethod
    def from_claim(cls, claim: Mapping[str, Any] | None) -> DeepLinkingSettings:
        """Read the claim; refuses one without a usable ``deep_link_return_url``."""
        if not isinstance(claim, Mapping):
            raise DeepLinkingError(
                "This is not a Deep Linking request: the LMS sent no deep linking settings.",
                hint=_RESTART,
            )
        url = claim.get("deep_link_return_url")
        if not isinstance(url, str) or not url:
            raise DeepLinkingError(
                "The LMS's deep linking request has no return address (deep_link_return_url).",
                hint="The LMS's request does not follow Deep Linking 2.0; report it to its admin.",
            )
        if not is_secure_url(url):
            raise DeepLinkingError(
                f"The LMS's deep linking return address {url[:200]} is not https.",
                hint="Use the LMS through its https:// address, then try again.",
            )
        return cls(
            deep_link_return_url=url,
            accept_types=_strings(claim.get("accept_types")),
            accept_presentation_document_targets=_strings(
                claim.get("accept_presentation_document_targets")
            ),
            accept_media_types=_text(claim.get("accept_media_types")),
            accept_multiple=bool(_flag(claim.get("accept_multiple"), False)),
            accept_lineitem=_flag(claim.get("accept_lineitem"), None),
            auto_create=bool(_flag(claim.get("auto_create"), False)),
            data=claim.get("data"),
            title=_text(claim.get("title")),
            text=_text(claim.get("text")),
        )

    @classmethod
    def from_launch(cls, context: LaunchContext) -> DeepLinkingSettings:
        """The settings of a verified ``LtiDeepLinkingRequest`` launch."""
        if context.message_type != DEEP_LINKING_REQUEST:
            raise DeepLinkingError(
                f"This launch is a {context.message_type}, not a Deep Linking request.",
                hint=_RESTART,
            )
        return cls.from_claim(context.deep_linking_settings)

    @property
    def accepts_resource_links(self) -> bool:
        return LTI_RESOURCE_LINK in self.accept_types

    @property
    def accepts_line_items(self) -> bool:
        return self.accept_lineitem is not False


@dataclass(frozen=True, kw_only=True)
class LineItemSpec:
    """The grade column the platform should create with a resource link (§3.2, ``lineItem``)."""

    score_maximum: float = 1
    label: str
    #: The tool's own id for what is graded; AGS finds the column again by it.
    resource_id: str
    tag: str | None = None

    def __post_init__(self) -> None:
        if self.score_maximum <= 0:
            raise ValueError("scoreMaximum must be positive")
        if not self.label:
            raise ValueError("a line item needs a label")

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "scoreMaximum": self.score_maximum,
            "label": self.label,
            "resourceId": self.resource_id,
        }
        if self.tag is not None:
            body["tag"] = self.tag
        return body


def _frozen_custom(custom: Mapping[str, str]) -> Mapping[str, str]:
    return MappingProxyType(dict(custom))


@dataclass(frozen=True)
class ResourceLinkItem:
    """An ``ltiResourceLink`` content item (§3.2)."""

    title: str
    #: The launch URL; None lets the platform use the tool's default target link URI.
    url: str | None = None
    #: Custom parameters: string values only (§3.2, "Map values must be strings").
    custom: Mapping[str, str] = field(default_factory=lambda: _frozen_custom({}))
    line_item: LineItemSpec | None = None
    text: str | None = None

    def __post_init__(self) -> None:
        if not self.title:
            raise ValueError("a resource link needs a title (Moodle names the activity by it)")
        if self.url is not None and not self.url.startswith(("https://", "http://")):
            raise ValueError("a resource link URL must be an absolute http(s) URL")
        if not all(isinstance(k, str) and isinstance(v, str) for k, v in self.custom.items()):
            raise ValueError("custom parameter names and values must be strings")
        object.__setattr__(self, "custom", _frozen_custom(self.custom))

    def to_json(self, *, include_line_item: bool = True) -> dict[str, Any]:
        item: dict[str, Any] = {"type": LTI_RESOURCE_LINK, "title": self.title}
        if self.url is not None:
            item["url"] = self.url
        if self.text is not None:
            item["text"] = self.text
        if self.custom:
            item["custom"] = dict(self.custom)
        if self.line_item is not None and include_line_item:
            item["lineItem"] = self.line_item.to_json()
        return item


def build_response(
    settings: DeepLinkingSettings,
    items: Sequence[ResourceLinkItem],
    *,
    issuer_client_id: str,
    platform_issuer: str,
    deployment_id: str,
    now: datetime,
    message: str | None = None,
    nonce: str | None = None,
    log: str | None = None,
    error_message: str | None = None,
    error_log: str | None = None,
) -> dict[str, Any]:
    """The claims of the ``LtiDeepLinkingResponse`` for ``items`` (unsigned).

    An empty ``items`` is a valid answer: "nothing selected" (§4.5.6). Refuses, with
    :class:`~lti.advantage_errors.DeepLinkingError`, a selection the platform said it would not
    take: several items when ``accept_multiple`` is false, any item when ``accept_types`` lacks
    ``ltiResourceLink``.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    for name, value in (
        ("issuer_client_id", issuer_client_id),
        ("platform_issuer", platform_issuer),
        ("deployment_id", deployment_id),
    ):
        if not value:
            raise ValueError(f"{name} is required")
    items = list(items)
    if items and not settings.accepts_resource_links:
        offered = ", ".join(settings.accept_types) or "none"
        raise DeepLinkingError(
            f"The LMS does not accept LTI activity links here (it accepts: {offered}).",
            hint=(
                "Add the tool from the LMS's activity chooser or a course's external tool "
                "picker (Canvas: the assignment or module “External Tool” option), where LTI "
                "links are accepted."
            ),
        )
    if len(items) > 1 and not settings.accept_multiple:
        raise DeepLinkingError(
            f"{len(items)} items were selected, but the LMS accepts only one here.",
            hint="Choose one item, or add the others one at a time.",
        )
    issued = int(now.timestamp())
    claims: dict[str, Any] = {
        "iss": issuer_client_id,
        "aud": platform_issuer,
        # As in the spec's own response example (Appendix B).
        "azp": issuer_client_id,
        "iat": issued,
        "exp": issued + int(RESPONSE_LIFETIME.total_seconds()),
        "nonce": nonce or secrets.token_urlsafe(24),
        DEPLOYMENT_ID: deployment_id,
        MESSAGE_TYPE: DEEP_LINKING_RESPONSE,
        VERSION: LTI_VERSION,
        CONTENT_ITEMS: [
            item.to_json(include_line_item=settings.accepts_line_items) for item in items
        ],
    }
    if settings.data is not None:
        claims[DATA] = settings.data
    for claim, text in (
        (MSG, message),
        (LOG, log),
        (ERRORMSG, error_message),
        (ERRORLOG, error_log),
    ):
        if text is not None:
            claims[claim] = text
    return claims


def build_response_for_launch(
    context: LaunchContext,
    items: Sequence[ResourceLinkItem],
    *,
    now: datetime,
    message: str | None = None,
) -> tuple[DeepLinkingSettings, dict[str, Any]]:
    """(settings, claims) answering a verified Deep Linking launch, with its own ids."""
    settings = DeepLinkingSettings.from_launch(context)
    claims = build_response(
        settings,
        items,
        issuer_client_id=context.client_id,
        platform_issuer=context.issuer,
        deployment_id=context.deployment_id,
        now=now,
        message=message,
    )
    return settings, claims


def sign_response(
    claims: Mapping[str, Any], private_pem: bytes, kid: str, passphrase: bytes | None = None
) -> str:
    """The response as a compact JWT, RS256 with the tool's current key (``kid`` in the header)."""
    return sign_jwt(claims, private_pem, kid, passphrase)


def auto_post_form(settings: DeepLinkingSettings, jwt: str) -> tuple[str, dict[str, str]]:
    """(action URL, fields) of the form the browser auto-submits: ``JWT`` to the return URL."""
    return settings.deep_link_return_url, {"JWT": jwt}
