"""Leavers counted by one rule (issue 17, "Leavers counted as current"): after a staff import
records a leaver whose leaving day has passed, the school page counts them nowhere (staff on
the list, never opened the tool, the headline, the staff table, the chase list), while someone
whose leaving day is today is still on the staff everywhere (``rules.employment``)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

from flask import Flask

from tests.functional.reports.conftest import SignIn
from tests.functional.staff.support import ALDER, add_module, add_person, add_requirement
from tests.support.factories import school_id

TODAY = dt.datetime.now(dt.UTC).date()
YEAR_AGO = dt.datetime.now(dt.UTC) - dt.timedelta(days=400)


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_a_leaver_is_off_every_count_and_list_of_the_school_page(
    app: Flask, org_id: int, sign_in: SignIn
) -> None:
    module = add_module(app, org_id, "Autism essentials")
    add_requirement(app, org_id, module, due_days=30, created_at=YEAR_AGO)
    start = dt.date(2020, 9, 1)
    add_person(app, ALDER, "Una Untrained", start_date=start)
    add_person(app, ALDER, "Tia Today", start_date=start, leaving_date=TODAY)
    # As the staff import records a leaver: a leaving date, roles left as they were.
    add_person(app, ALDER, "Lou Leaver", start_date=start, leaving_date=TODAY - dt.timedelta(1))
    alder = school_id(app, ALDER)
    lead = sign_in("instructor")
    html = lead.get(f"/schools/{alder}").get_data(as_text=True)
    text = _text(html)
    # The lead (from the launch), Una and Tia: three, whichever figure is read.
    assert "3 staff on the list" in text
    assert "2 never opened the tool" in text
    assert "(0 of 3)" in text
    assert "never opened the tool (2)" in text
    assert "Lou Leaver" not in html
    assert "Tia Today" in text.split("never opened the tool (2)")[1]
    staff_table = html.split('id="staff-status"')[1]
    assert staff_table.count("/people/") == 3
    chase = lead.get(f"/schools/{alder}/chase.csv")
    assert chase.status_code == 200
    names = {row[0] for row in csv.reader(io.StringIO(chase.data.decode("utf-8-sig")))}
    assert "Lou Leaver" not in str(names)
    assert any("Tia" in n for n in names)
