"""Where a launch lands: the landing page for each permission."""

from __future__ import annotations

from pathlib import Path

from flask import (
    Blueprint,
    abort,
    current_app,
    make_response,
    redirect,
    render_template,
    request,
    session,
)
from werkzeug.wrappers import Response

from cpd_tracker.access import login_required, signed_in
from cpd_tracker.auth import end_sessions, landing_endpoint
from cpd_tracker.forms import BaseForm
from cpd_tracker.registry import clock, get_service
from cpd_tracker.services.audit import AuditService
from cpd_tracker.templating import tool_url

bp = Blueprint("home", __name__)


@bp.get("/")
@login_required
def index() -> Response:
    return redirect(tool_url(landing_endpoint(signed_in().grants)))


@bp.post("/sign-out")
@login_required
def sign_out() -> Response:
    """End this person's sessions: this browser's cookie, and every launch token they have
    (in other tabs, or copied from a history or a log). Opening the tool from the LMS again
    starts a new one."""
    user = signed_in()
    if not BaseForm(request.form).validate():
        abort(400, description="That request was not complete. Reload the page and try again.")
    end_sessions(user.person, clock())
    get_service(AuditService).record(
        "session.signed_out",
        organisation_id=user.organisation_id,
        entity_type="person",
        entity_id=user.id,
    )
    session.clear()
    return make_response(render_template("home/signed_out.html"))


@bp.get("/favicon.ico")
def favicon() -> Response:
    """Browsers ask for /favicon.ico where a page names no icon (a PDF, a JSON answer): the
    tool's own icon, not a 404 in the console."""
    icon = Path(current_app.static_folder or "static", "favicon.svg").read_bytes()
    response = Response(icon, mimetype="image/svg+xml")
    response.cache_control.public = True
    response.cache_control.max_age = 24 * 60 * 60
    return response
