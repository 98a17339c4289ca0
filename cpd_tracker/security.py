"""Response headers for a tool that lives in other people's iframes.

``frame-ancestors`` allows this tool's own origin and the registered platforms only: each
registration's issuer and login URL origins, plus the origins learned from its launches (a
hosted Canvas frames the tool from the school's own host, not from its issuer).
"""

from __future__ import annotations

import secrets
import time

from flask import Flask, Response, current_app, g
from sqlalchemy import select

from cpd_tracker.errors import correlation_id
from cpd_tracker.extensions import db
from cpd_tracker.models import PlatformRegistration
from cpd_tracker.services.identity import frame_origin

_ORIGINS_TTL = 30.0


def csp_nonce() -> str:
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    nonce: str = g.csp_nonce
    return nonce


def platform_origins() -> list[str]:
    """Every registered platform origin, cached briefly per process (registrations are rare)."""
    cached = current_app.extensions.get("frame_origins")
    now = time.monotonic()
    if cached and now - cached[0] < _ORIGINS_TTL:
        origins: list[str] = cached[1]
        return origins
    found: set[str] = set()
    for issuer, login, learned in db.session.execute(
        select(
            PlatformRegistration.issuer,
            PlatformRegistration.auth_login_url,
            PlatformRegistration.frame_origins,
        )
    ):
        for url in (issuer, login, *(learned or [])):
            origin = frame_origin(url)
            if origin:
                found.add(origin)
    origins = sorted(found)
    current_app.extensions["frame_origins"] = (now, origins)
    return origins


def forget_platform_origins() -> None:
    current_app.extensions.pop("frame_origins", None)


def set_security_headers(response: Response) -> Response:
    ancestors = " ".join(["'self'", *platform_origins()])
    local = " http://localhost:* http://127.0.0.1:*" if current_app.config["DEMO_MODE"] else ""
    # form-action stays open to https: the OIDC auth request and the deep-linking response
    # are form posts to the platform.
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; "
        f"script-src 'self' 'nonce-{csp_nonce()}'; "
        "style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; "
        "object-src 'none'; base-uri 'none'; "
        f"form-action 'self' https:{local}; "
        f"frame-ancestors {ancestors}"
    )
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers.setdefault("Cache-Control", "no-store")
    response.headers.setdefault("X-Correlation-Id", correlation_id())
    return response


def init_security(app: Flask) -> None:
    app.after_request(set_security_headers)
    app.context_processor(lambda: {"csp_nonce": csp_nonce()})
