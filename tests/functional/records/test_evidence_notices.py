"""E-mails about evidence (issue 17), through the outbox and a real SMTP server on loopback:
the sender hears of a verify or a return (with the reason and a link back into the tool), the
school's CPD leads hear of new evidence at once when the school asks (a form with CSRF,
audited), and a sole lead's own evidence is announced to the trust leaders."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from flask import Flask
from sqlalchemy import select

from cpd_tracker.extensions import db
from cpd_tracker.models import OutgoingEmail, Person, School
from cpd_tracker.services.mailer import OutboxSender, SendReport, SmtpMailer
from tests.conftest import BASE_URL
from tests.functional.records.helpers import World, audited, count, csrf, text
from tests.functional.records.test_evidence import only_evidence, review, submit
from tests.support.smtp import SmtpServer, smtp_server

MAIL_FROM = "SEND CPD Tracker <cpd@trust.example>"
TITLE = "Speech, language and communication needs"
COURSE = "Supporting speech and language"


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    with smtp_server() as server:
        yield server


def deliver(app: Flask, smtp: SmtpServer, at: dt.datetime | None = None) -> SendReport:
    """One run of the outbox sender, as ``cpd-tracker reminders send`` does it."""
    now = at or dt.datetime.now(dt.UTC)
    with app.app_context():
        session = db.new_session()
        try:
            mailer = SmtpMailer("127.0.0.1", smtp.port, starttls=False, timeout=5)
            return OutboxSender(
                session, mailer, mail_from=MAIL_FROM, clock=lambda: now
            ).send_pending(now)
        finally:
            session.close()


def outbox(app: Flask) -> list[OutgoingEmail]:
    with app.app_context():
        return list(db.session.scalars(select(OutgoingEmail).order_by(OutgoingEmail.id)))


def email_of(world: World, name: str) -> str:
    with world.app.app_context():
        person = db.session.get(Person, world.person_id(name))
        assert person is not None
        assert person.email
        return person.email


def set_notice(world: World, who: str, value: str, school_id: int | None = None) -> int:
    client = world.client(who)
    url = f"/records/schools/{school_id or world.school_a}/evidence"
    page = client.get(url)
    token = csrf(page.get_data(as_text=True)) if page.status_code == 200 else "x"
    response = client.post(f"{url}/notice", data={"csrf_token": token, "at_once": value})
    return response.status_code


def test_the_sender_is_told_when_it_is_verified(world: World, smtp: SmtpServer) -> None:
    staff, lead = world.client("staff_a"), world.client("lead_a")
    submit(staff, world)
    evidence = only_evidence(world)
    assert outbox(world.app) == []  # the school has not asked to hear at once

    assert review(lead, world, evidence.id, "verify").status_code == 303

    (row,) = outbox(world.app)
    assert row.dedupe_key == f"evidence:{evidence.id}:verified"
    assert row.sent_at is None  # queued with the decision; sent by the outbox, not the request
    assert deliver(world.app, smtp).sent == 1
    (mail,) = smtp.received
    assert mail.rcpt_tos == (email_of(world, "staff_a"),)
    assert mail.subject == f"Training verified: {COURSE}"
    assert "Ian Instructor has verified your training" in mail.body
    assert f'It now counts towards "{TITLE}"' in mail.body
    assert f"{BASE_URL}/my-training" in mail.body
    # Once: another run sends nothing.
    assert deliver(world.app, smtp).sent == 0
    assert len(smtp.received) == 1


def test_the_sender_is_told_the_reason_when_it_is_returned_and_a_failed_send_is_retried(
    world: World, smtp: SmtpServer
) -> None:
    staff, lead = world.client("staff_a"), world.client("lead_a")
    submit(staff, world)
    evidence = only_evidence(world)
    reason = "The certificate does not show your name."
    assert review(lead, world, evidence.id, "reject", reason=reason).status_code == 303

    smtp.refuse("451 Try again later")
    now = dt.datetime.now(dt.UTC)
    first = deliver(world.app, smtp, now)
    assert (first.sent, first.failed) == (0, 1)
    (row,) = outbox(world.app)
    assert row.sent_at is None
    assert row.last_error is not None
    assert deliver(world.app, smtp, now + dt.timedelta(minutes=2)).sent == 1

    (mail,) = smtp.received
    assert mail.rcpt_tos == (email_of(world, "staff_a"),)
    assert mail.subject == f"Training returned: {COURSE}"
    assert "Ian Instructor has returned your training" in mail.body
    assert reason in mail.body
    assert '"Send it again"' in mail.body
    assert f"{BASE_URL}/my-training" in mail.body


def test_a_refused_decision_queues_nothing(world: World) -> None:
    lead = world.client("lead_a")
    submit(world.client("staff_a"), world)
    evidence = only_evidence(world)
    assert review(lead, world, evidence.id, "reject", reason=" ").status_code == 400
    assert outbox(world.app) == []


def test_when_the_school_asks_its_leads_hear_as_soon_as_evidence_arrives(
    world: World, smtp: SmtpServer
) -> None:
    lead = world.client("lead_a")
    page = text(lead.get(f"/records/schools/{world.school_a}/evidence"))
    assert "When CPD leads hear of new evidence" in page
    assert set_notice(world, "lead_a", "yes") == 303
    with world.app.app_context():
        school = db.session.get(School, world.school_a)
        assert school is not None
        assert school.evidence_notice_at_once
    (entry,) = audited(world.app, "school.evidence_notice_changed")
    assert entry.details["at_once"] is True
    assert entry.actor_person_id == world.person_id("lead_a")
    assert "as soon as evidence arrives" in text(
        lead.get(f"/records/schools/{world.school_a}/evidence?done=notice_on")
    )

    submit(world.client("staff_a"), world)
    evidence = only_evidence(world)
    assert deliver(world.app, smtp).sent == 1
    (mail,) = smtp.received
    assert mail.rcpt_tos == (email_of(world, "lead_a"),)
    assert mail.subject == f"Evidence to check from Lena Learner: {COURSE}"
    assert f'to count towards "{TITLE}"' in mail.body
    assert f"{BASE_URL}/records/schools/{world.school_a}/evidence/{evidence.id}" in mail.body

    # Off again: the next arrival waits for the weekly digest.
    assert set_notice(world, "lead_a", "no") == 303
    assert len(audited(world.app, "school.evidence_notice_changed")) == 2
    submit(world.client("staff_a2"), world)
    assert count(world.app, OutgoingEmail) == 1


def test_a_sole_leads_own_evidence_is_announced_to_the_trust_leaders(
    world: World, smtp: SmtpServer
) -> None:
    world.client("trust")  # the trust leader has launched, so is known with an address
    submit(world.client("lead_a"), world)
    assert deliver(world.app, smtp).sent == 1
    (mail,) = smtp.received
    assert mail.rcpt_tos == (email_of(world, "trust"),)
    assert "no other CPD lead in the tool" in mail.body


@pytest.mark.parametrize(
    ("who", "school", "value", "status"),
    [
        ("lead_a", "a", "sometimes", 400),
        ("lead_a", "a", "", 400),
        ("staff_a", "a", "yes", 403),
        ("lead_b", "a", "yes", 403),
        ("other_lead", "a", "yes", 404),
        ("trust", "a", "yes", 303),
    ],
)
def test_who_may_change_the_setting_and_bad_input(
    world: World, who: str, school: str, value: str, status: int
) -> None:
    assert set_notice(world, who, value) == status
    if status != 303:
        assert audited(world.app, "school.evidence_notice_changed") == []


def test_the_setting_form_needs_its_csrf_token(world: World) -> None:
    lead = world.client("lead_a")
    response = lead.post(
        f"/records/schools/{world.school_a}/evidence/notice", data={"at_once": "yes"}
    )
    assert response.status_code == 400
    assert audited(world.app, "school.evidence_notice_changed") == []


def test_a_bad_choice_says_what_to_do(world: World) -> None:
    lead = world.client("lead_a")
    url = f"/records/schools/{world.school_a}/evidence"
    token = csrf(lead.get(url).get_data(as_text=True))
    response = lead.post(f"{url}/notice", data={"csrf_token": token, "at_once": "maybe"})
    assert response.status_code == 400
    assert "Choose when CPD leads hear of new evidence" in text(response)
