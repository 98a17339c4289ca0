"""The tool's log: plain text for development, one JSON object per line for operators.

``CPD_TRACKER_LOG_FORMAT=json`` turns every line (the app's, gunicorn's error log and the
worker's) into one JSON object: ``time`` (UTC, ISO 8601), ``level``, ``logger``, ``message``
and, inside a request, its ``correlation_id`` (the reference shown on error pages),
``organisation_id`` (of the signed-in person, when the request loaded one), ``endpoint``,
``route`` (the URL rule, ``/schools/<int:school_id>``, never the path with its values) and
``method``. Access lines (logger ``cpd_tracker.access``, one per request, written by the app
in JSON mode instead of gunicorn's access log) add ``status`` and ``duration_ms``; the
worker's lines add ``job``, ``outcome`` and ``duration_ms``.

No query string reaches a line in either format: launch tokens, invitation links and
registration tokens travel there (the same rule as ``cli.ACCESS_LOG_FORMAT``). Messages name
paths, ids and codes, never a person's name or e-mail address: log messages are written that
way, and the access line carries the route rule, not the path.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import sys
from collections.abc import Mapping
from typing import Any

from flask import g, has_request_context, request

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"
FORMATS = ("text", "json")

#: What a caller may add to a line with ``extra={...}``; anything else is left out, so no
#: object holding personal data can slip into a line by accident.
EXTRA_FIELDS = ("status", "duration_ms", "job", "outcome", "exit_code")

access_log = logging.getLogger("cpd_tracker.access")

#: A request line's query string (the development server's ``"GET /path?query HTTP/1.1"``).
_QUERY = re.compile(r"^(\S+ [^?\s]*)\?\S*")
#: Any path or URL's query string, wherever it sits in a message.
_ANY_QUERY = re.compile(r"((?:https?://[^\s/?\"']*)?/[^\s?\"']*)\?[^\s\"']*")


def strip_query_strings(text: str) -> str:
    """``GET /lti/login?iss=...&login_hint=...`` becomes ``GET /lti/login``."""
    return _ANY_QUERY.sub(r"\1", text)


class QueryStringFilter(logging.Filter):
    """The development server's request lines without their query strings (the same rule as
    ``ACCESS_LOG_FORMAT``): launch tokens and invitations travel there."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                _QUERY.sub(r"\1", arg) if isinstance(arg, str) else arg for arg in record.args
            )
        return True


def log_format(env: Mapping[str, str]) -> str:
    """``CPD_TRACKER_LOG_FORMAT``: ``text`` (default) or ``json``; anything else is refused."""
    from cpd_tracker.config import ConfigError

    value = (env.get("CPD_TRACKER_LOG_FORMAT") or "text").strip().lower()
    if value not in FORMATS:
        raise ConfigError(f"CPD_TRACKER_LOG_FORMAT must be text or json ({value!r}).")
    return value


def request_fields() -> dict[str, Any]:
    """What a line says about the request it was written in (nothing outside one)."""
    if not has_request_context():
        return {}
    from cpd_tracker.correlation import correlation_id

    rule = request.url_rule
    return {
        "correlation_id": correlation_id(),
        # Only a person the request already loaded: a log line never queries.
        "organisation_id": getattr(g.get("_login_user"), "organisation_id", None),
        "endpoint": request.endpoint,
        "route": rule.rule if rule is not None else None,
        "method": request.method,
    }


class JsonFormatter(logging.Formatter):
    """One JSON object per line."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": strip_query_strings(record.getMessage()),
        }
        line.update({k: v for k, v in request_fields().items() if v is not None})
        for name in EXTRA_FIELDS:
            value = record.__dict__.get(name)
            if value is not None:
                line[name] = value
        if record.exc_info:
            line["exception"] = strip_query_strings(self.formatException(record.exc_info))
        return json.dumps(line, default=str, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """The development format, with query strings taken out all the same."""

    def format(self, record: logging.LogRecord) -> str:
        return strip_query_strings(super().format(record))


def formatter(fmt: str) -> logging.Formatter:
    return JsonFormatter() if fmt == "json" else TextFormatter(TEXT_FORMAT)


def configure_logging(fmt: str) -> None:
    """Log INFO and above to stderr in ``fmt``. Like ``logging.basicConfig`` this leaves a
    root logger that something else (a test runner, a host application) already set up alone,
    except for the handler it installed itself, which follows ``fmt``."""
    root = logging.getLogger()
    ours: list[logging.Handler] = [h for h in root.handlers if getattr(h, "cpd_tracker", False)]
    if root.handlers and not ours:
        return
    if not ours:
        stream = logging.StreamHandler(sys.stderr)
        stream.cpd_tracker = True  # type: ignore[attr-defined]
        stream.addFilter(QueryStringFilter())
        root.addHandler(stream)
        root.setLevel(logging.INFO)
        ours = [stream]
    for handler in ours:
        handler.setFormatter(formatter(fmt))


def log_access(status: int, duration: float) -> None:
    """The access line for the current request (JSON mode: gunicorn writes none then)."""
    access_log.info(
        "%s %s %s",
        request.method,
        request.url_rule.rule if request.url_rule is not None else "(no route)",
        status,
        extra={"status": status, "duration_ms": round(duration * 1000, 1)},
    )
