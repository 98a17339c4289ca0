"""Every way Dynamic Registration can fail, each with a message an LMS admin can act on.

The admin sees these inside the LMS's registration iframe, so the message quotes the platform's
own reason where it gave one in an LMS's error shape (:func:`platform_reason`), and otherwise only
says what kind of answer came back: a fetched body is never shown.
"""

from __future__ import annotations

import json
import re
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
    """The platform's own words for a failure, when it sent them in a shape LMSs use; otherwise
    a description of what came back, never the body itself.

    Quoted: Canvas's 422 ``{"errors": [...]}`` (and ``{"errorMessage": ...}`` on 401), the
    OIDC/OAuth ``{"error", "error_description"}``, and Moodle's bare text codes such as
    ``token_already_used``. Anything else (an HTML page, other text, other JSON) is only
    described: the URL that answered was chosen by whoever started the registration, and the
    page shows the tool's words, not what some other server said (a page once carried back an
    internal service's ``db_password=...``). What is quoted is at most :data:`_MAX_REASON`
    characters, in whole items.
    """
    status = response.status_code
    text = response.text.strip()
    if 300 <= status < 400:
        return describe_body(response)
    if not text:
        return f"HTTP {status} with an empty body"
    try:
        body = json.loads(text)
    except (ValueError, RecursionError):
        body = None
    reason = _reason_from_json(body) if isinstance(body, dict) else None
    if reason is not None:
        return reason
    if body is None and _PLAIN_CODE.fullmatch(text):
        return text
    return describe_body(response)


def describe_body(response: requests.Response) -> str:
    """What kind of answer ``response`` is, in a few words, without quoting any of it."""
    text = response.text.lstrip()
    if 300 <= response.status_code < 400:
        return "a redirect, which the tool does not follow"
    if not text:
        return "an empty answer"
    if text.startswith("<"):
        return "an HTML page (not shown)"
    try:
        body = json.loads(text)
    except (ValueError, RecursionError):
        return "text that is not JSON (not shown)"
    if isinstance(body, dict) and _reason_from_json(body, limit=None) is not None:
        return "an error message too long to show"
    return "JSON of another shape (not shown)"


#: A one-line code or short phrase as Moodle's registration endpoint sends (``token_already_
#: used``, ``missing required attribute client_name``): letters, digits and light punctuation,
#: no ``=``, ``/`` or quotes, so no settings file, URL or markup passes as one.
_PLAIN_CODE = re.compile(r"[A-Za-z][A-Za-z0-9_ .,:;()-]{0,119}")


def _reason_from_json(body: Mapping[str, Any], limit: int | None = _MAX_REASON) -> str | None:
    errors = body.get("errors")
    items: list[str]
    if isinstance(errors, list) and errors:
        items, separator = [_error_text(item) for item in errors], "; "
    elif isinstance(errors, Mapping) and errors:
        items = [f"{key}: {_error_text(value)}" for key, value in errors.items()]
        items, separator = [i for i in items if not i.endswith(": ")], "; "
    else:
        parts = [body.get(key) for key in ("error", "error_description", "errorMessage", "message")]
        items, separator = [part for part in parts if isinstance(part, str)], ": "
    return _join([_clean(item) for item in items], separator, limit)


def _error_text(item: Any) -> str:
    if isinstance(item, str):
        return item
    if isinstance(item, Mapping) and isinstance(item.get("message"), str):
        return str(item["message"])
    if isinstance(item, list):
        return ", ".join(text for text in (_error_text(part) for part in item) if text)
    return ""  # numbers, nested objects: not words an admin can act on


def _clean(text: str) -> str:
    # One line of plain printable text: markup is dropped whole, control characters become
    # spaces, runs of spaces collapse.
    if "<" in text or ">" in text:
        return ""
    return " ".join("".join(c if c.isprintable() else " " for c in text).split())


def _join(items: list[str], separator: str, limit: int | None) -> str | None:
    """Whole items while they fit in ``limit``; the count of those left off after them."""
    items = [item for item in items if item]
    if not items:
        return None
    kept: list[str] = []
    for item in items:
        candidate = separator.join([*kept, item])
        if limit is not None and len(candidate) > limit:
            break
        kept.append(item)
    if not kept:
        return None
    left = len(items) - len(kept)
    return separator.join(kept) + (f" (and {left} more)" if left else "")
