"""What the tool knows about one platform registration, and the stores the layer needs.

Registrations are keyed by (issuer, client_id): every hosted Canvas shares
``iss = https://canvas.instructure.com``, so the issuer alone names no one school.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class Registration:
    """A platform as registered with the tool (one LMS site, or one Canvas developer key)."""

    issuer: str
    client_id: str
    auth_login_url: str
    auth_token_url: str
    key_set_url: str
    #: Deployments known for this registration.
    deployment_ids: frozenset[str] = field(default_factory=frozenset)
    #: Record an unknown deployment on its first valid launch (Dynamic Registration with Canvas
    #: returns no deployment id); when False an unknown deployment is refused.
    accept_new_deployments: bool = False
    #: Audience the platform's token endpoint expects in client assertions (defaults to the URL).
    auth_audience: str | None = None


@dataclass(frozen=True)
class LoginRecord:
    """What the tool remembered at OIDC login initiation, looked up by ``state`` at launch."""

    state: str
    nonce: str
    issuer: str
    client_id: str
    target_link_uri: str
    created_at: dt.datetime
    expires_at: dt.datetime
    #: The login asked for Platform Storage (``lti_storage_target``) rather than cookies.
    storage_target: str | None = None


class RegistrationStore(Protocol):
    def find_registration(self, issuer: str, client_id: str | None) -> Registration | None:
        """The registration for (issuer, client_id).

        ``client_id`` may be None at login initiation (the spec makes it optional); return the
        only registration for that issuer, or None when there are none or several.
        """
        ...


class LaunchStateStore(Protocol):
    """Server-side memory of logins, shared by every worker (nonces are single use)."""

    def save_login(self, record: LoginRecord) -> None: ...

    def take_login(self, state: str, now: dt.datetime) -> LoginRecord | None:
        """Atomically consume the login for ``state``.

        Returns None when there is no such login, it expired, or it was already taken: a
        second call with the same state must never return the record again.
        """
        ...

    def was_taken(self, state: str) -> bool:
        """Whether a login with this state existed and was already consumed (a replay)."""
        ...
