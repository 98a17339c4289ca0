"""Response headers for a tool that lives in other people's iframes: the content security
policy (its ``frame-ancestors`` from :mod:`cpd_tracker.framing`), referrer policy, nosniff.

Every response is also given its content type here when a view left it at Werkzeug's
``text/plain`` default although it rendered a page: HTML is ``text/html; charset=utf-8``
whichever response class a blueprint used.
"""

from __future__ import annotations

import logging
import secrets

from flask import Flask, Response, current_app, g, request

from cpd_tracker.correlation import correlation_id
from cpd_tracker.framing import frame_ancestors

log = logging.getLogger(__name__)

HTML_TYPE = "text/html; charset=utf-8"
#: Blueprints nobody frames (load balancers' probes, the metrics scraper): their answers look
#: nothing up, not even the framing policy of a launch the request may carry.
UNFRAMED = frozenset({"health", "metrics"})


def csp_nonce() -> str:
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    nonce: str = g.csp_nonce
    return nonce


def _html_type(response: Response) -> None:
    """A page rendered into a response whose type was left at ``text/plain`` is HTML."""
    if response.mimetype != "text/plain" or response.is_streamed or response.direct_passthrough:
        return
    if response.headers.get("Content-Disposition"):
        return  # a download keeps its own type
    head = response.get_data()[:64].lstrip().lower()
    if head.startswith((b"<!doctype html", b"<html")):
        log.warning("Page %s was built as text/plain; sent as HTML", request.endpoint)
        response.headers["Content-Type"] = HTML_TYPE


def set_security_headers(response: Response) -> Response:
    _html_type(response)
    ancestors = "'none'" if request.blueprint in UNFRAMED else " ".join(frame_ancestors())
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
    hsts = current_app.config.get("HSTS_SECONDS", 0)
    if hsts and request.is_secure:
        response.headers.setdefault("Strict-Transport-Security", f"max-age={hsts}")
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers.setdefault("Cache-Control", "no-store")
    response.headers.setdefault("X-Correlation-Id", correlation_id())
    return response


def init_security(app: Flask) -> None:
    app.after_request(set_security_headers)
    app.context_processor(lambda: {"csp_nonce": csp_nonce()})
