"""A CPD lead's school page and a trust leader's trust page."""

from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template
from werkzeug.wrappers import Response

from cpd_tracker.access import (
    launch_course,
    login_required,
    own_school,
    signed_in,
    trust_leader_required,
)
from cpd_tracker.registry import get_service
from cpd_tracker.services.overview import OverviewService
from cpd_tracker.templating import tool_url

bp = Blueprint("reports", __name__)


@bp.get("/school")
@login_required
def school() -> Response:
    """The school of the course launched from, else the first school this person leads."""
    user = signed_in()
    course = launch_course()
    if course is not None and course.school_id and user.may_lead_school(course.school_id):
        return redirect(tool_url("reports.school_page", school_id=course.school_id))
    led = sorted(user.cpd_lead_school_ids())
    if led:
        return redirect(tool_url("reports.school_page", school_id=led[0]))
    if not user.is_trust_leader:
        abort(403)
    return redirect(tool_url("reports.trust"))


@bp.get("/schools/<int:school_id>")
@login_required
def school_page(school_id: int) -> str:
    school = own_school(school_id)
    overview = get_service(OverviewService)
    staff = overview.school_staff(school)
    return render_template(
        "reports/school.html",
        school=school,
        staff=staff,
        launched=sum(1 for s in staff if s.last_launch_at),
        courses=overview.school_courses(school),
    )


@bp.get("/trust")
@trust_leader_required
def trust() -> str:
    user = signed_in()
    overview = get_service(OverviewService)
    return render_template(
        "reports/trust.html",
        organisation=overview.organisation(user.organisation_id),
        schools=overview.trust_schools(user.organisation_id),
    )
