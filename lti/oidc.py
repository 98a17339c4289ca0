"""OIDC third-party-initiated login (Security Framework 1.0 §5.1.1; LTI Core 1.3 §4.1).

The platform sends ``iss``, ``login_hint`` and ``target_link_uri`` (required), and optionally
``lti_message_hint``, ``client_id`` and ``lti_deployment_id``, by GET or POST (Moodle posts an
auto-submitted form; Canvas posts too and calls the deployment ``deployment_id``). The tool
answers with an authentication request to the platform (§5.1.1.2): ``scope=openid``,
``response_type=id_token``, ``response_mode=form_post``, ``prompt=none``, ``client_id``,
``redirect_uri``, ``login_hint``, ``state``, ``nonce`` and, when given, ``lti_message_hint``
echoed unchanged. ``lti_deployment_id`` is not part of the authentication request.

``redirect_uri`` is always the tool's own launch URL, never the untrusted ``target_link_uri``.
``lti_storage_target`` (Platform Storage, LTI Client Side postMessages) tells the app to keep the
state in the platform's frame storage rather than a cookie.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from lti.claims import has_control_characters
from lti.errors import (
    ForeignTargetLink,
    LoginParameterInvalid,
    LoginParameterTooLong,
    MissingLoginParameter,
    UnknownPlatform,
)
from lti.registration import LaunchStateStore, LoginRecord, RegistrationStore
from lti.urls import is_tool_url, with_query

#: Upper bounds on login parameters; Canvas's lti_message_hint is a JWT of about 1 KB.
MAX_LENGTHS = {
    "iss": 1024,
    "login_hint": 4096,
    "target_link_uri": 2048,
    "lti_message_hint": 8192,
    "client_id": 255,
    "lti_deployment_id": 255,
    "deployment_id": 255,
    "lti_storage_target": 255,
}


def _optional(params: Mapping[str, str], name: str) -> str | None:
    value = params.get(name)
    if not value:
        return None
    if len(value) > MAX_LENGTHS[name]:
        raise LoginParameterTooLong(name, len(value), MAX_LENGTHS[name])
    # A NUL cannot even be looked up in PostgreSQL. (target_link_uri has its own check, whose
    # message names this tool's host.)
    if name != "target_link_uri" and has_control_characters(value):
        raise LoginParameterInvalid(name)
    return value


def _required(params: Mapping[str, str], name: str) -> str:
    value = _optional(params, name)
    if value is None:
        raise MissingLoginParameter(name)
    return value


@dataclass(frozen=True)
class LoginRequest:
    """The platform's login initiation, as received."""

    issuer: str
    login_hint: str
    target_link_uri: str
    lti_message_hint: str | None = None
    client_id: str | None = None
    deployment_id: str | None = None
    storage_target: str | None = None

    @classmethod
    def from_params(cls, params: Mapping[str, str]) -> LoginRequest:
        """Read GET query or POST form parameters; raises MissingLoginParameter."""
        return cls(
            issuer=_required(params, "iss"),
            login_hint=_required(params, "login_hint"),
            target_link_uri=_required(params, "target_link_uri"),
            lti_message_hint=_optional(params, "lti_message_hint"),
            client_id=_optional(params, "client_id"),
            # The spec's name, then Canvas's.
            deployment_id=(
                _optional(params, "lti_deployment_id") or _optional(params, "deployment_id")
            ),
            storage_target=_optional(params, "lti_storage_target"),
        )


@dataclass(frozen=True)
class AuthRedirect:
    """Where to send the browser next: GET ``url``, or POST ``params`` to the platform."""

    url: str
    params: dict[str, str] = field(hash=False)
    state: str
    nonce: str
    storage_target: str | None = None


def begin_login(
    request: LoginRequest,
    *,
    registrations: RegistrationStore,
    states: LaunchStateStore,
    launch_url: str,
    tool_hosts: frozenset[str],
    now: datetime,
    login_ttl: timedelta = timedelta(minutes=10),
) -> AuthRedirect:
    """Check a login initiation, remember it by a fresh ``state``, and build the auth request."""
    registration = registrations.find_registration(request.issuer, request.client_id)
    if registration is None:
        raise UnknownPlatform(request.issuer, request.client_id)
    if not is_tool_url(request.target_link_uri, tool_hosts):
        raise ForeignTargetLink(request.target_link_uri, tool_hosts)

    state = secrets.token_urlsafe(32)
    nonce = secrets.token_urlsafe(32)
    states.save_login(
        LoginRecord(
            state=state,
            nonce=nonce,
            issuer=registration.issuer,
            client_id=registration.client_id,
            target_link_uri=request.target_link_uri,
            created_at=now,
            expires_at=now + login_ttl,
            storage_target=request.storage_target,
        )
    )
    params = {
        "scope": "openid",
        "response_type": "id_token",
        "response_mode": "form_post",
        "prompt": "none",
        "client_id": registration.client_id,
        "redirect_uri": launch_url,
        "login_hint": request.login_hint,
        "state": state,
        "nonce": nonce,
    }
    if request.lti_message_hint is not None:
        params["lti_message_hint"] = request.lti_message_hint
    return AuthRedirect(
        url=with_query(registration.auth_login_url, params),
        params=params,
        state=state,
        nonce=nonce,
        storage_target=request.storage_target,
    )
