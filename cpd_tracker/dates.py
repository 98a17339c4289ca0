"""One calendar and one way of writing dates and times, for every page, e-mail and message.

Schools work in England: "today" is the date in Europe/London (a completion at 00:30 on
1 September British Summer Time is on 1 September, not 31 August), and times are shown in
London time, with no zone written (GMT or BST as the day has it). Dates read "1 September 2026";
times "1 Sep 2026, 14:05". Downloads keep ISO dates (2026-09-01) for spreadsheets, with times in
London time too. Stored times stay UTC.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")


def in_london(moment: dt.datetime) -> dt.datetime:
    """``moment`` on London's clock; a naive value is taken as UTC (as the database keeps it)."""
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)
    return aware.astimezone(LONDON)


def local_date(moment: dt.datetime) -> dt.date:
    """The date in England at ``moment``: what "today" means for every rule."""
    return in_london(moment).date()


def long_date(day: dt.date | None) -> str:
    """1 September 2026 (month names spelt out here, not by the server's locale)."""
    if day is None:
        return ""
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def short_datetime(moment: dt.datetime | None) -> str:
    """1 Sep 2026, 14:05 in London time."""
    if moment is None:
        return ""
    local = in_london(moment)
    return f"{local.day} {MONTHS[local.month - 1][:3]} {local.year}, {local:%H:%M}"


def iso_datetime(moment: dt.datetime) -> str:
    """2026-09-01 14:05 in London time, for downloads."""
    return f"{in_london(moment):%Y-%m-%d %H:%M}"


MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
