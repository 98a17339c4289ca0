"""Errors translated at one edge: a 4xx page that says what to do (or JSON for API callers),
a logged 500 with rollback and a correlation id. No stack trace ever reaches a browser."""

from __future__ import annotations

import json
import logging

import jwt
from flask import Flask, Response, render_template, request
from jinja2 import Template
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import HTTPException, InternalServerError

from cpd_tracker.correlation import correlation_id
from cpd_tracker.extensions import db
from cpd_tracker.framing import allow_framing_by
from cpd_tracker.metrics import lti_refused
from cpd_tracker.outage import DATABASE_ERRORS, handle_database_error, mark_database_down
from lti.errors import LtiError
from lti.registration_errors import RegistrationError

log = logging.getLogger("cpd_tracker")

GENERIC = "errors/error.html"
FRIENDLY = {
    401: (
        "Open the tool from your LMS",
        "Your session has ended or this page was opened outside your LMS. Go back to your "
        "course in Moodle or Canvas and open the tool from there.",
    ),
    400: (
        "Something in that request was not right",
        "Go back, check what you entered and try again.",
    ),
    403: (
        "You do not have access to this page",
        "If you think you should, ask your CPD lead or trust leader to check your "
        "permissions in the tool.",
    ),
    404: ("Page not found", "Check the address, or go back to the tool from your LMS course."),
    405: ("That action is not available here", "Go back and use the buttons on the page."),
    413: ("That upload or request is too large", "Try a smaller file."),
    429: ("Too many requests", "Wait a minute and try again."),
    500: (
        "Sorry, something went wrong on our side",
        "Try again in a minute. If it keeps happening, quote the reference below to your "
        "administrator.",
    ),
}


def wants_json() -> bool:
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return request.path.startswith("/api/") or (
        best == "application/json"
        and request.accept_mimetypes["application/json"] > request.accept_mimetypes["text/html"]
    )


def error_response(
    status: int,
    title: str,
    message: str,
    hint: str | None,
    template: str = GENERIC,
    **extra: object,
) -> Response:
    cid = correlation_id()
    if wants_json():
        error = extra.get("error")
        body = {
            "error": {
                "status": status,
                "title": title,
                "message": message,
                "hint": hint,
                "code": getattr(error, "code", None),
                "correlation_id": cid,
            }
        }
        response = Response(json.dumps(body), status=status, mimetype="application/json")
    else:
        templates: list[str | Template] = [f"errors/{status}.html", template]
        if template != GENERIC:
            templates = [template]
        context = {
            "status": status,
            "error_title": title,
            "error_message": message,
            "error_hint": hint,
            "correlation_id": cid,
            **extra,
        }
        try:
            html = render_template(templates, **context)
        except DATABASE_ERRORS as exc:
            # The page header asks who is signed in: without a database, nobody is.
            mark_database_down(exc)
            html = render_template(templates, **context)
        response = Response(html, status=status, mimetype="text/html")
    response.headers["X-Correlation-Id"] = cid
    return response


def _claimed_platform() -> list[str]:
    """The URLs a refused LTI request says it comes from (not verified: they only let that
    LMS frame the refusal, which holds nothing but the reason)."""
    values = request.values
    claimed = [values.get("iss", ""), values.get("openid_configuration", "")]
    token = values.get("id_token", "")
    if token and len(token) < 100_000:
        try:
            claims = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError:
            claims = {}
        claimed.append(str(claims.get("iss", "")))
    return claimed


def handle_lti_error(error: LtiError) -> Response:
    # The login state a failed launch consumed stays consumed: commit only that.
    try:
        db.session.commit()
    except DATABASE_ERRORS as exc:
        return handle_database_error(exc)
    allow_framing_by(*_claimed_platform())
    log.warning("LTI refused [%s] %s: %s", correlation_id(), error.code, error.message)
    lti_refused(error.code)
    # Registration problems are read by an LMS administrator registering the tool, not by a
    # teacher whose course link broke.
    template = (
        "registration/error.html"
        if isinstance(error, RegistrationError)
        else "lti/launch_error.html"
    )
    return error_response(
        error.status, error.title, error.message, error.hint, template=template, error=error
    )


def handle_http_error(error: HTTPException) -> Response:
    db.session.rollback()
    status = error.code or 500
    if status >= 500:
        log.error("HTTP %s [%s] on %s %s", status, correlation_id(), request.method, request.path)
    title, hint = FRIENDLY.get(status, (error.name, None))
    message = error.description if error.description and status != 404 else ""
    if status == 404:
        message = "There is no page at this address."
    response = error_response(status, title, message or title, hint)
    for name, value in error.get_headers():
        if name == "Retry-After":  # 429 and 503 say when to come back
            response.headers[name] = value
    return response


def handle_unexpected(error: Exception) -> Response:
    db.session.rollback()
    log.exception("Unhandled error [%s] on %s %s", correlation_id(), request.method, request.path)
    title, hint = FRIENDLY[500]
    return error_response(500, title, "The tool hit an unexpected problem.", hint)


def handle_conflict(error: IntegrityError) -> Response:
    """Two requests saved the same thing at the same moment (a unique index caught the second):
    nothing of this request was saved; say so rather than fail."""
    db.session.rollback()
    log.warning(
        "Refused as a conflict [%s] on %s %s: %s",
        correlation_id(),
        request.method,
        request.path,
        type(error.orig).__name__,
    )
    return error_response(
        409,
        "That was saved by someone else just now",
        "Someone saved the same thing at the same moment, so this was not saved again.",
        "Reload the page to see what is saved, then make your change again if it is still needed.",
    )


def init_errors(app: Flask) -> None:
    app.register_error_handler(LtiError, handle_lti_error)
    app.register_error_handler(IntegrityError, handle_conflict)
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(InternalServerError, handle_http_error)
    app.register_error_handler(Exception, handle_unexpected)
