"""The demo's calendar (issue 16, "Demo data": nobody starts on 25 December): bank holidays of
England and Wales as GOV.UK lists them, and start dates only on working days in term, whatever
day the demo is set up."""

from __future__ import annotations

import datetime as dt

import pytest

from cpd_tracker.demo_lms import people
from cpd_tracker.demo_lms.school_days import (
    bank_holidays,
    easter_sunday,
    is_working_day,
    next_working_day,
    previous_working_day,
    term_starts,
)
from cpd_tracker.demo_lms.seed import start_date_for

D = dt.date

#: GOV.UK's published bank holidays for England and Wales, typed in from the list, with the
#: substitute days and the one-off changes.
GOV_UK = {
    2020: {D(2020, 1, 1), D(2020, 4, 10), D(2020, 4, 13), D(2020, 5, 8), D(2020, 5, 25),
           D(2020, 8, 31), D(2020, 12, 25), D(2020, 12, 28)},
    2021: {D(2021, 1, 1), D(2021, 4, 2), D(2021, 4, 5), D(2021, 5, 3), D(2021, 5, 31),
           D(2021, 8, 30), D(2021, 12, 27), D(2021, 12, 28)},
    2022: {D(2022, 1, 3), D(2022, 4, 15), D(2022, 4, 18), D(2022, 5, 2), D(2022, 6, 2),
           D(2022, 6, 3), D(2022, 8, 29), D(2022, 9, 19), D(2022, 12, 26), D(2022, 12, 27)},
    2023: {D(2023, 1, 2), D(2023, 4, 7), D(2023, 4, 10), D(2023, 5, 1), D(2023, 5, 8),
           D(2023, 5, 29), D(2023, 8, 28), D(2023, 12, 25), D(2023, 12, 26)},
    2025: {D(2025, 1, 1), D(2025, 4, 18), D(2025, 4, 21), D(2025, 5, 5), D(2025, 5, 26),
           D(2025, 8, 25), D(2025, 12, 25), D(2025, 12, 26)},
    2026: {D(2026, 1, 1), D(2026, 4, 3), D(2026, 4, 6), D(2026, 5, 4), D(2026, 5, 25),
           D(2026, 8, 31), D(2026, 12, 25), D(2026, 12, 28)},
    2027: {D(2027, 1, 1), D(2027, 3, 26), D(2027, 3, 29), D(2027, 5, 3), D(2027, 5, 31),
           D(2027, 8, 30), D(2027, 12, 27), D(2027, 12, 28)},
}  # fmt: skip


@pytest.mark.parametrize("year", sorted(GOV_UK))
def test_bank_holidays_are_gov_uks(year: int) -> None:
    assert bank_holidays(year) == GOV_UK[year]


@pytest.mark.parametrize(
    ("year", "easter"), [(2019, D(2019, 4, 21)), (2024, D(2024, 3, 31)), (2038, D(2038, 4, 25))]
)
def test_easter_sunday(year: int, easter: dt.date) -> None:
    assert easter_sunday(year) == easter


@pytest.mark.parametrize(
    ("day", "why"),
    [
        (D(2026, 12, 25), "Christmas Day"),
        (D(2027, 12, 25), "Christmas Day on a Saturday"),
        (D(2026, 12, 12), "a Saturday"),
        (D(2026, 12, 13), "a Sunday"),
        (D(2026, 5, 4), "the early May bank holiday"),
        (D(2026, 8, 12), "the summer holiday"),
        (D(2026, 12, 22), "the Christmas holiday"),
        (D(2027, 1, 2), "the Christmas holiday"),
        (D(2026, 4, 8), "the Easter holiday"),
        (D(2026, 10, 28), "October half term"),
        (D(2026, 2, 18), "February half term"),
        (D(2026, 5, 27), "May half term"),
    ],
)
def test_not_a_working_day(day: dt.date, why: str) -> None:
    assert not is_working_day(day), why


def test_working_days_move_off_holidays_in_the_direction_asked() -> None:
    assert is_working_day(D(2026, 12, 7))
    assert next_working_day(D(2026, 12, 25)) == D(2027, 1, 4)
    assert previous_working_day(D(2026, 12, 25)) == D(2026, 12, 18)
    assert next_working_day(D(2026, 9, 5)) == D(2026, 9, 7)


@pytest.mark.parametrize("year", range(2010, 2041))
def test_terms_start_on_working_days(year: int) -> None:
    autumn, spring, summer = term_starts(year)
    for day in (autumn, spring, summer):
        assert is_working_day(day), day
    assert (autumn.year, autumn.month) == (year, 9)
    assert autumn.day <= 7
    assert (spring.year, spring.month) == (year + 1, 1)
    assert spring.day <= 10
    assert spring < summer
    assert summer.month in (3, 4, 5)


#: Every fortnight for four years from the tool's day of writing: the demo can start any day.
TODAYS = [D(2026, 12, 7) + dt.timedelta(days=14 * k) for k in range(105)]


@pytest.mark.parametrize("today", TODAYS[::4], ids=[d.isoformat() for d in TODAYS[::4]])
def test_demo_start_dates_are_working_days_in_term(today: dt.date) -> None:
    size = max(people.STAFF.values())
    starts = [start_date_for(n, s, today) for s in range(len(people.SCHOOLS)) for n in range(size)]
    for start in starts:
        assert start <= today
        assert start.weekday() < 5, start
        assert (start.month, start.day) != (12, 25)
        assert start not in GOV_UK.get(start.year, bank_holidays(start.year)), start
        assert is_working_day(start), start
    # Long-serving staff and newcomers both: up to 11 years, some this school year.
    assert min(starts) < today - dt.timedelta(days=365 * 10)
    assert sum(today - start < dt.timedelta(days=366) for start in starts) >= size // 10
