"""The purchases import pages: upload a finance system's CSV export, see the preview with every
row's problems, apply all or nothing (the staff import's flow, ``cpd_tracker/imports``).

Trust leaders and finance import for the whole organisation (each row's School URN, empty for
trust-central purchases); a CPD lead imports for a school they lead only.
"""

from __future__ import annotations

import csv
import io

from flask import abort, redirect, render_template, request
from werkzeug.datastructures import CombinedMultiDict
from werkzeug.wrappers import Response

from cpd_tracker.imports.forms import ApplyForm, UploadForm
from cpd_tracker.imports.routes import ERRORS_SHOWN, SAMPLE_ROWS, UPLOAD_BODY_LIMIT
from cpd_tracker.models import ImportUpload
from cpd_tracker.registry import get_service
from cpd_tracker.services.spend.imports import (
    PURCHASE_TEMPLATE_HEADINGS,
    AlreadyApplied,
    PurchaseImportService,
    PurchasePlan,
)
from cpd_tracker.spend.access import allowed_school, schools_for, spend_access_required, spend_user
from cpd_tracker.spend.routes import bp
from cpd_tracker.templating import tool_url

EVERY_SCHOOL = 0


@bp.before_request
def _allow_upload_size() -> None:
    """The upload takes up to 5 MB (the app's default body limit is far smaller)."""
    if request.method != "POST" or request.endpoint != "spend.import_purchases":
        return
    if request.content_length is not None and request.content_length > UPLOAD_BODY_LIMIT:
        abort(413, description="The file is too large. Split it into smaller files.")
    request.max_content_length = UPLOAD_BODY_LIMIT


@bp.route("/import", methods=["GET", "POST"])
@spend_access_required
def import_purchases() -> Response | tuple[str, int]:
    user = spend_user()
    posted = request.method == "POST"
    form = UploadForm(CombinedMultiDict([request.form, request.files]) if posted else None)
    choices = [(s.id, s.name) for s in schools_for(user)]
    if user.may_see_trust_money:
        choices.insert(
            0, (EVERY_SCHOOL, "Any school: each row's School URN (empty: trust central)")
        )
    if not choices:
        abort(403)
    form.school_id.choices = choices
    form.school_id.label.text = "Which purchases are in this file?"
    if not posted:
        form.school_id.data = choices[0][0]
    if posted and form.validate():
        school_id = form.school_id.data or None
        if school_id is not None:
            allowed_school(school_id)
        plan, upload = get_service(PurchaseImportService).submit(
            user.organisation_id, school_id, form.file_name, form.content, user.id
        )
        if upload is not None:
            return redirect(tool_url("spend.import_preview", upload_id=upload.id), 303)
        return _preview(plan, form.file_name, None, 400)
    return (
        render_template("spend/import_upload.html", form=form),
        400 if form.errors else 200,
    )


def _own_upload(upload_id: int) -> ImportUpload:
    user = spend_user()
    upload = get_service(PurchaseImportService).upload(user.organisation_id, upload_id)
    if upload is None:
        abort(404)
    if upload.school_id is None:
        if not user.may_see_trust_money:
            abort(403)
    else:
        allowed_school(upload.school_id)
    return upload


def _preview(
    plan: PurchasePlan,
    file_name: str,
    upload: ImportUpload | None,
    status: int,
    *,
    changed: bool = False,
    form: ApplyForm | None = None,
) -> tuple[str, int]:
    return (
        render_template(
            "spend/import_preview.html",
            plan=plan,
            file_name=file_name,
            upload=upload,
            form=form or ApplyForm(),
            errors=plan.errors[:ERRORS_SHOWN],
            errors_hidden=max(0, len(plan.errors) - ERRORS_SHOWN),
            sample=plan.changes[:SAMPLE_ROWS],
            changed=changed,
        ),
        status,
    )


@bp.get("/import/<int:upload_id>")
@spend_access_required
def import_preview(upload_id: int) -> tuple[str, int]:
    upload = _own_upload(upload_id)
    if upload.applied_at is not None:
        return render_template("spend/import_applied.html", upload=upload, already=False), 200
    service = get_service(PurchaseImportService)
    plan = service.check(upload.organisation_id, upload.school_id, upload.content, spend_user().id)
    return _preview(plan, upload.file_name, upload, 200)


@bp.post("/import/<int:upload_id>/apply")
@spend_access_required
def import_apply(upload_id: int) -> Response | tuple[str, int]:
    upload = _own_upload(upload_id)
    service = get_service(PurchaseImportService)
    form = ApplyForm(request.form)
    if not form.validate():
        plan = service.check(
            upload.organisation_id, upload.school_id, upload.content, spend_user().id
        )
        return _preview(plan, upload.file_name, upload, 400, form=form)
    try:
        plan = service.apply(upload, spend_user().id)
    except AlreadyApplied:
        return render_template("spend/import_applied.html", upload=upload, already=True), 409
    if not plan.ok:
        # The data changed since the preview: nothing was written (the edge rolls back a 409).
        return _preview(plan, upload.file_name, upload, 409, changed=True)
    return redirect(tool_url("spend.import_preview", upload_id=upload.id), 303)


@bp.get("/import/template.csv")
@spend_access_required
def import_template() -> Response:
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(PURCHASE_TEMPLATE_HEADINGS)
    return Response(
        "\ufeff" + out.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="purchases-import-template.csv"'},
    )
