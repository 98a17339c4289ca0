"""The school's SENCO page (appoint, end, record qualifications) and the trust's SENCO table.

Access, route by route: ``/senco/schools/<school_id>/...`` goes through ``own_school`` (another
organisation's school is a 404, a school the person does not lead a 403), so only a CPD lead
of that school or a trust leader marks anyone SENCO; a launch never does. Appointments and
qualifications are then looked up within that school (another school's id is a 404).
``/senco/trust`` is for trust leaders only.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, render_template, request
from flask import redirect as flask_redirect
from werkzeug.wrappers import Response as BaseResponse

from cpd_tracker.access import login_required, own_school, signed_in, trust_leader_required
from cpd_tracker.exports import Cell, csv_response, xlsx_response
from cpd_tracker.models import School
from cpd_tracker.registry import clock, get_service
from cpd_tracker.rules.senco import SencoState
from cpd_tracker.senco.forms import (
    FUNDING_LABELS,
    KIND_LABELS,
    RESULT_LABELS,
    AppointForm,
    EndForm,
    QualificationForm,
)
from cpd_tracker.services.senco import SUGGESTED_PROVIDERS, SchoolSenco, SencoError, SencoService
from cpd_tracker.templating import tool_url

bp = Blueprint("senco", __name__, url_prefix="/senco")

STATE_LABELS: dict[str, str] = {
    SencoState.NOT_ELIGIBLE: "Not eligible",
    SencoState.EXEMPT: "Exempt",
    SencoState.QUALIFIED: "Qualified",
    SencoState.OVERDUE: "Overdue",
    SencoState.ON_TRACK: "On track",
    SencoState.AT_RISK: "At risk",
    SencoState.NOT_STARTED: "Not started",
    SencoState.NO_SENCO: "No SENCO",
}


def _appoint_form(school: School, formdata: Any = None) -> AppointForm:
    form = AppointForm(formdata)
    form.person_id.choices = [
        (p.id, p.display_name) for p in get_service(SencoService).staff_at(school)
    ]
    return form


def _qualification_form(school: School, formdata: Any = None) -> QualificationForm:
    form = QualificationForm(formdata)
    form.person_id.choices = [
        (p.id, p.display_name) for p in get_service(SencoService).sencos_of(school)
    ]
    return form


def _page(
    school: School,
    *,
    appoint: AppointForm | None = None,
    qualification: QualificationForm | None = None,
    end: EndForm | None = None,
    end_id: int | None = None,
    status: int = 200,
) -> Response:
    html = render_template(
        "senco/school.html",
        school=school,
        senco=get_service(SencoService).school(school),
        appoint=appoint or _appoint_form(school),
        qualification=qualification or _qualification_form(school),
        end=end or EndForm(),
        end_id=end_id,
        providers=SUGGESTED_PROVIDERS,
        kind_labels=KIND_LABELS,
        result_labels=RESULT_LABELS,
        funding_labels=FUNDING_LABELS,
        saved=request.args.get("saved") if request.method == "GET" else None,
    )
    return Response(html, status=status)


def _done(school: School, saved: str) -> BaseResponse:
    return flask_redirect(tool_url("senco.school", school_id=school.id, saved=saved), code=303)


@bp.get("/schools/<int:school_id>")
@login_required
def school(school_id: int) -> Response:
    return _page(own_school(school_id))


@bp.post("/schools/<int:school_id>/appointments")
@login_required
def appoint(school_id: int) -> BaseResponse:
    school = own_school(school_id)
    form = _appoint_form(school, request.form)
    if not form.validate():
        return _page(school, appoint=form, status=400)
    try:
        get_service(SencoService).appoint(school, form.details())
    except SencoError as error:  # the form checks the same; belt and braces
        abort(400, description=str(error))
    return _done(school, "appointed")


@bp.post("/schools/<int:school_id>/appointments/<int:appointment_id>/end")
@login_required
def end(school_id: int, appointment_id: int) -> BaseResponse:
    school = own_school(school_id)
    service = get_service(SencoService)
    appointment = service.appointment_at(school, appointment_id)
    if appointment is None:
        abort(404)
    form = EndForm(request.form)
    if not form.validate():
        return _page(school, end=form, end_id=appointment.id, status=400)
    ended_on = form.ended_on.data
    assert ended_on is not None  # required: validate() has run
    try:
        service.end(school, appointment, ended_on)
    except SencoError as error:
        abort(400, description=str(error))
    return _done(school, "ended")


@bp.post("/schools/<int:school_id>/qualifications")
@login_required
def qualification(school_id: int) -> BaseResponse:
    school = own_school(school_id)
    service = get_service(SencoService)
    form = _qualification_form(school, request.form)
    existing_id = form.existing_id()
    existing = None
    if existing_id is not None:
        existing = service.qualification_at(school, existing_id)
        if existing is None:
            abort(404)
    if not form.validate():
        return _page(school, qualification=form, status=400)
    try:
        if existing is None:
            service.add_qualification(school, form.details())
        else:
            service.update_qualification(school, existing, form.details())
    except SencoError as error:
        abort(400, description=str(error))
    return _done(school, "qualification")


# --- The trust's table ----------------------------------------------------------------------

HEADER = ["School", "URN", "State", "SENCO", "Became SENCO", "Deadline", "Latest safe start",
          "Reason"]  # fmt: skip


def trust_rows(table: list[SchoolSenco]) -> list[list[Cell]]:
    rows: list[list[Cell]] = []
    for entry in table:
        first = entry.current[0] if entry.current else None
        assessment = first.assessment if first is not None else entry.assessment
        names = ", ".join(s.person.display_name for s in entry.current) or None
        rows.append(
            [
                entry.school.name,
                entry.school.urn,
                STATE_LABELS[entry.assessment.state],
                names,
                first.appointment.started_on if first is not None else None,
                assessment.deadline,
                assessment.latest_safe_start,
                entry.assessment.reason,
            ]
        )
    return rows


@bp.get("/trust")
@trust_leader_required
def trust() -> str:
    user = signed_in()
    return render_template(
        "senco/trust.html",
        table=get_service(SencoService).trust(user.organisation_id),
        labels=STATE_LABELS,
    )


@bp.get("/trust.<any(csv, xlsx):fmt>")
@trust_leader_required
def trust_export(fmt: str) -> Response:
    user = signed_in()
    rows = trust_rows(get_service(SencoService).trust(user.organisation_id))
    name = f"senco-{clock().date().isoformat()}"
    if fmt == "csv":
        return csv_response(name, HEADER, rows)
    return xlsx_response(name, "SENCOs", HEADER, rows)
