"""What a weekly digest lists, with the lead time, and holiday pauses (``rules.reminders``)."""

from __future__ import annotations

import datetime as dt

import pytest

from cpd_tracker.rules.reminders import (
    DEFAULT_LEAD_DAYS,
    DigestItem,
    ItemKind,
    Pause,
    PauseError,
    default_pauses,
    digest_item,
    organisation_pauses,
    parse_day,
    parse_pauses,
    pause_on,
    pauses_from_json,
    pauses_text,
    pauses_to_json,
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
