"""Signed Dynamic Registration links that register a platform into one organisation.

An LMS admin pastes the link as the tool's registration URL; Moodle and Canvas add their
``openid_configuration`` and ``registration_token`` query parameters and keep ours.
"""

from __future__ import annotations

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer

from cpd_tracker.urls import tool_base_url

INVITE_MAX_AGE = 30 * 24 * 60 * 60


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="registration-invite")


def make_invite(organisation_id: int) -> str:
    return _serializer().dumps({"org": organisation_id})


def read_invite(token: str) -> int | None:
    try:
        data = _serializer().loads(token, max_age=INVITE_MAX_AGE)
    except BadSignature:
        return None
    org = data.get("org") if isinstance(data, dict) else None
    return org if isinstance(org, int) else None


def registration_invite_url(organisation_id: int) -> str:
    return f"{tool_base_url()}/lti/register?invite={make_invite(organisation_id)}"
