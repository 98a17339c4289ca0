"""The staff record page: what a CPD lead sees, and edits of roles and dates (audited, ended
rather than deleted, leavers out of the figures with their history kept)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Flask
from sqlalchemy import func, select

from cpd_tracker.extensions import db
from cpd_tracker.models import AuditEntry, Completion, Person, StaffRole, StaffRoleKind
from tests.functional.staff.conftest import SignIn
from tests.functional.staff.support import (
    ALDER,
    BIRCH,
    add_completion,
    add_module,
    add_person,
    add_requirement,
    hidden,
)
from tests.support.factories import school_id

TODAY = dt.datetime.now(dt.UTC).date()


def _page(client: Any, alder: int, person: int) -> str:
    response = client.get(f"/staff/schools/{alder}/people/{person}")
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return str(response.get_data(as_text=True))


def _form(html: str, **fields: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"csrf_token": hidden(html, "csrf_token")}
    data.update({k: v for k, v in fields.items() if v is not None})
    return data


def _roles(app: Flask, person: int, alder: int) -> dict[str, tuple[Any, Any]]:
    with app.app_context():
        rows = db.session.scalars(
            select(StaffRole).where(StaffRole.person_id == person, StaffRole.school_id == alder)
        )
        return {r.role.value: (r.started_on, r.ended_on) for r in rows}


def _audits(app: Flask, person: int) -> list[AuditEntry]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(AuditEntry).where(
                    AuditEntry.action == "person.record_updated",
                    AuditEntry.entity_id == str(person),
                )
            )
        )


def test_cpd_lead_sees_details_roles_and_history(app: Flask, org_id: int, sign_in: SignIn) -> None:
    lead = sign_in("instructor")
    alder = school_id(app, ALDER)
    sam = add_person(
        app,
        ALDER,
        "Sam Patel",
        {StaffRoleKind.TEACHER: dt.date(2021, 9, 1)},
        start_date=dt.date(2021, 9, 1),
        staff_number="T0042",
    )
    module = add_module(app, org_id, "Autism awareness")
    add_completion(app, sam, module, dt.date(2024, 11, 5), hours="2.5")
    html = _page(lead, alder, sam)
    assert "Sam Patel" in html
    assert "T0042" in html
    assert "1 September 2021" in html
    assert "Current staff" in html
    assert "Autism awareness" in html
    assert "5 November 2024" in html
    assert "2024/25 2.5 hours" in html
    # The form comes pre-filled with the record.
    assert 'id="roles-0" name="roles" type="checkbox" value="teacher"' in html
    assert 'value="2021-09-01"' in html


def test_edit_roles_and_dates_is_audited(app: Flask, sign_in: SignIn) -> None:
    lead = sign_in("instructor")
    alder = school_id(app, ALDER)
    sam = add_person(
        app, ALDER, "Sam Patel", {StaffRoleKind.UNASSIGNED: None, StaffRoleKind.TEACHER: None}
    )
    html = _page(lead, alder, sam)
    response = lead.post(
        f"/staff/schools/{alder}/people/{sam}",
        data=_form(
            html,
            roles=["teacher", "senco"],
            appointed_teacher="2022-09-01",
            appointed_senco="01/01/2025",
            start_date="2022-09-01",
            leaving_date="",
            staff_number=" T77 ",
            email="sam.patel@alder.example.org",
        ),
    )
    assert response.status_code == 303
    assert "saved=updated" in response.headers["Location"]
    assert "has been updated" in lead.get(response.headers["Location"]).get_data(as_text=True)

    roles = _roles(app, sam, alder)
    assert roles["teacher"] == (dt.date(2022, 9, 1), None)
    assert roles["senco"] == (dt.date(2025, 1, 1), None)
    # "Role not set" is ended, not deleted.
    assert roles["unassigned"] == (None, TODAY)
    with app.app_context():
        person = db.session.get(Person, sam)
        assert person is not None
        assert person.start_date == dt.date(2022, 9, 1)
        assert person.staff_number == "T77"
        assert person.email == "sam.patel@alder.example.org"
    [entry] = _audits(app, sam)
    assert entry.actor_person_id is not None
    assert entry.details["school_id"] == alder
    assert entry.details["fields"] == ["start_date", "staff_number", "email", "roles"]
    assert entry.details["start_date"] == {"from": None, "to": "2022-09-01"}
    assert entry.details["roles_added"] == {"senco": "2025-01-01"}
    assert entry.details["roles_ended"] == ["unassigned"]
    assert entry.details["appointments"] == {"teacher": {"from": None, "to": "2022-09-01"}}
    # The address is personal data: the audit says it changed, not what to.
    assert "sam.patel@alder.example.org" not in str(entry.details)


def test_a_role_taken_away_is_ended_and_given_back_reopens(app: Flask, sign_in: SignIn) -> None:
    lead = sign_in("instructor")
    alder = school_id(app, ALDER)
    sam = add_person(
        app,
        ALDER,
        "Sam Patel",
        {StaffRoleKind.TEACHER: dt.date(2020, 9, 1), StaffRoleKind.LEADER: dt.date(2023, 1, 1)},
    )
    url = f"/staff/schools/{alder}/people/{sam}"
    html = _page(lead, alder, sam)
    first = lead.post(
        url, data=_form(html, roles=["teacher"], appointed_teacher="2020-09-01", email="")
    )
    assert first.status_code == 303
    assert _roles(app, sam, alder)["leader"] == (dt.date(2023, 1, 1), TODAY)
    page = _page(lead, alder, sam)
    assert "Leader" in page  # still listed, with its end date
    assert TODAY.strftime("%Y") in page

    again = lead.post(
        url,
        data=_form(
            page,
            roles=["teacher", "leader"],
            appointed_teacher="2020-09-01",
            appointed_leader="2025-04-01",
        ),
    )
    assert again.status_code == 303
    assert _roles(app, sam, alder)["leader"] == (dt.date(2025, 4, 1), None)
    reopened = _audits(app, sam)[-1]
    assert reopened.details["roles_reopened"] == {
        "leader": {"previously": ["2023-01-01", TODAY.isoformat()], "appointed": "2025-04-01"}
    }


def test_saving_without_changes_writes_nothing(app: Flask, sign_in: SignIn) -> None:
    lead = sign_in("instructor")
    alder = school_id(app, ALDER)
    sam = add_person(
        app, ALDER, "Sam Patel", {StaffRoleKind.TEACHER: None}, start_date=dt.date(2021, 9, 1)
    )
    html = _page(lead, alder, sam)
    response = lead.post(
        f"/staff/schools/{alder}/people/{sam}",
        data=_form(
            html, roles=["teacher"], start_date="2021-09-01", email="sam.patel@school.example.org"
        ),
    )
    assert response.status_code == 303
    assert "saved=unchanged" in response.headers["Location"]
    assert _audits(app, sam) == []
    assert "Nothing was changed" in lead.get(response.headers["Location"]).get_data(as_text=True)


def test_a_date_for_an_unticked_role_is_ignored(app: Flask, sign_in: SignIn) -> None:
    lead = sign_in("instructor")
    alder = school_id(app, ALDER)
    sam = add_person(app, ALDER, "Sam Patel", {StaffRoleKind.TEACHER: None})
    html = _page(lead, alder, sam)
    response = lead.post(
        f"/staff/schools/{alder}/people/{sam}",
        data=_form(html, roles=["teacher"], appointed_governor="not a date"),
    )
    assert response.status_code == 303
    assert set(_roles(app, sam, alder)) == {"teacher"}


def test_leaver_drops_out_of_the_figures_and_keeps_history(
    app: Flask, org_id: int, sign_in: SignIn
) -> None:
    lead = sign_in("instructor")
    alder = school_id(app, ALDER)
    module = add_module(app, org_id, "SEND Code of Practice")
    add_requirement(app, org_id, module)
    start = dt.date(2020, 9, 1)
    trained = add_person(app, ALDER, "Tess Trained", start_date=start)
    add_person(app, ALDER, "Ursula Untrained", start_date=start)
    add_completion(app, trained, module, dt.date(2021, 1, 10))

    # The lead (on the staff list from the launch), Tess and Ursula: one of three trained.
    before = lead.get(f"/schools/{alder}").get_data(as_text=True)
    assert "1 of 3" in before

    html = _page(lead, alder, trained)
    response = lead.post(
        f"/staff/schools/{alder}/people/{trained}",
        data=_form(
            html,
            roles=["teacher"],
            start_date=start.isoformat(),
            leaving_date=(TODAY - dt.timedelta(days=1)).isoformat(),
        ),
    )
    assert response.status_code == 303

    after = lead.get(f"/schools/{alder}").get_data(as_text=True)
    assert "0 of 2" in after
    with app.app_context():
        person = db.session.get(Person, trained)
        assert person is not None
        assert person.active is True  # LEFT comes from the date; they can still sign in
        kept = db.session.scalar(
            select(func.count(Completion.id)).where(Completion.person_id == trained)
        )
    assert kept == 1
    page = _page(lead, alder, trained)
    assert "Left on" in page
    assert "SEND Code of Practice" in page
    assert "10 January 2021" in page
    [entry] = _audits(app, trained)
    assert entry.details["leaving_date"]["from"] is None


def test_a_future_leaving_date_still_counts(app: Flask, org_id: int, sign_in: SignIn) -> None:
    lead = sign_in("instructor")
    alder = school_id(app, ALDER)
    module = add_module(app, org_id, "SEND Code of Practice")
    add_requirement(app, org_id, module)
    leaving = add_person(
        app,
        ALDER,
        "Lee Leaving",
        start_date=dt.date(2020, 9, 1),
        leaving_date=TODAY + dt.timedelta(days=30),
    )
    add_completion(app, leaving, module, dt.date(2021, 1, 10))
    assert "1 of 2" in lead.get(f"/schools/{alder}").get_data(as_text=True)
    assert "Leaving on" in _page(lead, alder, leaving)


def test_leavers_page_lists_leavers_with_their_history(
    app: Flask, org_id: int, sign_in: SignIn
) -> None:
    lead = sign_in("instructor")
    alder = school_id(app, ALDER)
    module = add_module(app, org_id, "Autism awareness")
    # Left yesterday: the leaving day is the last day employed (rules.employment).
    yesterday = TODAY - dt.timedelta(days=1)
    gone = add_person(
        app, ALDER, "Gina Gone", {StaffRoleKind.TEACHING_ASSISTANT: None}, leaving_date=yesterday
    )
    add_completion(app, gone, module, dt.date(2023, 3, 1), hours="2")
    add_completion(app, gone, module, dt.date(2024, 3, 1), hours="1.5")
    add_person(app, ALDER, "Lee Leaving", leaving_date=TODAY + dt.timedelta(days=365))
    add_person(app, ALDER, "Stan Staying")
    add_person(app, BIRCH, "Bea Birch", leaving_date=TODAY)

    response = lead.get(f"/staff/schools/{alder}/leavers")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert html.index("Gina Gone") < html.index("Lee Leaving")
    assert "Stan Staying" not in html
    assert "Bea Birch" not in html  # another school's leaver
    assert "Teaching assistant" in html
    assert "3.5" in html
    assert "1 March 2024" in html
    assert f"/staff/schools/{alder}/people/{gone}" in html


def test_trust_leader_edits_any_school_of_the_trust(app: Flask, sign_in: SignIn) -> None:
    leader = sign_in("admin")
    birch = school_id(app, BIRCH)
    bea = add_person(app, BIRCH, "Bea Birch")
    html = _page(leader, birch, bea)
    response = leader.post(
        f"/staff/schools/{birch}/people/{bea}",
        data=_form(html, roles=["governor"], staff_number="G1"),
    )
    assert response.status_code == 303
    assert _roles(app, bea, birch) == {"teacher": (None, TODAY), "governor": (None, None)}


def test_school_page_links_each_name_to_the_staff_page(app: Flask, sign_in: SignIn) -> None:
    lead = sign_in("instructor")
    alder = school_id(app, ALDER)
    sam = add_person(app, ALDER, "Sam Patel")
    html = lead.get(f"/schools/{alder}").get_data(as_text=True)
    assert f'href="/staff/schools/{alder}/people/{sam}">Sam Patel</a>' in html
