"""Requests for a place (issue 17): My training's "Ask your CPD lead" button, and the page where
a school's CPD leads (or a trust leader) approve, decline with a reason, or book the place.

Who decides: a CPD lead of the request's school, or a trust leader of the organisation. Staff
and other schools' CPD leads get a 403 that says so; another organisation's request ids are
404, like ids that do not exist. Booking hands over to the spend blueprint's purchase form,
prefilled (``spend.new_purchase?place_request=<id>``): saving it names the person as a delegate
and marks the request booked, in one transaction.
"""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, Response, abort, flash, make_response, redirect, render_template
from flask import request as http_request
from werkzeug.wrappers import Response as BaseResponse

from cpd_tracker.access import login_required, signed_in
from cpd_tracker.auth import CurrentUser
from cpd_tracker.models import TrainingRequest
from cpd_tracker.once import already_sent, sent
from cpd_tracker.places.forms import AskForm, DecideForm, DeclineForm
from cpd_tracker.registry import get_service, local_today
from cpd_tracker.services.compliance import ComplianceService
from cpd_tracker.services.records import InsetService
from cpd_tracker.services.training_requests import (
    RequestRefused,
    TrainingRequestService,
)
from cpd_tracker.templating import tool_url

bp = Blueprint("places", __name__, url_prefix="/place-requests")

NOT_A_DECIDER = (
    "Only a school's CPD leads and trust leaders decide requests for a place. If you lead "
    "CPD at a school, open the tool from that school's staff CPD course."
)
INCOMPLETE = "That request was not complete. Reload the page and try again."


def _today() -> dt.date:
    return local_today()


def decider_scope(user: CurrentUser) -> frozenset[int] | None:
    """The schools whose requests ``user`` decides (None: every school, a trust leader);
    403 for anyone who decides none."""
    if user.is_trust_leader:
        return None
    schools = user.cpd_lead_school_ids()
    if not schools:
        abort(403, description=NOT_A_DECIDER)
    return schools


def decidable(request_id: int) -> TrainingRequest:
    """A request the signed-in person may decide: 404 for another organisation's (or no)
    request, 403 for another school's."""
    user = signed_in()
    decider_scope(user)
    item = get_service(TrainingRequestService).get(user.organisation_id, request_id)
    if item is None:
        abort(404)
    if not user.may_lead_school(item.school_id):
        abort(
            403,
            description=f"Only CPD leads of {item.school.name} and trust leaders decide this "
            "request.",
        )
    return item


# --- Staff: ask --------------------------------------------------------------------------------


@bp.post("/ask")
@login_required
def ask() -> BaseResponse:
    form = AskForm(http_request.form)
    if not form.validate():
        abort(400, description=INCOMPLETE)
    requirement_id: object = form.requirement_id.data
    if not isinstance(requirement_id, int):
        abort(400, description="Choose the training to ask for from My training.")
    if (earlier := already_sent(form)) is not None:
        return earlier
    person = signed_in().person
    today = _today()
    rows = get_service(ComplianceService).for_person(person, today)
    try:
        item = get_service(TrainingRequestService).ask(person, requirement_id, rows, today)
    except RequestRefused as exc:
        abort(409, description=str(exc))
    flash(
        f"You asked for a place on {item.module.title}. Your CPD lead at {item.school.name} "
        "has the request; you will get an e-mail when they decide.",
        "success",
    )
    return sent("training.my_training")


# --- CPD leads: decide -------------------------------------------------------------------------


def _list(status: int = 200, error: str | None = None) -> Response:
    user = signed_in()
    scope = decider_scope(user)
    waiting = get_service(TrainingRequestService).waiting(user.organisation_id, scope)
    insets = get_service(InsetService)
    upcoming = {
        item.id: insets.upcoming(item.school_id, item.module_id, _today()) for item in waiting.open
    }
    html = render_template(
        "places/requests.html",
        waiting=waiting,
        upcoming=upcoming,
        form=DecideForm(),
        error=error,
    )
    return make_response(html, status)


@bp.get("")
@login_required
def requests() -> Response:
    return _list()


@bp.post("/<int:request_id>/approve")
@login_required
def approve(request_id: int) -> BaseResponse:
    item = decidable(request_id)
    if not DecideForm(http_request.form).validate():
        abort(400, description=INCOMPLETE)
    try:
        get_service(TrainingRequestService).approve(item, signed_in().person)
    except RequestRefused as exc:
        return _list(409, str(exc))
    flash(
        f"Approved: {item.person.display_name} is told by e-mail. Book the place when you can.",
        "success",
    )
    return redirect(tool_url("places.requests"), code=303)


@bp.route("/<int:request_id>/decline", methods=["GET", "POST"])
@login_required
def decline(request_id: int) -> BaseResponse:
    item = decidable(request_id)
    form = DeclineForm(http_request.form if http_request.method == "POST" else None)
    status = 200
    if http_request.method == "POST":
        if form.validate():
            try:
                get_service(TrainingRequestService).decline(
                    item, signed_in().person, form.reason.data or ""
                )
            except RequestRefused as exc:
                return _list(409, str(exc))
            flash(f"Declined: {item.person.display_name} is told why by e-mail.", "success")
            return redirect(tool_url("places.requests"), code=303)
        status = 400
    return make_response(render_template("places/decline.html", item=item, form=form), status)


@bp.post("/<int:request_id>/inset/<int:session_id>")
@login_required
def book_inset(request_id: int, session_id: int) -> BaseResponse:
    """Give the person their place at an INSET session of the training to come."""
    item = decidable(request_id)
    if not DecideForm(http_request.form).validate():
        abort(400, description=INCOMPLETE)
    today = _today()
    inset = next(
        (
            s
            for s in get_service(InsetService).upcoming(item.school_id, item.module_id, today)
            if s.id == session_id
        ),
        None,
    )
    if inset is None:
        abort(404)
    try:
        get_service(TrainingRequestService).booked_inset(item, signed_in().person, inset, today)
    except RequestRefused as exc:
        return _list(409, str(exc))
    flash(
        f"Booked: {item.person.display_name} is told by e-mail to attend {inset.title}.",
        "success",
    )
    return redirect(tool_url("places.requests"), code=303)


@bp.post("/<int:request_id>/book")
@login_required
def book(request_id: int) -> BaseResponse:
    """Hand over to the purchase form, prefilled for this request."""
    item = decidable(request_id)
    if not DecideForm(http_request.form).validate():
        abort(400, description=INCOMPLETE)
    try:
        get_service(TrainingRequestService).check_bookable(item)
    except RequestRefused as exc:
        return _list(409, str(exc))
    return redirect(tool_url("spend.new_purchase", place_request=item.id), code=303)
