"""One calendar (Europe/London) and one way of writing dates and times (issue 17)."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from cpd_tracker.dates import iso_datetime, local_date, long_date, short_datetime

UTC = dt.UTC


@pytest.mark.parametrize(
    ("moment", "day"),
    [
        # 23:30 UTC on 31 August is 00:30 BST on 1 September: the first INSET day.
        (dt.datetime(2026, 8, 31, 23, 30, tzinfo=UTC), dt.date(2026, 9, 1)),
        # In winter London is on UTC.
        (dt.datetime(2026, 12, 31, 23, 30, tzinfo=UTC), dt.date(2026, 12, 31)),
        # The night the clocks go back (25 October 2026, 02:00 BST -> 01:00 GMT).
        (dt.datetime(2026, 10, 24, 23, 30, tzinfo=UTC), dt.date(2026, 10, 25)),
        (dt.datetime(2026, 10, 25, 23, 30, tzinfo=UTC), dt.date(2026, 10, 25)),
        # A naive value is what the database hands back: UTC.
        (dt.datetime(2026, 6, 30, 23, 15), dt.date(2026, 7, 1)),
    ],
)
def test_today_is_the_date_in_england(moment: dt.datetime, day: dt.date) -> None:
    assert local_date(moment) == day


def test_dates_and_times_are_written_one_way() -> None:
    assert long_date(dt.date(2026, 9, 1)) == "1 September 2026"
    assert long_date(None) == ""
    assert short_datetime(dt.datetime(2026, 7, 1, 13, 5, tzinfo=UTC)) == "1 Jul 2026, 14:05"
    assert short_datetime(dt.datetime(2026, 1, 5, 9, 0, tzinfo=UTC)) == "5 Jan 2026, 09:00"
    assert short_datetime(None) == ""
    assert iso_datetime(dt.datetime(2026, 7, 1, 13, 5, tzinfo=UTC)) == "2026-07-01 14:05"


ROOT = Path(__file__).resolve().parents[3] / "cpd_tracker"
#: Formats that only read what people type (the forms accept 1/9/2026 as well as 1 9 2026).
READERS = ("DATE_FORMATS", "FORMATS")


def test_no_page_or_message_writes_a_date_another_way() -> None:
    """Dates reach people through cpd_tracker.dates only: no %d/%m/%Y, no "UTC" stamp."""
    found = []
    for path in ROOT.rglob("*.py"):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if line.lstrip().startswith(READERS) or line.lstrip().startswith("#"):
                continue
            if re.search(r"%d/%m/%Y|%d/%m/%y|%b %Y, %H:%M\} UTC", line):
                found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not found, "\n".join(found)
