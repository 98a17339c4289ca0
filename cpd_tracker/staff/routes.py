"""A CPD lead's one page about a staff member (``staff.person_page``, issue 17) and its
roles-and-dates form, the school's leavers, anyone's own CPD record (page, CSV, XLSX), and a
person's erasure and subject access export (issue 15).

Access, route by route: ``/staff/schools/<school_id>/...`` goes through ``own_school`` (another
organisation's school is a 404, a school the person does not lead a 403) and then
``StaffService.person_at`` (someone without a role at that school is a 404). ``/staff/me/...``
takes no person id at all: it is always the signed-in person's own record.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    redirect,
    render_template,
    request,
    send_file,
)
from werkzeug.wrappers import Response as BaseResponse

from cpd_tracker.access import login_required, own_school, signed_in
from cpd_tracker.exports import csv_response, xlsx_response
from cpd_tracker.once import already_sent, sent
from cpd_tracker.registry import get_service, local_today
from cpd_tracker.services.cpd_record import CpdRecordService, record_table
from cpd_tracker.services.data_access import DataAccessService, school_label
from cpd_tracker.services.erasure import ErasureService
from cpd_tracker.services.staff import StaffRecordError, StaffService
from cpd_tracker.services.subject_access import SubjectAccessService
from cpd_tracker.staff import person_page
from cpd_tracker.staff.forms import ERASE_WORD, ErasureForm, StaffRecordForm
from cpd_tracker.templating import tool_url

bp = Blueprint("staff", __name__, url_prefix="/staff")


@bp.route("/schools/<int:school_id>/people/<int:person_id>", methods=["GET", "POST"])
@login_required
def person(school_id: int, person_id: int) -> BaseResponse:
    """The one person page (``staff.person_page``): roles and dates, training record, evidence,
    exemptions and extensions. Its own form changes the roles and dates."""
    school, person = person_page.school_person(school_id, person_id)
    if request.method == "GET":
        get_service(DataAccessService).viewed(
            signed_in().id,
            person,
            school.organisation_id,
            f"Staff and training record, {school_label(school)}",
        )
        return person_page.render(person_page.load(school, person))
    form = StaffRecordForm(request.form)
    if form.validate():
        try:
            changed = get_service(StaffService).update(
                school, person, form.change(), acting=signed_in().grants
            )
        except StaffRecordError as error:  # the form checks the same; belt and braces
            abort(400, description=str(error))
        outcome = "updated" if changed else "unchanged"
        return redirect(
            tool_url("staff.person", school_id=school.id, person_id=person.id, saved=outcome),
            code=303,
        )
    return person_page.render(person_page.load(school, person), 400, staff_form=form)


@bp.route("/schools/<int:school_id>/people/<int:person_id>/erase", methods=["GET", "POST"])
@login_required
def erase(school_id: int, person_id: int) -> BaseResponse:
    """What erasure removes and keeps, and the form that does it (trust leaders; the CPD lead
    of every school the person works or worked at). A legal hold is a 409, a person the
    signed-in one may not erase a 403: the page says why either way."""
    school, person = person_page.school_person(school_id, person_id)
    user = signed_in()
    service = get_service(ErasureService)
    form = ErasureForm(request.form if request.method == "POST" else None)
    not_yours = service.actor_refusal(person, user.person)
    hold = service.refusal(person, local_today())
    status = 403 if not_yours else 200
    if request.method == "POST":
        if form.validate():
            if (earlier := already_sent(form)) is not None:
                return earlier
            if not_yours is None and hold is None:
                service.erase(person, user.person, form.reason.data or "")
                return sent(
                    "staff.person", school_id=school.id, person_id=person.id, saved="erased"
                )
        status = 403 if not_yours else 409 if hold else 400
    html = render_template(
        "staff/erase.html",
        school=school,
        person=person,
        form=form,
        word=ERASE_WORD,
        not_yours=not_yours,
        hold=hold,
        preview=service.preview(person),
    )
    return Response(html, status=status)


@bp.get("/schools/<int:school_id>/people/<int:person_id>/subject-access.zip")
@login_required
def subject_access(school_id: int, person_id: int) -> Response:
    """Everything held about the person as one ZIP: trust leaders, and CPD leads of a school
    the person works or worked at."""
    school, person = person_page.school_person(school_id, person_id)
    user = signed_in()
    export = get_service(SubjectAccessService).export(person, user.person)
    # Everything about one person leaves the tool: the data-access log says who took it.
    get_service(DataAccessService).downloaded(
        user.id, person.id, user.organisation_id, f"Subject access export, {school_label(school)}"
    )
    response = send_file(
        export.file,
        mimetype="application/zip",
        as_attachment=True,
        download_name=export.file_name,
        etag=False,
        conditional=False,
    )
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.get("/schools/<int:school_id>/leavers")
@login_required
def leavers(school_id: int) -> str:
    school = own_school(school_id)
    return render_template(
        "staff/leavers.html", school=school, leavers=get_service(StaffService).leavers(school)
    )


@bp.get("/me/cpd-record")
@login_required
def my_cpd_record() -> str:
    user = signed_in()
    return render_template(
        "staff/cpd_record.html",
        record=get_service(CpdRecordService).record(user.person),
        person=user.person,
        today=local_today(),
    )


@bp.get("/me/cpd-record.<any(csv, xlsx):fmt>")
@login_required
def my_cpd_record_export(fmt: str) -> Response:
    user = signed_in()
    header, rows = record_table(get_service(CpdRecordService).record(user.person))
    name = f"cpd-record-{local_today().isoformat()}"
    if fmt == "csv":
        return csv_response(name, header, rows)
    return xlsx_response(name, "CPD record", header, rows)
