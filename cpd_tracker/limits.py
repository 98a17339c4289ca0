"""The request limits (:mod:`cpd_tracker.services.rate_limits`) applied at the web edge."""

from __future__ import annotations

from flask import current_app, request
from werkzeug.exceptions import TooManyRequests

from cpd_tracker.registry import get_service
from cpd_tracker.services.rate_limits import Limit, RateLimiter


def client_address() -> str:
    """The browser's address (behind the proxies ``CPD_TRACKER_PROXIES`` names, ProxyFix has
    already put the client's own address here)."""
    return request.remote_addr or "unknown"


def enforce(*checks: tuple[Limit, str]) -> None:
    """Count this request against each (limit, subject); refuse it with 429 and Retry-After
    when any limit is spent."""
    if not current_app.config["RATE_LIMITS"]:
        return
    for verdict in get_service(RateLimiter).hit_all(checks):
        if not verdict.allowed:
            raise TooManyRequests(
                "Too many requests have come from here in a short time. Wait a minute, then "
                "open the tool from your LMS again.",
                retry_after=verdict.retry_after,
            )
