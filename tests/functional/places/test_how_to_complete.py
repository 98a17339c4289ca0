"""My training says how to complete each requirement (issue 17): an in-tool module's link
(start, then continue), the provider and a "Book with" link that opens in a new tab, the next
INSET session at the person's school, or the "Ask your CPD lead" button; the module's own
words under it; nothing for training already done."""

from __future__ import annotations

import datetime as dt
import html as html_lib
import re
from decimal import Decimal

from flask import Flask

from cpd_tracker.extensions import db
from cpd_tracker.models import (
    Attempt,
    CompletionMethod,
    Delivery,
    InsetSession,
    Module,
    ModulePage,
)
from tests.functional.places.conftest import SignIn
from tests.functional.staff.support import (
    ALDER,
    BIRCH,
    add_completion,
    add_module,
    add_requirement,
    person_id_of,
)
from tests.support.factories import school_id
from tests.support.platform import TestPlatform

TODAY = dt.datetime.now(dt.UTC).date()


def _row(page: str, title: str) -> str:
    """The My training table row of ``title`` (its HTML)."""
    for row in re.findall(r"<tr class=\"govuk-table__row\">(.*?)</tr>", page, re.S):
        if title in row:
            return str(row)
    raise AssertionError(f"no row for {title}")


def _set(app: Flask, module_id: int, **values: object) -> None:
    with app.app_context():
        module = db.session.get(Module, module_id)
        assert module is not None
        for name, value in values.items():
            setattr(module, name, value)
        db.session.commit()


def _inset(app: Flask, org_id: int, urn: str, module_id: int, day: dt.date) -> None:
    with app.app_context():
        db.session.add(
            InsetSession(
                organisation_id=org_id,
                school_id=school_id(app, urn),
                module_id=module_id,
                title="Spring INSET",
                held_on=day,
                cpd_hours=Decimal("1"),
            )
        )
        db.session.commit()


def test_each_row_says_how_to_complete_it(
    app: Flask, org_id: int, sign_in: SignIn, platform: TestPlatform
) -> None:
    booked = add_module(app, org_id, "Booked course")
    _set(app, booked, booking_url="https://nasen.org.uk/book?id=7&x=1", provider="nasen")
    inset = add_module(app, org_id, "INSET course")
    _inset(app, org_id, ALDER, inset, TODAY + dt.timedelta(days=40))
    _inset(app, org_id, ALDER, inset, TODAY + dt.timedelta(days=20))  # the earlier one shows
    _inset(app, org_id, ALDER, inset, TODAY - dt.timedelta(days=5))  # past: not "next"
    elsewhere = add_module(app, org_id, "INSET elsewhere")
    _inset(app, org_id, BIRCH, elsewhere, TODAY + dt.timedelta(days=10))  # not their school
    ask = add_module(app, org_id, "Ask course")
    _set(app, ask, how_to_complete="Places are limited: ask early.")
    in_tool = add_module(app, org_id, "Tool course")
    with app.app_context():
        module = db.session.get(Module, in_tool)
        assert module is not None
        module.delivery = Delivery.IN_TOOL
        module.pages = [ModulePage(position=1, title="One", body_markdown="Text")]
        db.session.commit()
    done = add_module(app, org_id, "Done course")
    for module_id in (booked, inset, elsewhere, ask, in_tool, done):
        add_requirement(app, org_id, module_id)
    staff = sign_in("learner", ALDER)
    add_completion(
        app,
        person_id_of(app, platform, "learner"),
        done,
        TODAY,
        method=CompletionMethod.RECORDED,
    )

    page = staff.get("/my-training").get_data(as_text=True)
    row = _row(page, "Booked course")
    assert "nasen" in row
    link = re.search(r"<a [^>]*>Book with nasen", row)
    assert link
    assert 'href="https://nasen.org.uk/book?id=7&amp;x=1"' in link.group(0)
    assert 'target="_blank"' in link.group(0)
    assert "noopener" in link.group(0)
    assert "/place-requests/ask" not in row

    upcoming = TODAY + dt.timedelta(days=20)
    assert f"Next INSET: {upcoming.day} {upcoming:%B %Y}" in _row(page, "INSET course")
    assert "/place-requests/ask" in _row(page, "INSET elsewhere")

    row = html_lib.unescape(_row(page, "Ask course"))
    assert "Ask your CPD lead" in row
    assert "Places are limited: ask early." in row

    row = _row(page, "Tool course")
    assert f'href="/modules/{in_tool}"' in row
    assert ">Start in this tool<" in row
    with app.app_context():
        db.session.add(
            Attempt(
                organisation_id=org_id,
                person_id=person_id_of(app, platform, "learner"),
                module_id=in_tool,
                answers={},
                correct=0,
                total=1,
                score_percent=0,
                passed=False,
            )
        )
        db.session.commit()
    again = staff.get("/my-training").get_data(as_text=True)
    assert ">Continue in this tool<" in _row(again, "Tool course")

    row = _row(page, "Done course")
    assert "Ask your CPD lead" not in row
    assert "Book with" not in row
