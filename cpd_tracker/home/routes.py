"""Where a launch lands: the landing page for each permission."""

from __future__ import annotations

from flask import Blueprint, redirect
from werkzeug.wrappers import Response

from cpd_tracker.access import login_required, signed_in
from cpd_tracker.templating import tool_url

bp = Blueprint("home", __name__)


@bp.get("/")
@login_required
def index() -> Response:
    user = signed_in()
    if user.is_trust_leader:
        return redirect(tool_url("reports.trust"))
    if user.cpd_lead_school_ids():
        return redirect(tool_url("reports.school"))
    return redirect(tool_url("training.my_training"))
