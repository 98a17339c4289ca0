"""Drive a login and a launch through the real LTI layer against a TestPlatform.

Used by the unit tests of ``lti`` (and available to the app's tests): ``refused`` asserts both
the error class and that the refusal is a clean 4xx an admin can act on.
"""

from __future__ import annotations

from typing import Any

import pytest

from lti.errors import LtiError
from lti.launch import LaunchResult, LaunchValidator
from lti.memory import MemoryLaunchStateStore, MemoryRegistrationStore
from lti.oidc import AuthRedirect, LoginRequest, begin_login
from tests.support.clock import FakeClock
from tests.support.platform import REDIRECT_URI, TOOL_HOST, TestPlatform

TOOL_HOSTS = frozenset({TOOL_HOST})
SAME = object()  # bound_state: "whatever state the login issued"


class Launcher:
    """Drives a login and a launch through the real layer, against one TestPlatform."""

    def __init__(
        self,
        platform: TestPlatform,
        registrations: MemoryRegistrationStore,
        states: MemoryLaunchStateStore,
        validator: LaunchValidator,
        clock: FakeClock,
    ) -> None:
        self.platform = platform
        self.registrations = registrations
        self.states = states
        self.validator = validator
        self.clock = clock

    def start(self, platform: TestPlatform | None = None, **login_kw: Any) -> AuthRedirect:
        params = (platform or self.platform).login_params(**login_kw)
        return begin_login(
            LoginRequest.from_params(params),
            registrations=self.registrations,
            states=self.states,
            launch_url=REDIRECT_URI,
            tool_hosts=TOOL_HOSTS,
            now=self.clock(),
        )

    def submit(self, token: str, auth: AuthRedirect, bound_state: Any = SAME) -> LaunchResult:
        bound = auth.state if bound_state is SAME else bound_state
        return self.validator.validate(token, auth.state, bound_state=bound)

    def accepted(self, **id_token_kw: Any) -> LaunchResult:
        auth = self.start()
        return self.submit(self.platform.id_token(nonce=auth.nonce, **id_token_kw), auth)

    def refused(self, error: type[LtiError], **id_token_kw: Any) -> LtiError:
        auth = self.start()
        return self.refused_token(
            error, self.platform.id_token(nonce=auth.nonce, **id_token_kw), auth
        )

    def refused_token(
        self, error: type[LtiError], token: str, auth: AuthRedirect, bound_state: Any = SAME
    ) -> LtiError:
        with pytest.raises(error) as caught:
            self.submit(token, auth, bound_state)
        assert_clean(caught.value)
        return caught.value

    def claims(self, auth: AuthRedirect, **kw: Any) -> dict[str, Any]:
        return self.platform.claims(nonce=auth.nonce, **kw)


def assert_clean(exc: LtiError) -> None:
    """Every refusal is a 4xx an admin can act on."""
    assert 400 <= exc.status < 500
    assert exc.message
    assert exc.hint
    assert exc.title
    assert exc.code
