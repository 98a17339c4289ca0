"""Rendering the one person page (issue 17), for every view that shows it.

The page lives at ``/staff/schools/<school_id>/people/<person_id>`` (``staff.person``): its
own roles-and-dates form posts there; the exemption, extension and revoke forms post to their
``/records/...`` addresses and come back here. Whichever form was refused is passed in with its
errors and re-rendered with the page around it, with the status the refusal carries.

Access is each caller's: ``school_person`` is ``own_school`` (another organisation's school a
404, a school the viewer does not lead a 403) then ``StaffService.person_at`` (no role at that
school, ever: a 404).
"""

from __future__ import annotations

from flask import abort, make_response, render_template, request
from werkzeug.wrappers import Response

from cpd_tracker.access import own_school, signed_in
from cpd_tracker.models import Person, School
from cpd_tracker.records.forms import ConfirmForm, ExemptionForm, ExtensionForm
from cpd_tracker.registry import get_service, local_today
from cpd_tracker.services.compliance import audience_label
from cpd_tracker.services.person_page import PersonPage, PersonPageService
from cpd_tracker.services.staff import StaffService
from cpd_tracker.staff.forms import StaffRecordForm

#: ``?done=`` keys after a change made on the page, and the confirmation each shows.
DONE = {
    "exemption": "Exemption granted.",
    "extension": "Extension granted.",
    "revoked": "Revoked. The person's status has been worked out again.",
}


def school_person(school_id: int, person_id: int) -> tuple[School, Person]:
    school = own_school(school_id)
    person = get_service(StaffService).person_at(school, person_id)
    if person is None:
        abort(404)
    return school, person


def load(school: School, person: Person) -> PersonPage:
    return get_service(PersonPageService).page(school, person, signed_in().person)


def requirement_choices(page: PersonPage) -> list[tuple[str, str]]:
    return [("", "Choose the training")] + [
        (str(r.id), f"{r.module.title} ({audience_label(r)})") for r in page.record.requirements
    ]


def filled_staff_form(page: PersonPage) -> StaffRecordForm:
    form = StaffRecordForm()
    person = page.person
    form.fill(
        {r.role: r.started_on for r in page.staff.current_roles},
        start_date=person.start_date,
        leaving_date=person.leaving_date,
        staff_number=person.staff_number,
        email=person.email,
    )
    return form


def render(
    page: PersonPage,
    status: int = 200,
    *,
    staff_form: StaffRecordForm | None = None,
    exemption: ExemptionForm | None = None,
    extension: ExtensionForm | None = None,
    confirm: ConfirmForm | None = None,
) -> Response:
    today = local_today()
    exemption = exemption or ExemptionForm(today=today, data={"starts_on": today})
    extension = extension or ExtensionForm(today=today)
    choices = requirement_choices(page)
    exemption.exemption_requirement.choices = choices
    extension.extension_requirement.choices = choices
    shown = request.method == "GET"
    html = render_template(
        "staff/person.html",
        page=page,
        school=page.school,
        person=page.person,
        record=page.record,
        form=staff_form or filled_staff_form(page),
        exemption=exemption,
        extension=extension,
        confirm=confirm or ConfirmForm(),
        saved=request.args.get("saved") if shown else None,
        done=DONE.get(request.args.get("done", "")) if shown else None,
    )
    return make_response(html, status)
