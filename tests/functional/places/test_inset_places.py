"""Planned INSET sessions (issue 17): a CPD lead plans a session on a day to come; staff who
still need the training see "Next INSET" with its date instead of asking; a request for a
place can be booked onto such a session, and the person is e-mailed to attend it."""

from __future__ import annotations

import datetime as dt
import html as html_lib
import re
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import select

from cpd_tracker.extensions import db
from cpd_tracker.models import AuditEntry, Completion, InsetSession, RequestStatus
from tests.functional.places.conftest import SignIn
from tests.functional.places.test_place_requests import TITLE, ask, decide, only_request, send
from tests.functional.staff.support import ALDER, add_module, add_requirement, hidden
from tests.functional.test_reminders import point_at
from tests.support.factories import school_id
from tests.support.smtp import SmtpServer, smtp_server

TODAY = dt.datetime.now(dt.UTC).date()
DAY = TODAY + dt.timedelta(days=30)


@pytest.fixture
def smtp(app: Flask) -> Iterator[SmtpServer]:
    with smtp_server() as server:
        point_at(app, server.port)
        yield server


@pytest.fixture
def module(app: Flask, org_id: int) -> int:
    module_id = add_module(app, org_id, TITLE)
    add_requirement(app, org_id, module_id)
    return module_id


def _plan(client: object, school: int, module: int, day: dt.date) -> object:
    path = f"/records/schools/{school}/inset/plan"
    page = client.get(path)  # type: ignore[attr-defined]
    assert page.status_code == 200
    return client.post(  # type: ignore[attr-defined]
        path,
        data={
            "csrf_token": hidden(page.get_data(as_text=True), "csrf_token"),
            "module_id": str(module),
            "title": "Spring INSET",
            "held_on": f"{day.day}/{day.month}/{day.year}",
        },
    )


def _sessions(app: Flask) -> list[InsetSession]:
    with app.app_context():
        rows = list(db.session.scalars(select(InsetSession)))
        for row in rows:
            db.session.expunge(row)
        return rows


def test_a_planned_session_is_the_next_inset_on_my_training(
    app: Flask, sign_in: SignIn, module: int
) -> None:
    staff = sign_in("learner", ALDER)
    lead = sign_in("instructor", ALDER)
    alder = school_id(app, ALDER)
    response = _plan(lead, alder, module, DAY)
    assert response.status_code == 303  # type: ignore[attr-defined]
    [inset] = _sessions(app)
    assert (inset.held_on, inset.title, inset.school_id) == (DAY, "Spring INSET", alder)
    with app.app_context():
        assert db.session.scalar(select(Completion.id)) is None  # nobody attended yet
        [entry] = db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "inset_session.planned")
        )
        assert entry.entity_id == str(inset.id)
    assert "Planned" in lead.get(f"/records/schools/{alder}/inset").get_data(as_text=True)
    page = html_lib.unescape(staff.get("/my-training").get_data(as_text=True))
    assert f"Next INSET: {DAY.day} {DAY:%B %Y}" in page
    assert "/place-requests/ask" not in page  # no need to ask


@pytest.mark.parametrize(
    ("day", "message"),
    [
        (TODAY, "A planned session's date must be after today"),
        (TODAY - dt.timedelta(days=3), "A planned session's date must be after today"),
        (TODAY + dt.timedelta(days=800), "The date must be within two years"),
    ],
)
def test_a_plan_needs_a_day_to_come(
    app: Flask, sign_in: SignIn, module: int, day: dt.date, message: str
) -> None:
    lead = sign_in("instructor", ALDER)
    response = _plan(lead, school_id(app, ALDER), module, day)
    assert response.status_code == 400  # type: ignore[attr-defined]
    assert message in html_lib.unescape(response.get_data(as_text=True))  # type: ignore[attr-defined]
    assert _sessions(app) == []


def test_staff_cannot_plan_sessions(app: Flask, sign_in: SignIn, module: int) -> None:
    staff = sign_in("learner", ALDER)
    assert staff.get(f"/records/schools/{school_id(app, ALDER)}/inset/plan").status_code == 403


def test_a_request_is_booked_onto_a_planned_session(
    app: Flask, runner: FlaskCliRunner, smtp: SmtpServer, sign_in: SignIn, module: int
) -> None:
    staff = sign_in("learner", ALDER)
    lead = sign_in("instructor", ALDER)
    ask(staff)  # before any session is planned
    alder = school_id(app, ALDER)
    _plan(lead, alder, module, DAY)
    [inset] = _sessions(app)
    page = html_lib.unescape(lead.get("/place-requests").get_data(as_text=True))
    assert f"Add to the INSET on {DAY.day} {DAY:%B %Y}" in page
    item = only_request(app)
    response = decide(lead, f"/place-requests/{item.id}/inset/{inset.id}")
    assert response.status_code == 303  # type: ignore[attr-defined]
    item = only_request(app)
    assert item.status is RequestStatus.BOOKED
    with app.app_context():
        [entry] = db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "training_request.booked")
        )
        assert entry.details["inset_session_id"] == inset.id
    send(runner)
    [mail] = smtp.received
    assert mail.subject == f"Your place on {TITLE} is booked"
    assert re.search(rf'"Spring INSET" at Alder .* on {DAY.day} {DAY:%B %Y}', mail.body)
    # Another school's session or a made-up id is not offered: 404.
    again = decide(lead, f"/place-requests/{item.id}/inset/{inset.id + 1000}")
    assert again.status_code == 404  # type: ignore[attr-defined]
