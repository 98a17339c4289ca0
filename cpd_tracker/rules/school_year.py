"""The English school year's dates: Easter, and the holidays most schools keep.

A school sets its own term dates (its local authority's, or its trust's), so these are a
starting point an administrator edits, not a statement of any school's calendar. The school
year runs from September; ``holidays(2026)`` are those of the year September 2026 to July 2027:

* October half term: the week of the last Monday in October;
* Christmas: two weeks, from the Saturday on or before 21 December;
* February half term: the week of the third Monday in February;
* Easter: the fortnight around Easter Sunday (its Saturday eight days before to the Sunday a
  week after);
* May half term: the week of the last Monday in May (the spring bank holiday);
* summer: from the Saturday on or before 22 July to 31 August.

The others run Saturday to Sunday, so a weekly reminder paused by one resumes on a Monday.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

_DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class Holiday:
    name: str
    #: The first and last day, both included.
    starts_on: dt.date
    ends_on: dt.date


def easter_sunday(year: int) -> dt.date:
    """Easter Sunday (the Gregorian computus, Meeus/Jones/Butcher)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    ell = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * ell) // 451
    month, day = divmod(h + ell - 7 * m + 114, 31)
    return dt.date(year, month, day + 1)


def _last_monday(year: int, month: int) -> dt.date:
    last = dt.date(year + month // 12, month % 12 + 1, 1) - _DAY
    return last - dt.timedelta(days=last.weekday())


def _saturday_on_or_before(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=(day.weekday() - 5) % 7)


def _week_around(name: str, monday: dt.date) -> Holiday:
    """Saturday before ``monday`` to the Sunday after it."""
    return Holiday(name, monday - 2 * _DAY, monday + 6 * _DAY)


def academic_year_of(day: dt.date) -> int:
    """The September the school year holding ``day`` began in."""
    return day.year if day.month >= 9 else day.year - 1


def holidays(academic_year: int) -> list[Holiday]:
    """The school year's holidays in date order (see the module docstring)."""
    spring = academic_year + 1
    christmas = _saturday_on_or_before(dt.date(academic_year, 12, 21))
    february = dt.date(spring, 2, 15)
    february += dt.timedelta(days=(7 - february.weekday()) % 7)  # the third Monday
    easter = easter_sunday(spring)
    return [
        _week_around("October half term", _last_monday(academic_year, 10)),
        Holiday("Christmas holidays", christmas, christmas + 15 * _DAY),
        _week_around("February half term", february),
        Holiday("Easter holidays", easter - 8 * _DAY, easter + 7 * _DAY),
        _week_around("May half term", _last_monday(spring, 5)),
        Holiday(
            "Summer holidays",
            _saturday_on_or_before(dt.date(spring, 7, 22)),
            dt.date(spring, 8, 31),
        ),
    ]
