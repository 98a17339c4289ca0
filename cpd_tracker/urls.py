"""The tool's own public URL: ``CPD_TRACKER_BASE_URL``, or the request's host when unset."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app, request


def tool_base_url() -> str:
    configured: str | None = current_app.config.get("BASE_URL")
    if configured:
        return configured
    return request.host_url.rstrip("/")


def tool_hosts() -> frozenset[str]:
    return frozenset({urlsplit(tool_base_url()).netloc.lower()})
