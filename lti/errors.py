"""Every way a login or launch can be refused, each with a message an LMS admin can act on.

The app renders any :class:`LtiError` as a 4xx page showing ``title``, ``message`` and ``hint``;
``code`` is a stable short identifier used in logs and tests.
"""

from __future__ import annotations


class LtiError(Exception):
    """Base class: a refused LTI request. Never a server error."""

    code = "lti_error"
    status = 400
    title = "This LTI request could not be accepted"
    hint = "Ask your LMS administrator to check the tool's registration."

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if hint is not None:
            self.hint = hint


class LtiLoginError(LtiError):
    """Refused at OIDC login initiation."""

    code = "login_error"
    title = "The LTI login could not start"


class LtiLaunchError(LtiError):
    """Refused at launch (the id_token or its state)."""

    code = "launch_error"
    title = "The launch from your LMS was refused"
