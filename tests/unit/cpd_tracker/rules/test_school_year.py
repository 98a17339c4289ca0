"""The English school year's default holidays (``rules.school_year``)."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from cpd_tracker.rules.school_year import academic_year_of, easter_sunday, holidays


@pytest.mark.parametrize(
    ("year", "easter"),
    [(2024, dt.date(2024, 3, 31)), (2025, dt.date(2025, 4, 20)), (2027, dt.date(2027, 3, 28))],
)
def test_easter_sunday(year: int, easter: dt.date) -> None:
    assert easter_sunday(year) == easter


def test_the_2026_to_2027_school_year() -> None:
    found = [(h.name, h.starts_on, h.ends_on) for h in holidays(2026)]

    assert found == [
        ("October half term", dt.date(2026, 10, 24), dt.date(2026, 11, 1)),
        ("Christmas holidays", dt.date(2026, 12, 19), dt.date(2027, 1, 3)),
        ("February half term", dt.date(2027, 2, 13), dt.date(2027, 2, 21)),
        ("Easter holidays", dt.date(2027, 3, 20), dt.date(2027, 4, 4)),
        ("May half term", dt.date(2027, 5, 29), dt.date(2027, 6, 6)),
        ("Summer holidays", dt.date(2027, 7, 17), dt.date(2027, 8, 31)),
    ]


@pytest.mark.parametrize("year", range(2020, 2040))
def test_every_year_is_in_order_starts_on_saturdays_and_never_overlaps(year: int) -> None:
    found = holidays(year)

    assert all(h.starts_on.weekday() == 5 for h in found)
    # Half terms, Christmas and Easter end on a Sunday: reminders resume on a Monday.
    assert all(h.ends_on.weekday() == 6 for h in found[:-1])
    assert all(a.ends_on < b.starts_on for a, b in itertools.pairwise(found))
    assert all(academic_year_of(h.starts_on) == year for h in found)
    # The Easter holidays hold Easter Sunday.
    assert found[3].starts_on < easter_sunday(year + 1) < found[3].ends_on


def test_academic_year_of() -> None:
    assert academic_year_of(dt.date(2026, 8, 31)) == 2025
    assert academic_year_of(dt.date(2026, 9, 1)) == 2026
    assert academic_year_of(dt.date(2027, 1, 4)) == 2026
