"""External training evidence, its verification, INSET attendance, exemptions, extensions.

Staff pages (``/records/external/new``, ``/records/evidence``) show and change only the
signed-in person's own records. School pages (``/records/schools/<id>/...``) go through
``own_school``: another organisation's school is a 404, a school the person does not lead a
403; a person, evidence item or session that is not that school's is a 404. Each handler loads,
checks access, calls one service method and renders; a refused change re-renders its form with
the GOV.UK error summary and a 4xx status, and the request edge rolls back.

After a change the browser is redirected (303) with a ``done`` key naming a fixed message: a
flashed message would ride in the session cookie, which an LMS iframe may never send back.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, abort, make_response, redirect, render_template, request
from werkzeug.datastructures import CombinedMultiDict
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Response

from cpd_tracker.access import login_required, own_school, signed_in
from cpd_tracker.auth import CurrentUser
from cpd_tracker.models import Evidence, Exemption, Extension, Module, School
from cpd_tracker.once import already_sent, sent
from cpd_tracker.records.forms import (
    BulkReviewForm,
    ConfirmForm,
    EvidenceNoticeForm,
    ExemptionForm,
    ExtensionForm,
    ExternalTrainingForm,
    InsetForm,
    InsetPlanForm,
    RejectForm,
    VerifyForm,
)
from cpd_tracker.registry import get_service, local_today
from cpd_tracker.services.data_access import DataAccessService, school_label
from cpd_tracker.services.person_page import PersonPage
from cpd_tracker.services.records import (
    CERTIFICATE_REQUIRED,
    EvidenceService,
    ExemptionDetails,
    ExtensionDetails,
    ExternalTraining,
    InsetDetails,
    InsetService,
    PersonRecordService,
    RecordsError,
    Upload,
)
from cpd_tracker.staff import person_page
from cpd_tracker.storage import (
    MAX_EVIDENCE_BYTES,
    MAX_EVIDENCE_LABEL,
    EvidenceMissing,
    download_response,
)
from cpd_tracker.templating import hours, tool_url

log = logging.getLogger(__name__)

bp = Blueprint("records", __name__, url_prefix="/records")

#: The certificate upload may be up to ``MAX_EVIDENCE_BYTES``; the rest of the request (the
#: other fields, multipart framing) fits easily in the extra. Every other route keeps the
#: app-wide ``MAX_CONTENT_LENGTH``.
UPLOAD_REQUEST_LIMIT = MAX_EVIDENCE_BYTES + 256 * 1024
#: People the staff records list shows (a school may hold tens of thousands, issue 14: the
#: dashboard's staff table pages through everyone and the downloads have them all).
PEOPLE_SHOWN = 500
TOO_LARGE = (
    f"The certificate you chose is larger than {MAX_EVIDENCE_LABEL}, so nothing was saved. "
    "Go back and choose a smaller file, such as a PDF or a photo of the certificate."
)

NO_SCHOOL = (
    "You are not on a school's staff list yet, so there is no CPD lead to check your training. "
    "Open the tool from your school's staff CPD course, then try again."
)

#: ``?done=`` keys and the confirmation each shows.
DONE = {
    "submitted": "Your training has been sent to your CPD lead to check.",
    "verified": "Verified. The training now counts on each person's record.",
    "rejected": "Rejected. The member of staff can see your reason.",
    **person_page.DONE,
    "notice_on": "Saved. The school's CPD leads will get an e-mail as soon as evidence arrives.",
    "notice_off": "Saved. The school's CPD leads will hear of new evidence in the weekly summary.",
}


@bp.before_request
def _allow_certificate_upload() -> None:
    # Flask 3.1 reads the limit per request: raise it for this one form before anything
    # (the launch-token lookup included) parses the body.
    if request.endpoint == "records.external_new" and request.method == "POST":
        request.max_content_length = UPLOAD_REQUEST_LIMIT


def _page(template: str, status: int = 200, **context: Any) -> Response:
    context.setdefault("done", DONE.get(request.args.get("done", "")))
    return make_response(render_template(template, **context), status)


def _see_other(endpoint: str, **values: Any) -> Response:
    return redirect(tool_url(endpoint, **values), code=303)


# --- Staff: record external training, see my evidence ----------------------------------------


def _upload_formdata() -> CombinedMultiDict[str, Any] | None:
    if request.method != "POST":
        return None
    try:
        return CombinedMultiDict([request.files, request.form])
    except RequestEntityTooLarge:
        abort(413, description=TOO_LARGE)


def _module_choices(modules: list[Module], placeholder: str) -> list[tuple[str, str]]:
    delivery = {
        "in_tool": "in this tool",
        "external": "course",
        "inset": "INSET",
        "qualification": "qualification",
    }
    return [("", placeholder)] + [
        (str(m.id), f"{m.title} ({delivery[m.delivery.value]}, {hours(m.cpd_hours)} h)")
        for m in modules
    ]


@bp.route("/external/new", methods=["GET", "POST"])
@login_required
def external_new() -> Response:
    user = signed_in()
    service = get_service(EvidenceService)
    schools, modules = service.form_options(user.person)
    form = ExternalTrainingForm(
        _upload_formdata(),
        today=local_today(),
        certificate_required_for=[m.id for m in modules if m.delivery in CERTIFICATE_REQUIRED],
    )
    form.school_id.choices = [("", "Choose a school")] + [(str(s.id), s.name) for s in schools]
    form.module_id.choices = _module_choices(modules, "Choose the training")
    if len(schools) == 1 and form.school_id.data is None:
        form.school_id.data = schools[0].id
    if request.method == "GET":
        form.module_id.data = form.module_id.coerce(request.args.get("module_id"))

    status = 200
    if request.method == "POST":
        status = 400
        if not schools:
            form.form_errors.append(NO_SCHOOL)
        elif form.validate():
            if (earlier := already_sent(form)) is not None:
                return earlier
            school = next(s for s in schools if s.id == form.school_id.data)
            upload = Upload(form.upload[0], form.upload[2]) if form.upload else None
            try:
                service.submit(
                    user.person,
                    school,
                    ExternalTraining(
                        module_id=form.module_id.data,
                        course_title=form.course_title.data or "",
                        provider=form.provider.data or "",
                        completed_on=form.completed_on.data,
                        cpd_hours=form.cpd_hours.data,
                        certificate_expires_on=form.certificate_expires_on.data,
                    ),
                    upload,
                )
            except RecordsError as exc:
                form.form_errors.append(exc.message)
                status = exc.status
            else:
                return sent("records.my_evidence", done="submitted")
        if form.too_large:
            status = 413
    return _page(
        "records/external_new.html",
        status,
        form=form,
        schools=schools,
        modules=modules,
        required_ids=form.certificate_required_for,
    )


@bp.get("/evidence")
@login_required
def my_evidence() -> Response:
    rows = get_service(EvidenceService).mine(signed_in().person)
    return _page("records/my_evidence.html", rows=rows)


def _may_see_evidence(user: CurrentUser, evidence: Evidence) -> bool:
    """The owner, a CPD lead of the school it was sent to, or a trust leader."""
    if evidence.organisation_id != user.organisation_id:
        return False
    if evidence.person_id == user.id or user.is_trust_leader:
        return True
    return evidence.school_id is not None and evidence.school_id in user.cpd_lead_school_ids()


@bp.get("/evidence/<int:evidence_id>/certificate")
@login_required
def certificate(evidence_id: int) -> Response:
    user = signed_in()
    service = get_service(EvidenceService)
    evidence = service.get(user.organisation_id, evidence_id)
    # Anyone who may not see it gets the same 404 as for an id that does not exist.
    if evidence is None or evidence.file_key is None or not _may_see_evidence(user, evidence):
        abort(404)
    try:
        data = service.certificate(evidence)
    except EvidenceMissing:
        log.warning("Evidence %s: certificate file %s is missing", evidence.id, evidence.file_key)
        abort(404)
    get_service(DataAccessService).downloaded(
        user.id,
        evidence.person_id,
        evidence.organisation_id,
        f"Certificate: {evidence.course_title}",
    )
    return download_response(
        data,
        evidence.content_type or "application/octet-stream",
        evidence.file_name or "certificate",
    )


# --- CPD lead: review evidence -----------------------------------------------------------------


def _school_evidence_page(
    school: School,
    form: BulkReviewForm,
    status: int = 200,
    notice: EvidenceNoticeForm | None = None,
) -> Response:
    listing = get_service(EvidenceService).for_school(school, signed_in().id)
    if notice is None:
        at_once = "yes" if school.evidence_notice_at_once else "no"
        notice = EvidenceNoticeForm(data={"at_once": at_once})
    return _page(
        "records/school_evidence.html",
        status,
        school=school,
        listing=listing,
        form=form,
        notice=notice,
    )


@bp.route("/schools/<int:school_id>/evidence", methods=["GET", "POST"])
@login_required
def school_evidence(school_id: int) -> Response:
    school = own_school(school_id)
    service = get_service(EvidenceService)
    form = BulkReviewForm(request.form if request.method == "POST" else None)
    listing = service.for_school(school, signed_in().id)
    # The viewer's own items are choices too, so that posting one is refused with the reason
    # (the service's 403), not as an unknown choice.
    form.evidence_id.choices = [
        (str(row.evidence.id), row.evidence.course_title)
        for row in listing.pending + listing.reviewed + listing.own
    ]
    if request.method == "GET":
        return _school_evidence_page(school, form)
    status = 400
    if form.validate():
        try:
            items = service.in_school(school, form.evidence_id.data or [])
            if form.action.data == "verify":
                service.verify(items, signed_in().person)
            else:
                service.reject(items, signed_in().person, form.reason.data or "")
        except RecordsError as exc:
            form.form_errors.append(exc.message)
            status = exc.status
        else:
            done = "verified" if form.action.data == "verify" else "rejected"
            return _see_other("records.school_evidence", school_id=school.id, done=done)
    return _school_evidence_page(school, form, status)


@bp.post("/schools/<int:school_id>/evidence/notice")
@login_required
def evidence_notice(school_id: int) -> Response:
    """Whether the school's CPD leads are e-mailed as soon as evidence arrives."""
    school = own_school(school_id)
    form = EvidenceNoticeForm(request.form)
    if not form.validate():
        return _school_evidence_page(school, BulkReviewForm(), 400, notice=form)
    at_once = form.at_once.data == "yes"
    get_service(EvidenceService).set_notice(school, at_once)
    done = "notice_on" if at_once else "notice_off"
    return _see_other("records.school_evidence", school_id=school.id, done=done)


def _school_item(school: School, evidence_id: int) -> Evidence:
    evidence = get_service(EvidenceService).get(school.organisation_id, evidence_id)
    if evidence is None or evidence.school_id != school.id:
        abort(404)
    return evidence


def _review_page(
    school: School,
    evidence: Evidence,
    status: int = 200,
    confirm: VerifyForm | None = None,
    reject: RejectForm | None = None,
) -> Response:
    row = get_service(EvidenceService).describe(evidence, signed_in().id)
    if confirm is None:
        confirm = VerifyForm(completed_on=evidence.completed_on)
        confirm.certificate_expires_on.data = evidence.certificate_expires_on
    return _page(
        "records/evidence_review.html",
        status,
        school=school,
        row=row,
        confirm=confirm,
        reject=reject or RejectForm(),
        own=evidence.person_id == signed_in().id,
    )


@bp.get("/schools/<int:school_id>/evidence/<int:evidence_id>")
@login_required
def evidence_review(school_id: int, evidence_id: int) -> Response:
    school = own_school(school_id)
    evidence = _school_item(school, evidence_id)
    get_service(DataAccessService).viewed(
        signed_in().id,
        evidence.person_id,
        school.organisation_id,
        f"Evidence to verify: {evidence.course_title}, {school_label(school)}",
    )
    return _review_page(school, evidence)


@bp.post("/schools/<int:school_id>/evidence/<int:evidence_id>/verify")
@login_required
def evidence_verify(school_id: int, evidence_id: int) -> Response:
    school = own_school(school_id)
    evidence = _school_item(school, evidence_id)
    form = VerifyForm(request.form, completed_on=evidence.completed_on)
    if not form.validate():
        return _review_page(school, evidence, 400, confirm=form)
    # The page's box holds the sent expiry: as posted it is confirmed, corrected or cleared.
    # A post without the box (an older page) keeps what the member of staff sent.
    checked = (
        {evidence.id: form.certificate_expires_on.data}
        if "certificate_expires_on" in request.form
        else None
    )
    try:
        get_service(EvidenceService).verify([evidence], signed_in().person, checked)
    except RecordsError as exc:
        form.form_errors.append(exc.message)
        return _review_page(school, evidence, exc.status, confirm=form)
    return _see_other("records.school_evidence", school_id=school.id, done="verified")


@bp.post("/schools/<int:school_id>/evidence/<int:evidence_id>/reject")
@login_required
def evidence_reject(school_id: int, evidence_id: int) -> Response:
    school = own_school(school_id)
    evidence = _school_item(school, evidence_id)
    form = RejectForm(request.form)
    if not form.validate():
        return _review_page(school, evidence, 400, reject=form)
    try:
        get_service(EvidenceService).reject([evidence], signed_in().person, form.reason.data or "")
    except RecordsError as exc:
        form.form_errors.append(exc.message)
        return _review_page(school, evidence, exc.status, reject=form)
    return _see_other("records.school_evidence", school_id=school.id, done="rejected")


# --- CPD lead: INSET -------------------------------------------------------------------------


@bp.get("/schools/<int:school_id>/inset")
@login_required
def inset_sessions(school_id: int) -> Response:
    school = own_school(school_id)
    sessions = get_service(InsetService).sessions(school)
    return _page(
        "records/inset_sessions.html", school=school, sessions=sessions, today=local_today()
    )


@bp.route("/schools/<int:school_id>/inset/new", methods=["GET", "POST"])
@login_required
def inset_new(school_id: int) -> Response:
    school = own_school(school_id)
    service = get_service(InsetService)
    staff, modules = service.form_options(school)
    form = InsetForm(request.form if request.method == "POST" else None, today=local_today())
    form.module_id.choices = _module_choices(modules, "Choose the training")
    form.attendees.choices = [(str(m.person_id), m.name) for m in staff]
    status = 200
    if request.method == "POST":
        status = 400
        if form.validate():
            if (earlier := already_sent(form)) is not None:
                return earlier
            try:
                inset = service.record(
                    school,
                    InsetDetails(
                        module_id=form.module_id.data,
                        title=form.title.data or "",
                        held_on=form.held_on.data,
                        cpd_hours=form.cpd_hours.data,
                        starts_at=form.starts_at.data,
                        ends_at=form.ends_at.data,
                    ),
                    form.chosen(),
                    signed_in().person,
                )
            except RecordsError as exc:
                form.form_errors.append(exc.message)
                status = exc.status
            else:
                return sent("records.inset_session", school_id=school.id, session_id=inset.id)
    ticked = set(form.attendees.data or [])
    return _page(
        "records/inset_new.html", status, school=school, form=form, staff=staff, ticked=ticked
    )


@bp.route("/schools/<int:school_id>/inset/plan", methods=["GET", "POST"])
@login_required
def inset_plan(school_id: int) -> Response:
    """Plan a session on a day to come: staff see "Next INSET" on My training (issue 17)."""
    school = own_school(school_id)
    service = get_service(InsetService)
    _, modules = service.form_options(school)
    form = InsetPlanForm(request.form if request.method == "POST" else None, today=local_today())
    form.module_id.choices = _module_choices(modules, "Choose the training")
    status = 200
    if request.method == "POST":
        status = 400
        if form.validate():
            if (earlier := already_sent(form)) is not None:
                return earlier
            try:
                service.plan(
                    school,
                    InsetDetails(
                        module_id=form.module_id.data,
                        title=form.title.data or "",
                        held_on=form.held_on.data,
                        cpd_hours=form.cpd_hours.data,
                    ),
                    signed_in().person,
                )
            except RecordsError as exc:
                form.form_errors.append(exc.message)
                status = exc.status
            else:
                return sent("records.inset_sessions", school_id=school.id)
    return _page("records/inset_plan.html", status, school=school, form=form)


@bp.get("/schools/<int:school_id>/inset/<int:session_id>")
@login_required
def inset_session(school_id: int, session_id: int) -> Response:
    school = own_school(school_id)
    record = get_service(InsetService).detail(school, session_id)
    if record is None:
        abort(404)
    return _page("records/inset_session.html", school=school, record=record)


# --- CPD lead: a person's exemptions and extensions (shown on the one person page) ------------


@bp.get("/schools/<int:school_id>/people")
@login_required
def people(school_id: int) -> Response:
    school = own_school(school_id)
    staff, total = get_service(PersonRecordService).staff(school, PEOPLE_SHOWN)
    return _page("records/people.html", school=school, staff=staff, total=total)


def _person_page(school_id: int, person_id: int) -> PersonPage:
    return person_page.load(*person_page.school_person(school_id, person_id))


@bp.get("/schools/<int:school_id>/people/<int:person_id>")
@login_required
def person(school_id: int, person_id: int) -> Response:
    """The person's record moved to the one person page (``staff.person``): a permanent
    redirect, after the same access checks (so a refusal is never cached as a move), with a
    ``done`` or ``saved`` confirmation carried along."""
    person_page.school_person(school_id, person_id)
    notices = {key: request.args.get(key) for key in ("done", "saved")}
    return redirect(
        tool_url("staff.person", school_id=school_id, person_id=person_id, **notices), code=301
    )


def _back(school_id: int, person_id: int, done: str) -> Response:
    return sent("staff.person", school_id=school_id, person_id=person_id, done=done)


@bp.post("/schools/<int:school_id>/people/<int:person_id>/exemptions")
@login_required
def grant_exemption(school_id: int, person_id: int) -> Response:
    page = _person_page(school_id, person_id)
    form = ExemptionForm(request.form, today=local_today())
    form.exemption_requirement.choices = person_page.requirement_choices(page)
    if not form.validate():
        return person_page.render(page, 400, exemption=form)
    if (earlier := already_sent(form)) is not None:
        return earlier
    try:
        get_service(PersonRecordService).grant_exemption(
            page.record,
            ExemptionDetails(
                requirement_id=form.exemption_requirement.data,
                reason=form.exemption_reason.data or "",
                starts_on=form.starts_on.data,
                ends_on=form.ends_on.data,
            ),
            signed_in().person,
        )
    except RecordsError as exc:
        form.form_errors.append(exc.message)
        return person_page.render(page, exc.status, exemption=form)
    return _back(school_id, person_id, "exemption")


@bp.post("/schools/<int:school_id>/people/<int:person_id>/extensions")
@login_required
def grant_extension(school_id: int, person_id: int) -> Response:
    page = _person_page(school_id, person_id)
    form = ExtensionForm(request.form, today=local_today())
    form.extension_requirement.choices = person_page.requirement_choices(page)
    if not form.validate():
        return person_page.render(page, 400, extension=form)
    if (earlier := already_sent(form)) is not None:
        return earlier
    try:
        get_service(PersonRecordService).grant_extension(
            page.record,
            ExtensionDetails(
                requirement_id=form.extension_requirement.data,
                reason=form.extension_reason.data or "",
                new_due_on=form.new_due_on.data,
            ),
            signed_in().person,
        )
    except RecordsError as exc:
        form.form_errors.append(exc.message)
        return person_page.render(page, exc.status, extension=form)
    return _back(school_id, person_id, "extension")


@bp.post(
    "/schools/<int:school_id>/people/<int:person_id>/<any(exemptions, extensions):kind>"
    "/<int:row_id>/revoke"
)
@login_required
def revoke(school_id: int, person_id: int, kind: str, row_id: int) -> Response:
    page = _person_page(school_id, person_id)
    record = page.record
    lines = record.exemptions if kind == "exemptions" else record.extensions
    if not any(line.row.id == row_id for line in lines):
        abort(404)
    form = ConfirmForm(request.form)
    if not form.validate():
        return person_page.render(page, 400, confirm=form)
    try:
        get_service(PersonRecordService).revoke(
            record, Exemption if kind == "exemptions" else Extension, row_id, signed_in().person
        )
    except RecordsError as exc:
        form.form_errors.append(exc.message)
        return person_page.render(page, exc.status, confirm=form)
    return _see_other("staff.person", school_id=school_id, person_id=person_id, done="revoked")
