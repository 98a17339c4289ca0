"""LTI claim names, safe readers for untrusted claim values, and the LaunchContext they build.

LTI Core 1.3 §5.3 (required claims), §5.4 (optional claims), Deep Linking 2.0 §4.4, NRPS 2.0
§3.6.1, AGS 2.0 §3.1. Receivers "MUST ignore any claims in messages they do not understand"
(Core §4.2), and Canvas adds keys such as ``validation_context`` and ``errors`` inside claim
objects: unknown keys are ignored, never an error.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from lti.context import LaunchContext
from lti.errors import InvalidClaim, MissingClaim
from lti.roles import Roles

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
MESSAGE_TYPE = LTI + "message_type"
VERSION = LTI + "version"
DEPLOYMENT_ID = LTI + "deployment_id"
TARGET_LINK_URI = LTI + "target_link_uri"
RESOURCE_LINK = LTI + "resource_link"
ROLES = LTI + "roles"
CONTEXT = LTI + "context"
TOOL_PLATFORM = LTI + "tool_platform"
LAUNCH_PRESENTATION = LTI + "launch_presentation"
CUSTOM = LTI + "custom"
LIS = LTI + "lis"
ROLE_SCOPE_MENTOR = LTI + "role_scope_mentor"
LTI11_LEGACY_USER_ID = LTI + "lti11_legacy_user_id"
DEEP_LINKING_SETTINGS = "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"
NRPS = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"
AGS = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"

RESOURCE_LINK_REQUEST = "LtiResourceLinkRequest"
DEEP_LINKING_REQUEST = "LtiDeepLinkingRequest"
MESSAGE_TYPES = frozenset({RESOURCE_LINK_REQUEST, DEEP_LINKING_REQUEST})
LTI_VERSION = "1.3.0"
#: Core 1.3 §5.3.5 and §5.4.1: resource link and context ids "MUST NOT exceed 255 ASCII
#: characters"; ``sub`` (§5.3.6) likewise.
MAX_ID_LENGTH = 255


def frozen(value: Any) -> Any:
    """A read-only deep copy of a JSON value (objects become MappingProxyType, lists tuples)."""
    if isinstance(value, Mapping):
        return MappingProxyType({k: frozen(v) for k, v in value.items()})
    if isinstance(value, list | tuple):
        return tuple(frozen(v) for v in value)
    return value


def object_claim(claims: Mapping[str, Any], name: str, *, required: bool = False) -> dict[str, Any]:
    """A claim that must be a JSON object; ``{}`` when absent and optional."""
    value = claims.get(name)
    if value is None:
        if required:
            raise MissingClaim(name)
        return {}
    if not isinstance(value, dict):
        raise InvalidClaim(name, "a JSON object")
    return value


def has_control_characters(text: str) -> bool:
    """A C0 or C1 control character (NUL among them) or a lone surrogate: never part of an id,
    and no database stores a NUL or a lone surrogate."""
    return any(unicodedata.category(ch) in ("Cc", "Cs") for ch in text)


def identifier(value: object, name: str, *, max_length: int | None = None) -> str:
    """An id member: a non-empty string. Integers are accepted and kept as their digits, since
    some platforms serialise database ids as numbers. Control characters are refused, and so
    is anything past ``max_length`` when given."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise InvalidClaim(name, "a string identifier")
    text = str(value)
    if not text:
        raise InvalidClaim(name, "a non-empty identifier")
    if has_control_characters(text):
        raise InvalidClaim(name, "an identifier without control characters")
    if max_length is not None and len(text) > max_length:
        raise InvalidClaim(name, f"an identifier of at most {max_length} characters")
    return text


def optional_text(value: object) -> str | None:
    """A display value (name, title, locale): a non-empty string, or None for anything else."""
    return value if isinstance(value, str) and value else None


def _string_list(value: object) -> tuple[str, ...]:
    if not isinstance(value, list):
        return ()
    return tuple(v for v in value if isinstance(v, str))


def build_context(
    claims: Mapping[str, Any],
    *,
    issuer: str,
    client_id: str,
    deployment_id: str,
    message_type: str,
    sub: str | None,
    target_link_uri: str,
) -> LaunchContext:
    """The frozen LaunchContext for verified ``claims`` (required claims already checked)."""
    context = object_claim(claims, CONTEXT)
    resource_link = object_claim(claims, RESOURCE_LINK)
    presentation = object_claim(claims, LAUNCH_PRESENTATION)
    platform = object_claim(claims, TOOL_PLATFORM)
    custom = object_claim(claims, CUSTOM)
    settings = object_claim(claims, DEEP_LINKING_SETTINGS)
    nrps = object_claim(claims, NRPS)
    ags = object_claim(claims, AGS)
    family = optional_text(platform.get("product_family_code"))
    anonymous = sub is None
    return LaunchContext(
        issuer=issuer,
        client_id=client_id,
        deployment_id=deployment_id,
        message_type=message_type,
        sub=sub,
        roles=Roles.parse(claims.get(ROLES)),
        target_link_uri=target_link_uri,
        # An anonymous launch carries no identity (Core §5.3.6): ignore any stray personal data.
        name=None if anonymous else optional_text(claims.get("name")),
        given_name=None if anonymous else optional_text(claims.get("given_name")),
        family_name=None if anonymous else optional_text(claims.get("family_name")),
        email=None if anonymous else optional_text(claims.get("email")),
        context_id=(
            identifier(context.get("id"), CONTEXT, max_length=MAX_ID_LENGTH) if context else None
        ),
        context_title=optional_text(context.get("title")),
        context_label=optional_text(context.get("label")),
        context_types=_string_list(context.get("type")),
        resource_link_id=(
            identifier(resource_link["id"], RESOURCE_LINK, max_length=MAX_ID_LENGTH)
            if "id" in resource_link
            else None
        ),
        resource_link_title=optional_text(resource_link.get("title")),
        custom=frozen(custom),
        product_family=family.lower() if family else None,
        # Canvas also sends the OIDC standard ``locale`` claim at the top level.
        locale=optional_text(presentation.get("locale")) or optional_text(claims.get("locale")),
        return_url=optional_text(presentation.get("return_url")),
        deep_linking_settings=frozen(settings) if settings else None,
        nrps=frozen(nrps) if nrps else None,
        ags=frozen(ags) if ags else None,
        claims=frozen(claims),
    )
