"""The once-only keys, the e-mail texts, and ``ReminderService.queue_due`` and ``remind_now``
on a small school (see ``tests/support/reminders.py``); what a digest lists is decided in
``rules.reminders`` (``tests/unit/cpd_tracker/rules/test_reminders.py``)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from cpd_tracker.extensions import db
from cpd_tracker.models import (
    Delivery,
    Evidence,
    EvidenceStatus,
    Organisation,
    OutgoingEmail,
    Permission,
    PermissionKind,
    PermissionSource,
    Person,
    PlatformRegistration,
    Requirement,
    School,
    StaffRole,
    StaffRoleKind,
)
from cpd_tracker.rules.reminders import DigestItem, ItemKind, pauses_to_json
from cpd_tracker.rules.school_year import Holiday
from cpd_tracker.services.compliance import ComplianceService
from cpd_tracker.services.reminders import (
    LmsCourse,
    NotOnStaff,
    QueueReport,
    ReminderService,
    digest_key,
    email_templates,
    lms_address,
    valid_address,
)
from cpd_tracker.services.staff_digest import (
    Entry,
    days_phrase,
    remind_now_key,
    render,
    staff_digest_key,
)
from tests.support.clock import FakeClock
from tests.support.factories import make_org, school_id
from tests.support.reminders import AUTISM, Seeded, add_teachers, seed_school

TODAY = dt.date(2025, 1, 15)
NOW = dt.datetime(2025, 1, 15, 10, 0, tzinfo=dt.UTC)
AT = NOW.time()
BASE = "https://cpd.trust.example"
D1 = dt.date(2025, 2, 1)
D2 = dt.date(2026, 2, 1)


# ---------------------------------------------------------------- keys


def test_staff_digest_keys_are_per_person_per_iso_week() -> None:
    assert staff_digest_key(12, dt.date(2025, 1, 13)) == "staff-digest:12:2025-W03"
    assert staff_digest_key(12, dt.date(2025, 1, 19)) == "staff-digest:12:2025-W03"
    assert staff_digest_key(12, dt.date(2025, 1, 20)) == "staff-digest:12:2025-W04"
    assert staff_digest_key(13, dt.date(2025, 1, 13)) != staff_digest_key(12, dt.date(2025, 1, 13))
    assert remind_now_key(12, TODAY) == "remind-now:12:2025-01-15"
    assert len(staff_digest_key(2**63, TODAY)) <= 200


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


@pytest.mark.parametrize("kind", list(ItemKind))
@pytest.mark.parametrize("delivery", list(Delivery))
@pytest.mark.parametrize("lms", [None, LmsCourse("Staff CPD", "Canvas", "https://oak.example")])
@pytest.mark.parametrize("sent_by", [None, "Carla Example"])
def test_every_digest_text_renders(
    kind: ItemKind, delivery: Delivery, lms: LmsCourse | None, sent_by: str | None
) -> None:
    module: Any = SimpleNamespace(title=AUTISM, delivery=delivery, provider=None)
    requirement: Any = SimpleNamespace(module=module)
    body = render(
        email_templates(),
        name="Ann Example",
        school="Alder Primary",
        entries=[Entry(requirement, DigestItem(kind, dt.date(2027, 9, 1)))],
        today=dt.date(2027, 8, 12),
        lms=lms,
        link=f"{BASE}/my-training",
        sent_by=sent_by,
    )

    assert body.startswith("Dear Ann Example,\n\n")
    assert f"- {AUTISM}: " in body
    assert "1 September 2027 (in 20 days)" in body
    assert f"\n{BASE}/my-training\n" in body
    assert "\n\n\n" not in body
    assert "None" not in body
    assert ("Carla Example asked the tool" in body) is (sent_by is not None)
    assert body.endswith("Please do not reply to it.\n")


# ---------------------------------------------------------------- queueing


@pytest.fixture
def seeded(app: Flask) -> Seeded:
    return seed_school(app, TODAY)


def queue_due(
    app: Flask, today: dt.date = TODAY, *, at: dt.time = AT, **options: Any
) -> QueueReport:
    """Queue what is due on ``today`` at ``at`` UTC (10:00: past Monday 07:00 London)."""
    now = dt.datetime.combine(today, at, tzinfo=dt.UTC)
    with app.app_context():
        service = ReminderService(
            db.session, ComplianceService(db.session), FakeClock(now), BASE, **options
        )
        report = service.queue_due(now)
        db.session.commit()
        return report


def outbox(app: Flask) -> dict[str, OutgoingEmail]:
    with app.app_context():
        return {r.dedupe_key: r for r in db.session.scalars(select(OutgoingEmail))}


def test_queue_due_queues_each_digest_once_a_week(app: Flask, seeded: Seeded) -> None:
    first = queue_due(app)
    second = queue_due(app)

    assert (first.staff, first.digests, first.already_queued, first.no_email) == (3, 1, 0, 1)
    assert (first.total, first.people) == (4, 4)
    assert (second.total, second.already_queued, second.no_email) == (0, 4, 1)
    people = seeded.people
    assert sorted(outbox(app)) == sorted(
        [
            f"staff-digest:{people['ann']}:2025-W03",
            f"staff-digest:{people['owen']}:2025-W03",
            f"staff-digest:{people['sam']}:2025-W03",
            f"digest:{people['carla']}:{seeded.school_id}:2025-W03",
        ]
    )
    for row in outbox(app).values():
        assert (row.created_at, row.next_attempt_at, row.attempts) == (NOW, NOW, 0)
        assert row.organisation_id == seeded.organisation_id


def test_the_weeks_digests_wait_for_monday_7am_in_london(app: Flask, seeded: Seeded) -> None:
    """``reminders send`` runs every 15 minutes: its first run of the week, just after
    midnight on Monday, used to send everyone's digest in the night."""
    monday = dt.date(2025, 1, 13)  # GMT: London time is UTC
    with app.app_context():
        name = db.session.get_one(Organisation, seeded.organisation_id).name
    for at in (dt.time(0, 5), dt.time(6, 59)):
        early = queue_due(app, monday, at=at)
        assert (early.staff, early.digests) == (0, 0)
        assert early.waiting == [f"{name} (Monday at 07:00)"]
    assert outbox(app) == {}

    on_time = queue_due(app, monday, at=dt.time(7, 0))
    assert (on_time.digests, on_time.waiting) == (1, [])
    assert on_time.staff > 0
    assert all(
        r.created_at == dt.datetime(2025, 1, 13, 7, 0, tzinfo=dt.UTC) for r in outbox(app).values()
    )


def test_an_organisations_own_sending_time_is_kept(app: Flask, seeded: Seeded) -> None:
    with app.app_context():
        organisation = db.session.get_one(Organisation, seeded.organisation_id)
        organisation.reminder_send_weekday, organisation.reminder_send_hour = 4, 15
        db.session.commit()
    wednesday, friday = dt.date(2025, 1, 15), dt.date(2025, 1, 17)
    assert queue_due(app, wednesday, at=dt.time(16, 0)).staff == 0
    assert queue_due(app, friday, at=dt.time(14, 59)).staff == 0
    assert outbox(app) == {}
    assert queue_due(app, friday, at=dt.time(15, 0)).staff == 3


def test_the_sending_time_is_london_time_in_summer(app: Flask, seeded: Seeded) -> None:
    # 30 June 2025 is a BST Monday: 07:00 in London is 06:00 UTC.
    monday = dt.date(2025, 6, 30)
    assert queue_due(app, monday, at=dt.time(5, 59)).waiting
    report = queue_due(app, monday, at=dt.time(6, 0))
    assert report.waiting == []
    assert report.staff + report.digests > 0


def test_one_digest_lists_all_of_a_persons_training(app: Flask, seeded: Seeded) -> None:
    # Owen is a SENCO too: two requirements overdue, one e-mail (issue 17).
    with app.app_context():
        db.session.add(
            StaffRole(
                person_id=seeded.people["owen"],
                school_id=seeded.school_id,
                role=StaffRoleKind.SENCO,
                started_on=TODAY - dt.timedelta(days=60),
            )
        )
        db.session.commit()

    report = queue_due(app)

    owen = [r for r in outbox(app).values() if r.person_id == seeded.people["owen"]]
    assert len(owen) == 1
    assert owen[0].subject == "Your SEND training: 2 overdue"
    assert f"Overdue (2):\n- {AUTISM}: was due by 16 December 2024" in owen[0].body_text
    assert "- Supporting pupils with ADHD: was due by 16 December 2024" in owen[0].body_text
    assert report.staff == 3


def test_a_later_week_is_a_new_digest(app: Flask, seeded: Seeded) -> None:
    queue_due(app)

    later = queue_due(app, TODAY + dt.timedelta(days=25))

    # Ann's due date has passed: her next week's digest lists it as overdue.
    ann = outbox(app)[f"staff-digest:{seeded.people['ann']}:2025-W06"]
    assert ann.subject == "Your SEND training: 1 overdue"
    assert later.staff == 3


def set_reminders(app: Flask, seeded: Seeded, **values: Any) -> None:
    with app.app_context():
        organisation = db.session.get_one(Organisation, seeded.organisation_id)
        for name, value in values.items():
            setattr(organisation, name, value)
        db.session.commit()


def test_the_lead_time_decides_when_a_due_date_first_appears(app: Flask, seeded: Seeded) -> None:
    # Ann is due in 20 days, Sam's course expires in 31: a 20-day lead time lists Ann only.
    set_reminders(app, seeded, reminder_lead_days=20)

    queue_due(app)

    keys = sorted(k for k in outbox(app) if k.startswith("staff-digest:"))
    people = seeded.people
    assert keys == sorted(
        [f"staff-digest:{people['ann']}:2025-W03", f"staff-digest:{people['owen']}:2025-W03"]
    )


def test_nothing_is_queued_in_a_holiday_pause_and_it_resumes_after(
    app: Flask, seeded: Seeded
) -> None:
    pause = Holiday("Snow closure", dt.date(2025, 1, 11), dt.date(2025, 1, 19))
    set_reminders(app, seeded, reminder_pauses=pauses_to_json([pause]))

    paused = queue_due(app)
    assert (paused.total, paused.paused) == (0, ["Test Trust (Snow closure)"])
    assert outbox(app) == {}

    after = queue_due(app, dt.date(2025, 1, 20))
    assert (after.staff, after.digests, after.paused) == (3, 1, [])


def test_by_default_the_english_school_holidays_pause_reminders(app: Flask, seeded: Seeded) -> None:
    # 18 February 2025 is in the February half term.
    report = queue_due(app, dt.date(2025, 2, 18))

    assert report.total == 0
    assert report.paused == ["Test Trust (February half term)"]


def test_losing_a_race_to_another_run_queues_nothing_twice(
    app: Flask, seeded: Seeded, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = f"staff-digest:{seeded.people['owen']}:2025-W03"
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

    assert (report.staff, report.digests, report.already_queued) == (2, 1, 1)
    assert [d.key for d in report.queued if d.key == key] == []
    assert outbox(app)[key].subject == "From the other run"
    assert len(outbox(app)) == 4


def test_a_person_at_two_schools_gets_one_digest(app: Flask, seeded: Seeded) -> None:
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
    # The trust-wide requirement is listed once, not once per school.
    assert owen[0].body_text.count(f"- {AUTISM}:") == 1
    assert report.staff == 3


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
    addresses = add_teachers(app, seeded, 30, TODAY - dt.timedelta(days=60))
    with app.app_context():
        # One person waits once per training (uq_evidence_pending): 27 teachers send one each.
        senders = db.session.scalars(
            select(Person.id).where(Person.email.in_(addresses[:27])).order_by(Person.id)
        ).all()
        assert len(senders) == 27
        for n, sender in enumerate(senders):
            db.session.add(
                Evidence(
                    organisation_id=seeded.organisation_id,
                    person_id=sender,
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

    bodies = [r.body_text for r in outbox(app).values() if r.dedupe_key.startswith("staff-digest:")]
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


def test_expired_training_is_in_the_digests(app: Flask, seeded: Seeded) -> None:
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

    reminder = outbox(app)[f"staff-digest:{ian_id}:2025-W03"]
    assert reminder.subject == "Your SEND training: 1 expired"
    assert (
        "Expired (1):\n- Supporting pupils with ADHD: expired on 1 December 2024 (45 days ago): "
        "please renew it.\n"
    ) in reminder.body_text
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


# ---------------------------------------------------------------- remind now


def remind_now(app: Flask, seeded: Seeded, *names: str, ids: list[int] | None = None) -> Any:
    with app.app_context():
        service = ReminderService(db.session, ComplianceService(db.session), FakeClock(NOW), BASE)
        school = db.session.get_one(School, seeded.school_id)
        sender = db.session.get_one(Person, seeded.people["carla"])
        chosen = ids if ids is not None else [seeded.people[n] for n in names]
        report = service.remind_now(school, chosen, TODAY, sender)
        db.session.commit()
        return report


def test_remind_now_queues_each_chosen_persons_digest_once_a_day(
    app: Flask, seeded: Seeded
) -> None:
    report = remind_now(app, seeded, "ann", "owen", "eve", "nia")

    assert report.queued == 2
    assert report.nothing_due == ["Eve Example"]
    assert report.no_email == ["Nia Example"]
    people = seeded.people
    # This week's digest had not gone: remind now sends it, and the weekly run does not repeat it.
    assert sorted(outbox(app)) == sorted(
        [f"staff-digest:{people['ann']}:2025-W03", f"staff-digest:{people['owen']}:2025-W03"]
    )
    ann = outbox(app)[f"staff-digest:{people['ann']}:2025-W03"]
    assert "Carla Example asked the tool to send you this summary" in ann.body_text
    assert queue_due(app).staff == 1  # Sam only

    # Again the same day: the week's digest has gone, so one "remind now" a day on top.
    again = remind_now(app, seeded, "ann")
    assert (again.queued, again.already) == (1, 0)
    assert f"remind-now:{people['ann']}:2025-01-15" in outbox(app)
    twice = remind_now(app, seeded, "ann")
    assert (twice.queued, twice.already) == (0, 1)


def test_remind_now_refuses_anyone_outside_the_school(app: Flask, seeded: Seeded) -> None:
    other_org = make_org(app, "Other Trust", schools=[("200001", "Oak Primary")])
    with app.app_context():
        stranger = Person(organisation_id=other_org, name="Stan Ger", email="stan@oak.sch.uk")
        db.session.add(stranger)
        db.session.commit()
        stranger_id = stranger.id

    for chosen in ([seeded.people["ann"], stranger_id], [], [10**9]):
        with pytest.raises(NotOnStaff):
            remind_now(app, seeded, ids=chosen)
    assert outbox(app) == {}
