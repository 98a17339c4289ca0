"""Who is on the staff on a day: the one leaver rule every count, list and picker uses
(issue 17, "Leavers counted as current").

The leaving day is still a day of employment: a person with a leaving date has left from the
day after it. A leaver imported today with a leaving date before today is off the staff today;
one leaving today is on it until tomorrow. (A start date in the future does not take anyone off
the staff list: the status engine reports such a person as "not yet due".)

``employed_on`` is the rule for plain dates; ``services/employed.py`` writes the same rule as
SQL for queries, and ``tests/unit/cpd_tracker/rules/test_employment.py`` holds the two to the
same answers.
"""

from __future__ import annotations

import datetime as dt


def has_left(leaving_date: dt.date | None, day: dt.date) -> bool:
    """Whether the person has left by ``day``: their leaving day is before it."""
    return leaving_date is not None and leaving_date < day


def employed_on(leaving_date: dt.date | None, day: dt.date) -> bool:
    """Whether the person is still employed on ``day`` (the leaving day included)."""
    return not has_left(leaving_date, day)
