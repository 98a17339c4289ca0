"""Requests for a place (issue 17): a member of staff asks from My training; a CPD lead of the
school (or a trust leader) approves, declines with a reason, or turns it into a booking through
the spend blueprint's purchase form; each step is audited and the person is e-mailed (through a
real SMTP server); duplicates, other schools' leads, staff and other organisations are refused."""

from __future__ import annotations

import csv
import datetime as dt
import html as html_lib
import io
import re
import zipfile
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from cpd_tracker.extensions import db
from cpd_tracker.models import (
    AuditEntry,
    OutgoingEmail,
    Person,
    PurchaseDelegate,
    RequestStatus,
    TrainingRequest,
)
from tests.functional.places.conftest import SignIn
from tests.functional.spend.support import provider
from tests.functional.staff.support import (
    ALDER,
    BIRCH,
    add_module,
    add_requirement,
    hidden,
    person_id_of,
)
from tests.functional.test_reminders import point_at
from tests.support.factories import make_org, school_id
from tests.support.platform import TestPlatform
from tests.support.smtp import SmtpServer, smtp_server

TITLE = "Understanding dyscalculia"


@pytest.fixture
def smtp(app: Flask) -> Iterator[SmtpServer]:
    with smtp_server() as server:
        point_at(app, server.port)
        yield server


@pytest.fixture
def module(app: Flask, org_id: int) -> int:
    """An external course with no booking link, required of all staff: "Ask your CPD lead"."""
    module_id = add_module(app, org_id, TITLE)
    add_requirement(app, org_id, module_id)
    return module_id


def text(response: object) -> str:
    return html_lib.unescape(response.get_data(as_text=True))  # type: ignore[attr-defined]


def ask(client: FlaskClient) -> object:
    """Press My training's "Ask your CPD lead" button."""
    page = client.get("/my-training").get_data(as_text=True)
    form = re.search(r'<form method="post" action="/place-requests/ask".*?</form>', page, re.S)
    assert form, "no Ask your CPD lead button"
    return client.post(
        "/place-requests/ask",
        data={
            "csrf_token": hidden(form.group(0), "csrf_token"),
            "requirement_id": hidden(form.group(0), "requirement_id"),
        },
    )


def decide(client: FlaskClient, path: str, **data: str) -> object:
    token = hidden(client.get("/place-requests").get_data(as_text=True), "csrf_token")
    return client.post(path, data={"csrf_token": token, **data})


def only_request(app: Flask) -> TrainingRequest:
    with app.app_context():
        rows = list(db.session.scalars(select(TrainingRequest)))
        assert len(rows) == 1
        db.session.expunge(rows[0])
        return rows[0]


def actions(app: Flask) -> list[str]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(AuditEntry.action)
                .where(AuditEntry.action.like("training_request.%"))
                .order_by(AuditEntry.id)
            )
        )


def queued(app: Flask) -> list[OutgoingEmail]:
    with app.app_context():
        rows = list(
            db.session.scalars(
                select(OutgoingEmail)
                .where(OutgoingEmail.dedupe_key.like("training-request:%"))
                .order_by(OutgoingEmail.id)
            )
        )
        for row in rows:
            db.session.expunge(row)
        return rows


def send(runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["reminders", "send"])
    assert result.exit_code == 0, (result.output, result.exception)


def test_staff_ask_and_see_the_request_on_my_training(
    app: Flask, sign_in: SignIn, platform: TestPlatform, module: int
) -> None:
    staff = sign_in("learner", ALDER)
    page = text(staff.get("/my-training"))
    assert "How to complete it" in page
    assert "Ask your CPD lead" in page
    response = ask(staff)
    assert response.status_code == 303  # type: ignore[attr-defined]
    item = only_request(app)
    assert item.status is RequestStatus.REQUESTED
    assert item.person_id == person_id_of(app, platform, "learner")
    assert item.module_id == module
    assert item.school_id == school_id(app, ALDER)
    assert actions(app) == ["training_request.requested"]
    page = text(staff.get("/my-training"))
    assert f"You asked for a place on {TITLE}" in page
    today = dt.datetime.now(dt.UTC).date()
    assert re.search(rf"Place requested on {today.day} {today:%B %Y}", page)
    assert "/place-requests/ask" not in page  # no second button while one is open


def test_a_duplicate_request_is_refused_with_a_clear_message(
    app: Flask, sign_in: SignIn, module: int
) -> None:
    staff = sign_in("learner", ALDER)
    page = staff.get("/my-training").get_data(as_text=True)
    form = re.search(r'<form method="post" action="/place-requests/ask".*?</form>', page, re.S)
    assert form
    requirement = hidden(form.group(0), "requirement_id")
    assert ask(staff).status_code == 303  # type: ignore[attr-defined]
    # Another tab, opened before the first request: a fresh form, the same training.
    token = hidden(staff.get("/my-training").get_data(as_text=True), "csrf_token")
    again = staff.post(
        "/place-requests/ask", data={"csrf_token": token, "requirement_id": requirement}
    )
    assert again.status_code == 409
    assert f"You already asked for a place on {TITLE}" in text(again)
    assert "until your CPD lead has decided" in text(again)
    assert actions(app) == ["training_request.requested"]


def test_asking_needs_csrf_and_a_requirement_of_ones_own(
    app: Flask, org_id: int, sign_in: SignIn, module: int
) -> None:
    staff = sign_in("learner", ALDER)
    assert staff.post("/place-requests/ask", data={"requirement_id": "1"}).status_code == 400
    token = hidden(staff.get("/my-training").get_data(as_text=True), "csrf_token")
    other = make_org(app, "Other Trust", schools=[("200001", "Elsewhere School")])
    theirs = add_requirement(app, other, add_module(app, other, "Their course"))
    refused = staff.post(
        "/place-requests/ask", data={"csrf_token": token, "requirement_id": str(theirs)}
    )
    assert refused.status_code == 409
    assert "That training is not required of you" in text(refused)
    junk = staff.post("/place-requests/ask", data={"csrf_token": token, "requirement_id": "x"})
    assert junk.status_code == 400
    assert actions(app) == []


def test_the_lead_sees_waiting_requests_with_a_count_and_approves(
    app: Flask, runner: FlaskCliRunner, smtp: SmtpServer, sign_in: SignIn, module: int
) -> None:
    staff = sign_in("learner", ALDER)
    lead = sign_in("instructor", ALDER)
    assert "Place requests</a>" in text(lead.get("/my-training"))  # nothing waiting
    ask(staff)
    page = text(lead.get("/place-requests"))
    assert "Place requests (1)" in page
    assert f"Lena Learner: {TITLE}" in page
    item = only_request(app)
    response = decide(lead, f"/place-requests/{item.id}/approve")
    assert response.status_code == 303  # type: ignore[attr-defined]
    item = only_request(app)
    assert item.status is RequestStatus.APPROVED
    assert item.decided_at is not None
    assert item.decided_by_id is not None
    assert actions(app) == ["training_request.requested", "training_request.approved"]
    assert "Approved on" in text(staff.get("/my-training"))
    # Approving twice changes nothing: it says so.
    again = decide(lead, f"/place-requests/{item.id}/approve")
    assert again.status_code == 409  # type: ignore[attr-defined]
    assert "already approved" in text(again)
    send(runner)
    [mail] = [m for m in smtp.received if "approved" in m.subject]
    assert mail.subject == f"Your request for a place on {TITLE} is approved"
    assert mail.rcpt_tos == (email_of(app, item.person_id),)
    assert "Your CPD lead at Alder" in mail.body


def email_of(app: Flask, person_id: int) -> str:
    with app.app_context():
        person = db.session.get(Person, person_id)
        assert person is not None
        assert person.email
        return person.email


def test_declining_needs_a_reason_which_the_person_is_told(
    app: Flask, runner: FlaskCliRunner, smtp: SmtpServer, sign_in: SignIn, module: int
) -> None:
    staff = sign_in("learner", ALDER)
    lead = sign_in("instructor", ALDER)
    ask(staff)
    item = only_request(app)
    path = f"/place-requests/{item.id}/decline"
    form = lead.get(path)
    assert form.status_code == 200
    token = hidden(form.get_data(as_text=True), "csrf_token")
    empty = lead.post(path, data={"csrf_token": token, "reason": "   "})
    assert empty.status_code == 400
    assert "Enter the reason: the person is told it" in text(empty)
    assert only_request(app).status is RequestStatus.REQUESTED
    reason = "The spring course is full; the summer INSET covers it."
    done = lead.post(path, data={"csrf_token": token, "reason": reason})
    assert done.status_code == 303
    item = only_request(app)
    assert item.status is RequestStatus.DECLINED
    assert item.note == reason
    assert actions(app) == ["training_request.requested", "training_request.declined"]
    page = text(staff.get("/my-training"))
    assert "Declined on" in page
    assert reason in page
    assert "Ask again" in page  # after a decline they may ask again
    # The person's subject access export holds the request and the reason.
    with lead.get(
        f"/staff/schools/{school_id(app, ALDER)}/people/{item.person_id}/subject-access.zip"
    ) as export:
        assert export.status_code == 200
        data = export.get_data()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        listed = archive.read("training/place_requests.csv").decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(listed)))
    assert [(r["Training"], r["State"], r["Note"], r["Decided by"]) for r in rows] == [
        (TITLE, "declined", reason, "Ian Instructor")
    ]
    send(runner)
    [mail] = smtp.received
    assert mail.subject == f"Your request for a place on {TITLE} is declined"
    assert reason in mail.body
    assert [m.dedupe_key for m in queued(app)] == [f"training-request:{item.id}:declined"]
    send(runner)
    assert len(smtp.received) == 1  # once


def test_turning_a_request_into_a_booking_prefills_the_purchase_and_names_the_delegate(
    app: Flask,
    org_id: int,
    runner: FlaskCliRunner,
    smtp: SmtpServer,
    sign_in: SignIn,
    platform: TestPlatform,
    module: int,
) -> None:
    nasen = provider(app, org_id, "nasen")  # the module's provider, by name
    staff = sign_in("learner", ALDER)
    lead = sign_in("instructor", ALDER)
    ask(staff)
    item = only_request(app)
    handover = decide(lead, f"/place-requests/{item.id}/book")
    assert handover.status_code == 303  # type: ignore[attr-defined]
    location = handover.headers["Location"]  # type: ignore[attr-defined]
    assert f"/spend/purchases/new?place_request={item.id}" in location
    form = lead.get(location)
    assert form.status_code == 200
    html = form.get_data(as_text=True)
    assert re.search(rf'<option selected value="{module}">|<option value="{module}" selected', html)
    assert re.search(rf'<option selected value="{nasen}">|<option value="{nasen}" selected', html)
    assert "Booking the place Lena Learner asked for" in text(form)
    data = {
        "csrf_token": hidden(html, "csrf_token"),
        "school_id": str(school_id(app, ALDER)),
        "provider_id": str(nasen),
        "module_id": str(module),
        "course_title": "",
        "purchased_on": "1/10/2025",
        "delivered_on": "12/1/2026",
        "delegates": "1",
        "list_price": "£250.00",
        "vat": "standard",
        "funding_source": "school_budget",
        "finance_code": "E09",
    }
    saved = lead.post(f"/spend/purchases/new?place_request={item.id}", data=data)
    assert saved.status_code in (302, 303), re.findall(
        r"govuk-error-message.*?</p>", text(saved), re.S
    )
    item = only_request(app)
    assert item.status is RequestStatus.BOOKED
    assert item.purchase_id is not None
    with app.app_context():
        delegates = list(db.session.scalars(select(PurchaseDelegate.person_id)))
    assert delegates == [person_id_of(app, platform, "learner")]
    assert actions(app) == ["training_request.requested", "training_request.booked"]
    assert "Booked for 12 January 2026" in text(staff.get("/my-training"))
    send(runner)
    [mail] = smtp.received
    assert mail.subject == f"Your place on {TITLE} is booked"
    assert "is booked for 12 January 2026" in mail.body
    # Booked: it cannot be booked again.
    again = lead.get(f"/spend/purchases/new?place_request={item.id}")
    assert again.status_code == 409
    assert "already booked" in text(again)


def test_only_the_schools_leads_and_trust_leaders_decide(
    app: Flask, sign_in: SignIn, module: int
) -> None:
    staff = sign_in("learner", ALDER)
    ask(staff)
    item = only_request(app)
    birch_lead = sign_in("instructor", BIRCH)
    assert "Lena Learner" not in text(birch_lead.get("/place-requests"))
    for path in (f"/place-requests/{item.id}/approve", f"/place-requests/{item.id}/book"):
        refused = decide(birch_lead, path)
        assert refused.status_code == 403  # type: ignore[attr-defined]
        assert "Only CPD leads of Alder" in text(refused)
    assert birch_lead.get(f"/place-requests/{item.id}/decline").status_code == 403
    assert birch_lead.get(f"/spend/purchases/new?place_request={item.id}").status_code == 403
    listed = staff.get("/place-requests")
    assert listed.status_code == 403
    assert "Only a school's CPD leads and trust leaders decide" in text(listed)
    token = hidden(staff.get("/my-training").get_data(as_text=True), "csrf_token")
    own = staff.post(f"/place-requests/{item.id}/approve", data={"csrf_token": token})
    assert own.status_code == 403
    assert only_request(app).status is RequestStatus.REQUESTED
    leader = sign_in("admin", None)
    assert f"Lena Learner: {TITLE}" in text(leader.get("/place-requests"))
    assert decide(leader, f"/place-requests/{item.id}/approve").status_code == 303  # type: ignore[attr-defined]
    assert only_request(app).status is RequestStatus.APPROVED


def test_another_organisations_requests_are_404(
    app: Flask, org_id: int, sign_in: SignIn, module: int
) -> None:
    other = make_org(app, "Other Trust", schools=[("200001", "Elsewhere School")])
    with app.app_context():
        their_module = add_module(app, other, "Their course")
        person = Person(organisation_id=other, name="Olga Other", email="olga@other.example")
        db.session.add(person)
        db.session.flush()
        theirs = TrainingRequest(
            organisation_id=other,
            person_id=person.id,
            module_id=their_module,
            school_id=school_id(app, "200001"),
            note="",
        )
        db.session.add(theirs)
        db.session.commit()
        their_id = theirs.id
    leader = sign_in("admin", None)
    assert "Olga Other" not in text(leader.get("/place-requests"))
    assert "Place requests (" not in text(leader.get("/place-requests"))
    for path in ("approve", "book"):
        assert decide(leader, f"/place-requests/{their_id}/{path}").status_code == 404  # type: ignore[attr-defined]
    assert leader.get(f"/place-requests/{their_id}/decline").status_code == 404
    assert leader.get(f"/spend/purchases/new?place_request={their_id}").status_code == 404
    with app.app_context():
        row = db.session.get(TrainingRequest, their_id)
        assert row is not None
        assert row.status is RequestStatus.REQUESTED


def test_the_database_holds_one_open_request_per_person_and_module(
    app: Flask, sign_in: SignIn, platform: TestPlatform, module: int
) -> None:
    """Two clicks that pass the service's check together: the partial unique index refuses
    the second open request; closed ones (declined, booked) do not count."""
    sign_in("learner", ALDER)
    person = person_id_of(app, platform, "learner")
    school = school_id(app, ALDER)

    def add(status: RequestStatus) -> None:
        with app.app_context():
            db.session.add(
                TrainingRequest(
                    organisation_id=make_org_id(app, person),
                    person_id=person,
                    module_id=module,
                    school_id=school,
                    status=status,
                    note="",
                )
            )
            db.session.commit()

    add(RequestStatus.DECLINED)
    add(RequestStatus.BOOKED)
    add(RequestStatus.REQUESTED)
    with pytest.raises(IntegrityError):
        add(RequestStatus.APPROVED)


def make_org_id(app: Flask, person_id: int) -> int:
    with app.app_context():
        person = db.session.get(Person, person_id)
        assert person is not None
        return person.organisation_id
