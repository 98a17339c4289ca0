"""In-memory stores: used by tests, and the reference semantics the app's database stores match.

They hold state in one process only, so a deployment with several workers must use shared
stores; these are right for tests, the demo and a single-process install.
"""

from __future__ import annotations

import dataclasses
import threading
from datetime import datetime, timedelta

from lti.registration import LoginRecord, Registration

#: How long a consumed state is remembered as "taken", beyond its login's expiry. At least the
#: longest launch-token lifetime (Canvas: one hour), so a replay is named as such.
TAKEN_RETENTION = timedelta(hours=2)


class MemoryRegistrationStore:
    """Registrations keyed by (issuer, client_id)."""

    def __init__(self, registrations: tuple[Registration, ...] | list[Registration] = ()) -> None:
        self._lock = threading.Lock()
        self._registrations: dict[tuple[str, str], Registration] = {}
        for registration in registrations:
            self.add(registration)

    def add(self, registration: Registration) -> None:
        with self._lock:
            self._registrations[(registration.issuer, registration.client_id)] = registration

    def find_registration(self, issuer: str, client_id: str | None) -> Registration | None:
        with self._lock:
            if client_id is not None:
                return self._registrations.get((issuer, client_id))
            matches = [r for (iss, _), r in self._registrations.items() if iss == issuer]
        return matches[0] if len(matches) == 1 else None

    def add_deployment(self, issuer: str, client_id: str, deployment_id: str) -> Registration:
        """Record a deployment first seen at a launch (``LaunchResult.deployment_is_new``)."""
        with self._lock:
            current = self._registrations[(issuer, client_id)]
            updated = dataclasses.replace(
                current, deployment_ids=current.deployment_ids | {deployment_id}
            )
            self._registrations[(issuer, client_id)] = updated
            return updated


class MemoryLaunchStateStore:
    """Pending logins by ``state``; each can be taken once, and a taken one is remembered."""

    def __init__(self, taken_retention: timedelta = TAKEN_RETENTION) -> None:
        self._lock = threading.Lock()
        self._logins: dict[str, LoginRecord] = {}
        self._taken: dict[str, datetime] = {}
        self._taken_retention = taken_retention

    def save_login(self, record: LoginRecord) -> None:
        with self._lock:
            self._purge(record.created_at)
            self._logins[record.state] = record

    def take_login(self, state: str, now: datetime) -> LoginRecord | None:
        with self._lock:
            record = self._logins.pop(state, None)
            self._purge(now)
            if record is None or now >= record.expires_at:
                return None
            self._taken[state] = record.expires_at + self._taken_retention
            return record

    def was_taken(self, state: str) -> bool:
        with self._lock:
            return state in self._taken

    def _purge(self, now: datetime) -> None:
        self._logins = {s: r for s, r in self._logins.items() if r.expires_at > now}
        self._taken = {s: until for s, until in self._taken.items() if until > now}
