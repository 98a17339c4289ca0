"""A CPD lead records a whole-staff INSET session: one completion per person ticked, nobody
recorded twice for the same training on the same day, all or nothing on bad input."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from cpd_tracker.extensions import db
from cpd_tracker.models import Completion, CompletionMethod, InsetSession
from tests.functional.records.helpers import World, audited, count, csrf, days_ago, text, uk


def post_inset(client: FlaskClient, world: World, ticked: list[int], **fields: Any) -> TestResponse:
    url = f"/records/schools/{world.school_a}/inset/new"
    page = client.get(url)
    assert page.status_code == 200
    form: dict[str, Any] = {
        "csrf_token": csrf(page.get_data(as_text=True)),
        "module_id": str(world.inset_module),
        "title": "Autumn INSET: autism awareness",
        "held_on": uk(days_ago(2)),
        "cpd_hours": "",
        "attendees": [str(a) for a in ticked],
    }
    form.update(fields)
    return client.post(url, data=form)


def completions(world: World) -> list[Completion]:
    with world.app.app_context():
        return list(db.session.scalars(select(Completion).order_by(Completion.person_id)))


def test_inset_for_three_of_four_staff_records_three_completions(world: World) -> None:
    lead = world.client("lead_a")
    staff = [
        world.add_staff(world.school_a, name) for name in ("Ann Ash", "Ben Beech", "Cat Cedar")
    ]
    absent = world.add_staff(world.school_a, "Dan Damson")
    form = text(lead.get(f"/records/schools/{world.school_a}/inset/new"))
    for name in ("Ann Ash", "Ben Beech", "Cat Cedar", "Dan Damson"):
        assert name in form
    assert "Alder Primary" in form

    response = post_inset(lead, world, staff)
    assert response.status_code == 303
    result = lead.get(response.headers["Location"])
    assert result.status_code == 200
    html = text(result)
    assert "Recorded for 3 people" in html
    for name in ("Ann Ash", "Ben Beech", "Cat Cedar"):
        assert name in html
    assert "Dan Damson" not in html

    rows = completions(world)
    assert [c.person_id for c in rows] == sorted(staff)
    with world.app.app_context():
        inset = db.session.scalars(select(InsetSession)).one()
    for c in rows:
        assert c.method is CompletionMethod.INSET
        assert c.inset_session_id == inset.id
        assert c.completed_on == days_ago(2)
        assert str(c.cpd_hours) == "1.50"  # the module's usual hours, left blank
        assert c.recorded_by_id == world.person_id("lead_a")
    assert absent not in [c.person_id for c in rows]
    entry = audited(world.app, "inset_session.recorded")[0]
    assert entry.details["attendees"] == sorted(staff)
    assert entry.actor_person_id == world.person_id("lead_a")
    assert len(audited(world.app, "completion.recorded")) == 3

    listing = text(lead.get(f"/records/schools/{world.school_a}/inset"))
    assert "Autumn INSET: autism awareness" in listing


def test_nobody_is_recorded_twice_for_the_same_day(world: World) -> None:
    lead = world.client("lead_a")
    ann = world.add_staff(world.school_a, "Ann Ash")
    ben = world.add_staff(world.school_a, "Ben Beech")
    assert post_inset(lead, world, [ann]).status_code == 303
    second = post_inset(lead, world, [ann, ben], title="Afternoon group", cpd_hours="2")
    assert second.status_code == 303
    html = text(lead.get(second.headers["Location"]))
    assert "Recorded for 1 people" in html
    assert "Already recorded for that day" in html
    rows = completions(world)
    assert [c.person_id for c in rows] == [ann, ben]
    assert str(rows[1].cpd_hours) == "2.00"
    assert audited(world.app, "inset_session.recorded")[1].details["skipped"] == [ann]

    # Another day is another cycle: a new completion, the old one kept.
    assert post_inset(lead, world, [ann], held_on=uk(days_ago(1))).status_code == 303
    assert [c.person_id for c in completions(world)] == [ann, ann, ben]


def test_everyone_records_the_whole_staff_list(world: World) -> None:
    lead = world.client("lead_a")
    world.client("staff_a")
    extra = world.add_staff(world.school_a, "Ann Ash")
    world.add_staff(world.school_b, "Bea Birch")  # another school's staff: not included
    response = post_inset(lead, world, [], everyone="y")
    assert response.status_code == 303
    people = {c.person_id for c in completions(world)}
    assert people == {world.person_id("lead_a"), world.person_id("staff_a"), extra}


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"module_id": ""}, "Select the training the session covered"),
        ({"module_id": "999999"}, "Select the training the session covered"),
        ({"title": ""}, "Enter the session title"),
        ({"held_on": ""}, "Enter the date of the session"),
        ({"held_on": "yesterday"}, "Enter the date of the session, for example"),
        ({"held_on": uk(days_ago(-3))}, "The date must be today or in the past"),
        ({"cpd_hours": "lots"}, "Enter CPD hours as a number"),
        ({"cpd_hours": "500"}, "CPD hours must be between"),
        ({"attendees": []}, "Select the staff who attended, or Everyone"),
        ({"attendees": ["abc"]}, "not on this school's staff list"),
    ],
)
def test_bad_input_records_nobody(world: World, fields: dict[str, Any], message: str) -> None:
    lead = world.client("lead_a")
    ann = world.add_staff(world.school_a, "Ann Ash")
    response = post_inset(lead, world, [ann], **fields)
    assert response.status_code == 400
    html = text(response)
    assert "There is a problem" in html
    assert message in html
    assert count(world.app, InsetSession) == 0
    assert count(world.app, Completion) == 0


def test_someone_from_another_school_or_organisation_cannot_be_ticked(world: World) -> None:
    lead = world.client("lead_a")
    ann = world.add_staff(world.school_a, "Ann Ash")
    outsider = world.add_staff(world.school_b, "Bea Birch")
    foreigner = world.add_staff(world.school_other, "Eve Elm", org_id=world.other_org_id)
    for intruder in (outsider, foreigner):
        response = post_inset(lead, world, [ann, intruder])
        assert response.status_code == 400
        assert "not on this school's staff list" in text(response)
    assert count(world.app, InsetSession) == 0
    assert count(world.app, Completion) == 0


def test_a_module_of_another_organisation_cannot_be_used(world: World) -> None:
    lead = world.client("lead_a")
    ann = world.add_staff(world.school_a, "Ann Ash")
    response = post_inset(lead, world, [ann], module_id=str(world.other_org_module))
    assert response.status_code == 400
    assert count(world.app, Completion) == 0


def test_csrf_missing_records_nobody(world: World) -> None:
    lead = world.client("lead_a")
    ann = world.add_staff(world.school_a, "Ann Ash")
    response = post_inset(lead, world, [ann], csrf_token="")
    assert response.status_code == 400
    assert count(world.app, InsetSession) == 0


def test_a_session_of_another_school_is_not_found(world: World) -> None:
    lead_a, lead_b = world.client("lead_a"), world.client("lead_b")
    ann = world.add_staff(world.school_a, "Ann Ash")
    location = post_inset(lead_a, world, [ann]).headers["Location"]
    session_id = location.rstrip("/").rsplit("/", 1)[1].split("?")[0]
    assert lead_b.get(f"/records/schools/{world.school_b}/inset/{session_id}").status_code == 404
    assert lead_b.get(location).status_code == 403
    assert lead_a.get(f"/records/schools/{world.school_a}/inset/999999").status_code == 404
