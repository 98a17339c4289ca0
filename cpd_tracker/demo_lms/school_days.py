"""Working days for the demo's dates: nobody starts a job, or finishes a course, on 25 December.

A plausible English school calendar, not any real school's: weekends, the bank holidays of
England and Wales (with their substitute days and the one-off changes of 2020, 2022 and 2023),
and school holidays as most schools keep them:

* summer: 23 July to 31 August (the autumn term starts on the first weekday of September);
* Christmas: 20 December to 3 January;
* Easter: Good Friday to the Friday after Easter Monday;
* half terms: the weeks of the third Monday in February, the last Monday in May (the spring
  bank holiday) and the last Monday in October.
"""

from __future__ import annotations

import datetime as dt
from functools import cache

# The computus lives with the school year's rules; re-exported for the demo's callers.
from cpd_tracker.rules.school_year import easter_sunday as easter_sunday

#: Bank holidays moved or added by proclamation (GOV.UK): the moved early May bank holiday
#: (VE Day, 2020), the Platinum Jubilee (2022), the Queen's funeral (2022), the coronation (2023).
_MOVED: dict[int, tuple[tuple[dt.date, ...], tuple[dt.date, ...]]] = {
    # year: (days that were not bank holidays after all, days that were)
    2020: ((dt.date(2020, 5, 4),), (dt.date(2020, 5, 8),)),
    2022: (
        (dt.date(2022, 5, 30),),
        (dt.date(2022, 6, 2), dt.date(2022, 6, 3), dt.date(2022, 9, 19)),
    ),
    2023: ((), (dt.date(2023, 5, 8),)),
}


def _monday_on_or_after(day: dt.date) -> dt.date:
    return day + dt.timedelta(days=(7 - day.weekday()) % 7)


def _last_monday(year: int, month: int) -> dt.date:
    last = (dt.date(year + month // 12, month % 12 + 1, 1)) - dt.timedelta(days=1)
    return last - dt.timedelta(days=last.weekday())


def _weekday_on_or_after(day: dt.date) -> dt.date:
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    return day


@cache
def bank_holidays(year: int) -> frozenset[dt.date]:
    """England and Wales."""
    easter = easter_sunday(year)
    days = {
        _weekday_on_or_after(dt.date(year, 1, 1)),
        easter - dt.timedelta(days=2),
        easter + dt.timedelta(days=1),
        _monday_on_or_after(dt.date(year, 5, 1)),
        _last_monday(year, 5),
        _last_monday(year, 8),
    }
    christmas = dt.date(year, 12, 25)
    if christmas.weekday() == 5:  # Saturday: Monday and Tuesday instead
        days |= {dt.date(year, 12, 27), dt.date(year, 12, 28)}
    elif christmas.weekday() == 6:  # Sunday: Boxing Day Monday, Christmas on Tuesday
        days |= {dt.date(year, 12, 26), dt.date(year, 12, 27)}
    elif christmas.weekday() == 4:  # Friday: Boxing Day on Monday
        days |= {christmas, dt.date(year, 12, 28)}
    else:
        days |= {christmas, dt.date(year, 12, 26)}
    removed, added = _MOVED.get(year, ((), ()))
    return frozenset((days - set(removed)) | set(added))


def _week_of(monday: dt.date, day: dt.date) -> bool:
    return monday <= day <= monday + dt.timedelta(days=4)


def school_holiday(day: dt.date) -> bool:
    year = day.year
    if (day.month, day.day) >= (7, 23) and day.month <= 8:
        return True
    if (day.month, day.day) >= (12, 20) or (day.month, day.day) <= (1, 3):
        return True
    good_friday = easter_sunday(year) - dt.timedelta(days=2)
    if good_friday <= day <= good_friday + dt.timedelta(days=7):
        return True
    february = _monday_on_or_after(dt.date(year, 2, 15))  # the third Monday
    return (
        _week_of(february, day)
        or _week_of(_last_monday(year, 5), day)
        or _week_of(_last_monday(year, 10), day)
    )


def is_working_day(day: dt.date) -> bool:
    """A day in term, Monday to Friday, that is not a bank holiday."""
    return day.weekday() < 5 and day not in bank_holidays(day.year) and not school_holiday(day)


def next_working_day(day: dt.date) -> dt.date:
    """``day`` itself if it is a working day, else the next one."""
    while not is_working_day(day):
        day += dt.timedelta(days=1)
    return day


def previous_working_day(day: dt.date) -> dt.date:
    """``day`` itself if it is a working day, else the last one before it."""
    while not is_working_day(day):
        day -= dt.timedelta(days=1)
    return day


def term_starts(academic_year: int) -> tuple[dt.date, dt.date, dt.date]:
    """The first working day of the autumn, spring and summer terms of the school year that
    begins in September ``academic_year``: when most staff start."""
    easter_monday = easter_sunday(academic_year + 1) + dt.timedelta(days=1)
    return (
        next_working_day(dt.date(academic_year, 9, 1)),
        next_working_day(dt.date(academic_year + 1, 1, 4)),
        next_working_day(easter_monday + dt.timedelta(days=1)),
    )
