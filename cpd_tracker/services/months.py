"""Calendar months as the trends count them: a month is its first day."""

from __future__ import annotations

import calendar
import datetime as dt

from cpd_tracker.dates import MONTHS
from cpd_tracker.rules.training import add_months

#: Indexed by month number (1 = January), spelt out whatever the server's locale.
MONTH_NAMES = ("", *MONTHS)


def month_of(day: dt.date) -> dt.date:
    return day.replace(day=1)


def month_end(month: dt.date) -> dt.date:
    return month.replace(day=calendar.monthrange(month.year, month.month)[1])


def months_from(first: dt.date, last: dt.date) -> list[dt.date]:
    """Every month from ``first``'s to ``last``'s, both included."""
    months: list[dt.date] = []
    month = month_of(first)
    while month <= last:
        months.append(month)
        month = add_months(month, 1)
    return months


def parse_month(text: str) -> dt.date:
    """``YYYY-MM`` as the first day of that month; ValueError with a message otherwise."""
    try:
        return dt.datetime.strptime(text.strip(), "%Y-%m").date()
    except ValueError:
        raise ValueError(f"{text!r} is not a month: write it as YYYY-MM, e.g. 2026-09.") from None


def month_label(month: dt.date) -> str:
    return f"{MONTH_NAMES[month.month]} {month.year}"
