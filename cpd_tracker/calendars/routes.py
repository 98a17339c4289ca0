"""Calendar feeds (issue 17): ``/calendar.ics?key=<key>`` for calendar apps (no sign-in: the
secret key, derived from SECRET_KEY and never stored, is the credential; in the query string,
which no access log writes, like the launch token), and the pages that show a person or a CPD
lead their feed's address with subscribing instructions and a button for a new address (the
old one stops working)."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from cpd_tracker.access import login_required, own_school, signed_in
from cpd_tracker.forms import BaseForm
from cpd_tracker.models import CalendarFeed
from cpd_tracker.registry import get_service, local_today
from cpd_tracker.services.calendars import CalendarService
from cpd_tracker.templating import tool_url
from cpd_tracker.urls import tool_base_url

bp = Blueprint("calendars", __name__)

INCOMPLETE = "That request was not complete. Reload the page and try again."


def feed_url(key: str) -> str:
    """The address to subscribe to. ``url_for``, not ``tool_url``: the launch token must never
    ride along into a calendar app."""
    return tool_base_url() + url_for("calendars.feed", key=key)


def webcal_url(address: str) -> str:
    """The same address as ``webcal://``: one click opens the calendar app to subscribe."""
    parts = urlsplit(address)
    return f"webcal://{parts.netloc}{parts.path}?{parts.query}"


@bp.get("/calendar.ics")
def feed() -> Response:
    service = get_service(CalendarService)
    found = service.by_key(request.args.get("key", ""))
    body = None if found is None else service.render(found, local_today())
    if body is None:
        abort(404)
    response = Response(body, content_type="text/calendar; charset=utf-8")
    response.headers["Content-Disposition"] = 'inline; filename="send-training.ics"'
    # Private to whoever holds the address; calendar apps poll, so a short cache is enough.
    response.headers["Cache-Control"] = "private, max-age=900"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


def _page(
    feed: CalendarFeed,
    *,
    heading: str,
    regenerate: str,
    back: str,
    back_text: str,
    **context: object,
) -> str:
    address = feed_url(get_service(CalendarService).key(feed))
    return render_template(
        "calendars/subscribe.html",
        heading=heading,
        url=address,
        webcal=webcal_url(address),
        regenerate=regenerate,
        form=BaseForm(),
        back=back,
        back_text=back_text,
        **context,
    )


def _checked() -> None:
    if not BaseForm(request.form).validate():
        abort(400, description=INCOMPLETE)


@bp.get("/my-training/calendar")
@login_required
def mine() -> str:
    feed = get_service(CalendarService).person_feed(signed_in().person)
    return _page(
        feed,
        heading="Your training calendar",
        regenerate=tool_url("calendars.mine_new_address"),
        back=tool_url("training.my_training"),
        back_text="My training",
        what=(
            "your SEND training due dates, the INSET sessions at your school and the courses "
            "booked for you"
        ),
        school=None,
    )


@bp.post("/my-training/calendar/new-address")
@login_required
def mine_new_address() -> BaseResponse:
    _checked()
    service = get_service(CalendarService)
    service.regenerate(service.person_feed(signed_in().person))
    flash(
        "Your calendar has a new address: calendars using the old one no longer update.", "success"
    )
    return redirect(tool_url("calendars.mine"), code=303)


@bp.get("/schools/<int:school_id>/calendar")
@login_required
def school(school_id: int) -> str:
    found = own_school(school_id)
    feed = get_service(CalendarService).school_feed(found)
    return _page(
        feed,
        heading=f"{found.name}'s training calendar",
        regenerate=tool_url("calendars.school_new_address", school_id=found.id),
        back=tool_url("reports.school_page", school_id=found.id),
        back_text=found.name,
        what=(
            "the school's INSET sessions and its training deadlines, with how many staff each "
            "applies to (never their names)"
        ),
        school=found,
    )


@bp.post("/schools/<int:school_id>/calendar/new-address")
@login_required
def school_new_address(school_id: int) -> BaseResponse:
    found = own_school(school_id)
    _checked()
    service = get_service(CalendarService)
    service.regenerate(service.school_feed(found))
    flash(
        "The school's calendar has a new address: calendars using the old one no longer update.",
        "success",
    )
    return redirect(tool_url("calendars.school", school_id=found.id), code=303)
