"""Retention rules (``services/retention.py``) with a clock: for each rule a row a second past
its cutoff goes and a row a second short of it stays; rows the rule is not about stay whatever
their age; a dry run counts the same and removes nothing; rejected evidence loses its file on
disk and keeps its record. On the test database (SQLite, or PostgreSQL)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cpd_tracker.config import ConfigError, load_config
from cpd_tracker.extensions import db
from cpd_tracker.models import (
    AuditEntry,
    DataAccessEntry,
    Evidence,
    EvidenceStatus,
    FormSubmission,
    ImportUpload,
    JobKind,
    JobStatus,
    LoginState,
    Module,
    Organisation,
    OrganisationKind,
    OutgoingEmail,
    Person,
    PlatformRegistration,
    ServiceJob,
)
from cpd_tracker.services.audit import Actor, AuditService
from cpd_tracker.services.retention import (
    RULES,
    RetentionPeriods,
    RetentionService,
    cutoffs,
    leavers_cutoff,
    years_before,
)
from cpd_tracker.storage import EvidenceStore
from tests.support.clock import FakeClock

NOW = dt.datetime(2026, 12, 7, 3, 0, tzinfo=dt.UTC)
SECOND = dt.timedelta(seconds=1)

# --- Pure ------------------------------------------------------------------------------------


ROW_RULES = [rule for rule in RULES if rule != "leavers"]


def test_default_cutoffs() -> None:
    got = cutoffs(RetentionPeriods(), NOW)
    assert list(got) == ROW_RULES
    days = {rule: (NOW - moment).days for rule, moment in got.items()}
    assert days == {
        "import-uploads": 30,
        "unapplied-imports": 7,
        "rejected-evidence": 90,
        "email-bodies": 90,
        "login-states": 1,
        "outbox-jobs": 30,
        "form-submissions": 7,
        "access-log": 730,
    }


def test_cutoffs_follow_the_periods() -> None:
    got = cutoffs(RetentionPeriods(email_days=10, access_log_days=365), NOW)
    assert got["email-bodies"] == NOW - dt.timedelta(days=10)
    assert got["access-log"] == NOW - dt.timedelta(days=365)


def test_leavers_cutoff() -> None:
    assert leavers_cutoff(RetentionPeriods(), NOW.date()) == dt.date(2020, 12, 7)
    assert leavers_cutoff(RetentionPeriods(leavers_years=1), NOW.date()) == dt.date(2025, 12, 7)


def test_years_before() -> None:
    assert years_before(dt.date(2026, 12, 7), 6) == dt.date(2020, 12, 7)
    assert years_before(dt.date(2028, 2, 29), 6) == dt.date(2022, 2, 28)
    assert years_before(dt.date(2028, 2, 29), 4) == dt.date(2024, 2, 29)


def test_periods_from_the_environment(tmp_path: Path) -> None:
    environ = {"CPD_TRACKER_RETAIN_EMAIL_DAYS": "30", "CPD_TRACKER_RETAIN_LEAVERS_YEARS": "7"}
    config = load_config(tmp_path, {"TESTING": True}, environ)
    periods = RetentionPeriods.from_config(config)
    assert periods.email_days == 30
    assert periods.leavers_years == 7
    assert periods.imports_days == 30
    assert periods.access_log_days == 730
    assert RetentionPeriods.from_config(load_config(tmp_path, {"TESTING": True}, {})) == (
        RetentionPeriods()
    )


@pytest.mark.parametrize("raw", ["0", "-1", "ten", "1.5", "²", "99999"])
def test_a_period_that_is_not_a_whole_number_from_1_is_refused(tmp_path: Path, raw: str) -> None:
    with pytest.raises(ConfigError, match="CPD_TRACKER_RETAIN_IMPORTS_DAYS"):
        load_config(tmp_path, {"TESTING": True}, {"CPD_TRACKER_RETAIN_IMPORTS_DAYS": raw})


# --- On the database -------------------------------------------------------------------------


@dataclass
class World:
    org_id: int
    person_id: int
    module_id: int
    registration_id: int
    store: EvidenceStore


@pytest.fixture
def clock(app: Flask) -> FakeClock:
    fake = FakeClock(NOW)
    app.extensions["clock"] = fake
    return fake


@pytest.fixture
def session(app: Flask, clock: FakeClock) -> Iterator[Session]:
    with app.app_context():
        yield db.session
        db.session.rollback()


@pytest.fixture
def world(session: Session, tmp_path: Path) -> World:
    org = Organisation(name="Trust", kind=OrganisationKind.TRUST)
    session.add(org)
    session.flush()
    registration = PlatformRegistration(
        organisation_id=org.id,
        name="LMS",
        issuer="https://lms.example.org",
        client_id="client",
        auth_login_url="https://lms.example.org/auth",
        auth_token_url="https://lms.example.org/token",
        key_set_url="https://lms.example.org/jwks",
        created_via="cli",
    )
    module = Module(
        organisation_id=org.id,
        slug="send",
        title="SEND",
        tier="awareness",
        delivery="external",
        cpd_hours=Decimal(1),
    )
    person = Person(organisation_id=org.id, name="Sam Staff")
    session.add_all([registration, module, person])
    session.flush()
    return World(org.id, person.id, module.id, registration.id, EvidenceStore(tmp_path / "ev"))


class FakeEraser:
    """Stands in for ``ErasureService``: a legal hold on the people in ``held``; erasing
    marks the person erased and remembers who and why."""

    def __init__(self, clock: FakeClock, held: dict[int, str] | None = None) -> None:
        self.clock = clock
        self.held = held or {}
        self.erased: list[tuple[int, Person | None, str]] = []

    def refusal(self, person: Person, today: dt.date) -> str | None:
        assert today == self.clock().date()
        return self.held.get(person.id)

    def erase(self, person: Person, actor: Person | None, reason: str) -> None:
        assert person.id not in self.held
        person.erased_at = self.clock()
        person.name = f"Erased person #{person.id}"
        self.erased.append((person.id, actor, reason))


def service(
    session: Session,
    world: World,
    clock: FakeClock,
    eraser: FakeEraser | None = None,
    **kwargs: Any,
) -> RetentionService:
    return RetentionService(
        session,
        periods=RetentionPeriods(),
        now=clock,
        audit=AuditService(session, Actor("test")),
        evidence=world.store,
        eraser=eraser or FakeEraser(clock),
        **kwargs,
    )


# Each rule: make a row whose clock reads ``moment`` (returns its key), and whether the data
# the rule removes is still there.
Make = Callable[[Session, World, dt.datetime], Any]
Present = Callable[[Session, World, Any], bool]


def _upload(applied: bool) -> Make:
    def make(session: Session, world: World, moment: dt.datetime) -> int:
        row = ImportUpload(
            organisation_id=world.org_id,
            kind="staff",
            file_name="staff.csv",
            content=b"name\nSam\n",
            created_at=moment - dt.timedelta(days=1) if applied else moment,
            applied_at=moment if applied else None,
        )
        session.add(row)
        session.flush()
        return row.id

    return make


def _upload_present(session: Session, world: World, key: int) -> bool:
    return session.get(ImportUpload, key) is not None


def _evidence(session: Session, world: World, moment: dt.datetime) -> int:
    row = Evidence(
        organisation_id=world.org_id,
        person_id=world.person_id,
        module_id=world.module_id,
        course_title="Speech and language",
        provider="County",
        completed_on=dt.date(2026, 1, 1),
        cpd_hours=Decimal(3),
        file_key=world.store.save(world.org_id, b"%PDF-1.4 certificate"),
        file_name="certificate.pdf",
        content_type="application/pdf",
        file_size=20,
        status=EvidenceStatus.REJECTED,
        reviewed_at=moment,
        rejection_reason="Not SEND training",
    )
    session.add(row)
    session.flush()
    return row.id


def _evidence_present(session: Session, world: World, key: int) -> bool:
    row = session.get(Evidence, key)
    assert row is not None, "the evidence record itself always stays"
    session.refresh(row)
    return row.file_key is not None


def _email(session: Session, world: World, moment: dt.datetime) -> int:
    row = OutgoingEmail(
        organisation_id=world.org_id,
        person_id=world.person_id,
        dedupe_key=f"due:{moment.isoformat()}",
        to_address="sam@school.example",
        subject="Training due",
        body_text="Dear Sam, your training is due.",
        created_at=moment,
        next_attempt_at=moment,
        sent_at=moment,
    )
    session.add(row)
    session.flush()
    return row.id


def _email_present(session: Session, world: World, key: int) -> bool:
    row = session.get(OutgoingEmail, key)
    assert row is not None, "the e-mail's row stays, so the reminder is never sent again"
    session.refresh(row)
    assert row.to_address == "sam@school.example"
    return row.body_text != ""


def _login(session: Session, world: World, moment: dt.datetime) -> str:
    state = f"state-{moment.timestamp()}"
    session.add(
        LoginState(
            state=state,
            nonce=f"nonce-{moment.timestamp()}",
            issuer="https://lms.example.org",
            client_id="client",
            target_link_uri="https://tool.example/lti/launch",
            expires_at=moment,
        )
    )
    session.flush()
    return state


def _login_present(session: Session, world: World, key: str) -> bool:
    return session.scalar(select(LoginState.state).where(LoginState.state == key)) is not None


def _job(status: JobStatus) -> Make:
    def make(session: Session, world: World, moment: dt.datetime) -> int:
        row = ServiceJob(
            organisation_id=world.org_id,
            registration_id=world.registration_id,
            kind=JobKind.SCORE,
            dedupe_key=f"score:{status}:{moment.isoformat()}",
            status=status,
            finished_at=moment if status is not JobStatus.PENDING else None,
            created_at=moment - dt.timedelta(days=1),
            next_attempt_at=moment,
        )
        session.add(row)
        session.flush()
        return row.id

    return make


def _job_present(session: Session, world: World, key: int) -> bool:
    return session.scalar(select(ServiceJob.id).where(ServiceJob.id == key)) is not None


def _submission(session: Session, world: World, moment: dt.datetime) -> int:
    row = FormSubmission(
        organisation_id=world.org_id,
        key=f"{moment.timestamp():064.0f}"[-64:],
        endpoint="spend.new_purchase",
        created_at=moment,
    )
    session.add(row)
    session.flush()
    return row.id


def _submission_present(session: Session, world: World, key: int) -> bool:
    return session.scalar(select(FormSubmission.id).where(FormSubmission.id == key)) is not None


def _access(session: Session, world: World, moment: dt.datetime) -> int:
    row = DataAccessEntry(
        organisation_id=world.org_id,
        viewer_id=world.person_id,
        subject_person_id=None,
        action="exported",
        what="compliance CSV, Alder Primary (URN 100001)",
        created_at=moment,
    )
    session.add(row)
    session.flush()
    return row.id


def _access_present(session: Session, world: World, key: int) -> bool:
    return session.scalar(select(DataAccessEntry.id).where(DataAccessEntry.id == key)) is not None


RULE_ROWS: dict[str, tuple[Make, Present]] = {
    "import-uploads": (_upload(applied=True), _upload_present),
    "unapplied-imports": (_upload(applied=False), _upload_present),
    "rejected-evidence": (_evidence, _evidence_present),
    "email-bodies": (_email, _email_present),
    "login-states": (_login, _login_present),
    "outbox-jobs": (_job(JobStatus.DONE), _job_present),
    "form-submissions": (_submission, _submission_present),
    "access-log": (_access, _access_present),
}


def test_every_rule_has_its_rows() -> None:
    assert set(RULE_ROWS) == set(ROW_RULES)


@pytest.mark.parametrize("rule", list(RULE_ROWS))
def test_exactly_the_rows_past_the_period_go(
    session: Session, world: World, clock: FakeClock, rule: str
) -> None:
    make, present = RULE_ROWS[rule]
    cutoff = cutoffs(RetentionPeriods(), NOW)[rule]
    past = make(session, world, cutoff - SECOND)
    within = make(session, world, cutoff + SECOND)
    retention = service(session, world, clock)

    planned = retention.plan(rule)
    assert (planned.due, planned.removed, planned.cutoff) == (1, 0, cutoff)
    assert present(session, world, past)
    assert present(session, world, within)

    result = retention.apply(rule)
    assert (result.due, result.removed) == (1, 1)
    assert not present(session, world, past)
    assert present(session, world, within)
    assert retention.plan(rule).due == 0

    # A day later the other row is past its period too.
    clock.advance(24 * 3600)
    assert retention.apply(rule).removed == 1
    assert not present(session, world, within)


@pytest.mark.parametrize("rule", list(RULE_ROWS))
def test_a_dry_run_counts_the_same_and_removes_nothing(
    session: Session, world: World, clock: FakeClock, rule: str
) -> None:
    make, present = RULE_ROWS[rule]
    cutoff = cutoffs(RetentionPeriods(), NOW)[rule]
    keys = [make(session, world, cutoff - SECOND * n) for n in (1, 2, 3)]
    make(session, world, cutoff)  # exactly at the cutoff: kept
    retention = service(session, world, clock)
    assert retention.plan(rule).due == 3
    assert all(present(session, world, key) for key in keys)
    assert session.scalar(select(func.count()).select_from(AuditEntry)) == 0
    assert retention.apply(rule).removed == 3


def test_rows_a_rule_is_not_about_stay_whatever_their_age(
    session: Session, world: World, clock: FakeClock
) -> None:
    long_ago = NOW - dt.timedelta(days=3650)
    pending_job = _job(JobStatus.PENDING)(session, world, long_ago)
    failed_job = _job(JobStatus.FAILED)(session, world, long_ago)
    unsent = _email(session, world, long_ago)
    session.get(OutgoingEmail, unsent).sent_at = None  # type: ignore[union-attr]
    verified = _evidence(session, world, long_ago)
    session.get(Evidence, verified).status = EvidenceStatus.VERIFIED  # type: ignore[union-attr]
    pending = _evidence(session, world, long_ago)
    session.get(Evidence, pending).status = EvidenceStatus.PENDING  # type: ignore[union-attr]
    session.flush()
    retention = service(session, world, clock)
    for rule in RULES:
        retention.apply(rule)
    assert _job_present(session, world, pending_job)
    assert not _job_present(session, world, failed_job)  # given up is finished too
    assert _email_present(session, world, unsent)
    assert _evidence_present(session, world, verified)
    assert _evidence_present(session, world, pending)
    assert len(list(world.store.root.rglob("*"))) == 3  # the folder and the two files


def test_rejected_evidence_loses_its_file_on_disk_and_keeps_its_record(
    session: Session, world: World, clock: FakeClock
) -> None:
    cutoff = cutoffs(RetentionPeriods(), NOW)["rejected-evidence"]
    old = _evidence(session, world, cutoff - SECOND)
    recent = _evidence(session, world, cutoff + SECOND)
    old_key = session.get(Evidence, old).file_key  # type: ignore[union-attr]
    recent_key = session.get(Evidence, recent).file_key  # type: ignore[union-attr]
    old_file = world.store.root / str(world.org_id) / str(old_key)
    assert old_file.exists()
    service(session, world, clock).apply("rejected-evidence")
    assert not old_file.exists()
    assert world.store.open(world.org_id, str(recent_key)) == b"%PDF-1.4 certificate"
    row = session.get(Evidence, old)
    assert row is not None
    assert (row.status, row.rejection_reason, row.course_title) == (
        EvidenceStatus.REJECTED,
        "Not SEND training",
        "Speech and language",
    )
    assert (row.file_key, row.file_name, row.content_type, row.file_size) == (None,) * 4


def test_a_file_already_gone_from_disk_still_clears_its_record(
    session: Session, world: World, clock: FakeClock
) -> None:
    old = _evidence(session, world, NOW - dt.timedelta(days=200))
    row = session.get(Evidence, old)
    assert row is not None
    world.store.delete(world.org_id, str(row.file_key))
    assert service(session, world, clock).apply("rejected-evidence").removed == 1
    assert not _evidence_present(session, world, old)


def test_removes_in_batches_and_reports_progress(
    session: Session, world: World, clock: FakeClock
) -> None:
    cutoff = cutoffs(RetentionPeriods(), NOW)["email-bodies"]
    keys = [_email(session, world, cutoff - SECOND * n) for n in range(1, 6)]
    kept = _email(session, world, cutoff + SECOND)
    batches: list[int] = []
    result = service(session, world, clock, batch=2).apply("email-bodies", batches.append)
    assert batches == [2, 2, 1]
    assert result.removed == 5
    assert not any(_email_present(session, world, key) for key in keys)
    assert _email_present(session, world, kept)


def test_each_rule_run_is_audited_with_counts_only(
    session: Session, world: World, clock: FakeClock
) -> None:
    cutoff = cutoffs(RetentionPeriods(), NOW)["email-bodies"]
    _email(session, world, cutoff - SECOND)
    _email(session, world, cutoff - SECOND * 2)
    retention = service(session, world, clock)
    retention.apply("email-bodies")
    retention.apply("access-log")
    entries = list(session.scalars(select(AuditEntry).order_by(AuditEntry.id)))
    assert [(e.action, e.entity_type, e.entity_id) for e in entries] == [
        ("retention.applied", "retention_rule", "email-bodies"),
        ("retention.applied", "retention_rule", "access-log"),
    ]
    assert entries[0].details == {"cutoff": cutoff.isoformat(), "due": 2, "removed": 2}
    assert entries[0].organisation_id is None
    assert entries[0].actor_label == "test"
    assert entries[1].details["removed"] == 0


def test_the_clock_is_read_as_each_rule_starts(
    session: Session, world: World, clock: FakeClock
) -> None:
    retention = service(session, world, clock)
    first = retention.plan("access-log").cutoff
    clock.advance(3600)
    assert retention.plan("access-log").cutoff == first + dt.timedelta(hours=1)


# --- Leavers ---------------------------------------------------------------------------------


def _leaver(session: Session, world: World, name: str, left: dt.date | None) -> int:
    person = Person(organisation_id=world.org_id, name=name, leaving_date=left)
    session.add(person)
    session.flush()
    return person.id


def test_leavers_past_the_period_are_erased_unless_held(
    session: Session, world: World, clock: FakeClock
) -> None:
    cutoff = leavers_cutoff(RetentionPeriods(), NOW.date())
    old = _leaver(session, world, "Old Leaver", cutoff - dt.timedelta(days=1))
    held = _leaver(session, world, "Held SENCO", cutoff - dt.timedelta(days=400))
    on_the_day = _leaver(session, world, "Just Within", cutoff)
    recent = _leaver(session, world, "Recent Leaver", NOW.date() - dt.timedelta(days=30))
    staying = _leaver(session, world, "Still Here", None)
    gone = _leaver(session, world, "Erased Before", cutoff - dt.timedelta(days=900))
    session.get(Person, gone).erased_at = NOW - dt.timedelta(days=5)  # type: ignore[union-attr]
    session.flush()
    eraser = FakeEraser(clock, held={held: "SENCO record kept until 2027"})
    retention = service(session, world, clock, eraser)

    planned = retention.plan("leavers")
    assert (planned.due, planned.removed, planned.cutoff) == (2, 0, cutoff)
    assert planned.skipped == [(held, "SENCO record kept until 2027")]
    assert eraser.erased == []
    assert session.get(Person, old).erased_at is None  # type: ignore[union-attr]

    batches: list[int] = []
    result = retention.apply("leavers", batches.append)
    assert (result.due, result.removed) == (2, 1)
    assert result.skipped == [(held, "SENCO record kept until 2027")]
    assert batches == [2]
    assert [(pid, actor) for pid, actor, _reason in eraser.erased] == [(old, None)]
    assert "more than 6 years ago" in eraser.erased[0][2]
    for kept in (held, on_the_day, recent, staying):
        assert session.get(Person, kept).erased_at is None  # type: ignore[union-attr]
    entry = session.scalars(select(AuditEntry).where(AuditEntry.entity_id == "leavers")).one()
    assert entry.details == {
        "cutoff": cutoff.isoformat(),
        "due": 2,
        "removed": 1,
        "kept_under_legal_hold": 1,
    }

    # Erased people are not counted again; a day later the one on the day is past too.
    clock.advance(24 * 3600)
    again = retention.apply("leavers")
    assert (again.due, again.removed) == (2, 1)
    assert eraser.erased[-1][0] == on_the_day


def test_leavers_are_walked_in_batches(session: Session, world: World, clock: FakeClock) -> None:
    left = NOW.date() - dt.timedelta(days=7 * 366)
    ids = [_leaver(session, world, f"Leaver {n}", left) for n in range(5)]
    eraser = FakeEraser(clock, held={ids[1]: "held"})
    batches: list[int] = []
    result = service(session, world, clock, eraser, batch=2).apply("leavers", batches.append)
    assert batches == [2, 2, 1]
    assert result.removed == 4
    assert [pid for pid, _a, _r in eraser.erased] == [ids[0], *ids[2:]]
