"""iCalendar (RFC 5545) feeds from plain event data, with the ``icalendar`` library.

Calendar apps differ in what they accept, so the feed keeps to what Outlook and Google Calendar
both read: all-day events as ``DTSTART;VALUE=DATE`` with the next day as ``DTEND`` (RFC 5545
3.6.1: the end is exclusive), timed events with ``TZID=Europe/London`` and one compact
``VTIMEZONE`` for it (GMT/BST by rule, RFC 5545 3.6.5), a stable ``UID`` per event so a
refresh updates rather than duplicates, and ``REFRESH-INTERVAL``/``X-PUBLISHED-TTL`` asking
for a refresh twice a day (Google decides for itself; Outlook honours them).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from icalendar import (
    Calendar,
    Event,
    Timezone,
    TimezoneDaylight,
    TimezoneStandard,
    vDuration,
    vRecur,
)

from cpd_tracker.dates import LONDON

PRODID = "-//SEND CPD Tracker//Training calendar//EN"
REFRESH = dt.timedelta(hours=12)
#: A timed event with no end time lasts this long.
DEFAULT_LENGTH = dt.timedelta(hours=1)


@dataclass(frozen=True)
class CalendarEvent:
    #: Unique and stable for the same event across refreshes (``...@<host>``).
    uid: str
    summary: str
    day: dt.date
    description: str = ""
    #: Europe/London wall-clock times; None: an all-day event.
    starts_at: dt.time | None = None
    ends_at: dt.time | None = None


def london_timezone() -> Timezone:
    """Europe/London since 1996: BST from 01:00 UTC on the last Sunday of March to 01:00 UTC
    on the last Sunday of October."""
    zone = Timezone()
    zone.add("tzid", "Europe/London")
    standard = TimezoneStandard()
    standard.add("dtstart", dt.datetime(1996, 10, 27, 2, 0))
    standard.add("rrule", vRecur(freq="YEARLY", bymonth=10, byday="-1SU"))
    standard.add("tzoffsetfrom", dt.timedelta(hours=1))
    standard.add("tzoffsetto", dt.timedelta(hours=0))
    standard.add("tzname", "GMT")
    daylight = TimezoneDaylight()
    daylight.add("dtstart", dt.datetime(1996, 3, 31, 1, 0))
    daylight.add("rrule", vRecur(freq="YEARLY", bymonth=3, byday="-1SU"))
    daylight.add("tzoffsetfrom", dt.timedelta(hours=0))
    daylight.add("tzoffsetto", dt.timedelta(hours=1))
    daylight.add("tzname", "BST")
    zone.add_component(standard)
    zone.add_component(daylight)
    return zone


def calendar_bytes(name: str, events: Iterable[CalendarEvent], now: dt.datetime) -> bytes:
    """The whole feed: ``name`` is what the calendar app calls it."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", "Europe/London")
    calendar.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", vDuration(REFRESH))
    timed = False
    stamp = now.astimezone(dt.UTC).replace(microsecond=0)
    for item in events:
        event = Event()
        event.add("uid", item.uid)
        event.add("dtstamp", stamp)
        event.add("summary", item.summary)
        if item.description:
            event.add("description", item.description)
        if item.starts_at is None:
            event.add("dtstart", item.day)
            event.add("dtend", item.day + dt.timedelta(days=1))
            event.add("transp", "TRANSPARENT")  # a deadline does not make anyone busy
        else:
            timed = True
            starts = dt.datetime.combine(item.day, item.starts_at, LONDON)
            ends = (
                dt.datetime.combine(item.day, item.ends_at, LONDON)
                if item.ends_at is not None and item.ends_at > item.starts_at
                else starts + DEFAULT_LENGTH
            )
            event.add("dtstart", starts)
            event.add("dtend", ends)
        calendar.add_component(event)
    if timed:
        calendar.subcomponents.insert(0, london_timezone())
    return bytes(calendar.to_ical())
