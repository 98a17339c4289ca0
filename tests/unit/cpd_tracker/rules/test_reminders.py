"""What a weekly digest lists, with the lead time, and holiday pauses (``rules.reminders``)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from cpd_tracker.rules.reminders import (
    DEFAULT_LEAD_DAYS,
    DEFAULT_SEND_HOUR,
    DEFAULT_SEND_WEEKDAY,
    DigestItem,
    ItemKind,
    Pause,
    PauseError,
    default_pauses,
    digest_item,
    digest_moment,
    digests_due,
    organisation_pauses,
    parse_day,
    parse_pauses,
    pause_on,
    pauses_from_json,
    pauses_text,
    pauses_to_json,
    sending_time_text,
)
from cpd_tracker.rules.training import Status, StatusResult

TODAY = dt.date(2026, 12, 7)
DAY = dt.timedelta(days=1)


def result(
    status: Status, due_on: dt.date | None, expires_on: dt.date | None = None
) -> StatusResult:
    return StatusResult(status, due_on, expires_on, None, "")


@pytest.mark.parametrize(
    ("status", "due_on", "expires_on", "expected"),
    [
        # Overdue and expired always, whatever the lead time.
        (Status.OVERDUE, TODAY - 90 * DAY, None, DigestItem(ItemKind.OVERDUE, TODAY - 90 * DAY)),
        (Status.EXPIRED, None, TODAY - DAY, DigestItem(ItemKind.EXPIRED, TODAY - DAY)),
        # A due date from the lead time before it (14 days here), the last day included.
        (Status.DUE, TODAY + 14 * DAY, None, DigestItem(ItemKind.DUE, TODAY + 14 * DAY)),
        (Status.DUE, TODAY + 15 * DAY, None, None),
        (Status.DUE_SOON, TODAY + 3 * DAY, None, DigestItem(ItemKind.DUE, TODAY + 3 * DAY)),
        (Status.DUE_SOON, TODAY + 20 * DAY, None, None),
        (Status.EXTENDED, TODAY + 10 * DAY, None, DigestItem(ItemKind.DUE, TODAY + 10 * DAY)),
        (Status.DUE, None, None, None),  # no deadline yet
        # An expiry likewise, whether or not the requirement's window calls it expiring soon.
        (Status.COMPLIANT, None, TODAY + 14 * DAY, DigestItem(ItemKind.EXPIRING, TODAY + 14 * DAY)),
        (Status.EXPIRING_SOON, None, TODAY + 40 * DAY, None),
        (Status.COMPLIANT, None, None, None),  # never expires
        (Status.EXEMPT, TODAY, TODAY, None),
        (Status.LEFT, TODAY - DAY, None, None),
        (Status.NOT_YET_DUE, TODAY + DAY, None, None),
    ],
)
def test_what_a_digest_lists(
    status: Status,
    due_on: dt.date | None,
    expires_on: dt.date | None,
    expected: DigestItem | None,
) -> None:
    assert digest_item(result(status, due_on, expires_on), TODAY, 14) == expected


def test_the_default_lead_time_is_six_weeks() -> None:
    due = result(Status.DUE, TODAY + 42 * DAY)
    assert digest_item(due, TODAY, DEFAULT_LEAD_DAYS) == DigestItem(ItemKind.DUE, TODAY + 42 * DAY)
    assert digest_item(result(Status.DUE, TODAY + 43 * DAY), TODAY, DEFAULT_LEAD_DAYS) is None


# ---------------------------------------------------------------- pauses

CHRISTMAS = Pause("Christmas holidays", dt.date(2026, 12, 19), dt.date(2027, 1, 3))


@pytest.mark.parametrize(
    ("day", "paused"),
    [
        (dt.date(2026, 12, 18), False),
        (dt.date(2026, 12, 19), True),  # both ends included
        (dt.date(2027, 1, 3), True),
        (dt.date(2027, 1, 4), False),  # resumes
    ],
)
def test_pause_on(day: dt.date, paused: bool) -> None:
    assert (pause_on(day, [CHRISTMAS]) == CHRISTMAS) is paused


def test_default_pauses_are_this_school_year_and_next() -> None:
    found = default_pauses(TODAY)

    assert len(found) == 12
    assert CHRISTMAS in found
    assert found[0].name == "October half term"
    assert found[0].starts_on == dt.date(2026, 10, 24)
    assert found[-1].ends_on == dt.date(2028, 8, 31)


def test_an_organisation_uses_the_defaults_until_it_saves_its_own() -> None:
    assert organisation_pauses(None, TODAY) == default_pauses(TODAY)
    assert organisation_pauses([], TODAY) == []
    assert organisation_pauses(pauses_to_json([CHRISTMAS]), TODAY) == [CHRISTMAS]


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("19 December 2026", dt.date(2026, 12, 19)),
        ("  19  december   2026 ", dt.date(2026, 12, 19)),
        ("19 Dec 2026", dt.date(2026, 12, 19)),
        ("2026-12-19", dt.date(2026, 12, 19)),
        ("19/12/2026", dt.date(2026, 12, 19)),
        ("31 February 2027", None),
        ("19 Ju 2026", None),  # too short to know the month
        ("tomorrow", None),
        ("", None),
    ],
)
def test_parse_day(text: str, day: dt.date | None) -> None:
    assert parse_day(text) == day


def test_pauses_read_back_what_they_write() -> None:
    text = pauses_text(default_pauses(TODAY))

    assert text.splitlines()[1] == "Christmas holidays: 19 December 2026 to 3 January 2027"
    assert parse_pauses(text) == default_pauses(TODAY)
    assert pauses_from_json(pauses_to_json(default_pauses(TODAY))) == default_pauses(TODAY)


def test_parse_pauses_sorts_names_and_skips_blank_lines() -> None:
    found = parse_pauses("\n2027-02-13 to 2027-02-21\n\nINSET week: 1/9/2026 to 4/9/2026\n")

    assert found == [
        Pause("INSET week", dt.date(2026, 9, 1), dt.date(2026, 9, 4)),
        Pause("Pause", dt.date(2027, 2, 13), dt.date(2027, 2, 21)),
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Christmas: 19 December 2026", 'Line 1 ("Christmas: 19 December 2026") needs two dates'),
        ("Christmas: 19 December 2026 to soon", 'Line 1: "soon" is not a date'),
        ("\nA: 3 January 2027 to 19 December 2026", "Line 2: the pause ends before it starts"),
        ("A: 1 January 2027 to 31 December 2027", "Line 1: a pause can be at most 70 days long"),
        ("\n".join(["1/1/2027 to 2/1/2027"] * 41), "Enter at most 40 pauses."),
    ],
)
def test_parse_pauses_says_which_line_is_wrong(text: str, message: str) -> None:
    with pytest.raises(PauseError) as raised:
        parse_pauses(text)
    assert message in str(raised.value)


# ---------------------------------------------------------------- sending time


def utc(*parts: int) -> dt.datetime:
    return dt.datetime(*parts, tzinfo=dt.UTC)  # type: ignore[misc]


MON, FRI, SUN = 0, 4, 6


def test_each_weeks_digests_go_from_monday_7am_by_default() -> None:
    assert (DEFAULT_SEND_WEEKDAY, DEFAULT_SEND_HOUR) == (MON, 7)
    assert sending_time_text(MON, 7) == "Monday at 07:00"
    assert sending_time_text(FRI, 15) == "Friday at 15:00"


@pytest.mark.parametrize(
    ("now", "weekday", "hour", "due"),
    [
        # A winter week (GMT = UTC): Monday 12 January 2026.
        (utc(2026, 1, 12, 0, 5), MON, 7, False),  # just after midnight: the old time
        (utc(2026, 1, 12, 6, 59), MON, 7, False),
        (utc(2026, 1, 12, 7, 0), MON, 7, True),
        (utc(2026, 1, 14, 10, 0), MON, 7, True),  # later in the week: still this week's
        (utc(2026, 1, 18, 23, 59), MON, 7, True),  # Sunday night
        # A summer week (BST = UTC+1): 07:00 in London is 06:00 UTC.
        (utc(2026, 6, 15, 5, 59), MON, 7, False),
        (utc(2026, 6, 15, 6, 0), MON, 7, True),
        # Monday 00:30 BST is Sunday 23:30 UTC: already the new week in London, not due.
        (utc(2026, 6, 14, 23, 30), MON, 7, False),
        # The week the clocks go forward (Sunday 29 March 2026, 01:00 GMT -> 02:00 BST).
        (utc(2026, 3, 23, 6, 59), MON, 7, False),  # Monday of that week, still GMT
        (utc(2026, 3, 23, 7, 0), MON, 7, True),
        (utc(2026, 3, 29, 0, 59), SUN, 1, False),  # 01:00 does not happen that Sunday:
        (utc(2026, 3, 29, 1, 0), SUN, 1, True),  # due from the jump (02:00 BST)
        (utc(2026, 3, 29, 1, 59), SUN, 3, False),  # 02:59 BST
        (utc(2026, 3, 29, 2, 0), SUN, 3, True),  # 03:00 BST
        (utc(2026, 3, 30, 5, 59), MON, 7, False),  # the first BST Monday
        (utc(2026, 3, 30, 6, 0), MON, 7, True),
        # The week the clocks go back (Sunday 25 October 2026, 02:00 BST -> 01:00 GMT).
        (utc(2026, 10, 19, 5, 59), MON, 7, False),  # Monday of that week, still BST
        (utc(2026, 10, 19, 6, 0), MON, 7, True),
        (utc(2026, 10, 24, 23, 59), SUN, 1, False),  # 01:00 happens twice: the first
        (utc(2026, 10, 25, 0, 0), SUN, 1, True),  # (01:00 BST) counts
        (utc(2026, 10, 25, 1, 59), SUN, 2, False),  # 01:59 GMT
        (utc(2026, 10, 25, 2, 0), SUN, 2, True),  # 02:00 GMT
        (utc(2026, 10, 26, 6, 59), MON, 7, False),  # the first GMT Monday
        (utc(2026, 10, 26, 7, 0), MON, 7, True),
        # Another day and hour: Friday 15:00.
        (utc(2026, 1, 14, 16, 0), FRI, 15, False),  # Wednesday
        (utc(2026, 1, 16, 14, 59), FRI, 15, False),
        (utc(2026, 1, 16, 15, 0), FRI, 15, True),
        (utc(2026, 1, 18, 12, 0), FRI, 15, True),  # Sunday
        (utc(2026, 1, 19, 12, 0), FRI, 15, False),  # next Monday: a new week
        # Midnight on Monday: the week's first moment, as before.
        (utc(2026, 1, 12, 0, 0), MON, 0, True),
        (utc(2026, 1, 11, 23, 59), MON, 0, True),  # Sunday: last week's, long due
    ],
)
def test_digests_are_due_once_the_weeks_sending_time_has_passed_in_london(
    now: dt.datetime, weekday: int, hour: int, due: bool
) -> None:
    assert digests_due(now, weekday, hour) is due


def test_the_sending_moment_is_in_utc_and_in_londons_week() -> None:
    assert digest_moment(dt.date(2026, 1, 14), MON, 7) == utc(2026, 1, 12, 7, 0)
    assert digest_moment(dt.date(2026, 6, 18), MON, 7) == utc(2026, 6, 15, 6, 0)
    assert digest_moment(dt.date(2026, 3, 25), SUN, 1) == utc(2026, 3, 29, 1, 0)
    assert digest_moment(dt.date(2026, 10, 20), SUN, 1) == utc(2026, 10, 25, 0, 0)
    london = dt.datetime(2026, 6, 15, 7, 0, tzinfo=ZoneInfo("Europe/London"))
    assert digests_due(london, MON, 7)
    assert not digests_due(london - dt.timedelta(minutes=1), MON, 7)


@pytest.mark.parametrize(("weekday", "hour"), [(7, 7), (-1, 7), (0, 24), (0, -1)])
def test_a_sending_time_out_of_range_is_refused(weekday: int, hour: int) -> None:
    with pytest.raises(ValueError, match="sending time out of range"):
        digest_moment(dt.date(2026, 1, 12), weekday, hour)


def test_a_moment_without_a_time_zone_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        digests_due(dt.datetime(2026, 1, 12, 8, 0), MON, 7)
