"""LTI Advantage pages: the deep-linking module picker, and where a module activity lands.

* ``/lti/deep-linking/<token>``: the picker an instructor's Deep Linking launch opens (search,
  tier and role filters); choosing posts back here, and the answer is an auto-submitted form
  carrying the signed ``LtiDeepLinkingResponse`` to the LMS. The request's settings stay in
  the database under the token; only the person who launched it may use it.
* ``/lti/modules/<id>``: a resource link launch with custom ``module`` lands here: a course
  teacher who leads the course's school sees the module's compliance at that school, anyone
  else the module itself.
* ``/schools/<id>/modules/<id>``: that compliance view.

Every link and form goes through ``tool_url`` / ``BaseForm`` so the launch token rides along
when the LMS frame refuses cookies.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, redirect, render_template, request
from werkzeug.wrappers import Response as BaseResponse

from cpd_tracker.access import launch_course, login_required, own_school, signed_in
from cpd_tracker.deep_linking.forms import PickModulesForm
from cpd_tracker.registry import get_service, local_today
from cpd_tracker.reports.compliance_view import ComplianceView
from cpd_tracker.services.catalogue import CatalogueService
from cpd_tracker.services.compliance import ComplianceService, SchoolCompliance
from cpd_tracker.services.deep_linking import DeepLinkingService, PickerFilters
from cpd_tracker.templating import ROLE_LABELS, tool_url

bp = Blueprint("deep_linking", __name__)


@bp.route("/lti/deep-linking/<token>", methods=["GET", "POST"])
@login_required
def picker(token: str) -> BaseResponse:
    user = signed_in()
    service = get_service(DeepLinkingService)
    row = service.request_for(token, user.person.id, user.organisation_id)
    settings = service.settings(row)
    filters = PickerFilters.parse(request.args)
    form = PickModulesForm(request.form if request.method == "POST" else None)
    form.accept_multiple = settings.accept_multiple
    if request.method == "POST" and form.validate():
        chosen = [] if form.cancelled else list(form.modules.data or [])
        action, fields = service.respond(row, chosen)
        return Response(
            render_template(
                "deep_linking/return.html", action=action, fields=fields, count=len(chosen)
            )
        )
    modules = service.modules(user.organisation_id, filters)
    return Response(
        render_template(
            "deep_linking/picker.html",
            form=form,
            token=token,
            settings=settings,
            filters=filters,
            modules=modules,
            roles=[
                (r, ROLE_LABELS.get(r, r)) for r in service.roles_required(user.organisation_id)
            ],
            course=row.course,
        ),
        status=400 if form.errors else 200,
    )


@bp.get("/lti/modules/<int:module_id>")
@login_required
def module_launch(module_id: int) -> BaseResponse:
    user = signed_in()
    module = get_service(CatalogueService).module(user.organisation_id, module_id)
    if module is None:
        abort(404)
    course = launch_course()
    school_id = course.school_id if course is not None else None
    if school_id is not None and user.launch.course_instructor and user.may_lead_school(school_id):
        return redirect(
            tool_url("deep_linking.module_compliance", school_id=school_id, module_id=module.id)
        )
    return redirect(tool_url("training.module", module_id=module.id))


@bp.get("/schools/<int:school_id>/modules/<int:module_id>")
@login_required
def module_compliance(school_id: int, module_id: int) -> str:
    school = own_school(school_id)
    module = get_service(CatalogueService).module(school.organisation_id, module_id)
    if module is None:
        abort(404)
    whole = get_service(ComplianceService).school(school, local_today())
    requirements = [r for r in whole.requirements if r.module_id == module.id]
    wanted = {r.id for r in requirements}
    compliance = SchoolCompliance(
        school,
        whole.staff,
        requirements,
        {key: row for key, row in whole.cells.items() if key[1] in wanted},
    )
    view = ComplianceView(
        compliance,
        role=request.args.get("role") or None,
        status=request.args.get("status") or None,
    )
    return render_template(
        "deep_linking/module_compliance.html", school=school, module=module, view=view
    )
