"""The landing pages: where a launch lands, and a staff member's own record."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template
from werkzeug.wrappers import Response

from cpd_tracker.access import login_required, signed_in
from cpd_tracker.registry import get_service
from cpd_tracker.services.overview import OverviewService
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
    return redirect(tool_url("home.my_training"))


@bp.get("/my-training")
@login_required
def my_training() -> str:
    user = signed_in()
    overview = get_service(OverviewService)
    return render_template(
        "home/my_training.html",
        person=user.person,
        organisation=overview.organisation(user.organisation_id),
        activity=overview.recent_activity(user.person),
    )
