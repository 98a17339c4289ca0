"""The frozen result of a valid launch: everything the app may use, nothing it must re-check."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from lti.roles import Roles


def _frozen(mapping: Mapping[str, Any] | None) -> Mapping[str, Any]:
    return MappingProxyType(dict(mapping or {}))


@dataclass(frozen=True)
class LaunchContext:
    issuer: str
    client_id: str
    deployment_id: str
    message_type: str  # "LtiResourceLinkRequest" | "LtiDeepLinkingRequest"
    #: None for an anonymous launch (the core spec allows a launch with no ``sub``).
    sub: str | None
    roles: Roles
    target_link_uri: str
    name: str | None = None
    given_name: str | None = None
    family_name: str | None = None
    email: str | None = None
    context_id: str | None = None
    context_title: str | None = None
    context_label: str | None = None
    context_types: tuple[str, ...] = ()
    resource_link_id: str | None = None
    resource_link_title: str | None = None
    custom: Mapping[str, Any] = field(default_factory=lambda: _frozen(None))
    #: ``tool_platform.product_family_code`` (e.g. "moodle", "canvas"), lower case, or None.
    product_family: str | None = None
    locale: str | None = None
    return_url: str | None = None
    #: Deep Linking settings claim, as sent (present for LtiDeepLinkingRequest).
    deep_linking_settings: Mapping[str, Any] | None = None
    #: NRPS claim (``context_memberships_url`` etc.), AGS endpoint claim, as sent.
    nrps: Mapping[str, Any] | None = None
    ags: Mapping[str, Any] | None = None
    #: Every claim of the verified token, for the rare field not lifted above.
    claims: Mapping[str, Any] = field(default_factory=lambda: _frozen(None))

    @property
    def is_anonymous(self) -> bool:
        return self.sub is None

    @property
    def display_name(self) -> str | None:
        if self.name:
            return self.name
        parts = [p for p in (self.given_name, self.family_name) if p]
        return " ".join(parts) or None
