"""Issue 17 through the browser's eyes: a trust leader sets the lead time and the holiday
pauses (CSRF, audited, bad input a 400 that says what to fix), and a CPD lead picks people from
the chase list and sends them their digest now (queued in the outbox, audited, never for
someone outside the lead's school)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from cpd_tracker.extensions import db
from cpd_tracker.models import (
    Organisation,
    OutgoingEmail,
    Person,
    Requirement,
    StaffRole,
    StaffRoleKind,
)
from tests.functional.records import conftest as records
from tests.functional.records.helpers import World, audited, csrf, text

world = records.world

SETTINGS = "/reminders/settings"


def post(client: FlaskClient, url: str, data: dict[str, Any]) -> TestResponse:
    page = client.get(url)
    assert page.status_code == 200, page.status_code
    return client.post(url, data={"csrf_token": csrf(text(page)), **data})


def add_overdue(
    world: World, school: int, name: str, email: str | None, org: int | None = None
) -> int:
    """Someone who started 120 days ago: both required trainings (90 days) are overdue."""
    with world.app.app_context():
        # The requirements bite from the day they were introduced: make that long ago.
        for requirement in db.session.scalars(select(Requirement)):
            requirement.created_at = dt.datetime.now(dt.UTC) - dt.timedelta(days=400)
        person = Person(
            organisation_id=org or world.org_id,
            name=name,
            email=email,
            start_date=dt.date.today() - dt.timedelta(days=120),
        )
        db.session.add(person)
        db.session.flush()
        db.session.add(
            StaffRole(
                person_id=person.id,
                school_id=school,
                role=StaffRoleKind.TEACHER,
                started_on=person.start_date,
            )
        )
        db.session.commit()
        return person.id


def outbox(world: World) -> list[OutgoingEmail]:
    with world.app.app_context():
        return list(db.session.scalars(select(OutgoingEmail).order_by(OutgoingEmail.id)))


# ---------------------------------------------------------------- settings


def test_a_trust_leader_sees_the_school_holidays_filled_in_and_saves_their_own(
    world: World,
) -> None:
    client = world.client("trust")
    page = text(client.get(SETTINGS))
    assert "Reminder settings" in page
    assert "the usual English school holidays" in page
    assert "Christmas holidays: " in page
    assert 'value="42"' in page

    response = post(
        client,
        SETTINGS,
        {
            "lead_days": "14",
            "send_weekday": "0",
            "send_hour": "7",
            "pauses": "Snow closure: 1 February 2027 to 3/2/2027\n\n",
        },
    )

    assert response.status_code == 303
    saved = text(client.get(response.headers["Location"]))
    assert "Reminder settings saved." in saved
    assert "Snow closure: 1 February 2027 to 3 February 2027" in saved
    assert "the usual English school holidays" not in saved
    with world.app.app_context():
        organisation = db.session.get_one(Organisation, world.org_id)
        assert organisation.reminder_lead_days == 14
        assert organisation.reminder_pauses == [
            {"name": "Snow closure", "starts_on": "2027-02-01", "ends_on": "2027-02-03"}
        ]
    (entry,) = audited(world.app, "reminders.settings_changed")
    assert entry.details["lead_days"] == {"from": 42, "to": 14}
    assert entry.details["pauses"]["to"] == "Snow closure: 1 February 2027 to 3 February 2027"
    assert entry.actor_person_id == world.person_id("trust")

    # An empty list means reminders all year: saved as no pauses, not the defaults again.
    post(client, SETTINGS, {"lead_days": "14", "send_weekday": "0", "send_hour": "7", "pauses": ""})
    with world.app.app_context():
        assert db.session.get_one(Organisation, world.org_id).reminder_pauses == []


def test_the_weekly_sending_time_is_monday_7am_until_a_trust_leader_changes_it(
    world: World,
) -> None:
    client = world.client("trust")
    page = text(client.get(SETTINGS))
    assert "When the weekly e-mails are sent" in page
    assert '<option selected value="0">Monday</option>' in page
    assert '<option selected value="7">07:00</option>' in page

    data = {"lead_days": "42", "send_weekday": "4", "send_hour": "15", "pauses": ""}
    assert post(client, SETTINGS, data).status_code == 303
    page = text(client.get(SETTINGS))
    assert '<option selected value="4">Friday</option>' in page
    assert '<option selected value="15">15:00</option>' in page
    with world.app.app_context():
        organisation = db.session.get_one(Organisation, world.org_id)
        assert (organisation.reminder_send_weekday, organisation.reminder_send_hour) == (4, 15)
    (entry,) = audited(world.app, "reminders.settings_changed")
    assert entry.details["sending_time"] == {"from": "Monday at 07:00", "to": "Friday at 15:00"}


def test_bad_settings_are_a_400_that_says_what_to_fix(world: World) -> None:
    client = world.client("trust")
    cases = [
        ({"lead_days": "0", "pauses": ""}, "Enter a lead time from 1 to 180 days."),
        ({"lead_days": "", "pauses": ""}, "Enter the lead time, from 1 to 180 days."),
        (
            {"lead_days": "14", "pauses": "Christmas: 19 December 2026"},
            'Line 1 ("Christmas: 19 December 2026") needs two dates joined by "to"',
        ),
        (
            {"lead_days": "14", "pauses": "Half term: 30 February 2027 to 1 March 2027"},
            'Line 1: "30 February 2027" is not a date.',
        ),
    ]
    cases += [
        ({"lead_days": "14", "send_weekday": "7", "send_hour": "7"}, "Choose the day of the week."),
        (
            {"lead_days": "14", "send_weekday": "4", "send_hour": "24"},
            "Choose the hour, from 00:00 to 23:00.",
        ),
        (
            {"lead_days": "14", "send_weekday": "4", "send_hour": "7.5"},
            "Choose the hour, from 00:00 to 23:00.",
        ),
    ]
    for data, message in cases:
        data = {"send_weekday": "0", "send_hour": "7", **data}
        response = post(client, SETTINGS, data)
        assert response.status_code == 400
        assert message in text(response)
    assert client.post(SETTINGS, data={"lead_days": "14", "pauses": ""}).status_code == 400
    assert audited(world.app, "reminders.settings_changed") == []


def test_only_trust_leaders_change_reminder_settings(world: World) -> None:
    assert world.client("lead_a").get(SETTINGS).status_code == 403
    assert world.client("staff_a").get(SETTINGS).status_code == 403


# ---------------------------------------------------------------- remind now


def test_a_lead_reminds_people_from_the_chase_list_now(world: World) -> None:
    ann = add_overdue(world, world.school_a, "Ann Ash", "ann@alder.example")
    ben = add_overdue(world, world.school_a, "Ben Beech", "ben@alder.example")
    add_overdue(world, world.school_a, "Cat Cedar", None)
    lead = world.client("lead_a")
    url = f"/schools/{world.school_a}/remind"

    school_page = text(lead.get(f"/schools/{world.school_a}"))
    assert f'href="{url}' in school_page
    page = text(lead.get(url))
    assert "Ann Ash" in page
    assert "Speech, language and communication needs: overdue since" in page
    assert "Cat Cedar (no e-mail address)" in page

    response = post(lead, url, {"person": [str(ann), str(ben)]})

    assert response.status_code == 303
    done = text(lead.get(response.headers["Location"]))
    assert "Reminders queued for 2 people: they are e-mailed within minutes." in done
    rows = outbox(world)
    assert sorted(r.person_id for r in rows) == sorted([ann, ben])
    assert all(r.subject == "Your SEND training: 2 overdue" for r in rows)
    assert all("asked the tool to send you this summary" in r.body_text for r in rows)
    (entry,) = audited(world.app, "reminders.remind_now")
    assert entry.details["people"] == sorted([ann, ben])
    assert entry.details["queued"] == 2
    assert entry.actor_person_id == world.person_id("lead_a")

    again = text(lead.get(post(lead, url, {"person": [str(ann)]}).headers["Location"]))
    assert "Reminders queued for 1 person" in again  # once more today, on top of the week's
    twice = text(lead.get(post(lead, url, {"person": [str(ann)]}).headers["Location"]))
    assert "Reminders queued for 0 people" in twice
    assert "1 person had already been reminded today." in twice
    assert len(outbox(world)) == 3


def test_remind_now_refuses_people_outside_the_leads_school(world: World) -> None:
    ann = add_overdue(world, world.school_a, "Ann Ash", "ann@alder.example")
    birch = add_overdue(world, world.school_b, "Bea Birch", "bea@birch.example")
    elsewhere = add_overdue(
        world, world.school_other, "Eli Elm", "eli@elm.example", org=world.other_org_id
    )
    lead = world.client("lead_a")
    url = f"/schools/{world.school_a}/remind"

    for chosen in ([ann, birch], [elsewhere], [10**12]):
        response = post(lead, url, {"person": [str(p) for p in chosen]})
        assert response.status_code == 400
        assert "not on this school's staff list" in text(response)
    nothing = post(lead, url, {})
    assert nothing.status_code == 400
    assert "Select at least one person to remind." in text(nothing)
    assert lead.post(url, data={"person": [str(ann)]}).status_code == 400  # no CSRF token
    # Another school's page: not this lead's to see.
    assert lead.get(f"/schools/{world.school_b}/remind").status_code == 403
    assert lead.get(f"/schools/{world.school_other}/remind").status_code == 404
    assert world.client("staff_a").get(url).status_code == 403
    assert outbox(world) == []
    assert audited(world.app, "reminders.remind_now") == []
