"""LMS accounts waiting to be confirmed as people on the staff list (issue 15, finding 2).

Thin: ``IdentityLinkService`` decides who may see and decide what. A request someone may not
see is a 404; one they may see but not decide (the person outranks them, or has since launched
from an account of their own) is a 409 that says why.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, make_response, redirect, render_template, request
from werkzeug.wrappers import Response

from cpd_tracker import templating
from cpd_tracker.access import login_required, signed_in
from cpd_tracker.links.forms import DecideForm
from cpd_tracker.registry import get_service
from cpd_tracker.services.identity_links import IdentityLinkService, LinkNotAllowed
from cpd_tracker.templating import tool_url

bp = Blueprint("links", __name__, url_prefix="/people/links")

DONE = {
    "linked": "Confirmed. The LMS account now signs in as the person on the staff list.",
    "refused": "Refused. The LMS account stays a person of its own and is not asked about again.",
}


@bp.app_context_processor
def _template_helpers() -> dict[str, Any]:
    def waiting_links() -> int:
        """How many LMS accounts wait for the signed-in person to confirm (0 for staff),
        asked with the navigation's count in one statement (``templating.waiting``)."""
        return templating.waiting().links

    return {"waiting_links": waiting_links}


def _page(form: DecideForm, *, error: str | None = None, status: int = 200) -> Response:
    user = signed_in()
    service = get_service(IdentityLinkService)
    waiting = service.waiting(user)
    blocked: dict[int, str] = {}
    for item in waiting:
        try:
            service.check(item, user)
        except LinkNotAllowed as exc:
            blocked[item.id] = str(exc)
    html = render_template(
        "links/waiting.html",
        waiting=waiting,
        blocked=blocked,
        form=form,
        error=error,
        done=DONE.get(request.args.get("done", "")),
    )
    return make_response(html, status)


def _decides_links() -> bool:
    """Trust leaders and CPD leads confirm LMS accounts; staff never see the page."""
    user = signed_in()
    return user.is_trust_leader or bool(user.cpd_lead_school_ids())


def _may_decide() -> None:
    if not _decides_links():
        abort(403)


@bp.get("")
@login_required
def waiting() -> Response:
    _may_decide()
    return _page(DecideForm())


@bp.post("/<int:request_id>/<any(confirm, refuse):decision>")
@login_required
def decide(request_id: int, decision: str) -> Response:
    _may_decide()
    user = signed_in()
    service = get_service(IdentityLinkService)
    item = service.get(user, request_id)
    if item is None:
        abort(404)
    form = DecideForm(request.form)
    if not form.validate():
        return _page(form, status=400)
    try:
        if decision == "confirm":
            service.confirm(item, user)
        else:
            service.refuse(item, user)
    except LinkNotAllowed as exc:
        return _page(DecideForm(), error=str(exc), status=409)
    done = "linked" if decision == "confirm" else "refused"
    return redirect(tool_url("links.waiting", done=done), code=303)
