"""Bad input on the staff record form: a 400 with the GOV.UK error summary, and nothing
written (person, roles and audit log exactly as before)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from cpd_tracker.extensions import db
from cpd_tracker.models import AuditEntry, Person, StaffRole, StaffRoleKind
from cpd_tracker.services.staff import StaffRecordError, StaffService
from tests.functional.staff.conftest import SignIn
from tests.functional.staff.support import ALDER, add_person, hidden
from tests.support.factories import school_id

GOOD: dict[str, Any] = {
    "roles": ["teacher"],
    "appointed_teacher": "2021-09-01",
    "start_date": "2021-09-01",
    "leaving_date": "",
    "staff_number": "T1",
    "email": "sam@alder.example.org",
}


def _state(app: Flask, person_id: int) -> tuple[Any, ...]:
    with app.app_context():
        person = db.session.get(Person, person_id)
        assert person is not None
        roles = sorted(
            (r.role.value, r.started_on, r.ended_on)
            for r in db.session.scalars(select(StaffRole).where(StaffRole.person_id == person_id))
        )
        audits = db.session.scalar(select(func.count(AuditEntry.id)))
        return (
            person.start_date,
            person.leaving_date,
            person.staff_number,
            person.email,
            person.active,
            tuple(roles),
            audits,
        )


@pytest.mark.parametrize(
    ("changes", "message", "target"),
    [
        (
            {"leaving_date": "2021-08-31"},
            "The leaving date must be the same as or after the start date",
            "#leaving_date",
        ),
        ({"roles": []}, "Select at least one role at this school", "#roles-0"),
        ({"roles": ["unassigned"]}, "Select roles from the list", "#roles-0"),
        ({"roles": ["teacher", "headteacher"]}, "Select roles from the list", "#roles-0"),
        (
            {"start_date": "31/02/2024"},
            "The start date must be a real date, like 1/9/2025",
            "#start_date",
        ),
        (
            {"leaving_date": "next week"},
            "The leaving date must be a real date, like 1/9/2025",
            "#leaving_date",
        ),
        (
            {"appointed_teacher": "2021-13-01"},
            "The date appointed as teacher must be a real date",
            "#appointed_teacher",
        ),
        (
            {"email": "sam at alder"},
            "Enter an email address in the correct format, like name@example.com",
            "#email",
        ),
        (
            {"staff_number": "x" * 51},
            "Staff number must be 50 characters or fewer",
            "#staff_number",
        ),
    ],
)
def test_bad_input_is_refused_and_nothing_is_written(
    app: Flask, sign_in: SignIn, changes: dict[str, Any], message: str, target: str
) -> None:
    lead = sign_in("instructor")
    alder = school_id(app, ALDER)
    sam = add_person(
        app,
        ALDER,
        "Sam Patel",
        {StaffRoleKind.TEACHER: dt.date(2021, 9, 1), StaffRoleKind.SENCO: None},
        start_date=dt.date(2021, 9, 1),
    )
    url = f"/staff/schools/{alder}/people/{sam}"
    before = _state(app, sam)
    html = lead.get(url).get_data(as_text=True)
    response = lead.post(url, data={"csrf_token": hidden(html, "csrf_token"), **GOOD, **changes})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "govuk-error-summary" in page
    assert f'href="{target}"' in page
    assert message in page
    assert "<title>Error: " in page
    assert _state(app, sam) == before


def test_the_form_keeps_what_was_typed(app: Flask, sign_in: SignIn) -> None:
    lead = sign_in("instructor")
    alder = school_id(app, ALDER)
    sam = add_person(app, ALDER, "Sam Patel")
    url = f"/staff/schools/{alder}/people/{sam}"
    html = lead.get(url).get_data(as_text=True)
    response = lead.post(
        url,
        data={
            "csrf_token": hidden(html, "csrf_token"),
            **GOOD,
            "roles": ["senco"],
            "appointed_senco": "2024-01-05",
            "staff_number": "NEW-NUMBER",
            "leaving_date": "2020-01-01",
        },
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'value="NEW-NUMBER"' in page
    assert 'value="2024-01-05"' in page
    assert (
        'checked class="govuk-checkboxes__input" data-aria-controls="conditional-roles-2"' in page
    )


@pytest.mark.parametrize("token", [None, "", "forged"])
def test_a_post_without_a_valid_csrf_token_is_refused(
    app: Flask, sign_in: SignIn, token: str | None
) -> None:
    lead = sign_in("instructor")
    alder = school_id(app, ALDER)
    sam = add_person(app, ALDER, "Sam Patel")
    before = _state(app, sam)
    data = dict(GOOD)
    if token is not None:
        data["csrf_token"] = token
    response = lead.post(f"/staff/schools/{alder}/people/{sam}", data=data)
    assert response.status_code == 400
    assert "This form has expired or was not sent by this tool" in response.get_data(as_text=True)
    assert _state(app, sam) == before


def test_a_csrf_token_from_another_session_is_refused(app: Flask, sign_in: SignIn) -> None:
    lead = sign_in("instructor")
    other_tab = sign_in("instructor")
    alder = school_id(app, ALDER)
    sam = add_person(app, ALDER, "Sam Patel")
    url = f"/staff/schools/{alder}/people/{sam}"
    token = hidden(other_tab.get(url).get_data(as_text=True), "csrf_token")
    before = _state(app, sam)
    response = lead.post(url, data={"csrf_token": token, **GOOD})
    assert response.status_code == 400
    assert "This form belongs to another session" in response.get_data(as_text=True)
    assert _state(app, sam) == before


def test_a_change_the_service_refuses_is_a_400(app: Flask, sign_in: SignIn) -> None:
    """The form and the service check the same rules; should they ever disagree, the service's
    refusal is a 400 and nothing is written."""

    class Refusing(StaffService):
        def update(self, *args: Any, **kwargs: Any) -> list[str]:
            raise StaffRecordError("refused by the service")

    lead = sign_in("instructor")
    alder = school_id(app, ALDER)
    sam = add_person(app, ALDER, "Sam Patel")
    url = f"/staff/schools/{alder}/people/{sam}"
    before = _state(app, sam)
    html = lead.get(url).get_data(as_text=True)
    original = app.extensions["services"][StaffService]
    app.extensions["services"][StaffService] = lambda: Refusing(*_collaborators(original()))
    response = lead.post(url, data={"csrf_token": hidden(html, "csrf_token"), **GOOD})
    assert response.status_code == 400
    assert "refused by the service" in response.get_data(as_text=True)
    assert _state(app, sam) == before


def _collaborators(service: Any) -> tuple[Any, ...]:
    return (service.session, service.audit, service.clock, service.cpd_records)
