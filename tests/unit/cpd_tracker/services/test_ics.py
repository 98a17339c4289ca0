"""The iCalendar text, read back by ``icalendar``'s parser (``services.ics``), and what a
status puts on a calendar (``services.calendars.deadline``)."""

from __future__ import annotations

import datetime as dt

import pytest
from icalendar import Calendar

from cpd_tracker.rules.training import Status, StatusResult
from cpd_tracker.services.calendars import deadline
from cpd_tracker.services.ics import CalendarEvent, calendar_bytes

NOW = dt.datetime(2026, 12, 7, 9, 30, 15, 123, tzinfo=dt.UTC)


def parse(*events: CalendarEvent) -> Calendar:
    return Calendar.from_ical(calendar_bytes("SEND training", events, NOW))


def test_all_day_events_are_dates_with_an_exclusive_end_and_no_timezone() -> None:
    calendar = parse(CalendarEvent("a@cpd.example", "Due: Autism awareness", dt.date(2027, 3, 1)))

    (event,) = calendar.walk("VEVENT")
    assert str(event["summary"]) == "Due: Autism awareness"
    assert event.decoded("dtstart") == dt.date(2027, 3, 1)
    assert event.decoded("dtend") == dt.date(2027, 3, 2)
    assert str(event["transp"]) == "TRANSPARENT"
    assert event.decoded("dtstamp") == dt.datetime(2026, 12, 7, 9, 30, 15, tzinfo=dt.UTC)
    assert calendar.walk("VTIMEZONE") == []
    assert str(calendar["x-wr-calname"]) == "SEND training"
    assert str(calendar["version"]) == "2.0"


@pytest.mark.parametrize(
    ("day", "offset"),
    [
        (dt.date(2027, 1, 14), dt.timedelta(0)),  # GMT
        (dt.date(2027, 7, 1), dt.timedelta(hours=1)),  # BST
        (dt.date(2027, 3, 28), dt.timedelta(hours=1)),  # the day the clocks go forward
        (dt.date(2027, 10, 31), dt.timedelta(0)),  # and back
    ],
)
def test_timed_events_are_in_london_time_with_its_timezone(
    day: dt.date, offset: dt.timedelta
) -> None:
    raw = calendar_bytes(
        "S", [CalendarEvent("b@x", "INSET: Autumn", day, "", dt.time(9), dt.time(12, 30))], NOW
    )
    calendar = Calendar.from_ical(raw)

    (event,) = calendar.walk("VEVENT")
    starts, ends = event.decoded("dtstart"), event.decoded("dtend")
    assert (starts.date(), starts.time(), ends.time()) == (day, dt.time(9), dt.time(12, 30))
    assert starts.utcoffset() == offset
    assert str(event["dtstart"].params["TZID"]) == "Europe/London"
    (zone,) = calendar.walk("VTIMEZONE")
    assert str(zone["tzid"]) == "Europe/London"
    assert b"DTSTART;TZID=Europe/London:" in raw


def test_a_session_without_a_sensible_end_lasts_an_hour() -> None:
    for ends in (None, dt.time(8)):
        (event,) = parse(
            CalendarEvent("c@x", "INSET", dt.date(2027, 1, 4), "", dt.time(9), ends)
        ).walk("VEVENT")
        assert event.decoded("dtend").time() == dt.time(10)


def result(status: Status, due_on: dt.date | None, expires_on: dt.date | None) -> StatusResult:
    return StatusResult(status, due_on, expires_on, None, "")


D1, D2 = dt.date(2027, 2, 1), dt.date(2028, 2, 1)


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (Status.DUE, ("Due", D1)),
        (Status.OVERDUE, ("Due", D1)),
        (Status.EXTENDED, ("Due", D1)),
        (Status.COMPLIANT, ("Renew by", D2)),
        (Status.EXPIRED, ("Renew by", D2)),
        (Status.EXEMPT, None),
        (Status.LEFT, None),
    ],
)
def test_what_a_status_puts_on_a_calendar(
    status: Status, expected: tuple[str, dt.date] | None
) -> None:
    assert deadline(result(status, D1, D2)) == expected
    assert deadline(result(Status.DUE, None, None)) is None
    assert deadline(result(Status.COMPLIANT, None, None)) is None  # never expires
