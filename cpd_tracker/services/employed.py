"""``rules.employment.employed_on`` as a SQL condition, for every query that counts, lists or
offers people as staff (issue 17: one leaver rule everywhere)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ColumnElement, or_

from cpd_tracker.models import Person


def employed_sql(day: dt.date | Any, leaving: Any = None) -> ColumnElement[bool]:
    """The person (``leaving``: their leaving-date column, ``Person.leaving_date`` unless
    given) is still employed on ``day`` (a date or a bound parameter): no leaving date, or a
    leaving date on or after the day."""
    column = Person.leaving_date if leaving is None else leaving
    condition: ColumnElement[bool] = or_(column.is_(None), column >= day)
    return condition
