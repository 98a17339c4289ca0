"""Date arithmetic under the training status engine: month-end clamping, fixed-date cycles,
UK-style dates."""

from __future__ import annotations

import datetime as dt

import pytest

from cpd_tracker.rules.training import (
    PersonFacts,
    RequirementFacts,
    Rule,
    add_months,
    applies_from,
    covered_cycle_due_on,
    expiry_for,
    first_due_on,
    fixed_date_in,
    next_fixed_date,
    previous_fixed_date,
    uk_date,
)

date = dt.date

BY_1_SEPTEMBER = RequirementFacts(Rule.FIXED_DATE, due_month=9, due_day=1, validity_months=12)
LEAP_DAY = RequirementFacts(Rule.FIXED_DATE, due_month=2, due_day=29, validity_months=12)


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        pytest.param(date(2025, 1, 31), 1, date(2025, 2, 28), id="31 Jan + 1, common year"),
        pytest.param(date(2024, 1, 31), 1, date(2024, 2, 29), id="31 Jan + 1, leap year"),
        pytest.param(date(2024, 2, 29), 12, date(2025, 2, 28), id="29 Feb + 12"),
        pytest.param(date(2024, 2, 29), 48, date(2028, 2, 29), id="29 Feb + 48"),
        pytest.param(date(2026, 3, 31), 1, date(2026, 4, 30), id="31 Mar + 1"),
        pytest.param(date(2026, 8, 31), 6, date(2027, 2, 28), id="31 Aug + 6"),
        pytest.param(date(2026, 12, 15), 1, date(2027, 1, 15), id="across the year end"),
        pytest.param(date(2026, 3, 31), -1, date(2026, 2, 28), id="backwards"),
        pytest.param(date(2026, 1, 15), -1, date(2025, 12, 15), id="backwards across a year"),
        pytest.param(date(2026, 5, 17), 0, date(2026, 5, 17), id="zero"),
        pytest.param(date(2026, 5, 17), 24, date(2028, 5, 17), id="two years"),
    ],
)
def test_add_months(start: dt.date, months: int, expected: dt.date) -> None:
    assert add_months(start, months) == expected


@pytest.mark.parametrize(
    ("day", "text"),
    [
        (date(2027, 9, 1), "1 September 2027"),
        (date(2026, 3, 12), "12 March 2026"),
        (date(2028, 2, 29), "29 February 2028"),
    ],
)
def test_uk_date(day: dt.date, text: str) -> None:
    assert uk_date(day) == text


@pytest.mark.parametrize(
    ("requirement", "year", "expected"),
    [
        pytest.param(BY_1_SEPTEMBER, 2026, date(2026, 9, 1), id="1 September"),
        pytest.param(LEAP_DAY, 2028, date(2028, 2, 29), id="29 Feb, leap year"),
        pytest.param(LEAP_DAY, 2027, date(2027, 2, 28), id="29 Feb, common year"),
    ],
)
def test_fixed_date_in(requirement: RequirementFacts, year: int, expected: dt.date) -> None:
    assert fixed_date_in(year, requirement) == expected


@pytest.mark.parametrize(
    ("day", "following", "preceding"),
    [
        pytest.param(date(2026, 9, 1), date(2026, 9, 1), date(2026, 9, 1), id="on the day"),
        pytest.param(date(2026, 8, 31), date(2026, 9, 1), date(2025, 9, 1), id="day before"),
        pytest.param(date(2026, 9, 2), date(2027, 9, 1), date(2026, 9, 1), id="day after"),
    ],
)
def test_next_and_previous_fixed_date(day: dt.date, following: dt.date, preceding: dt.date) -> None:
    assert next_fixed_date(day, BY_1_SEPTEMBER) == following
    assert previous_fixed_date(day, BY_1_SEPTEMBER) == preceding


@pytest.mark.parametrize(
    ("completed_on", "cycle", "expires"),
    [
        pytest.param(date(2026, 7, 15), date(2026, 9, 1), date(2027, 9, 1), id="early in window"),
        pytest.param(date(2026, 7, 3), date(2026, 9, 1), date(2027, 9, 1), id="window edge"),
        # Issue 16: the minimum active period (6 months) carries it to the next cycle.
        pytest.param(date(2026, 7, 2), date(2025, 9, 1), date(2027, 9, 1), id="before window"),
        pytest.param(date(2026, 9, 1), date(2026, 9, 1), date(2027, 9, 1), id="on the day"),
        pytest.param(date(2026, 9, 5), date(2026, 9, 1), date(2027, 9, 1), id="late"),
        pytest.param(date(2027, 1, 1), date(2026, 9, 1), date(2027, 9, 1), id="January"),
    ],
)
def test_academic_cycle(completed_on: dt.date, cycle: dt.date, expires: dt.date) -> None:
    assert covered_cycle_due_on(BY_1_SEPTEMBER, completed_on) == cycle
    assert expiry_for(BY_1_SEPTEMBER, completed_on) == expires


@pytest.mark.parametrize(
    ("requirement", "completed_on", "expires"),
    [
        pytest.param(
            RequirementFacts(Rule.FIXED_DATE, due_month=8, due_day=31, validity_months=6),
            date(2026, 8, 31),
            date(2027, 2, 28),
            id="31 Aug, half-yearly: end of February",
        ),
        pytest.param(
            RequirementFacts(Rule.FIXED_DATE, due_month=8, due_day=31, validity_months=24),
            date(2026, 8, 1),
            date(2028, 8, 31),
            id="31 Aug, two-yearly",
        ),
        pytest.param(LEAP_DAY, date(2027, 2, 28), date(2028, 2, 29), id="snapped to 29 Feb"),
        pytest.param(LEAP_DAY, date(2028, 2, 29), date(2029, 2, 28), id="29 Feb to 28 Feb"),
        pytest.param(
            RequirementFacts(Rule.DAYS_AFTER_START, due_days=30), date(2026, 1, 1), None, id="none"
        ),
    ],
)
def test_expiry_for(
    requirement: RequirementFacts, completed_on: dt.date, expires: dt.date | None
) -> None:
    assert expiry_for(requirement, completed_on) == expires


@pytest.mark.parametrize(
    ("person", "rule", "expected"),
    [
        pytest.param(
            PersonFacts(date(2020, 1, 1), appointed_on=date(2026, 9, 1)),
            Rule.DAYS_AFTER_APPOINTMENT,
            date(2026, 9, 1),
            id="appointment",
        ),
        pytest.param(
            PersonFacts(date(2020, 1, 1)),
            Rule.DAYS_AFTER_APPOINTMENT,
            date(2020, 1, 1),
            id="fallback",
        ),
        pytest.param(
            PersonFacts(date(2020, 1, 1), appointed_on=date(2026, 9, 1)),
            Rule.DAYS_AFTER_START,
            date(2020, 1, 1),
            id="start rule ignores appointment",
        ),
        pytest.param(PersonFacts(None), Rule.FIXED_DATE, None, id="no start"),
    ],
)
def test_applies_from(person: PersonFacts, rule: Rule, expected: dt.date | None) -> None:
    assert applies_from(person, RequirementFacts(rule, due_days=10)) == expected


def test_first_due_on_without_start_date() -> None:
    today = date(2026, 3, 1)
    # The cycle rolls on 1 September (issue 16), not on 1 January.
    assert first_due_on(PersonFacts(None), BY_1_SEPTEMBER, today) == date(2025, 9, 1)
    assert first_due_on(PersonFacts(None), BY_1_SEPTEMBER, date(2026, 9, 1)) == date(2026, 9, 1)
    relative = RequirementFacts(Rule.DAYS_AFTER_START, due_days=30)
    assert first_due_on(PersonFacts(None), relative, today) is None
