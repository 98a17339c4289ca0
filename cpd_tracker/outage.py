"""When the database cannot be reached: a 503 that needs no query, said once in the log.

Before, every response (``/lti/config`` and 404s included) became gunicorn's bare "Internal
Server Error" without a reference or security headers, because the security-headers hook and
the error pages both query the database, and each failed request logged a stack trace (319
failed requests wrote 214,680 log lines in 33 s).

Now a database error anywhere in a request (the view, the signed-in person's load, the framing
lookup, the commit) marks the request as running without a database: the person is treated as
signed out for the rest of it, nothing else is queried, and the answer is ``503`` with
``Retry-After``, the usual headers and a page rendered from templates alone. The log says so
once per interval per process, with how many requests failed meanwhile. Nothing is cached: the
next request tries the database again (the pool pings connections that have sat idle before
use, and discards them all on a disconnect), so pages come back as soon as the database does.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time

from flask import Flask, Response, g, make_response, render_template
from sqlalchemy.exc import InterfaceError, OperationalError

from cpd_tracker.correlation import correlation_id

log = logging.getLogger("cpd_tracker")

#: What a database that is down, restarting or unreachable raises (SQLite: locked or gone).
DATABASE_ERRORS = (OperationalError, InterfaceError)
RETRY_AFTER_SECONDS = 30
LOG_INTERVAL_SECONDS = 60.0


class _OutageLog:
    """Logs a database outage once per interval, with how many requests it failed since."""

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self._lock = threading.Lock()
        self._last = float("-inf")
        self._since = 0

    def note(self, error: BaseException) -> None:
        now = time.monotonic()
        with self._lock:
            self._since += 1
            if now - self._last < self.interval:
                return
            count, self._since, self._last = self._since, 0, now
        # The driver's message names the host and port, never a password (URLs are not
        # logged); the class and first line are enough to act on.
        first_line = str(getattr(error, "orig", error)).strip().splitlines()[:1]
        log.error(
            "Database unavailable [%s]: %s (%s); %d request(s) answered 503 since the last "
            "report; next report in %ds at the earliest",
            correlation_id(),
            type(getattr(error, "orig", error)).__name__,
            first_line[0][:300] if first_line else "no detail",
            count,
            int(self.interval),
        )


outage_log = _OutageLog(LOG_INTERVAL_SECONDS)


def database_down() -> bool:
    return bool(g.get("database_down"))


def mark_database_down(error: BaseException) -> None:
    """From here on this request runs without a database."""
    from cpd_tracker.auth import Anonymous

    if not database_down():
        outage_log.note(error)
    g.database_down = True
    g._login_user = Anonymous()  # Flask-Login's per-request user: signed out, no query
    session = g.pop("db_session", None)
    if session is not None:
        with contextlib.suppress(*DATABASE_ERRORS):  # the connection may be gone already
            session.invalidate()


def unavailable() -> Response:
    response = make_response(
        render_template("errors/503.html", status=503, correlation_id=correlation_id()), 503
    )
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response.headers["X-Correlation-Id"] = correlation_id()
    return response


def handle_database_error(error: Exception) -> Response:
    mark_database_down(error)
    return unavailable()


def init_outage(app: Flask) -> None:
    for error in DATABASE_ERRORS:
        app.register_error_handler(error, handle_database_error)
