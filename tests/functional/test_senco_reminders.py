"""SENCO qualification reminders through ``cpd-tracker reminders send``, to a real SMTP server:
the SENCO, the head and the CPD lead hear at the latest safe start, six months before the
deadline and when it has passed; each message once; nothing once the pass is recorded."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import select

from cpd_tracker.extensions import db
from cpd_tracker.models import (
    AuditEntry,
    OutgoingEmail,
    QualificationResult,
    SchoolHead,
    SencoAppointment,
    SencoQualification,
    SencoQualificationKind,
)
from tests.functional.test_reminders import ok, point_at
from tests.support.clock import FakeClock
from tests.support.reminders import Seeded, seed_school
from tests.support.smtp import SmtpServer, smtp_server

# Sam became SENCO on 15 November 2023: deadline 15 November 2026, latest safe start 1 February
# 2025 (the spring 2025 NPQ cohort, which DfE's transition guidance accepts for 2023/24
# appointees), six months before the deadline 15 May 2026.
BECAME = dt.date(2023, 11, 15)
SAFE_START = dt.datetime(2025, 2, 1, 10, 0, tzinfo=dt.UTC)
SIX_MONTHS = dt.datetime(2026, 5, 15, 10, 0, tzinfo=dt.UTC)
OVERDUE = dt.datetime(2026, 11, 16, 10, 0, tzinfo=dt.UTC)


@pytest.fixture
def clock(app: Flask) -> FakeClock:
    clock = FakeClock(SAFE_START - dt.timedelta(days=1))
    app.extensions["clock"] = clock
    return clock


@pytest.fixture
def smtp(app: Flask) -> Iterator[SmtpServer]:
    with smtp_server() as server:
        point_at(app, server.port)
        yield server


@pytest.fixture
def seeded(app: Flask, clock: FakeClock) -> Seeded:
    seeded = seed_school(app, SAFE_START.date())
    with app.app_context():
        db.session.add(
            SencoAppointment(
                organisation_id=seeded.organisation_id,
                school_id=seeded.school_id,
                person_id=seeded.people["sam"],
                started_on=BECAME,
                has_qts=True,
                induction_complete=True,
                teaches_at_school=True,
            )
        )
        db.session.add(
            SchoolHead(
                organisation_id=seeded.organisation_id,
                school_id=seeded.school_id,
                person_id=seeded.people["ann"],
            )
        )
        db.session.commit()
    return seeded


def senco_mail(app: Flask) -> list[tuple[str, str]]:
    with app.app_context():
        rows = db.session.scalars(
            select(OutgoingEmail)
            .where(OutgoingEmail.dedupe_key.like("senco:%"))
            .order_by(OutgoingEmail.id)
        )
        return sorted((r.to_address, r.subject) for r in rows)


def to_everyone(subject: str) -> list[tuple[str, str]]:
    return sorted((Seeded.email(n), subject) for n in ("sam", "ann", "carla"))


def test_nothing_before_the_latest_safe_start(
    app: Flask, runner: FlaskCliRunner, smtp: SmtpServer, seeded: Seeded
) -> None:
    ok(runner, "send")
    assert senco_mail(app) == []


def test_the_three_moments_each_reach_the_senco_the_head_and_the_lead_once(
    app: Flask, runner: FlaskCliRunner, smtp: SmtpServer, seeded: Seeded, clock: FakeClock
) -> None:
    clock.now = SAFE_START
    output = ok(runner, "send")
    assert "3 SENCO qualification reminders" in output
    safe_start = (
        "SENCO qualification: the latest safe start for Sam Example at Alder Primary is "
        "1 February 2025"
    )
    assert senco_mail(app) == to_everyone(safe_start)
    assert ok(runner, "send").count("SENCO") == 0  # nothing new on the same day
    clock.now = SAFE_START + dt.timedelta(days=30)
    ok(runner, "send")
    assert senco_mail(app) == to_everyone(safe_start)  # not again a month later

    clock.now = SIX_MONTHS
    ok(runner, "send")
    near = (
        "SENCO qualification deadline in six months: Sam Example at Alder Primary, 15 November 2026"
    )
    assert senco_mail(app) == sorted(to_everyone(safe_start) + to_everyone(near))

    clock.now = OVERDUE
    ok(runner, "send")
    overdue = (
        "SENCO qualification overdue: Sam Example at Alder Primary needed it by 15 November 2026"
    )
    assert senco_mail(app) == sorted(
        to_everyone(safe_start) + to_everyone(near) + to_everyone(overdue)
    )
    sent = {m.subject for m in smtp.received}
    assert {safe_start, near, overdue} <= sent
    with app.app_context():
        audits = db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "reminders.queued")
        ).all()
        assert sum(a.details["senco"] for a in audits) == 9


def test_the_message_says_why_and_what_to_do_next_with_the_right_link(
    app: Flask, runner: FlaskCliRunner, smtp: SmtpServer, seeded: Seeded, clock: FakeClock
) -> None:
    clock.now = SAFE_START
    ok(runner, "send")
    with app.app_context():
        bodies = {
            r.to_address: r.body_text
            for r in db.session.scalars(
                select(OutgoingEmail).where(OutgoingEmail.dedupe_key.like("senco:%"))
            )
        }
    senco = bodies[Seeded.email("sam")]
    assert "You became SENCO at Alder Primary on 15 November 2023" in senco
    assert "15 November 2026" in senco
    assert "/my-training" in senco
    assert "as the school's SENCO" in senco
    head = bodies[Seeded.email("ann")]
    assert "Sam Example became SENCO at Alder Primary" in head
    assert f"/senco/schools/{seeded.school_id}" in head
    assert "as the school's head teacher" in head
    assert "What to do next: Book a place on the NPQ for SENCOs" in head
    assert "as the school's CPD lead" in bodies[Seeded.email("carla")]


def test_a_senco_on_track_hears_only_six_months_out_and_a_qualified_one_nothing(
    app: Flask, runner: FlaskCliRunner, smtp: SmtpServer, seeded: Seeded, clock: FakeClock
) -> None:
    with app.app_context():
        course = SencoQualification(
            organisation_id=seeded.organisation_id,
            person_id=seeded.people["sam"],
            kind=SencoQualificationKind.NPQ_SENCO,
            started_on=dt.date(2024, 11, 1),
        )
        db.session.add(course)
        db.session.commit()
        course_id = course.id
    clock.now = SAFE_START
    ok(runner, "send")
    assert senco_mail(app) == []
    clock.now = SIX_MONTHS
    ok(runner, "send")
    assert len(senco_mail(app)) == 3
    with app.app_context():
        row = db.session.get(SencoQualification, course_id)
        assert row is not None
        row.result = QualificationResult.PASSED
        row.completed_on = dt.date(2026, 6, 1)
        db.session.commit()
    clock.now = OVERDUE
    ok(runner, "send")
    assert len(senco_mail(app)) == 3  # qualified: no overdue reminder


def test_dry_run_lists_senco_reminders_and_queues_nothing(
    app: Flask, runner: FlaskCliRunner, smtp: SmtpServer, seeded: Seeded, clock: FakeClock
) -> None:
    clock.now = OVERDUE
    output = ok(runner, "send", "--dry-run")
    assert "Would queue" in output
    assert "SENCO qualification overdue" in output
    assert senco_mail(app) == []
