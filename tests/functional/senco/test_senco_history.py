"""The SENCO pages ask in the statute's terms (issue 16): QTLS with SET, earlier time as SENCO
with its dates and whether the school was a relevant one (and earlier appointments in the tool
counted without asking), the day the course ended, and the type of school (special and
independent schools: not required). Through real launches, on a fixed day for the SENCO service."""

from __future__ import annotations

import datetime as dt

import pytest
from flask import Flask
from sqlalchemy import func, select

from cpd_tracker.extensions import db
from cpd_tracker.models import (
    AuditEntry,
    School,
    SchoolType,
    SencoAppointment,
    SencoPriorService,
    SencoQualification,
)
from cpd_tracker.services.senco import SencoService
from tests.functional.senco.conftest import SignIn
from tests.functional.senco.support import post
from tests.functional.staff.support import ALDER, BIRCH, add_person, hidden
from tests.support.factories import school_id

#: Today, for every test here: 20 September 2027.
TODAY = dt.date(2027, 9, 20)


@pytest.fixture(autouse=True)
def senco_today(monkeypatch: pytest.MonkeyPatch) -> None:
    """The SENCO service's today (sign-in keeps the real clock: launch tokens are dated)."""
    monkeypatch.setattr(SencoService, "today", lambda self: TODAY)


def _appoint(app: Flask, urn: str, person_id: int, started_on: dt.date, **fields: object) -> int:
    values: dict[str, object] = {
        "has_qts": True,
        "induction_complete": True,
        "teaches_at_school": True,
        **fields,
    }
    sid = school_id(app, urn)
    with app.app_context():
        school = db.session.get(School, sid)
        assert school is not None
        row = SencoAppointment(
            organisation_id=school.organisation_id,
            school_id=sid,
            person_id=person_id,
            started_on=started_on,
            **values,
        )
        db.session.add(row)
        db.session.commit()
        return row.id


def _actions(app: Flask) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


def _stint(pid: int, started: str, ended: str, relevant: str) -> dict[str, str]:
    prefix = f"prior-{pid}-"
    return {
        f"{prefix}school_name": "Elm Primary",
        f"{prefix}started_on": started,
        f"{prefix}ended_on": ended,
        f"{prefix}relevant_school": relevant,
    }


def _post_stint(client, page: str, path: str, appointment: int, data: dict[str, str]):  # type: ignore[no-untyped-def]
    html = client.get(page).get_data(as_text=True)
    token = hidden(html, f"prior-{appointment}-csrf_token")
    return client.post(path, data={f"prior-{appointment}-csrf_token": token, **data})


def test_qtls_with_set_is_asked_and_makes_a_qualified_teacher(app: Flask, sign_in: SignIn) -> None:
    lead = sign_in("instructor")
    sid = school_id(app, ALDER)
    pid = add_person(app, ALDER, "Sian Evans")
    page = f"/senco/schools/{sid}"
    assert "Has QTLS and is a member of the Society for Education and Training" in (
        lead.get(page).get_data(as_text=True)
    )
    response = post(
        lead,
        f"/senco/schools/{sid}/appointments",
        page,
        {
            "person_id": str(pid),
            "started_on": "1/9/2027",
            "qtls_with_set": "y",
            "induction_complete": "y",
            "teaches_at_school": "y",
        },
    )
    assert response.status_code == 303
    html = lead.get(page).get_data(as_text=True)
    assert "Not started" in html
    assert "Cannot be the SENCO" not in html
    with app.app_context():
        row = db.session.scalars(select(SencoAppointment)).one()
        assert (row.has_qts, row.qtls_with_set) == (False, True)
        audit = db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "senco.appointed")
        ).one()
        assert audit.details["qtls_with_set"] is True


def test_an_earlier_stint_at_a_mainstream_school_makes_an_exemption(
    app: Flask, sign_in: SignIn
) -> None:
    lead = sign_in("instructor")
    sid = school_id(app, ALDER)
    pid = add_person(app, ALDER, "Sian Evans")
    appointment = _appoint(app, ALDER, pid, dt.date(2027, 9, 1))
    page = f"/senco/schools/{sid}"
    html = lead.get(page).get_data(as_text=True)
    assert "Not started" in html
    assert "Was it a mainstream school or a maintained nursery school?" in html
    path = f"/senco/schools/{sid}/appointments/{appointment}/prior-service"
    # Twelve months exactly: not more than 12, no exemption.
    response = _post_stint(
        lead, page, path, appointment, _stint(appointment, "1/9/2022", "31/8/2023", "yes")
    )
    assert response.status_code == 303
    html = lead.get(page).get_data(as_text=True)
    assert "Not started" in html
    assert "365 days at mainstream schools or maintained nursery schools" in html
    assert "Elm Primary" in html
    # Another month elsewhere: now more than 12 months in total.
    response = _post_stint(
        lead, page, path, appointment, _stint(appointment, "1/1/2025", "31/1/2025", "yes")
    )
    assert response.status_code == 303
    html = lead.get(page).get_data(as_text=True)
    assert "Exempt" in html
    assert "for 396 days in total, more than 12 months" in html
    assert _actions(app).count("senco.prior_service_added") == 2

    # Removing one (entered by mistake) takes the exemption away, audited.
    with app.app_context():
        row_id = db.session.scalars(
            select(SencoPriorService.id).where(SencoPriorService.started_on == dt.date(2025, 1, 1))
        ).one()
    remove = f"{path}/{row_id}/remove"
    token = hidden(lead.get(page).get_data(as_text=True), "csrf_token")
    assert lead.post(remove, data={"csrf_token": token}).status_code == 303
    assert "Not started" in lead.get(page).get_data(as_text=True)
    assert "senco.prior_service_removed" in _actions(app)


def test_time_at_a_special_school_does_not_count(app: Flask, sign_in: SignIn) -> None:
    lead = sign_in("instructor")
    sid = school_id(app, ALDER)
    pid = add_person(app, ALDER, "Sian Evans")
    appointment = _appoint(app, ALDER, pid, dt.date(2027, 9, 1))
    page = f"/senco/schools/{sid}"
    path = f"/senco/schools/{sid}/appointments/{appointment}/prior-service"
    response = _post_stint(
        lead, page, path, appointment, _stint(appointment, "1/9/2020", "31/8/2023", "no")
    )
    assert response.status_code == 303
    html = lead.get(page).get_data(as_text=True)
    assert "Not started" in html
    assert "No: special or independent school" in html
    assert "service at special or independent schools does not count" in html


def test_earlier_appointments_in_the_tool_count_without_being_entered(
    app: Flask, sign_in: SignIn
) -> None:
    pid = add_person(app, ALDER, "Sian Evans")
    # SENCO at Birch for two years, then at Alder from 1 September 2027.
    _appoint(app, BIRCH, pid, dt.date(2024, 9, 1), ended_on=dt.date(2026, 9, 1))
    _appoint(app, ALDER, pid, dt.date(2027, 9, 1))
    lead = sign_in("admin")
    html = lead.get(f"/senco/schools/{school_id(app, ALDER)}").get_data(as_text=True)
    assert "Exempt" in html
    assert "(recorded in this tool)" in html
    assert "730 days in total" in html
    # The trust table says the same.
    table = lead.get("/senco/trust").get_data(as_text=True)
    assert "730 days in total" in table


def test_history_at_a_special_school_in_the_tool_does_not_count(
    app: Flask, sign_in: SignIn
) -> None:
    pid = add_person(app, ALDER, "Sian Evans")
    with app.app_context():
        birch = db.session.get(School, school_id(app, BIRCH))
        assert birch is not None
        birch.school_type = SchoolType.SPECIAL_ACADEMY
        db.session.commit()
    _appoint(app, BIRCH, pid, dt.date(2024, 9, 1), ended_on=dt.date(2026, 9, 1))
    _appoint(app, ALDER, pid, dt.date(2027, 9, 1))
    html = sign_in("admin").get(f"/senco/schools/{school_id(app, ALDER)}").get_data(as_text=True)
    assert "Not started" in html
    assert "service at special or independent schools does not count" in html


def test_a_special_school_is_not_required_on_the_school_and_trust_pages(
    app: Flask, sign_in: SignIn
) -> None:
    leader = sign_in("admin")
    sid = school_id(app, BIRCH)
    page = f"/senco/schools/{sid}"
    assert "No SENCO" in leader.get(page).get_data(as_text=True)
    html = leader.get(page).get_data(as_text=True)
    token = hidden(html, "csrf_token")
    response = leader.post(
        f"/senco/schools/{sid}/type", data={"csrf_token": token, "school_type": "special_academy"}
    )
    assert response.status_code == 303
    html = leader.get(page).get_data(as_text=True)
    assert "Not required" in html
    assert "No SENCO" not in html
    assert "Special academy or special free school" in html
    table = leader.get("/senco/trust").get_data(as_text=True)
    birch_row = table.split("Birch")[1].split("</tr>")[0]
    assert "Not required" in birch_row
    assert "govuk-tag--red" not in birch_row
    with app.app_context():
        audit = db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "school.type_changed")
        ).one()
        assert (audit.details["before"], audit.details["after"]) == (None, "special_academy")
    csv_text = leader.get("/senco/trust.csv").get_data(as_text=True)
    assert "Not required" in csv_text


def test_the_nasenco_course_end_is_asked_and_decides(app: Flask, sign_in: SignIn) -> None:
    lead = sign_in("instructor")
    sid = school_id(app, ALDER)
    pid = add_person(app, ALDER, "Sian Evans")
    _appoint(app, ALDER, pid, dt.date(2025, 1, 3))
    page = f"/senco/schools/{sid}"
    html = lead.get(page).get_data(as_text=True)
    assert "Date the course ended (optional)" in html
    data = {
        "person_id": str(pid),
        "kind": "nasenco",
        "started_on": "8/1/2024",
        "result": "passed",
        "completed_on": "15/9/2027",
        "funding": "",
    }
    # The award alone, after 1 September 2027: does not count.
    response = post(lead, f"/senco/schools/{sid}/qualifications", page, data)
    assert response.status_code == 303
    html = lead.get(page).get_data(as_text=True)
    assert "At risk" in html
    assert "record the day it ended: it then counts." in html
    # The course ended on 30 June 2027: it counts.
    with app.app_context():
        qid = db.session.scalars(select(SencoQualification.id)).one()
    edit = f"/senco/schools/{sid}/qualifications/{qid}"
    response = post(lead, edit, edit, {**data, "course_completed_on": "30/6/2027"})
    assert response.status_code == 303
    html = lead.get(page).get_data(as_text=True)
    assert "Qualified" in html
    assert "(course completed on 30 June 2027)" in html
    assert "(course ended 30 June 2027)" in html
    with app.app_context():
        audit = db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "senco.qualification_updated")
        ).one()
        assert audit.details["course_completed_on"] == "2027-06-30"


@pytest.mark.parametrize(
    ("stint", "message"),
    [
        (("1/9/2027", "2/9/2027", "yes"), "The start date must be before this appointment began"),
        (("1/9/2020", "1/8/2020", "yes"), "The last day must be the same as or after the start"),
        (("1/9/2020", "1/8/2021", ""), "Select whether it was a mainstream school"),
        (("", "1/8/2021", "yes"), "Enter the start date"),
        (("31/2/2020", "1/8/2021", "yes"), "The start date must be a real date"),
    ],
)
def test_a_bad_stint_is_a_400_that_says_why_and_saves_nothing(
    app: Flask, sign_in: SignIn, stint: tuple[str, str, str], message: str
) -> None:
    lead = sign_in("instructor")
    sid = school_id(app, ALDER)
    pid = add_person(app, ALDER, "Sian Evans")
    appointment = _appoint(app, ALDER, pid, dt.date(2027, 9, 1))
    page = f"/senco/schools/{sid}"
    path = f"/senco/schools/{sid}/appointments/{appointment}/prior-service"
    response = _post_stint(lead, page, path, appointment, _stint(appointment, *stint))
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert message in html
    assert "govuk-error-summary" in html
    with app.app_context():
        assert db.session.scalar(select(func.count(SencoPriorService.id))) == 0


def test_a_course_end_after_the_award_is_refused(app: Flask, sign_in: SignIn) -> None:
    lead = sign_in("instructor")
    sid = school_id(app, ALDER)
    pid = add_person(app, ALDER, "Sian Evans")
    _appoint(app, ALDER, pid, dt.date(2025, 1, 3))
    page = f"/senco/schools/{sid}"
    response = post(
        lead,
        f"/senco/schools/{sid}/qualifications",
        page,
        {
            "person_id": str(pid),
            "kind": "nasenco",
            "started_on": "8/1/2024",
            "result": "passed",
            "completed_on": "15/9/2027",
            "course_completed_on": "16/9/2027",
            "funding": "",
        },
    )
    assert response.status_code == 400
    assert "must be the same as or before the outcome date" in response.get_data(as_text=True)


def test_the_same_stint_form_sent_twice_saves_once(app: Flask, sign_in: SignIn) -> None:
    lead = sign_in("instructor")
    sid = school_id(app, ALDER)
    pid = add_person(app, ALDER, "Sian Evans")
    appointment = _appoint(app, ALDER, pid, dt.date(2027, 9, 1))
    page = f"/senco/schools/{sid}"
    path = f"/senco/schools/{sid}/appointments/{appointment}/prior-service"
    token = hidden(lead.get(page).get_data(as_text=True), f"prior-{appointment}-csrf_token")
    data = {
        f"prior-{appointment}-csrf_token": token,
        **_stint(appointment, "1/9/2020", "31/8/2021", "yes"),
    }
    assert lead.post(path, data=data).status_code == 303
    assert lead.post(path, data=data).status_code == 303
    with app.app_context():
        assert db.session.scalar(select(func.count(SencoPriorService.id))) == 1


def test_the_demo_sencos_joined_before_they_were_appointed(app: Flask) -> None:
    from cpd_tracker.models import Person
    from tests.functional.test_cli import _seed

    _seed(app)
    with app.app_context():
        rows = db.session.execute(
            select(SencoAppointment.started_on, Person.start_date).join(
                Person, Person.id == SencoAppointment.person_id
            )
        ).all()
        assert len(rows) == 3
        for became, joined in rows:
            assert joined is None or joined <= became
        types = set(db.session.scalars(select(School.school_type)))
        assert types == {SchoolType.MAINTAINED, SchoolType.ACADEMY}
