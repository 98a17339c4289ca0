"""Every way an LTI Advantage exchange can fail, each with a message an LMS admin can act on.

Two families:

* :class:`DeepLinkingError`: the tool cannot build a Deep Linking 2.0 response the platform
  would accept (§4.4.1 settings unusable, or the selection breaks ``accept_multiple`` /
  ``accept_types``). A 400: nothing was sent anywhere.
* :class:`AdvantageServiceError` and its subclasses: a call to a platform service (the token
  endpoint, Names and Role Provisioning Services 2.0, Assignment and Grade Services 2.0) failed.
  A 424, like :class:`~lti.errors.PlatformKeysUnavailable`: the fault is upstream, and a 5xx from
  us would read as "the tool is down" inside the LMS. ``retryable`` tells a background job
  whether trying again later can help (timeouts, 5xx, 429) or not (a refusal that only an admin
  can fix).
"""

from __future__ import annotations

from lti.errors import LtiError


class DeepLinkingError(LtiError):
    """A Deep Linking response cannot be built from this request and selection."""

    code = "deep_linking_error"
    status = 400
    title = "The selection could not be sent back to your LMS"
    hint = "Start again from your LMS's “add activity” or “external tool” picker."


class AdvantageServiceError(LtiError):
    """A platform service call failed."""

    code = "advantage_service_error"
    status = 424
    title = "Your LMS's service could not be used"
    hint = "Try again in a few minutes; if it keeps failing, ask your LMS administrator."

    def __init__(
        self,
        message: str,
        *,
        hint: str | None = None,
        retryable: bool = False,
        platform_status: int | None = None,
        platform_reason: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, hint=hint)
        #: Whether the same call may succeed later without anyone changing anything.
        self.retryable = retryable
        #: HTTP status the platform answered with (None: no answer, e.g. a timeout).
        self.platform_status = platform_status
        #: The platform's own words for the failure, when it gave any.
        self.platform_reason = platform_reason
        #: Seconds the platform asked us to wait (``Retry-After``), when it said.
        self.retry_after = retry_after


class ServiceTokenError(AdvantageServiceError):
    """The platform's token endpoint refused or failed a client_credentials grant."""

    code = "service_token_error"
    title = "The tool could not get permission from your LMS"

    def __init__(
        self,
        message: str,
        *,
        hint: str | None = None,
        retryable: bool = False,
        platform_status: int | None = None,
        platform_reason: str | None = None,
        retry_after: float | None = None,
        error: str | None = None,
        error_description: str | None = None,
    ) -> None:
        super().__init__(
            message,
            hint=hint,
            retryable=retryable,
            platform_status=platform_status,
            platform_reason=platform_reason,
            retry_after=retry_after,
        )
        #: RFC 6749 §5.2 ``error`` code (``invalid_client``, ``invalid_scope`` ...).
        self.error = error
        self.error_description = error_description


class NamesRolesError(AdvantageServiceError):
    """The course roster (NRPS membership) could not be read."""

    code = "names_roles_error"
    title = "The tool could not read the course's members from your LMS"


class ScorePublishError(AdvantageServiceError):
    """A score could not be posted to the platform's gradebook."""

    code = "score_publish_error"
    title = "The tool could not send a grade to your LMS"


class LineItemError(AdvantageServiceError):
    """A gradebook column (AGS line item) could not be found or created."""

    code = "line_item_error"
    title = "The tool could not set up a gradebook column in your LMS"
