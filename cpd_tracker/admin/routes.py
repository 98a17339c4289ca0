"""Administration: LMS registrations and deployments, who leads what in the tool, and who
viewed or downloaded whose data (the data-access log)."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    make_response,
    redirect,
    render_template,
    request,
)
from werkzeug.wrappers import Response as BaseResponse

from cpd_tracker.access import signed_in, trust_leader_required
from cpd_tracker.admin.forms import GrantForm, InviteForm, RevokeForm
from cpd_tracker.exports import Cell, csv_response, xlsx_response
from cpd_tracker.extensions import db
from cpd_tracker.forms import BaseForm
from cpd_tracker.models import (
    Course,
    JobStatus,
    PermissionKind,
    Person,
    PlatformRegistration,
    School,
)
from cpd_tracker.once import already_sent, remember
from cpd_tracker.params import date_arg, id_arg, int_arg, text_arg
from cpd_tracker.registry import clock, get_service, local_today
from cpd_tracker.services.course_links import CourseLinkRefused, CourseLinkService
from cpd_tracker.services.data_access import (
    ACTION_LABELS,
    AccessFilter,
    AccessRow,
    DataAccessService,
)
from cpd_tracker.services.invitations import InvitationService, invite_url
from cpd_tracker.services.outbox import PERMANENT_ATTEMPTS, OutboxService
from cpd_tracker.services.overview import OverviewService
from cpd_tracker.services.permission_admin import PermissionAdminService, PermissionChangeError
from cpd_tracker.services.registrations import RegistrationConflict, RegistrationService
from cpd_tracker.services.roster import RosterService
from cpd_tracker.templating import tool_url
from cpd_tracker.urls import tool_base_url

bp = Blueprint("admin", __name__, url_prefix="/admin")


def _registrations_page(
    form: InviteForm | None = None, new_link: str | None = None, status: int = 200
) -> BaseResponse:
    user = signed_in()
    base = tool_base_url()
    return make_response(
        render_template(
            "admin/registrations.html",
            registrations=get_service(RegistrationService).registrations_of(user.organisation_id),
            tool_urls={
                "Login initiation URL": base + "/lti/login",
                "Redirect (launch) URL": base + "/lti/launch",
                "Public keyset (JWKS) URL": base + "/.well-known/jwks.json",
                "Dynamic Registration URL": base + "/lti/register",
            },
            invitations=get_service(InvitationService).of_organisation(user.organisation_id),
            link_requests=get_service(CourseLinkService).waiting(user.organisation_id),
            invite_form=form or InviteForm(),
            new_link=new_link,
            form=BaseForm(),
        ),
        status,
    )


@bp.get("/registrations")
@trust_leader_required
def registrations() -> BaseResponse:
    return _registrations_page()


@bp.post("/registrations/invitations")
@trust_leader_required
def invite() -> BaseResponse:
    """A new registration link, shown once on the page that answers (only its hash is kept)."""
    user = signed_in()
    form = InviteForm(request.form)
    if not form.validate():
        return _registrations_page(form, status=400)
    if (earlier := already_sent(form)) is not None:
        return earlier  # the same form again: no second link (the first was shown once)
    organisation = user.person.organisation
    _invitation, secret = get_service(InvitationService).create(
        organisation, by=user.person, days=form.days.data or 7, uses=form.uses.data or 1
    )
    remember("admin.registrations")
    return _registrations_page(new_link=invite_url(secret), status=201)


@bp.post("/registrations/invitations/<int:invitation_id>/revoke")
@trust_leader_required
def revoke_invitation(invitation_id: int) -> BaseResponse:
    user = signed_in()
    _checked_form()
    service = get_service(InvitationService)
    invitation = service.get(user.organisation_id, invitation_id)
    if invitation is None:
        abort(404)
    service.revoke(invitation, by=user.person)
    flash("The registration link no longer works.", "success")
    return redirect(tool_url("admin.registrations"))


@bp.post("/registrations/<int:registration_id>/approve")
@trust_leader_required
def approve_registration(registration_id: int) -> BaseResponse:
    user = signed_in()
    _checked_form()
    registration = _registration(user.organisation_id, registration_id)
    get_service(RegistrationService).approve(registration, by=user.person, now=clock())
    flash(f"{registration.name} is approved: the tool opens from it now.", "success")
    return redirect(tool_url("admin.registrations"))


@bp.post("/registrations/<int:registration_id>/refuse")
@trust_leader_required
def refuse_registration(registration_id: int) -> BaseResponse:
    user = signed_in()
    _checked_form()
    registration = _registration(user.organisation_id, registration_id)
    name = registration.name
    try:
        get_service(RegistrationService).refuse(registration)
    except RegistrationConflict as exc:
        abort(409, description=str(exc))
    flash(f"{name} is removed: it cannot open the tool.", "success")
    return redirect(tool_url("admin.registrations"))


@bp.post("/courses/<int:course_id>/link/<decision>")
@trust_leader_required
def decide_course_link(course_id: int, decision: str) -> BaseResponse:
    """Approve or decline a teacher's request to link their course to a school."""
    user = signed_in()
    _checked_form()
    course = db.session.get(Course, course_id)
    if course is None or course.organisation_id != user.organisation_id:
        abort(404)
    links = get_service(CourseLinkService)
    try:
        if decision == "approve":
            school = links.approve(course, user.person)
            get_service(RosterService).course_mapped(course)
            flash(f"{course.title or course.context_id} is linked to {school.name}.", "success")
        elif decision == "decline":
            links.decline(course, user.person)
            flash(f"The request for {course.title or course.context_id} is declined.", "success")
        else:
            abort(404)
    except CourseLinkRefused as exc:
        abort(409, description=str(exc))
    return redirect(tool_url("admin.registrations"))


def _checked_form() -> None:
    if not BaseForm(request.form).validate():
        abort(400, description="That request was not complete. Reload the page and try again.")


def _registration(organisation_id: int, registration_id: int) -> PlatformRegistration:
    registration = db.session.get(PlatformRegistration, registration_id)
    if registration is None or registration.organisation_id != organisation_id:
        abort(404)
    return registration


def _grant_form(organisation_id: int) -> GrantForm:
    form = GrantForm(request.form if request.method == "POST" else None)
    schools = get_service(OverviewService).schools_of(organisation_id)
    choices = [(0, "Choose a school")] + [(s.id, s.name) for s in schools]
    form.school_id.choices = lambda: choices  # type: ignore[assignment]  # stubs lag 3.3
    return form


@bp.route("/permissions", methods=["GET", "POST"])
@trust_leader_required
def permissions() -> BaseResponse:
    """Grant CPD lead or trust leader in the tool, whatever the LMS roles say."""
    user = signed_in()
    service = get_service(PermissionAdminService)
    form = _grant_form(user.organisation_id)
    error = None
    if request.method == "POST" and form.validate():
        school = None
        if form.kind.data == PermissionKind.CPD_LEAD.value and form.school_id.data:
            school = db.session.get(School, form.school_id.data)
        try:
            person = service.find_person(user.organisation_id, form.person.data or "")
            service.grant(person, PermissionKind(form.kind.data), school)
        except PermissionChangeError as exc:
            error = str(exc)
        else:
            flash(f"{person.display_name} now has that permission.", "success")
            return redirect(tool_url("admin.permissions"))
    status = 400 if (form.errors or error) else 200
    return Response(
        render_template(
            "admin/permissions.html",
            form=form,
            error=error,
            leaders=service.leaders(user.organisation_id),
            revoke_form=RevokeForm(),
            schools={
                s.id: s.name for s in get_service(OverviewService).schools_of(user.organisation_id)
            },
        ),
        status=status,
    )


@bp.post("/permissions/revoke")
@trust_leader_required
def revoke_permission() -> BaseResponse:
    user = signed_in()
    form = RevokeForm(request.form)
    if not form.validate() or form.kind.data not in {k.value for k in PermissionKind}:
        abort(400, description="That request was not complete. Reload the page and try again.")
    person = db.session.get(Person, form.person_id.data)
    if person is None or person.organisation_id != user.organisation_id:
        abort(404)
    try:
        get_service(PermissionAdminService).revoke(
            person,
            PermissionKind(form.kind.data),
            form.school_id.data or None,
            acting=user.person,
        )
    except PermissionChangeError as exc:
        abort(409, description=str(exc))
    flash(f"Permission taken away from {person.display_name}.", "success")
    return redirect(tool_url("admin.permissions"))


@bp.get("/outbox")
@trust_leader_required
def outbox() -> str:
    """Grades and roster reads waiting for an LMS, and those that gave up (with why)."""
    user = signed_in()
    service = get_service(OutboxService)
    return render_template(
        "admin/outbox.html",
        summary=service.summary(user.organisation_id),
        jobs=service.attention(user.organisation_id),
        form=BaseForm(),
        permanent_attempts=PERMANENT_ATTEMPTS,
    )


@bp.post("/outbox/<int:job_id>/retry")
@trust_leader_required
def outbox_retry(job_id: int) -> BaseResponse:
    user = signed_in()
    _checked_form()
    service = get_service(OutboxService)
    job = service.job(user.organisation_id, job_id)
    if job is None:
        abort(404)
    if job.status is JobStatus.DONE:
        abort(409, description="That job has already been done.")
    service.retry_now(job)
    flash("It will be tried again now; reload this page in a minute to see how it went.", "success")
    return redirect(tool_url("admin.outbox"))


# --- The data-access log ----------------------------------------------------------------------


def _access_filter() -> AccessFilter:
    wanted = AccessFilter(
        person_id=id_arg("person", label="The person filter"),
        name=text_arg("name"),
        since=date_arg("from", label="The 'from' date"),
        until=date_arg("to", label="The 'to' date"),
    )
    if wanted.since and wanted.until and wanted.since > wanted.until:
        abort(400, description="The 'from' date is after the 'to' date. Go back and swap them.")
    return wanted


def _filter_args(wanted: AccessFilter) -> dict[str, str]:
    """The filters as query values, for the page links and the downloads."""
    args = {
        "person": str(wanted.person_id) if wanted.person_id is not None else "",
        "name": wanted.name,
        "from": wanted.since.isoformat() if wanted.since else "",
        "to": wanted.until.isoformat() if wanted.until else "",
    }
    return {k: v for k, v in args.items() if v}


@bp.get("/data-access")
@trust_leader_required
def data_access() -> str:
    """Who viewed or downloaded whose data, newest first: the organisation's entries only,
    filtered by person (as viewer or whose data), name or e-mail, and days; paged."""
    user = signed_in()
    wanted = _access_filter()
    service = get_service(DataAccessService)
    person = None
    if wanted.person_id is not None:
        person = service.person(user.organisation_id, wanted.person_id)
        if person is None:
            abort(404)
    page = int_arg("page", default=1, label="The page number") or 1
    listing = service.page(user.organisation_id, wanted, page)
    if page > listing.pages:
        abort(400, description=f"The log has {listing.pages:,} pages. Go back and choose one.")
    return render_template(
        "admin/data_access.html",
        listing=listing,
        wanted=wanted,
        person=person,
        labels=ACTION_LABELS,
        args=_filter_args(wanted),
    )


ACCESS_HEADER = ["When (London time)", "Who", "What they did", "Whose data", "What"]


def _access_cells(row: AccessRow) -> list[Cell]:
    return [
        row.entry.created_at,
        row.viewer,
        ACTION_LABELS.get(row.entry.action, row.entry.action),
        row.subject or "Several people",
        row.entry.what,
    ]


@bp.get("/data-access.<any(csv, xlsx):fmt>")
@trust_leader_required
def data_access_export(fmt: str) -> Response:
    """The filtered log, every entry (the log is kept for a limited time, so it is read
    whole); itself an export listing people, so it is logged too."""
    user = signed_in()
    wanted = _access_filter()
    service = get_service(DataAccessService)
    if (
        wanted.person_id is not None
        and service.person(user.organisation_id, wanted.person_id) is None
    ):
        abort(404)
    rows = [_access_cells(row) for row in service.all_rows(user.organisation_id, wanted)]
    service.exported(user.organisation_id, user.id, f"Data access log {fmt.upper()}", None)
    name = f"data-access-{local_today().isoformat()}"
    if fmt == "csv":
        return csv_response(name, ACCESS_HEADER, rows)
    return xlsx_response(name, "Data access", ACCESS_HEADER, rows)
