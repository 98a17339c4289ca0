"""Reminder settings for the organisation (trust leaders), and "remind now" from a school's
chase list (its CPD leads): issue 17."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, make_response, redirect, render_template, request
from werkzeug.wrappers import Response

from cpd_tracker.access import login_required, own_school, signed_in, trust_leader_required
from cpd_tracker.registry import get_service, local_today
from cpd_tracker.reminders.forms import ReminderSettingsForm, RemindNowForm
from cpd_tracker.rules.reminders import pauses_text
from cpd_tracker.services.reminder_settings import ReminderSettingsService
from cpd_tracker.services.reminders import NotOnStaff, ReminderService, RemindNowReport
from cpd_tracker.templating import tool_url

bp = Blueprint("reminders", __name__)

#: People listed on the "remind now" page; a bigger list says how many more there are.
REMIND_PAGE_ROWS = 500


def _page(template: str, status: int = 200, **context: Any) -> Response:
    return make_response(render_template(template, **context), status)


@bp.route("/reminders/settings", methods=["GET", "POST"])
@trust_leader_required
def settings() -> Response:
    user = signed_in()
    service = get_service(ReminderSettingsService)
    current = service.settings(user.organisation_id)
    form = ReminderSettingsForm(request.form if request.method == "POST" else None)
    if request.method == "GET":
        form.lead_days.data = current.lead_days
        form.send_weekday.data = str(current.send_weekday)
        form.send_hour.data = str(current.send_hour)
        form.pauses.data = pauses_text(current.pauses)
    elif form.validate():
        assert form.lead_days.data is not None
        service.save(user.organisation_id, form.lead_days.data, form.parsed, form.sending_time())
        flash("Reminder settings saved.", "success")
        return redirect(tool_url("reminders.settings"), code=303)
    return _page("reminders/settings.html", 400 if form.errors else 200, form=form, current=current)


@bp.route("/schools/<int:school_id>/remind", methods=["GET", "POST"])
@login_required
def remind(school_id: int) -> Response:
    """Choose people from the chase list and send each their digest now."""
    school = own_school(school_id)
    service = get_service(ReminderService)
    today = local_today()
    form = RemindNowForm(request.form if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if not form.validate():
            status = 400
        else:
            try:
                report = service.remind_now(
                    school, form.person.data or [], today, signed_in().person
                )
            except NotOnStaff as refused:
                abort(400, description=str(refused))
            flash(_confirmation(report), "success")
            return redirect(tool_url("reminders.remind", school_id=school.id), code=303)
    rows = service.to_remind(school, today)
    return _page(
        "reminders/remind.html",
        status,
        school=school,
        form=form,
        rows=rows[:REMIND_PAGE_ROWS],
        total=len(rows),
    )


def _people(count: int) -> str:
    return f"{count} {'person' if count == 1 else 'people'}"


def _confirmation(report: RemindNowReport) -> str:
    parts = [f"Reminders queued for {_people(report.queued)}: they are e-mailed within minutes."]
    if report.already:
        parts.append(f"{_people(report.already)} had already been reminded today.")
    if report.no_email:
        parts.append(
            f"No e-mail address for {', '.join(report.no_email)}: please tell them in person."
        )
    if report.nothing_due:
        parts.append(f"Nothing to remind {', '.join(report.nothing_due)} of today.")
    return " ".join(parts)
