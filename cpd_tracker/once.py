"""Create forms act once: the same form sent twice creates nothing the second time and shows
what the first created (issue 14, finding 8; the JavaScript double-click guard is only a
courtesy). The form's key is its CSRF token, which carries a nonce per rendered form.

A create view, once its form has validated::

    if (earlier := already_sent(form)) is not None:
        return earlier          # a redirect to what the first submission created
    thing = service.create(...)
    return sent("blueprint.thing", thing_id=thing.id)   # records it, redirects there

The claim is written in the request's transaction, so a submission refused later (a 4xx rolls
back) leaves no claim, and the corrected form can be sent again.
"""

from __future__ import annotations

from typing import Any

from flask import abort, current_app, g, redirect, request
from werkzeug.wrappers import Response

from cpd_tracker.access import signed_in
from cpd_tracker.extensions import db
from cpd_tracker.forms import BaseForm
from cpd_tracker.registry import clock, get_service
from cpd_tracker.services.submissions import SubmissionService, submission_key
from cpd_tracker.templating import tool_url

#: Added to the page a resubmission is sent to: the layout then says nothing new was saved.
RESENT_ARG = "resent"


def _service() -> SubmissionService:
    # Registered here rather than in services_setup, so this guard stays in one module.
    current_app.extensions["services"].setdefault(
        SubmissionService, lambda: SubmissionService(db.session, clock)
    )
    return get_service(SubmissionService)


def already_sent(form: BaseForm) -> Response | None:
    """None the first time this form is sent (it is claimed); else the response showing what
    its first submission created."""
    user = signed_in()
    key = submission_key(request.path, str(form["csrf_token"].data or ""))
    row, first = _service().claim(user.organisation_id, key, request.endpoint or "", user.id)
    if first:
        g.form_submission = row
        return None
    if row.result_endpoint is None:
        abort(
            409,
            description=(
                "This form was sent twice at the same moment; it was saved once. Reload the "
                "page to see it."
            ),
        )
    values = {**(row.result_values or {}), RESENT_ARG: "1"}
    return redirect(tool_url(row.result_endpoint, **values), code=303)


def remember(endpoint: str, **values: Any) -> None:
    """Record where this submission's result is shown, for a view that renders it itself."""
    row = g.get("form_submission")
    if row is not None:
        _service().record_result(row, endpoint, values)


def sent(endpoint: str, *, code: int = 303, **values: Any) -> Response:
    """Record where this submission's result is shown, and go there."""
    remember(endpoint, **values)
    return redirect(tool_url(endpoint, **values), code=code)
