"""The request's reference: shown on every error page and written beside it in the log."""

from __future__ import annotations

import secrets

from flask import g, request


def correlation_id() -> str:
    if "correlation_id" not in g:
        g.correlation_id = request.headers.get("X-Request-Id", "")[:64] or secrets.token_hex(8)
    cid: str = g.correlation_id
    return cid
