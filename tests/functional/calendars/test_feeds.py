"""Calendar feeds (issue 17), read back by a standard parser: a person's due dates (all-day)
and INSET sessions (timed, Europe/London), a school's INSET sessions and deadlines (counts, no
names), a wrong or replaced token a 404, and never another organisation's data."""

from __future__ import annotations

import datetime as dt
import html
import logging
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from flask.testing import FlaskClient
from icalendar import Calendar
from sqlalchemy import select
from werkzeug.test import TestResponse

from cpd_tracker.extensions import db
from cpd_tracker.models import (
    CalendarFeed,
    FundingSource,
    InsetSession,
    Person,
    Provider,
    Purchase,
    PurchaseDelegate,
    Requirement,
)
from cpd_tracker.services.feed_keys import feed_key
from tests.functional.records import conftest as records
from tests.functional.records.helpers import World, audited, csrf, days_ago, new_client, text, uk

world = records.world

SLCN = "Speech, language and communication needs"


def backdate_requirements(world: World) -> None:
    """The requirements bite from the day they were introduced: make that long ago."""
    with world.app.app_context():
        for requirement in db.session.scalars(select(Requirement)):
            requirement.created_at = dt.datetime.now(dt.UTC) - dt.timedelta(days=400)
        db.session.commit()


def set_start(world: World, person_id: int, day: dt.date) -> None:
    with world.app.app_context():
        person = db.session.get_one(Person, person_id)
        person.start_date = day
        db.session.commit()


def record_inset(world: World, held_on: dt.date, starts: str, ends: str, title: str) -> None:
    lead = world.client("lead_a")
    url = f"/records/schools/{world.school_a}/inset/new"
    page = text(lead.get(url))
    response = lead.post(
        url,
        data={
            "csrf_token": csrf(page),
            "module_id": str(world.inset_module),
            "title": title,
            "held_on": uk(held_on),
            "starts_at": starts,
            "ends_at": ends,
            "cpd_hours": "",
            "everyone": "y",
        },
    )
    assert response.status_code == 303, text(response)


def feed_address(client: FlaskClient, page_url: str) -> str:
    page = text(client.get(page_url))
    assert "Subscribe in Outlook or Google Calendar" in page
    start = page.index('id="feed-url" type="text" value="') + len(
        'id="feed-url" type="text" value="'
    )
    address = html.unescape(page[start : page.index('"', start)])
    # The secret is in the query string, which access logs leave out (never in the path),
    # and no launch token rides along into the calendar app.
    parts = urlsplit(address)
    assert parts.path == "/calendar.ics", address
    assert parts.query.startswith("key="), address
    assert "lt=" not in parts.query, address
    return address


def fetch(url: str, world: World) -> TestResponse:
    """As a calendar app does: no cookies, no launch, just the address."""
    path = url.split("://", 1)[1].split("/", 1)[1]
    return new_client(world.app).get("/" + path)


def events(response: TestResponse) -> dict[str, Any]:
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    calendar = Calendar.from_ical(response.get_data())
    return {str(e["summary"]): e for e in calendar.walk("VEVENT")}


def test_a_persons_feed_has_their_due_dates_sessions_and_bookings(world: World) -> None:
    backdate_requirements(world)
    staff = world.person_id("staff_a")
    started = days_ago(120)
    set_start(world, staff, started)
    record_inset(world, days_ago(3), "9:00", "12:30", "Autism INSET")
    with world.app.app_context():
        provider = Provider(organisation_id=world.org_id, name="Talk Partners")
        db.session.add(provider)
        db.session.flush()
        purchase = Purchase(
            organisation_id=world.org_id,
            school_id=world.school_a,
            provider_id=provider.id,
            module_id=world.external_module,
            purchased_on=days_ago(10),
            delivered_on=days_ago(-20),
            delegates=1,
            list_price_pence=15000,
            funding_source=FundingSource.SCHOOL_BUDGET,
        )
        db.session.add(purchase)
        db.session.flush()
        db.session.add(PurchaseDelegate(purchase_id=purchase.id, person_id=staff))
        db.session.commit()

    client = world.client("staff_a")
    assert "Subscribe in Outlook or Google Calendar" in text(client.get("/my-training"))
    address = feed_address(client, "/my-training/calendar")
    assert "lt=" not in address  # the launch token never goes into a calendar app
    found = events(fetch(address, world))

    due = started + dt.timedelta(days=90)
    slcn = found[f"Due: {SLCN}"]
    assert slcn.decoded("dtstart") == due  # an all-day event: a date, not a time
    assert slcn.decoded("dtend") == due + dt.timedelta(days=1)
    # The INSET session recorded Autism awareness for everyone: done, so no longer due.
    assert "Due: Autism awareness" not in found
    inset = found["INSET: Autism INSET"]
    starts = inset.decoded("dtstart")
    assert str(inset["dtstart"].params["TZID"]) == "Europe/London"
    assert (starts.date(), starts.hour, starts.minute) == (days_ago(3), 9, 0)
    assert starts.utcoffset() in (dt.timedelta(0), dt.timedelta(hours=1))
    assert inset.decoded("dtend").time() == dt.time(12, 30)
    booked = found[f"Booked: {SLCN}"]
    assert booked.decoded("dtstart") == days_ago(-20)
    body = fetch(address, world).get_data(as_text=True)
    assert "BEGIN:VTIMEZONE\r\nTZID:Europe/London" in body
    # Refreshing gives the same events (stable UIDs), so a calendar updates, not duplicates.
    again = events(fetch(address, world))
    assert {str(e["uid"]) for e in again.values()} == {str(e["uid"]) for e in found.values()}


def test_a_schools_feed_has_inset_and_deadlines_as_counts_never_names(world: World) -> None:
    backdate_requirements(world)
    ann = world.add_staff(world.school_a, "Ann Ash")
    ben = world.add_staff(world.school_a, "Ben Beech")
    for person in (ann, ben):
        set_start(world, person, days_ago(120))
    record_inset(world, days_ago(1), "13:30", "15:00", "Spring INSET")
    lead = world.client("lead_a")
    assert "Subscribe in Outlook or Google Calendar" in text(lead.get(f"/schools/{world.school_a}"))

    address = feed_address(lead, f"/schools/{world.school_a}/calendar")
    response = fetch(address, world)
    found = events(response)

    due = days_ago(120) + dt.timedelta(days=90)
    assert found[f"Due: {SLCN} (2 staff)"].decoded("dtstart") == due
    assert found["INSET: Spring INSET"].decoded("dtstart").time() == dt.time(13, 30)
    body = response.get_data(as_text=True)
    assert "Ann Ash" not in body
    assert "Ben Beech" not in body
    assert "X-WR-CALNAME:SEND training at Alder Primary" in body


def test_a_wrong_or_replaced_token_is_a_404_and_the_new_one_works(world: World) -> None:
    client = world.client("staff_a")
    old = feed_address(client, "/my-training/calendar")
    assert fetch(old, world).status_code == 200
    assert fetch(old[:-6] + "AAAAAA", world).status_code == 404
    assert new_client(world.app).get("/calendar.ics?key=short").status_code == 404
    assert new_client(world.app).get("/calendar.ics?key=" + "x" * 300).status_code == 404
    assert new_client(world.app).get("/calendar.ics").status_code == 404

    page = text(client.get("/my-training/calendar"))
    assert client.post("/my-training/calendar/new-address").status_code == 400  # no CSRF
    response = client.post("/my-training/calendar/new-address", data={"csrf_token": csrf(page)})
    assert response.status_code == 303
    assert "no longer update" in text(client.get(response.headers["Location"]))

    new = feed_address(client, "/my-training/calendar")
    assert new != old
    assert fetch(old, world).status_code == 404
    assert fetch(new, world).status_code == 200
    (entry,) = audited(world.app, "calendar_feed.regenerated")
    assert entry.details["person_id"] == world.person_id("staff_a")


def test_a_token_never_shows_another_organisations_data(world: World) -> None:
    with world.app.app_context():
        db.session.add(
            InsetSession(
                organisation_id=world.other_org_id,
                school_id=world.school_other,
                module_id=world.other_org_module,
                title="Other trust's INSET",
                held_on=days_ago(2),
                cpd_hours=Decimal("1"),
            )
        )
        db.session.commit()
    record_inset(world, days_ago(2), "", "", "Alder INSET")

    ours = fetch(feed_address(world.client("lead_a"), f"/schools/{world.school_a}/calendar"), world)
    theirs = fetch(
        feed_address(world.client("other_lead"), f"/schools/{world.school_other}/calendar"), world
    )

    assert set(events(ours)) >= {"INSET: Alder INSET"}
    assert "Other trust" not in ours.get_data(as_text=True)
    assert "INSET: Other trust's INSET" in events(theirs)
    assert "Alder" not in theirs.get_data(as_text=True)
    # Without times the session is an all-day event.
    assert events(ours)["INSET: Alder INSET"].decoded("dtstart") == days_ago(2)
    # A lead sees only their own schools' calendars.
    lead = world.client("lead_a")
    assert lead.get(f"/schools/{world.school_b}/calendar").status_code == 403
    assert lead.get(f"/schools/{world.school_other}/calendar").status_code == 404


def test_a_leavers_feed_stops(world: World) -> None:
    client = world.client("staff_a")
    address = feed_address(client, "/my-training/calendar")
    with world.app.app_context():
        person = db.session.get_one(Person, world.person_id("staff_a"))
        person.active = False
        db.session.commit()

    assert fetch(address, world).status_code == 404


def test_inset_times_are_checked(world: World) -> None:
    lead = world.client("lead_a")
    url = f"/records/schools/{world.school_a}/inset/new"
    cases = [
        ("9am", "", "Enter the start time like 9:00 or 13:30."),
        ("", "12:00", "Enter the start time too, or leave the end time blank."),
        ("13:00", "12:00", "The end time must be after the start time."),
    ]
    for starts, ends, message in cases:
        page = text(lead.get(url))
        response = lead.post(
            url,
            data={
                "csrf_token": csrf(page),
                "module_id": str(world.inset_module),
                "title": "INSET",
                "held_on": uk(days_ago(1)),
                "starts_at": starts,
                "ends_at": ends,
                "everyone": "y",
            },
        )
        assert response.status_code == 400
        assert message in text(response)
    with world.app.app_context():
        assert db.session.scalars(select(InsetSession)).all() == []


def test_the_page_shows_the_same_address_and_the_database_cannot_make_it(world: World) -> None:
    client = world.client("staff_a")
    address = feed_address(client, "/my-training/calendar")
    # Back on the page later (to add it on a phone): the same address, still working.
    assert feed_address(client, "/my-training/calendar") == address
    key = parse_qs(urlsplit(address).query)["key"][0]
    with world.app.app_context():
        (feed,) = db.session.scalars(select(CalendarFeed)).all()
        stored = " ".join(str(getattr(feed, c.key)) for c in CalendarFeed.__table__.columns)
        assert key.split(".")[1] not in stored
        assert feed.legacy_token_hash is None
        # Someone holding a copy of the database but not SECRET_KEY derives a useless key.
        guessed = feed_key("not-the-secret-key", feed.id, feed.generation)
    assert fetch(address, world).status_code == 200
    assert fetch(address.replace(key, guessed), world).status_code == 404


def test_no_feed_key_reaches_a_log(world: World, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    world.app.config["LOG_FORMAT"] = "json"  # the tool writes the access lines itself
    client = world.client("staff_a")
    page = "/my-training/calendar"
    old = feed_address(client, page)
    assert fetch(old, world).status_code == 200
    response = client.post(page + "/new-address", data={"csrf_token": csrf(text(client.get(page)))})
    assert response.status_code == 303
    new = feed_address(client, page)
    assert fetch(old, world).status_code == 404
    assert fetch(new, world).status_code == 200
    keys = [parse_qs(urlsplit(a).query)["key"][0] for a in (old, new)]
    messages = [r.getMessage() for r in caplog.records]
    assert "GET /calendar.ics 200" in messages  # the feed's requests were logged
    assert "GET /calendar.ics 404" in messages
    audits = [str(e.details) for e in audited(world.app, "calendar_feed.regenerated")]
    logged = "\n".join(messages + audits)
    for key in keys:
        assert key not in logged
        assert key.split(".")[1] not in logged
