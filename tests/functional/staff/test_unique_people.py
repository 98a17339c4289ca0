"""The staff page keeps one person per e-mail and per staff number at a school (issue 15,
finding 3): a clash is a 400 that says who already has it, and nothing is saved."""

from __future__ import annotations

from typing import Any

from flask import Flask

from cpd_tracker.extensions import db
from cpd_tracker.models import Person
from tests.functional.staff.conftest import SignIn
from tests.functional.staff.support import ALDER, BIRCH, add_person, hidden
from tests.support.factories import school_id


def _edit(client: Any, school: int, person: int, **fields: str) -> Any:
    html = client.get(f"/staff/schools/{school}/people/{person}").get_data(as_text=True)
    data = {"csrf_token": hidden(html, "csrf_token"), "roles": ["teacher"], **fields}
    return client.post(f"/staff/schools/{school}/people/{person}", data=data)


def test_an_email_someone_else_has_is_refused_whatever_its_case(
    app: Flask, sign_in: SignIn
) -> None:
    lead = sign_in("instructor")
    alder = school_id(app, ALDER)
    add_person(app, ALDER, "Ann Lee")
    bob = add_person(app, ALDER, "Bob Ray")
    response = _edit(lead, alder, bob, email="ANN.Lee@school.example.org")
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Ann Lee already has the email address ann.lee@school.example.org" in html
    with app.app_context():
        person = db.session.get(Person, bob)
        assert person is not None
        assert person.email == "bob.ray@school.example.org"


def test_a_staff_number_is_unique_at_its_school_only(app: Flask, sign_in: SignIn) -> None:
    leader = sign_in("admin")
    alder, birch = school_id(app, ALDER), school_id(app, BIRCH)
    ann = add_person(app, ALDER, "Ann Lee")
    bob = add_person(app, ALDER, "Bob Ray")
    bea = add_person(app, BIRCH, "Bea Birch")
    assert _edit(leader, alder, ann, staff_number="S1").status_code == 303
    refused = _edit(leader, alder, bob, staff_number="S1")
    assert refused.status_code == 400
    assert "Ann Lee already has staff number S1 at" in refused.get_data(as_text=True)
    # Birch's MIS numbers its own staff: its S1 is someone else.
    assert _edit(leader, birch, bea, staff_number="S1").status_code == 303
    with app.app_context():
        numbers = {
            p.id: (p.staff_number, p.staff_number_school_id)
            for p in db.session.query(Person).filter(Person.id.in_([ann, bob, bea]))
        }
    assert numbers == {ann: ("S1", alder), bob: (None, None), bea: ("S1", birch)}


def test_a_change_of_case_alone_is_no_change(app: Flask, sign_in: SignIn) -> None:
    lead = sign_in("instructor")
    alder = school_id(app, ALDER)
    ann = add_person(app, ALDER, "Ann Lee")
    response = _edit(lead, alder, ann, email="Ann.Lee@School.Example.org")
    assert response.status_code == 303
    assert "saved=unchanged" in response.headers["Location"]
