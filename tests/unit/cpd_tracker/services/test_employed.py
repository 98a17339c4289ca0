"""``employed_sql`` is ``rules.employment.employed_on`` in SQL: the same answer for every
leaving date around the day asked about (on SQLite and PostgreSQL alike)."""

from __future__ import annotations

import datetime as dt

from flask import Flask
from sqlalchemy import Date, bindparam, select

from cpd_tracker.extensions import db
from cpd_tracker.models import Person
from cpd_tracker.rules.employment import employed_on
from cpd_tracker.services.employed import employed_sql
from tests.functional.staff.support import ALDER, add_person
from tests.support.factories import make_org

DAY = dt.date(2026, 12, 7)


def test_the_sql_rule_agrees_with_the_pure_rule(app: Flask) -> None:
    make_org(app)
    leaving: dict[int, dt.date | None] = {}
    for n, offset in enumerate((None, -400, -1, 0, 1, 30)):
        date = None if offset is None else DAY + dt.timedelta(days=offset)
        leaving[add_person(app, ALDER, f"Person Number{n}", leaving_date=date)] = date
    with app.app_context():
        for day in (DAY - dt.timedelta(days=1), DAY, DAY + dt.timedelta(days=1)):
            expected = {p for p, date in leaving.items() if employed_on(date, day)}
            by_date = set(db.session.scalars(select(Person.id).where(employed_sql(day))))
            bound = set(
                db.session.scalars(
                    select(Person.id).where(employed_sql(bindparam("on", type_=Date))),
                    {"on": day},
                )
            )
            assert by_date == bound == expected
        # The leaving day itself is employed; the day before it is not the leaver's last.
        assert len({p for p, d in leaving.items() if employed_on(d, DAY)}) == 4
