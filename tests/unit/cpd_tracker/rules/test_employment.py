"""The one leaver rule (issue 17): the leaving day is still a day of employment; a leaver is off
the staff from the day after it."""

from __future__ import annotations

import datetime as dt

import pytest

from cpd_tracker.rules.employment import employed_on, has_left
from cpd_tracker.rules.training import PersonFacts, RequirementFacts, Rule, Status, assess
from cpd_tracker.services.staff import Employment, employment

LEAVING = dt.date(2026, 12, 4)


@pytest.mark.parametrize(
    ("day", "employed"),
    [
        (LEAVING - dt.timedelta(days=1), True),
        (LEAVING, True),
        (LEAVING + dt.timedelta(days=1), False),
        (LEAVING + dt.timedelta(days=400), False),
    ],
)
def test_the_leaving_day_is_the_last_day_employed(day: dt.date, employed: bool) -> None:
    assert employed_on(LEAVING, day) is employed
    assert has_left(LEAVING, day) is not employed


def test_no_leaving_date_is_employed_on_any_day() -> None:
    assert employed_on(None, dt.date(1990, 1, 1))
    assert not has_left(None, dt.date(2100, 1, 1))


@pytest.mark.parametrize("offset", [-1, 0, 1])
def test_the_staff_record_and_the_status_engine_follow_the_rule(offset: int) -> None:
    day = LEAVING + dt.timedelta(days=offset)
    left = not employed_on(LEAVING, day)
    assert (employment(LEAVING, day) is Employment.LEFT) is left
    assert employment(LEAVING, day) is (Employment.LEFT if left else Employment.LEAVING)
    person = PersonFacts(start_date=dt.date(2020, 9, 1), leaving_date=LEAVING)
    status = assess(person, _requirement(), [], [], [], day).status
    assert (status is Status.LEFT) is left


def _requirement() -> RequirementFacts:
    return RequirementFacts(rule=Rule.DAYS_AFTER_START, due_days=30)
