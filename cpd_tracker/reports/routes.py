"""A CPD lead's school compliance page, a trust leader's trust page, and their exports."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request
from werkzeug.wrappers import Response as BaseResponse

from cpd_tracker.access import (
    launch_course,
    login_required,
    own_school,
    signed_in,
    trust_leader_required,
)
from cpd_tracker.exports import csv_response, xlsx_response
from cpd_tracker.forms import BaseForm
from cpd_tracker.registry import clock, get_service
from cpd_tracker.reports.compliance_view import (
    ComplianceView,
    chase_table,
    coverage_table,
    status_table,
)
from cpd_tracker.services.compliance import ComplianceService
from cpd_tracker.services.overview import OverviewService
from cpd_tracker.services.roster import RosterService
from cpd_tracker.services.senco import SencoService
from cpd_tracker.templating import tool_url

bp = Blueprint("reports", __name__)


@bp.get("/school")
@login_required
def school() -> BaseResponse:
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


def _view(school_id: int) -> ComplianceView:
    school = own_school(school_id)
    compliance = get_service(ComplianceService).school(school, clock().date())
    return ComplianceView(
        compliance,
        role=request.args.get("role") or None,
        status=request.args.get("status") or None,
    )


@bp.get("/schools/<int:school_id>")
@login_required
def school_page(school_id: int) -> str:
    view = _view(school_id)
    return render_template(
        "reports/school.html",
        school=view.compliance.school,
        view=view,
        courses=get_service(OverviewService).school_courses(view.compliance.school),
        rosters=get_service(RosterService).statuses(view.compliance.school),
        roster_form=BaseForm(),
        senco=get_service(SencoService).school(view.compliance.school),
    )


@bp.post("/schools/<int:school_id>/courses/<int:course_id>/roster-sync")
@login_required
def roster_sync(school_id: int, course_id: int) -> BaseResponse:
    """ "Sync roster now": queue a read of the course's members from the LMS."""
    school = own_school(school_id)
    if not BaseForm(request.form).validate():
        abort(400, description="That request was not complete. Reload the page and try again.")
    service = get_service(RosterService)
    status = next((r for r in service.statuses(school) if r.course.id == course_id), None)
    if status is None:
        abort(404)
    service.request_sync(status.course)
    flash(
        "Roster sync queued: the course's members are being read from your LMS. Reload this "
        "page in a minute to see them.",
        "info",
    )
    return redirect(tool_url("reports.school_page", school_id=school.id))


TABLES = {"compliance": status_table, "coverage": coverage_table, "chase": chase_table}


@bp.get("/schools/<int:school_id>/<any(compliance, coverage, chase):table>.<any(csv, xlsx):fmt>")
@login_required
def school_export(school_id: int, fmt: str, table: str = "compliance") -> Response:
    """Every table of the school page, as CSV or XLSX (the same rows the page shows)."""
    view = _view(school_id)
    header, rows = TABLES[table](view)
    name = f"{table}-{view.compliance.school.urn}-{clock().date().isoformat()}"
    if fmt == "csv":
        return csv_response(name, header, rows)
    return xlsx_response(name, table.capitalize(), header, rows)


@bp.get("/trust")
@trust_leader_required
def trust() -> str:
    user = signed_in()
    overview = get_service(OverviewService)
    return render_template(
        "reports/trust.html",
        organisation=overview.organisation(user.organisation_id),
        schools=overview.trust_schools(user.organisation_id),
        senco_states={
            row.school.id: row.assessment.state
            for row in get_service(SencoService).trust(user.organisation_id)
        },
    )
