"""The tool's side of an LTI 1.3 launch, between the ``lti`` layer and the app's data.

Login initiation remembers the login (state, nonce, target) in the database; the launch
validates the id_token through ``lti.launch.LaunchValidator`` and signs the person in through
``IdentityService``. The tool's own hosts decide which ``target_link_uri`` values are ours.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from cpd_tracker.models import LoginState, PlatformRegistration
from cpd_tracker.services.advantage import AdvantageLaunch, AdvantageLaunchService
from cpd_tracker.services.identity import IdentityService, SignIn, clean_launch
from cpd_tracker.services.launch_state import DbLaunchStateStore, DbRegistrationStore
from lti.claims import has_control_characters
from lti.errors import LaunchReplayed
from lti.jwks import PlatformKeys
from lti.launch import LaunchValidator
from lti.oidc import AuthRedirect, LoginRequest, begin_login

STATE_COOKIE_PREFIX = "lti_state_"
#: Login parameters kept so the "open in a new tab" fallback can start the login again.
RELAUNCH_FIELDS = (
    "iss",
    "login_hint",
    "target_link_uri",
    "lti_message_hint",
    "client_id",
    "lti_deployment_id",
    "deployment_id",
)


PLATFORM_NAMES = {"moodle": "Moodle", "canvas": "Canvas", "demo": "the demo LMS"}


def state_cookie_name(state: str) -> str:
    return STATE_COOKIE_PREFIX + state[:24]


@dataclass(frozen=True)
class PendingLogin:
    """What is known of a login before its launch is validated (nothing consumed)."""

    storage_target: str | None
    relaunch_params: dict[str, str]
    taken: bool
    #: Origin of the platform's OIDC auth endpoint: the target origin for Platform Storage.
    platform_origin: str | None
    #: "Moodle", "Canvas", ... for the pages' wording.
    platform_name: str | None = None


@dataclass(frozen=True)
class Launched:
    sign_in: SignIn
    registration: PlatformRegistration
    #: Deep linking, module, roster and grade outcomes of the launch.
    advantage: AdvantageLaunch = field(default_factory=AdvantageLaunch)


class LaunchService:
    def __init__(
        self,
        session: Session,
        *,
        registrations: DbRegistrationStore,
        states: DbLaunchStateStore,
        keys: PlatformKeys,
        identity: IdentityService,
        clock: Callable[[], dt.datetime],
        tool_hosts: frozenset[str],
        launch_url: str,
        leeway: int = 60,
        advantage: AdvantageLaunchService | None = None,
    ) -> None:
        self.session = session
        self.registrations = registrations
        self.states = states
        self.keys = keys
        self.identity = identity
        self.clock = clock
        self.tool_hosts = tool_hosts
        self.launch_url = launch_url
        self.leeway = leeway
        self.advantage = advantage

    def begin(self, params: Mapping[str, str]) -> AuthRedirect:
        request = LoginRequest.from_params(params)
        # Kept with the login in its INSERT (no UPDATE after it).
        self.states.relaunch_params = {k: str(params[k]) for k in RELAUNCH_FIELDS if params.get(k)}
        try:
            return begin_login(
                request,
                registrations=self.registrations,
                states=self.states,
                launch_url=self.launch_url,
                tool_hosts=self.tool_hosts,
                now=self.clock(),
            )
        finally:
            self.states.relaunch_params = None

    def pending(self, state: str) -> PendingLogin | None:
        if has_control_characters(state):  # never one of ours, and PostgreSQL refuses a NUL
            return None
        row = self.session.scalar(select(LoginState).where(LoginState.state == state[:128]))
        if row is None:
            return None
        registration = self.registrations.find_row(row.issuer, row.client_id)
        origin = name = None
        if registration is not None:
            parts = urlsplit(registration.auth_login_url)
            origin = f"{parts.scheme}://{parts.netloc}"
            name = PLATFORM_NAMES.get(registration.product_family or "")
        return PendingLogin(
            row.storage_target,
            dict(row.relaunch_params or {}),
            row.taken_at is not None,
            origin,
            name,
        )

    def complete(self, id_token: str, state: str, bound_state: str | None) -> Launched:
        if not bound_state and self.states.was_taken(state):
            # The state cookie went with the first use: name the replay, not the cookie.
            raise LaunchReplayed()
        validator = LaunchValidator(
            self.registrations,
            self.states,
            self.keys,
            clock=self.clock,
            tool_hosts=self.tool_hosts,
            leeway=self.leeway,
        )
        result = validator.validate(id_token, state, bound_state=bound_state)
        context = clean_launch(result.context)
        row = self.registrations.find_row(context.issuer, context.client_id)
        assert row is not None  # the validator found it a moment ago
        sign_in = self.identity.sign_in(row, context, result.deployment_is_new)
        if self.advantage is None:
            return Launched(sign_in, row)
        return Launched(sign_in, row, self.advantage.after_sign_in(row, context, sign_in))
