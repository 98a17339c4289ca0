"""Every way Dynamic Registration can fail, each with a message an LMS admin can act on.

The admin sees these inside the LMS's registration iframe, so the message quotes the platform's
own reason where it gave one.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import requests

from lti.errors import LtiError

_MAX_REASON = 300


class RegistrationError(LtiError):
    """Dynamic Registration could not be completed."""

    code = "registration_error"
    title = "The tool could not be registered with your LMS"
    hint = "Start the registration again from your LMS; if it fails again, send us this message."

    def __init__(
        self,
        message: str,
        *,
        hint: str | None = None,
        platform_status: int | None = None,
        platform_reason: str | None = None,
    ) -> None:
        super().__init__(message, hint=hint)
        #: HTTP status and reason the platform answered with, when it answered.
        self.platform_status = platform_status
        self.platform_reason = platform_reason


class PlatformConfigurationError(RegistrationError):
    """The platform's OpenID configuration is missing, malformed or not the platform's own."""

    code = "platform_configuration_error"
    title = "Your LMS's registration details could not be used"


class InsecureUrlError(RegistrationError):
    """A registration or configuration URL that is not HTTPS."""

    code = "insecure_url"
    title = "Registration needs a secure (https) LMS address"
    hint = "Start the registration from your LMS's https:// address."


def platform_reason(response: requests.Response) -> str:
    """The platform's own words for a failure, whatever shape it sent them in.

    Canvas: 422 ``{"errors": [...]}`` (and ``{"errorMessage": ...}`` on 401); OIDC-style
    platforms: ``{"error", "error_description"}``; Moodle: a bare text code such as
    ``token_already_used``.
    """
    text = response.text.strip()
    try:
        body = json.loads(text)
    except ValueError:
        body = None
    reason = _reason_from_json(body) if isinstance(body, dict) else None
    if reason is None:
        reason = "an HTML page" if text.startswith("<") else " ".join(text.split())
    reason = reason or f"HTTP {response.status_code} with an empty body"
    return reason if len(reason) <= _MAX_REASON else reason[: _MAX_REASON - 1] + "…"


def _reason_from_json(body: Mapping[str, Any]) -> str | None:
    errors = body.get("errors")
    if isinstance(errors, list) and errors:
        return "; ".join(_error_text(item) for item in errors)
    if isinstance(errors, Mapping) and errors:
        return "; ".join(f"{key}: {_error_text(value)}" for key, value in errors.items())
    parts = [body.get(key) for key in ("error", "error_description", "errorMessage", "message")]
    texts = [part for part in parts if isinstance(part, str) and part]
    return ": ".join(texts) if texts else None


def _error_text(item: Any) -> str:
    if isinstance(item, str):
        return item
    if isinstance(item, Mapping) and isinstance(item.get("message"), str):
        return str(item["message"])
    if isinstance(item, list):
        return ", ".join(_error_text(part) for part in item)
    return json.dumps(item, default=str)
