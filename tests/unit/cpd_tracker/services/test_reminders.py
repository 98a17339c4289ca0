"""Which statuses call for which reminder, the once-only keys, the e-mail texts, and
``ReminderService.queue_due`` on a small school (see ``tests/support/reminders.py``)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from cpd_tracker.extensions import db
from cpd_tracker.models import (
    Delivery,
    Evidence,
    EvidenceStatus,
    OutgoingEmail,
    Permission,
    PermissionKind,
    PermissionSource,
    Person,
    PlatformRegistration,
    Requirement,
    StaffRole,
    StaffRoleKind,
)
from cpd_tracker.rules.training import Status, StatusResult
from cpd_tracker.services.compliance import ComplianceService
from cpd_tracker.services.reminders import (
    KIND_FOR_STATUS,
    LmsCourse,
    QueueReport,
    ReminderKind,
    ReminderService,
    days_phrase,
    digest_key,
    email_templates,
    lms_address,
    reminder_for,
    reminder_key,
    valid_address,
)
from tests.support.clock import FakeClock
from tests.support.factories import school_id
from tests.support.reminders import AUTISM, Seeded, add_teachers, seed_school

TODAY = dt.date(2025, 1, 15)
NOW = dt.datetime(2025, 1, 15, 10, 0, tzinfo=dt.UTC)
BASE = "https://cpd.trust.example"
D1 = dt.date(2025, 2, 1)
D2 = dt.date(2026, 2, 1)


def result(status: Status, due_on: dt.date | None = D1, expires_on: dt.date | None = D2) -> Any:
    return StatusResult(status, due_on, expires_on, None, "")


# ---------------------------------------------------------------- which status, which reminder


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (Status.DUE_SOON, (ReminderKind.DUE_SOON, D1)),
        (Status.OVERDUE, (ReminderKind.OVERDUE, D1)),
        # Expiry reminders belong to the cycle of the completion that runs out.
        (Status.EXPIRING_SOON, (ReminderKind.EXPIRING, D2)),
        (Status.EXPIRED, (ReminderKind.EXPIRED, D2)),
        (Status.NOT_YET_DUE, None),
        (Status.DUE, None),
        (Status.COMPLIANT, None),
        (Status.EXEMPT, None),
        (Status.EXTENDED, None),
        (Status.LEFT, None),
    ],
)
def test_which_statuses_call_for_a_reminder(
    status: Status, expected: tuple[ReminderKind, dt.date] | None
) -> None:
    assert reminder_for(result(status)) == expected


def test_every_status_is_decided() -> None:
    # A new status must be placed on one side or the other on purpose.
    silent = {
        Status.NOT_YET_DUE,
        Status.DUE,
        Status.COMPLIANT,
        Status.EXEMPT,
        Status.EXTENDED,
        Status.LEFT,
    }
    assert set(KIND_FOR_STATUS) | silent == set(Status)
    assert not set(KIND_FOR_STATUS) & silent


def test_no_date_no_reminder() -> None:
    assert reminder_for(result(Status.OVERDUE, due_on=None)) is None
    assert reminder_for(result(Status.EXPIRING_SOON, expires_on=None)) is None


# ---------------------------------------------------------------- keys


def test_reminder_keys_name_person_requirement_kind_and_cycle() -> None:
    key = reminder_key(12, 34, ReminderKind.OVERDUE, D1)

    assert key == "reminder:12:34:overdue:2025-02-01"
    assert key != reminder_key(12, 34, ReminderKind.OVERDUE, D2)  # a new cycle
    assert key != reminder_key(12, 34, ReminderKind.DUE_SOON, D1)
    assert len(reminder_key(2**63, 2**63, ReminderKind.DUE_SOON, D1)) <= 200


@pytest.mark.parametrize(
    ("day", "week"),
    [
        (dt.date(2025, 1, 13), "2025-W03"),  # Monday
        (dt.date(2025, 1, 19), "2025-W03"),  # Sunday, same week
        (dt.date(2025, 1, 20), "2025-W04"),
        (dt.date(2024, 12, 30), "2025-W01"),  # ISO years start on a Monday
        (dt.date(2027, 1, 1), "2026-W53"),
    ],
)
def test_digest_keys_use_the_iso_week(day: dt.date, week: str) -> None:
    assert digest_key(5, 6, day) == f"digest:5:6:{week}"


# ---------------------------------------------------------------- small helpers


@pytest.mark.parametrize(
    ("day", "phrase"),
    [
        (TODAY, "today"),
        (TODAY + dt.timedelta(days=1), "tomorrow"),
        (TODAY + dt.timedelta(days=20), "in 20 days"),
        (TODAY - dt.timedelta(days=1), "yesterday"),
        (TODAY - dt.timedelta(days=3), "3 days ago"),
    ],
)
def test_days_phrase(day: dt.date, phrase: str) -> None:
    assert days_phrase(day, TODAY) == phrase


@pytest.mark.parametrize(
    ("address", "valid"),
    [
        ("ann@alder.sch.uk", True),
        ("ann.o'neil+cpd@alder.sch.uk", True),
        (None, False),
        ("", False),
        ("ann", False),
        ("ann@localhost", False),
        ("ann smith@alder.sch.uk", False),
        ("ann@alder.sch.uk\nBcc: all@alder.sch.uk", False),
        ("Ann <ann@alder.sch.uk>", False),
    ],
)
def test_valid_address(address: str | None, valid: bool) -> None:
    assert valid_address(address) is valid


def registration(**values: Any) -> PlatformRegistration:
    defaults: dict[str, Any] = {
        "issuer": "https://canvas.instructure.com",
        "product_family": "canvas",
        "frame_origins": [],
    }
    return PlatformRegistration(**(defaults | values))


def test_lms_address_prefers_what_launches_taught_it() -> None:
    learned = registration(frame_origins=["https://oak.instructure.com"])
    moodle = registration(issuer="https://moodle.oak.sch.uk", product_family="moodle")

    assert lms_address(learned) == "https://oak.instructure.com"
    assert lms_address(moodle) == "https://moodle.oak.sch.uk"
    # Every hosted Canvas shares this issuer: it says nothing about where the school is.
    assert lms_address(registration()) is None


def test_lms_course_wording() -> None:
    assert LmsCourse("Staff CPD", "Moodle", None).where == 'your course "Staff CPD" in Moodle'
    assert LmsCourse(None, "your LMS", None).where == "your staff CPD course in your LMS"


@pytest.mark.parametrize("kind", list(ReminderKind))
@pytest.mark.parametrize("delivery", list(Delivery))
@pytest.mark.parametrize("lms", [None, LmsCourse("Staff CPD", "Canvas", "https://oak.example")])
def test_every_reminder_text_renders(
    kind: ReminderKind, delivery: Delivery, lms: LmsCourse | None
) -> None:
    body = (
        email_templates()
        .get_template(f"email/reminder_{kind.value}.txt")
        .render(
            name="Ann Example",
            training=AUTISM,
            date="1 September 2027",
            when="in 20 days",
            delivery=delivery.value,
            provider=None,
            school="Alder Primary",
            lms=lms,
            link=f"{BASE}/my-training",
        )
    )

    assert body.startswith("Dear Ann Example,\n\n")
    assert f'"{AUTISM}"' in body
    assert "1 September 2027" in body
    assert f"\n{BASE}/my-training\n" in body
    assert "\n\n\n" not in body
    assert "None" not in body
    assert body.endswith("Please do not reply to it.\n")


# ---------------------------------------------------------------- queueing


@pytest.fixture
def seeded(app: Flask) -> Seeded:
    return seed_school(app, TODAY)


def queue_due(app: Flask, today: dt.date = TODAY, **options: Any) -> QueueReport:
    with app.app_context():
        service = ReminderService(
            db.session, ComplianceService(db.session), FakeClock(NOW), BASE, **options
        )
        report = service.queue_due(today)
        db.session.commit()
        return report


def outbox(app: Flask) -> dict[str, OutgoingEmail]:
    with app.app_context():
        return {r.dedupe_key: r for r in db.session.scalars(select(OutgoingEmail))}


def test_queue_due_queues_each_reminder_once(app: Flask, seeded: Seeded) -> None:
    first = queue_due(app)
    second = queue_due(app)

    assert (first.reminders, first.digests, first.already_queued, first.no_email) == (3, 1, 0, 1)
    assert first.total == 4
    assert (second.total, second.already_queued, second.no_email) == (0, 4, 1)
    people, autism = seeded.people, seeded.autism_id
    assert sorted(outbox(app)) == sorted(
        [
            f"reminder:{people['ann']}:{autism}:due_soon:2025-02-04",
            f"reminder:{people['owen']}:{autism}:overdue:2024-12-16",
            f"reminder:{people['sam']}:{seeded.adhd_id}:expiring:2025-02-15",
            f"digest:{people['carla']}:{seeded.school_id}:2025-W03",
        ]
    )
    for row in outbox(app).values():
        assert (row.created_at, row.next_attempt_at, row.attempts) == (NOW, NOW, 0)
        assert row.organisation_id == seeded.organisation_id


def test_a_later_stage_of_the_same_cycle_is_a_new_reminder(app: Flask, seeded: Seeded) -> None:
    queue_due(app)

    later = queue_due(app, TODAY + dt.timedelta(days=25))

    # Ann's due date has passed: overdue now, for the same cycle as the due-soon reminder.
    ann = seeded.people["ann"]
    assert f"reminder:{ann}:{seeded.autism_id}:overdue:2025-02-04" in outbox(app)
    assert later.reminders == 1


def test_losing_a_race_to_another_run_queues_nothing_twice(
    app: Flask, seeded: Seeded, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = f"reminder:{seeded.people['owen']}:{seeded.autism_id}:overdue:2024-12-16"
    with app.app_context():
        # Another run committed Owen's reminder after this run loaded the keys it knew.
        db.session.add(
            OutgoingEmail(
                organisation_id=seeded.organisation_id,
                person_id=seeded.people["owen"],
                dedupe_key=key,
                to_address=Seeded.email("owen"),
                subject="From the other run",
                body_text="...",
                created_at=NOW,
                next_attempt_at=NOW,
            )
        )
        db.session.commit()
    load = ReminderService._load

    def stale(self: ReminderService, organisation: Any) -> Any:
        loaded = load(self, organisation)
        loaded.existing.clear()
        return loaded

    monkeypatch.setattr(ReminderService, "_load", stale)

    report = queue_due(app)

    assert (report.reminders, report.digests, report.already_queued) == (2, 1, 1)
    assert [d.key for d in report.queued if d.key == key] == []
    assert outbox(app)[key].subject == "From the other run"
    assert len(outbox(app)) == 4


def test_a_person_at_two_schools_hears_once_per_requirement(app: Flask, seeded: Seeded) -> None:
    birch = school_id(app, "100002")
    with app.app_context():
        db.session.add(
            StaffRole(
                person_id=seeded.people["owen"],
                school_id=birch,
                role=StaffRoleKind.TEACHER,
                started_on=TODAY - dt.timedelta(days=60),
            )
        )
        db.session.commit()

    report = queue_due(app)

    owen = [r for r in outbox(app).values() if r.person_id == seeded.people["owen"]]
    assert len(owen) == 1
    assert report.already_queued == 1


def test_unusable_addresses_are_skipped_and_counted(app: Flask, seeded: Seeded) -> None:
    with app.app_context():
        owen = db.session.get(Person, seeded.people["owen"])
        assert owen is not None
        owen.email = "owen@alder.sch.uk\nBcc: everyone@alder.sch.uk"
        db.session.commit()

    report = queue_due(app)

    assert report.no_email == 2
    assert all(r.person_id != seeded.people["owen"] for r in outbox(app).values())


def test_a_school_with_nothing_to_say_sends_its_lead_no_digest(app: Flask, seeded: Seeded) -> None:
    birch = school_id(app, "100002")
    with app.app_context():
        db.session.add(
            Permission(
                person_id=seeded.people["carla"],
                kind=PermissionKind.CPD_LEAD,
                school_id=birch,
                source=PermissionSource.OVERRIDE,
            )
        )
        db.session.commit()

    report = queue_due(app)

    assert report.digests == 1
    assert [k for k in outbox(app) if k.startswith("digest:")] == [
        f"digest:{seeded.people['carla']}:{seeded.school_id}:2025-W03"
    ]


@pytest.mark.parametrize(
    "change",
    [
        # Left yesterday; the leaving day itself is still employed (rules.employment).
        {"leaving_date": TODAY - dt.timedelta(days=1)},
        {"active": False},
        {"email": None},
    ],
)
def test_leads_who_left_or_have_no_address_get_no_digest(
    app: Flask, seeded: Seeded, change: dict[str, Any]
) -> None:
    with app.app_context():
        carla = db.session.get(Person, seeded.people["carla"])
        assert carla is not None
        for name, value in change.items():
            setattr(carla, name, value)
        db.session.commit()

    assert queue_due(app).digests == 0


def test_a_lead_on_their_leaving_day_still_gets_the_digest(app: Flask, seeded: Seeded) -> None:
    with app.app_context():
        carla = db.session.get(Person, seeded.people["carla"])
        assert carla is not None
        carla.leaving_date = TODAY
        db.session.commit()

    assert queue_due(app).digests == 1


def test_a_long_digest_points_to_the_school_page_for_the_rest(app: Flask, seeded: Seeded) -> None:
    add_teachers(app, seeded, 30, TODAY - dt.timedelta(days=60))
    with app.app_context():
        for n in range(27):
            db.session.add(
                Evidence(
                    organisation_id=seeded.organisation_id,
                    person_id=seeded.people["ann"],
                    module_id=seeded.adhd_module,
                    school_id=seeded.school_id,
                    course_title=f"Course {n}",
                    provider="SEND Partnership",
                    completed_on=TODAY,
                    cpd_hours=Decimal("1"),
                    status=EvidenceStatus.PENDING,
                )
            )
        db.session.commit()

    queue_due(app)

    (digest,) = [r for r in outbox(app).values() if r.dedupe_key.startswith("digest:")]
    assert "Overdue (32):" in digest.body_text
    assert "- and 7 more\n" in digest.body_text  # 32 overdue, 25 listed
    assert "Evidence awaiting your verification (28):" in digest.body_text
    assert "- and 3 more\n" in digest.body_text
    assert digest.subject == (
        "SEND training this week at Alder Primary: 34 people to chase, 28 evidence to verify"
    )


def test_without_an_lms_course_the_text_still_says_where_to_go(app: Flask) -> None:
    seed_school(app, TODAY, with_course=False)

    queue_due(app)

    bodies = [r.body_text for r in outbox(app).values() if r.dedupe_key.startswith("reminder:")]
    assert bodies
    for body in bodies:
        assert "open SEND CPD Tracker from your staff CPD course in your LMS, or follow" in body


def test_subjects_stay_on_one_line(app: Flask, seeded: Seeded) -> None:
    with app.app_context():
        requirement = db.session.get(Requirement, seeded.autism_id)
        assert requirement is not None
        requirement.module.title = "Autism\r\nawareness"
        db.session.commit()

    queue_due(app)

    assert all("\n" not in r.subject and "\r" not in r.subject for r in outbox(app).values())


def test_evidence_alone_is_worth_a_digest(app: Flask, seeded: Seeded) -> None:
    birch = school_id(app, "100002")
    with app.app_context():
        db.session.add_all(
            [
                Permission(
                    person_id=seeded.people["carla"],
                    kind=PermissionKind.CPD_LEAD,
                    school_id=birch,
                    source=PermissionSource.OVERRIDE,
                ),
                Evidence(
                    organisation_id=seeded.organisation_id,
                    person_id=seeded.people["ann"],
                    module_id=seeded.adhd_module,
                    school_id=birch,
                    course_title="ADHD in the classroom",
                    provider="SEND Partnership",
                    completed_on=TODAY,
                    cpd_hours=Decimal("3"),
                ),
            ]
        )
        db.session.commit()

    queue_due(app)

    digest = outbox(app)[f"digest:{seeded.people['carla']}:{birch}:2025-W03"]
    assert digest.subject == "SEND training this week at Birch Academy: 1 evidence to verify"
    assert "Overdue" not in digest.body_text
    assert "no e-mail address" not in digest.body_text


def test_expired_training_is_reminded_and_listed(app: Flask, seeded: Seeded) -> None:
    with app.app_context():
        from cpd_tracker.models import Completion, CompletionMethod

        ian = Person(
            organisation_id=seeded.organisation_id,
            name="Ian Example",
            email="ian@alder.sch.uk",
            start_date=TODAY - dt.timedelta(days=800),
        )
        db.session.add(ian)
        db.session.flush()
        db.session.add_all(
            [
                StaffRole(
                    person_id=ian.id,
                    school_id=seeded.school_id,
                    role=StaffRoleKind.SENCO,
                    started_on=ian.start_date,
                ),
                Completion(
                    organisation_id=seeded.organisation_id,
                    person_id=ian.id,
                    module_id=seeded.adhd_module,
                    completed_on=dt.date(2023, 12, 1),
                    method=CompletionMethod.RECORDED,
                ),
                Completion(
                    organisation_id=seeded.organisation_id,
                    person_id=ian.id,
                    module_id=seeded.autism_module,
                    completed_on=dt.date(2023, 12, 1),
                    method=CompletionMethod.RECORDED,
                ),
            ]
        )
        db.session.commit()
        ian_id = ian.id

    queue_due(app)

    reminder = outbox(app)[f"reminder:{ian_id}:{seeded.adhd_id}:expired:2024-12-01"]
    assert reminder.subject == (
        "SEND training expired: Supporting pupils with ADHD expired on 1 December 2024"
    )
    assert "so it no longer counts" in reminder.body_text
    (digest,) = [r for r in outbox(app).values() if r.dedupe_key.startswith("digest:")]
    assert (
        "Expired (1):\n- Ian Example: Supporting pupils with ADHD, expired 1 December 2024\n"
    ) in digest.body_text


def test_a_leads_own_evidence_is_not_in_their_digest(app: Flask, seeded: Seeded) -> None:
    """Issue 17: they cannot check it, so it is not theirs to verify."""
    birch = school_id(app, "100002")
    with app.app_context():
        db.session.add_all(
            [
                Permission(
                    person_id=seeded.people["carla"],
                    kind=PermissionKind.CPD_LEAD,
                    school_id=birch,
                    source=PermissionSource.OVERRIDE,
                ),
                Evidence(
                    organisation_id=seeded.organisation_id,
                    person_id=seeded.people["carla"],
                    module_id=seeded.adhd_module,
                    school_id=birch,
                    course_title="ADHD in the classroom",
                    provider="SEND Partnership",
                    completed_on=TODAY,
                    cpd_hours=Decimal("3"),
                ),
            ]
        )
        db.session.commit()

    queue_due(app)

    assert f"digest:{seeded.people['carla']}:{birch}:2025-W03" not in outbox(app)
