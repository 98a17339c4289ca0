"""Import pages: upload a CSV, see the preview with row errors, apply all or nothing.

Who may import: a CPD lead, for the schools they lead; a trust leader, for any school of the
organisation (or every school at once, the school coming from the file's URN column). An upload
belongs to its organisation: anyone else's id is a 404; someone of the organisation who may not
import for that school gets a 403.

A file with problems is answered at once (400, every problem listed, nothing stored); a good
file is kept (``ImportUpload``) and previewed at ``/imports/<id>``; Apply re-checks it against
the data as it is then and writes everything or nothing.
"""

from __future__ import annotations

import csv
import io

from flask import Blueprint, abort, redirect, render_template, request
from werkzeug.datastructures import CombinedMultiDict
from werkzeug.wrappers import Response

from cpd_tracker.access import launch_course, login_required, signed_in
from cpd_tracker.auth import CurrentUser
from cpd_tracker.imports.forms import MAX_MB, ApplyForm, UploadForm
from cpd_tracker.models import ImportUpload
from cpd_tracker.params import id_arg
from cpd_tracker.registry import get_service
from cpd_tracker.services.imports import (
    COMPLETION_TEMPLATE_HEADINGS,
    MAX_FILE_BYTES,
    STAFF_TEMPLATE_HEADINGS,
    AlreadyApplied,
    ImportKind,
    ImportRefused,
    ImportService,
    KnownSchool,
    Plan,
)
from cpd_tracker.templating import tool_url

bp = Blueprint("imports", __name__, url_prefix="/imports")

#: The upload's multipart body: the file plus the form's few small fields.
UPLOAD_BODY_LIMIT = MAX_FILE_BYTES + 64 * 1024
#: Errors shown on a page (all of them go to the CLI report; a page of 20,000 helps nobody).
ERRORS_SHOWN = 500
SAMPLE_ROWS = 20

TITLES = {
    ImportKind.STAFF: "Import staff",
    ImportKind.COMPLETIONS: "Import training completions",
}


@bp.before_request
def _allow_upload_size() -> None:
    """Upload pages take up to 5 MB (the app's default body limit is far smaller)."""
    if request.method != "POST" or request.endpoint not in {"imports.staff", "imports.completions"}:
        return
    if request.content_length is not None and request.content_length > UPLOAD_BODY_LIMIT:
        abort(
            413,
            description=f"The file is larger than {MAX_MB}MB. Split it into smaller files "
            "and import them one at a time.",
        )
    request.max_content_length = UPLOAD_BODY_LIMIT


def _importer() -> CurrentUser:
    user = signed_in()
    if not (user.is_trust_leader or user.cpd_lead_school_ids()):
        abort(403)
    return user


def _school_choices(
    user: CurrentUser, schools: list[KnownSchool], kind: ImportKind
) -> list[tuple[int, str]]:
    led = user.cpd_lead_school_ids()
    choices = [(s.id, s.label) for s in schools if user.is_trust_leader or s.id in led]
    if user.is_trust_leader:
        every = (
            "Several schools: each row's School URN column says which"
            if kind is ImportKind.STAFF
            else "Any school of the trust"
        )
        choices.insert(0, (0, every))
    return choices


@bp.route("/staff", methods=["GET", "POST"])
@login_required
def staff() -> Response | tuple[str, int]:
    return _upload(ImportKind.STAFF)


@bp.route("/completions", methods=["GET", "POST"])
@login_required
def completions() -> Response | tuple[str, int]:
    return _upload(ImportKind.COMPLETIONS)


def _upload(kind: ImportKind) -> Response | tuple[str, int]:
    user = _importer()
    service = get_service(ImportService)
    schools = service.schools(user.organisation_id)
    posted = request.method == "POST"
    form = UploadForm(CombinedMultiDict([request.form, request.files]) if posted else None)
    form.school_id.choices = _school_choices(user, schools, kind)
    if not form.school_id.choices:  # a CPD lead of no school of this organisation
        abort(403)
    if not posted:
        form.school_id.data = _default_school([c[0] for c in form.school_id.choices])
    if posted and form.validate():
        school = next((s for s in schools if s.id == form.school_id.data), None)
        submitted = service.submit(
            kind,
            user.organisation_id,
            school=school,
            file_name=form.file_name,
            content=form.content,
            uploaded_by_id=user.id,
        )
        if submitted.upload is not None:
            return redirect(tool_url("imports.preview", upload_id=submitted.upload.id), 303)
        return _preview_page(submitted.plan, file_name=form.file_name, status=400)
    return (
        render_template(
            "imports/upload.html",
            form=form,
            kind=kind.value,
            title=TITLES[kind],
            endpoint=request.endpoint,
            template_endpoint=f"imports.{kind.value}_template",
            no_schools=not schools,
        ),
        400 if form.errors else 200,
    )


def _default_school(ids: list[int]) -> int:
    """The school asked for (``?school=``, from the school page), else the launch course's,
    else the first the person may import for."""
    asked = id_arg("school", label="The school")
    if asked in ids:
        return int(asked)
    course = launch_course()
    if course is not None and course.school_id in ids:
        return int(course.school_id)
    return ids[0]


def _own_upload(upload_id: int) -> ImportUpload:
    user = _importer()
    upload = get_service(ImportService).upload(user.organisation_id, upload_id)
    if upload is None:
        abort(404)
    if upload.school_id is None and not user.is_trust_leader:
        abort(403)
    if upload.school_id is not None and not user.may_lead_school(upload.school_id):
        abort(403)
    return upload


@bp.get("/<int:upload_id>")
@login_required
def preview(upload_id: int) -> tuple[str, int]:
    upload = _own_upload(upload_id)
    service = get_service(ImportService)
    if upload.applied_at is not None:
        return _applied_page(upload, 200)
    plan = service.preview(upload)
    return _preview_page(plan, file_name=upload.file_name, upload=upload, status=200)


@bp.post("/<int:upload_id>/apply")
@login_required
def apply(upload_id: int) -> Response | tuple[str, int]:
    upload = _own_upload(upload_id)
    service = get_service(ImportService)
    form = ApplyForm(request.form)
    if not form.validate():
        plan = service.preview(upload)
        return _preview_page(plan, file_name=upload.file_name, upload=upload, form=form, status=400)
    try:
        service.apply(upload)
    except AlreadyApplied:
        return _applied_page(upload, 409, already=True)
    except ImportRefused as refused:
        # The data changed since the preview (another import, a launch): nothing was written.
        return _preview_page(
            refused.plan, file_name=upload.file_name, upload=upload, status=409, changed=True
        )
    return redirect(tool_url("imports.preview", upload_id=upload.id), 303)


def _preview_page(
    plan: Plan,
    *,
    file_name: str,
    status: int,
    upload: ImportUpload | None = None,
    form: ApplyForm | None = None,
    changed: bool = False,
) -> tuple[str, int]:
    kind = ImportKind(plan.kind)
    return (
        render_template(
            "imports/preview.html",
            plan=plan,
            kind=kind.value,
            title=TITLES[kind],
            file_name=file_name,
            upload=upload,
            form=form or ApplyForm(),
            errors=plan.errors[:ERRORS_SHOWN],
            errors_hidden=max(0, len(plan.errors) - ERRORS_SHOWN),
            sample=plan.changes[:SAMPLE_ROWS],
            changed=changed,
            upload_endpoint=f"imports.{kind.value}",
        ),
        status,
    )


def _applied_page(upload: ImportUpload, status: int, *, already: bool = False) -> tuple[str, int]:
    kind = ImportKind(upload.kind)
    return (
        render_template(
            "imports/applied.html",
            upload=upload,
            kind=kind.value,
            title=TITLES[kind],
            result=get_service(ImportService).result_of(upload),
            already=already,
            upload_endpoint=f"imports.{kind.value}",
        ),
        status,
    )


@bp.get("/staff/template.csv")
@login_required
def staff_template() -> Response:
    return _template("staff-import-template.csv", STAFF_TEMPLATE_HEADINGS)


@bp.get("/completions/template.csv")
@login_required
def completions_template() -> Response:
    return _template("completions-import-template.csv", COMPLETION_TEMPLATE_HEADINGS)


def _template(name: str, headings: tuple[str, ...]) -> Response:
    _importer()
    out = io.StringIO(newline="")
    csv.writer(out, lineterminator="\r\n").writerow(headings)
    # A BOM so Excel opens the file as UTF-8 and saves names with accents intact.
    return Response(
        "\ufeff" + out.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
