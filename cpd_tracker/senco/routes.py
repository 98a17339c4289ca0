"""The school's SENCO page (appoint, end, record qualifications) and the trust's SENCO table.

Access, route by route: ``/senco/schools/<school_id>/...`` goes through ``own_school`` (another
organisation's school is a 404, a school the person does not lead a 403), so only a CPD lead
of that school or a trust leader marks anyone SENCO; a launch never does. Appointments and
qualifications are then looked up within that school (another school's id is a 404).
``/senco/trust`` is for trust leaders only.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, Response, abort, render_template, request
from flask import redirect as flask_redirect
from werkzeug.datastructures import CombinedMultiDict
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Response as BaseResponse

from cpd_tracker.access import login_required, own_school, signed_in, trust_leader_required
from cpd_tracker.exports import Cell, csv_response, xlsx_response
from cpd_tracker.models import Person, School, SencoQualification
from cpd_tracker.once import already_sent, sent
from cpd_tracker.registry import get_service, local_today
from cpd_tracker.rules.senco import SencoState
from cpd_tracker.senco.forms import (
    FUNDING_LABELS,
    KIND_LABELS,
    RESULT_LABELS,
    SCHOOL_TYPE_LABELS,
    AppointForm,
    DocumentForm,
    EndForm,
    HeadForm,
    PriorServiceForm,
    QualificationForm,
    RemovePriorServiceForm,
    SchoolTypeForm,
)
from cpd_tracker.services.data_access import DataAccessService, school_label
from cpd_tracker.services.senco import SchoolSenco, SencoError, SencoService, has_senco_duty
from cpd_tracker.services.senco_documents import SencoDocumentError, SencoDocumentService
from cpd_tracker.storage import (
    MAX_EVIDENCE_BYTES,
    MAX_EVIDENCE_LABEL,
    EvidenceMissing,
    download_response,
)
from cpd_tracker.templating import tool_url

log = logging.getLogger(__name__)

bp = Blueprint("senco", __name__, url_prefix="/senco")

#: A document may be as large as a certificate; the rest of the request fits in the extra.
UPLOAD_REQUEST_LIMIT = MAX_EVIDENCE_BYTES + 256 * 1024
TOO_LARGE = (
    f"The document you chose is larger than {MAX_EVIDENCE_LABEL}, so nothing was saved. Go "
    "back and choose a smaller file, such as a PDF or a photo of the letter."
)

STATE_LABELS: dict[str, str] = {
    SencoState.NOT_ELIGIBLE: "Not eligible",
    SencoState.EXEMPT: "Exempt",
    SencoState.QUALIFIED: "Qualified",
    SencoState.OVERDUE: "Overdue",
    SencoState.ON_TRACK: "On track",
    SencoState.AT_RISK: "At risk",
    SencoState.NOT_STARTED: "Not started",
    SencoState.NO_SENCO: "No SENCO",
    SencoState.NOT_REQUIRED: "Not required",
}


def _appoint_form(
    school: School, formdata: Any = None, *, staff: list[Person] | None = None
) -> AppointForm:
    form = AppointForm(formdata)
    if staff is None:
        staff = get_service(SencoService).staff_at(school)
    form.person_id.choices = [(p.id, p.display_name) for p in staff]
    return form


def _qualification_form(school: School, formdata: Any = None, obj: Any = None) -> QualificationForm:
    form = QualificationForm(formdata, obj=obj)
    form.person_id.choices = [
        (p.id, p.display_name) for p in get_service(SencoService).sencos_of(school)
    ]
    return form


def _head_form(
    school: School,
    formdata: Any = None,
    *,
    staff: list[Person] | None = None,
    current: Person | None = None,
) -> HeadForm:
    """The head teacher form; ``staff`` and ``current`` (the head) when the caller has them."""
    service = get_service(SencoService)
    if current is None:
        current = service.head_of(school)
    form = HeadForm(formdata, head_id=current.id if current else 0)
    if staff is None:
        staff = service.staff_at(school)
    form.head_id.choices = [(0, "Not recorded"), *((p.id, p.display_name) for p in staff)]
    return form


def _page(
    school: School,
    *,
    head: HeadForm | None = None,
    appoint: AppointForm | None = None,
    qualification: QualificationForm | None = None,
    end: EndForm | None = None,
    end_id: int | None = None,
    prior: PriorServiceForm | None = None,
    prior_id: int | None = None,
    school_type: SchoolTypeForm | None = None,
    status: int = 200,
) -> Response:
    service = get_service(SencoService)
    senco = service.school(school)
    quals = [q.id for item in senco.current for q in item.qualifications]
    staff = service.staff_at(school)
    current_head = service.head_of(school)
    html = render_template(
        "senco/school.html",
        school=school,
        senco=senco,
        head=current_head,
        head_form=head or _head_form(school, staff=staff, current=current_head),
        documents=get_service(SencoDocumentService).by_qualification(quals),
        appoint=appoint or _appoint_form(school, staff=staff),
        qualification=qualification or _qualification_form(school),
        end=end or EndForm(),
        end_id=end_id,
        prior_forms={
            item.appointment.id: prior
            if prior is not None and prior_id == item.appointment.id
            else PriorServiceForm(prefix=_prior_prefix(item.appointment.id))
            for item in senco.current
        },
        school_type_form=school_type
        or SchoolTypeForm(school_type=school.school_type.value if school.school_type else ""),
        school_type_labels=SCHOOL_TYPE_LABELS,
        remove_form=RemovePriorServiceForm(),
        has_duty=has_senco_duty(school),
        providers=service.providers(school.organisation_id),
        kind_labels=KIND_LABELS,
        result_labels=RESULT_LABELS,
        funding_labels=FUNDING_LABELS,
        saved=request.args.get("saved") if request.method == "GET" else None,
    )
    return Response(html, status=status)


def _prior_prefix(appointment_id: int) -> str:
    """Each SENCO's earlier-time form has its own field names (and so its own ids)."""
    return f"prior-{appointment_id}-"


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
    if (earlier := already_sent(form)) is not None:
        return earlier
    try:
        get_service(SencoService).appoint(school, form.details())
    except SencoError as error:  # the form checks the same; belt and braces
        abort(400, description=str(error))
    return sent("senco.school", school_id=school.id, saved="appointed")


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


@bp.post("/schools/<int:school_id>/appointments/<int:appointment_id>/prior-service")
@login_required
def prior_service(school_id: int, appointment_id: int) -> BaseResponse:
    school = own_school(school_id)
    service = get_service(SencoService)
    appointment = service.appointment_at(school, appointment_id)
    if appointment is None:
        abort(404)
    form = PriorServiceForm(
        request.form,
        prefix=_prior_prefix(appointment.id),
        appointment_started_on=appointment.started_on,
    )
    if not form.validate():
        return _page(school, prior=form, prior_id=appointment.id, status=400)
    if (earlier := already_sent(form)) is not None:
        return earlier
    try:
        service.add_prior_service(school, appointment, form.details())
    except SencoError as error:  # the form checks the same; belt and braces
        abort(400, description=str(error))
    return sent("senco.school", school_id=school.id, saved="prior")


@bp.post(
    "/schools/<int:school_id>/appointments/<int:appointment_id>/prior-service/<int:row_id>/remove"
)
@login_required
def prior_service_remove(school_id: int, appointment_id: int, row_id: int) -> BaseResponse:
    school = own_school(school_id)
    service = get_service(SencoService)
    appointment = service.appointment_at(school, appointment_id)
    if appointment is None:
        abort(404)
    if not RemovePriorServiceForm(request.form).validate():
        abort(400, description="The form has expired: go back, reload the page and try again.")
    try:
        service.remove_prior_service(school, appointment, row_id)
    except SencoError:
        abort(404)
    return _done(school, "prior_removed")


@bp.post("/schools/<int:school_id>/type")
@login_required
def school_type(school_id: int) -> BaseResponse:
    school = own_school(school_id)
    form = SchoolTypeForm(request.form)
    if not form.validate():
        return _page(school, school_type=form, status=400)
    get_service(SencoService).set_school_type(school, form.chosen())
    return _done(school, "type")


@bp.post("/schools/<int:school_id>/qualifications")
@login_required
def qualification(school_id: int) -> BaseResponse:
    school = own_school(school_id)
    form = _qualification_form(school, request.form)
    if not form.validate():
        return _page(school, qualification=form, status=400)
    if (earlier := already_sent(form)) is not None:
        return earlier
    try:
        get_service(SencoService).add_qualification(school, form.details())
    except SencoError as error:  # the form checks the same; belt and braces
        abort(400, description=str(error))
    return sent("senco.school", school_id=school.id, saved="qualification")


def _qualification_at(school: School, qualification_id: int) -> SencoQualification:
    row = get_service(SencoService).qualification_at(school, qualification_id)
    if row is None:
        abort(404)
    return row


def _edit_page(
    school: School,
    row: SencoQualification,
    *,
    form: QualificationForm | None = None,
    upload: DocumentForm | None = None,
    status: int = 200,
) -> Response:
    if form is None:
        form = _qualification_form(school, obj=row)
        form.kind.data = row.kind.value
        form.result.data = row.result.value
        form.funding.data = row.funding.value if row.funding else ""
    html = render_template(
        "senco/qualification.html",
        school=school,
        row=row,
        form=form,
        upload=upload or DocumentForm(),
        documents=get_service(SencoDocumentService).of(row),
        providers=get_service(SencoService).providers(school.organisation_id),
        kind_labels=KIND_LABELS,
        saved=request.args.get("saved") if request.method == "GET" else None,
    )
    return Response(html, status=status)


@bp.get("/schools/<int:school_id>/qualifications/<int:qualification_id>")
@login_required
def qualification_edit(school_id: int, qualification_id: int) -> Response:
    school = own_school(school_id)
    return _edit_page(school, _qualification_at(school, qualification_id))


@bp.post("/schools/<int:school_id>/qualifications/<int:qualification_id>")
@login_required
def qualification_update(school_id: int, qualification_id: int) -> BaseResponse:
    school = own_school(school_id)
    row = _qualification_at(school, qualification_id)
    form = _qualification_form(school, request.form)
    if not form.validate():
        return _edit_page(school, row, form=form, status=400)
    try:
        get_service(SencoService).update_qualification(school, row, form.details())
    except SencoError as error:
        abort(400, description=str(error))
    return _done(school, "qualification")


@bp.before_request
def _allow_document_upload() -> None:
    # Raised for this one form before anything parses the body (as for certificates).
    if request.endpoint == "senco.document_add" and request.method == "POST":
        request.max_content_length = UPLOAD_REQUEST_LIMIT


@bp.post("/schools/<int:school_id>/qualifications/<int:qualification_id>/documents")
@login_required
def document_add(school_id: int, qualification_id: int) -> BaseResponse:
    school = own_school(school_id)
    row = _qualification_at(school, qualification_id)
    try:
        formdata: CombinedMultiDict[str, Any] = CombinedMultiDict([request.files, request.form])
    except RequestEntityTooLarge:
        abort(413, description=TOO_LARGE)
    form = DocumentForm(formdata)
    if not form.validate() or form.upload is None:
        return _edit_page(school, row, upload=form, status=400)
    if (earlier := already_sent(form)) is not None:
        return earlier
    data, file_type, name = form.upload
    try:
        get_service(SencoDocumentService).add(school, row, data, file_type, name)
    except SencoDocumentError as error:
        form.document.errors = [str(error)]
        return _edit_page(school, row, upload=form, status=400)
    return sent(
        "senco.qualification_edit", school_id=school.id, qualification_id=row.id, saved="document"
    )


@bp.get("/schools/<int:school_id>/qualifications/<int:qualification_id>/documents/<int:doc_id>")
@login_required
def document(school_id: int, qualification_id: int, doc_id: int) -> Response:
    school = own_school(school_id)
    row = _qualification_at(school, qualification_id)
    service = get_service(SencoDocumentService)
    found = service.get(row, doc_id)
    if found is None:
        abort(404)
    try:
        data = service.read(found)
    except EvidenceMissing:
        log.warning("SENCO document %s: file %s is missing", found.id, found.storage_key)
        abort(404)
    get_service(DataAccessService).downloaded(
        signed_in().id,
        row.person_id,
        school.organisation_id,
        f"SENCO qualification document, {school_label(school)}",
    )
    return download_response(data, found.content_type, found.file_name)


@bp.post("/schools/<int:school_id>/head")
@login_required
def head(school_id: int) -> BaseResponse:
    school = own_school(school_id)
    form = _head_form(school, request.form)
    if not form.validate():
        return _page(school, head=form, status=400)
    try:
        get_service(SencoService).set_head(school, form.head_id.data or None)
    except SencoError as error:
        abort(400, description=str(error))
    return _done(school, "head")


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
    get_service(DataAccessService).exported(
        user.organisation_id, user.id, f"SENCO table {fmt.upper()}", None
    )
    name = f"senco-{local_today().isoformat()}"
    if fmt == "csv":
        return csv_response(name, HEADER, rows)
    return xlsx_response(name, "SENCOs", HEADER, rows)
