"""The school's SENCO page and the trust's SENCO table, through real launches."""

from __future__ import annotations

import csv
import datetime as dt
import io

from flask import Flask
from openpyxl import load_workbook
from sqlalchemy import select

from cpd_tracker.extensions import db
from cpd_tracker.models import (
    AuditEntry,
    QualificationResult,
    SencoAppointment,
    SencoQualification,
    SencoQualificationKind,
)
from tests.functional.senco.conftest import SignIn
from tests.functional.senco.support import post
from tests.functional.staff.support import ALDER, BIRCH, add_person
from tests.support.factories import school_id

TODAY = dt.date.today()


def _appoint(app: Flask, urn: str, person_id: int, started_on: dt.date, **fields: object) -> int:
    values: dict[str, object] = {
        "has_qts": True,
        "induction_complete": True,
        "teaches_at_school": True,
        **fields,
    }
    sid = school_id(app, urn)
    with app.app_context():
        from cpd_tracker.models import School

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


def _qualify(app: Flask, person_id: int, **fields: object) -> int:
    with app.app_context():
        from cpd_tracker.models import Person

        person = db.session.get(Person, person_id)
        assert person is not None
        row = SencoQualification(
            organisation_id=person.organisation_id, person_id=person_id, **fields
        )
        db.session.add(row)
        db.session.commit()
        return row.id


def test_a_cpd_lead_appoints_a_senco_and_it_is_audited(app: Flask, sign_in: SignIn) -> None:
    lead = sign_in("instructor")
    sid = school_id(app, ALDER)
    pid = add_person(app, ALDER, "Sian Evans")
    page = f"/senco/schools/{sid}"
    before = lead.get(page).get_data(as_text=True)
    assert "No SENCO" in before
    assert "Sian Evans" in before  # offered in the staff list
    started = TODAY - dt.timedelta(days=30)
    response = post(
        lead,
        f"/senco/schools/{sid}/appointments",
        page,
        {
            "person_id": str(pid),
            "started_on": started.isoformat(),
            "has_qts": "y",
            "teacher_reference_number": "1234567",
            "induction_complete": "y",
            "teaches_at_school": "y",
        },
    )
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    html = lead.get(page).get_data(as_text=True)
    assert "Not started" in html
    assert "Book a place on the NPQ for SENCOs" in html
    with app.app_context():
        row = db.session.scalars(select(SencoAppointment)).one()
        assert (row.person_id, row.started_on, row.teacher_reference_number) == (
            pid,
            started,
            "1234567",
        )
        assert row.created_by_id is not None
        entry = db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "senco.appointed")
        ).one()
        assert entry.entity_id == str(row.id)
        assert entry.actor_person_id == row.created_by_id
        assert entry.details["teacher_reference_number"] == "1234567"


def test_bad_input_is_refused_with_messages(app: Flask, sign_in: SignIn) -> None:
    lead = sign_in("instructor")
    sid = school_id(app, ALDER)
    pid = add_person(app, ALDER, "Sian Evans")
    page = f"/senco/schools/{sid}"
    response = post(
        lead,
        f"/senco/schools/{sid}/appointments",
        page,
        {"person_id": str(pid), "started_on": "31/02/2024", "teacher_reference_number": "12AB"},
    )
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "The date they became SENCO must be a real date" in html
    assert "Teacher reference number must be 7 digits" in html
    # Someone from another school cannot be chosen.
    other = add_person(app, BIRCH, "Bryn Jones")
    response = post(
        lead,
        f"/senco/schools/{sid}/appointments",
        page,
        {"person_id": str(other), "started_on": "1/9/2024"},
    )
    assert response.status_code == 400
    with app.app_context():
        assert db.session.scalars(select(SencoAppointment)).all() == []


def test_missing_csrf_is_refused(app: Flask, sign_in: SignIn) -> None:
    lead = sign_in("instructor")
    sid = school_id(app, ALDER)
    pid = add_person(app, ALDER, "Sian Evans")
    response = lead.post(
        f"/senco/schools/{sid}/appointments",
        data={"person_id": str(pid), "started_on": "1/9/2024", "csrf_token": "forged"},
    )
    assert response.status_code == 400
    assert "This form has expired" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalars(select(SencoAppointment)).all() == []
        assert (
            db.session.scalars(select(AuditEntry).where(AuditEntry.action.like("senco.%"))).all()
            == []
        )


def test_states_shown_for_scenarios(app: Flask, sign_in: SignIn) -> None:
    lead = sign_in("instructor")
    sid = school_id(app, ALDER)
    exempt = add_person(app, ALDER, "Ann Early")
    overdue = add_person(app, ALDER, "Ben Late")
    qualified = add_person(app, ALDER, "Cara Done")
    no_qts = add_person(app, ALDER, "Dev Support")
    _appoint(app, ALDER, exempt, dt.date(2008, 9, 1))
    _appoint(app, ALDER, overdue, dt.date(2019, 9, 1))
    _appoint(app, ALDER, qualified, dt.date(2019, 9, 1))
    _appoint(app, ALDER, no_qts, dt.date(2024, 9, 1), has_qts=False)
    _qualify(
        app,
        qualified,
        kind=SencoQualificationKind.NPQ_SENCO,
        started_on=dt.date(2020, 1, 10),
        completed_on=dt.date(2021, 12, 1),
        result=QualificationResult.PASSED,
    )
    # A failed course leaves Ben overdue.
    _qualify(
        app,
        overdue,
        kind=SencoQualificationKind.NPQ_SENCO,
        started_on=dt.date(2020, 1, 10),
        completed_on=None,
        result=QualificationResult.FAILED,
    )
    html = lead.get(f"/senco/schools/{sid}").get_data(as_text=True)
    assert "Exempt from the SENCO qualification: became SENCO on 1 September 2008" in html
    assert "overdue since 2 September 2022" in html
    assert "passed the NPQ for SENCOs on 1 December 2021" in html
    assert "Cannot be the SENCO: is not a qualified teacher" in html
    # The school's state is the most urgent: overdue beats not eligible.
    state = html.split('id="school-state"')[1][:200]
    assert "Overdue" in state


def test_ending_an_appointment_keeps_the_history(app: Flask, sign_in: SignIn) -> None:
    lead = sign_in("instructor")
    sid = school_id(app, ALDER)
    pid = add_person(app, ALDER, "Sian Evans")
    aid = _appoint(app, ALDER, pid, dt.date(2008, 9, 1))
    page = f"/senco/schools/{sid}"
    response = post(
        lead, f"/senco/schools/{sid}/appointments/{aid}/end", page, {"ended_on": "31/8/2024"}
    )
    assert response.status_code == 303
    html = lead.get(page).get_data(as_text=True)
    assert "No SENCO" in html
    assert "31 August 2024" in html  # in the history
    with app.app_context():
        assert db.session.get(SencoAppointment, aid).ended_on == dt.date(2024, 8, 31)  # type: ignore[union-attr]
        assert db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "senco.ended")
        ).one()


def test_recording_and_updating_a_qualification(app: Flask, sign_in: SignIn) -> None:
    lead = sign_in("instructor")
    sid = school_id(app, ALDER)
    pid = add_person(app, ALDER, "Sian Evans")
    _appoint(app, ALDER, pid, TODAY - dt.timedelta(days=30))
    page = f"/senco/schools/{sid}"
    started = TODAY - dt.timedelta(days=10)
    response = post(
        lead,
        f"/senco/schools/{sid}/qualifications",
        page,
        {
            "person_id": str(pid),
            "kind": "npq_senco",
            "provider": "Our own provider",
            "started_on": started.isoformat(),
            "result": "pending",
            "funding": "scholarship",
        },
    )
    assert response.status_code == 303, response.get_data(as_text=True)[:3000]
    assert "On track" in lead.get(page).get_data(as_text=True)
    with app.app_context():
        qid = db.session.scalars(select(SencoQualification.id)).one()
    edit = f"/senco/schools/{sid}/qualifications/{qid}"
    assert f'href="{edit}"' in lead.get(page).get_data(as_text=True)
    form = lead.get(edit).get_data(as_text=True)
    assert 'value="Our own provider"' in form  # the record, filled in
    response = post(
        lead,
        edit,
        edit,
        {
            "person_id": str(pid),
            "kind": "npq_senco",
            "started_on": started.isoformat(),
            "result": "passed",
            "completed_on": TODAY.isoformat(),
            "funding": "",
        },
    )
    assert response.status_code == 303
    assert "Qualified" in lead.get(page).get_data(as_text=True)
    # An outcome date without a pass is refused.
    response = post(
        lead,
        f"/senco/schools/{sid}/qualifications",
        page,
        {
            "person_id": str(pid),
            "kind": "npq_senco",
            "result": "pending",
            "completed_on": TODAY.isoformat(),
            "funding": "",
        },
    )
    assert response.status_code == 400
    assert "Record an outcome date only with the result Passed" in response.get_data(as_text=True)
    with app.app_context():
        actions = list(
            db.session.scalars(
                select(AuditEntry.action)
                .where(AuditEntry.action.like("senco.qualification%"))
                .order_by(AuditEntry.id)
            )
        )
        assert actions == ["senco.qualification_added", "senco.qualification_updated"]
        assert db.session.get(SencoQualification, qid).result is QualificationResult.PASSED  # type: ignore[union-attr]


def test_trust_table_is_sorted_by_urgency_and_exports(app: Flask, sign_in: SignIn) -> None:
    leader = sign_in("admin")
    pid = add_person(app, ALDER, "Ann Early")
    _appoint(app, ALDER, pid, dt.date(2008, 9, 1))
    html = leader.get("/senco/trust").get_data(as_text=True)
    # Birch has no SENCO, so comes before exempt Alder.
    assert html.index("Birch Academy") < html.index("Alder Primary")
    assert "No SENCO" in html
    assert "Exempt" in html
    response = leader.get("/senco/trust.csv")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][:4] == ["School", "URN", "State", "SENCO"]
    assert [r[:4] for r in rows[1:]] == [
        ["Birch Academy", BIRCH, "No SENCO", ""],
        ["Alder Primary", ALDER, "Exempt", "Ann Early"],
    ]
    assert rows[2][4] == "2008-09-01"
    response = leader.get("/senco/trust.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    assert sheet is not None
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[1][:3] == ["Birch Academy", BIRCH, "No SENCO"]
    assert values[2][4] == dt.datetime(2008, 9, 1)


def test_landing_pages_show_the_senco_state(app: Flask, sign_in: SignIn) -> None:
    pid = add_person(app, ALDER, "Ann Early")
    _appoint(app, ALDER, pid, dt.date(2008, 9, 1))
    sid = school_id(app, ALDER)
    html = sign_in("instructor").get(f"/schools/{sid}").get_data(as_text=True)
    state = html.split('id="senco-state"')[1].split("</p>")[0]
    assert "Exempt" in state
    assert "Ann Early" in state
    assert f"/senco/schools/{sid}" in state
    trust = sign_in("admin").get("/trust").get_data(as_text=True)
    assert "/senco/trust" in trust
    assert f"/senco/schools/{school_id(app, BIRCH)}" in trust
    assert "No SENCO" in trust
