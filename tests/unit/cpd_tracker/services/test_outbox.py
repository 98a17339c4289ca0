"""The LTI service outbox: queueing from the session listeners (same transaction, deduplicated,
bulk inserts too), and the runner's claim, retry, backoff and give-up rules, on the test
database with handlers that stand in for the platform."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from cpd_tracker.extensions import db
from cpd_tracker.models import (
    Completion,
    CompletionMethod,
    Course,
    JobKind,
    JobStatus,
    LineItemBinding,
    Module,
    Organisation,
    OrganisationKind,
    Person,
    PlatformRegistration,
    ResourceLink,
    ServiceJob,
)
from cpd_tracker.services.audit import Actor, AuditService
from cpd_tracker.services.outbox import (
    BACKOFF,
    COMMITTED_JOBS,
    NEW_JOBS,
    PERMANENT_ATTEMPTS,
    RETRYABLE_ATTEMPTS,
    CompletionFacts,
    Handlers,
    JobGone,
    OutboxRunner,
    OutboxService,
    backoff,
    completion_moment,
    enqueue_roster,
    enqueue_scores,
    pending_score_count,
    roster_pending_key,
    score_dedupe_key,
)
from lti.advantage_errors import ScorePublishError
from tests.support.clock import FakeClock

SCORE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
LINEITEM = "https://lms.example.org/api/lti/courses/3/line_items/1"


# --- Pure ----------------------------------------------------------------------------------------


def test_backoff_is_1_5_15_60_minutes_then_4_hours() -> None:
    waits = [backoff(n) for n in range(1, 8)]
    minutes = [int(w.total_seconds() // 60) for w in waits]
    assert minutes == [1, 5, 15, 60, 240, 240, 240]
    assert backoff(0) == BACKOFF[0]


def test_dedupe_keys() -> None:
    key = score_dedupe_key(7, LINEITEM)
    assert key == score_dedupe_key(7, LINEITEM)
    assert key != score_dedupe_key(7, LINEITEM + "?type_id=2")
    assert key != score_dedupe_key(8, LINEITEM)
    assert key.startswith("score:7:")
    assert len(score_dedupe_key(7, "https://x/" + "a" * 2000)) <= 200
    assert roster_pending_key(3) == "roster:3:pending"


def test_completion_moment() -> None:
    day = dt.date(2025, 1, 15)
    recorded = dt.datetime(2025, 1, 15, 14, 30, 5, tzinfo=dt.UTC)
    assert completion_moment(day, recorded) == recorded
    late = dt.datetime(2025, 3, 1, 9, 0, tzinfo=dt.UTC)
    assert completion_moment(day, late) == dt.datetime(2025, 1, 15, tzinfo=dt.UTC)
    assert completion_moment(day, None) == dt.datetime(2025, 1, 15, tzinfo=dt.UTC)


# --- On the database -------------------------------------------------------------------------


@dataclass
class World:
    org_id: int
    registration_id: int
    course_id: int
    person_id: int
    module_id: int
    link_id: int


@pytest.fixture
def clock(app: Flask) -> FakeClock:
    fake = FakeClock()
    app.extensions["clock"] = fake
    return fake


@pytest.fixture
def session(app: Flask, clock: FakeClock) -> Iterator[Session]:
    with app.app_context():
        yield db.session
        db.session.rollback()


def _world(session: Session, name: str = "Trust", *, scopes: list[str] | None = None) -> World:
    org = Organisation(name=name, kind=OrganisationKind.TRUST)
    session.add(org)
    session.flush()
    registration = PlatformRegistration(
        organisation_id=org.id,
        name="LMS",
        issuer="https://lms.example.org",
        client_id=f"client-{name}",
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
        delivery="in_tool",
        cpd_hours=Decimal(1),
    )
    session.add_all([registration, module])
    session.flush()
    course = Course(
        organisation_id=org.id,
        registration_id=registration.id,
        context_id="c1",
        memberships_url="https://lms.example.org/nrps",
    )
    person = Person(organisation_id=org.id, registration_id=registration.id, sub=f"sub-{name}")
    session.add_all([course, person])
    session.flush()
    link = ResourceLink(
        organisation_id=org.id,
        registration_id=registration.id,
        course_id=course.id,
        resource_link_id="rl-1",
        module_id=module.id,
        module_slug="send",
        lineitem_url=LINEITEM + f"?{name}",
        ags_scopes=[SCORE] if scopes is None else scopes,
    )
    session.add(link)
    session.flush()
    session.add(
        LineItemBinding(resource_link_id=link.id, person_id=person.id, user_id=person.sub or "")
    )
    session.flush()
    return World(org.id, registration.id, course.id, person.id, module.id, link.id)


def _complete(session: Session, world: World, day: dt.date = dt.date(2025, 1, 15)) -> Completion:
    completion = Completion(
        organisation_id=world.org_id,
        person_id=world.person_id,
        module_id=world.module_id,
        completed_on=day,
        method=CompletionMethod.RECORDED,
    )
    session.add(completion)
    session.flush()
    return completion


def _jobs(session: Session) -> list[ServiceJob]:
    return list(session.scalars(select(ServiceJob).order_by(ServiceJob.id)))


def test_a_new_completion_queues_its_score_in_the_same_flush(session: Session) -> None:
    world = _world(session)
    completion = _complete(session, world)
    (job,) = _jobs(session)
    assert job.kind is JobKind.SCORE
    assert job.completion_id == completion.id
    assert job.user_id == "sub-Trust"
    assert job.lineitem_url == LINEITEM + "?Trust"
    assert job.dedupe_key == score_dedupe_key(completion.id, LINEITEM + "?Trust")
    # Recorded on another day than the one it is dated: the start of that day.
    assert job.payload == {"timestamp": "2025-01-15T00:00:00.000+00:00"}
    assert session.info[NEW_JOBS] == [job.id]
    session.commit()
    assert session.info[COMMITTED_JOBS] == [job.id]
    assert NEW_JOBS not in session.info


def test_rollback_forgets_queued_jobs(session: Session) -> None:
    world = _world(session)
    session.commit()
    session.info.pop(COMMITTED_JOBS, None)
    _complete(session, world)
    assert session.info[NEW_JOBS]
    session.rollback()
    assert NEW_JOBS not in session.info
    assert COMMITTED_JOBS not in session.info
    assert _jobs(session) == []


def test_the_same_score_is_never_queued_twice(session: Session, clock: FakeClock) -> None:
    world = _world(session)
    completion = _complete(session, world)
    facts = CompletionFacts(
        completion.id, world.org_id, world.person_id, world.module_id, completion.completed_on, None
    )
    assert enqueue_scores(session.connection(), [facts], clock()) == []
    assert len(_jobs(session)) == 1


def test_no_job_without_the_score_scope_or_the_binding(session: Session) -> None:
    world = _world(session, scopes=["https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"])
    _complete(session, world)
    other = Person(organisation_id=world.org_id, name="Not bound")
    session.add(other)
    session.flush()
    session.add(
        Completion(
            organisation_id=world.org_id,
            person_id=other.id,
            module_id=world.module_id,
            completed_on=dt.date(2025, 1, 15),
            method=CompletionMethod.RECORDED,
        )
    )
    session.flush()
    assert _jobs(session) == []


def test_a_binding_never_crosses_organisations(session: Session, clock: FakeClock) -> None:
    world = _world(session)
    other = _world(session, "Other")
    completion = _complete(session, other)
    # Forge a completion in the first organisation for the other's bound person.
    facts = CompletionFacts(
        completion.id + 1000, world.org_id, other.person_id, other.module_id, dt.date.today(), None
    )
    assert enqueue_scores(session.connection(), [facts], clock()) == []


def test_bulk_insert_without_returning_queues_scores(session: Session) -> None:
    world = _world(session)
    session.execute(
        insert(Completion),
        [
            {
                "organisation_id": world.org_id,
                "person_id": world.person_id,
                "module_id": world.module_id,
                "completed_on": dt.date(2024, 9, day),
                "method": CompletionMethod.IMPORTED,
                "cpd_hours": Decimal(1),
            }
            for day in (2, 3)
        ],
    )
    assert len(_jobs(session)) == 2


def test_a_roster_job_waits_once_per_course(session: Session, clock: FakeClock) -> None:
    world = _world(session)
    course = session.get(Course, world.course_id)
    assert course is not None
    first, created = enqueue_roster(session.connection(), course, clock())
    assert created
    again, created_again = enqueue_roster(session.connection(), course, clock())
    assert (again, created_again) == (first, False)


def _runner(session: Session, clock: FakeClock, behaviour: list[Any]) -> OutboxRunner:
    """A runner whose handlers pop a behaviour per call: an exception to raise or a string."""

    def handle(_job: ServiceJob, release: Callable[[], None]) -> str:
        release()
        outcome = behaviour.pop(0)
        if isinstance(outcome, BaseException):
            raise outcome
        return str(outcome)

    def handlers(_session: Session) -> Handlers:
        return {JobKind.SCORE: handle, JobKind.ROSTER: handle}

    return OutboxRunner(session, handlers, clock)


def _queued_score(session: Session) -> int:
    world = _world(session)
    _complete(session, world)
    session.commit()
    (job,) = _jobs(session)
    return job.id


def _retryable(retry_after: float | None = None) -> ScorePublishError:
    return ScorePublishError("down", retryable=True, platform_status=503, retry_after=retry_after)


def test_a_claimed_job_is_not_run_by_another_runner(session: Session, clock: FakeClock) -> None:
    job_id = _queued_score(session)
    first = _runner(session, clock, ["delivered"])
    assert first._claim(job_id) is not None
    second = _runner(session, clock, ["delivered"])
    report = second.run()
    assert report.attempted == 0
    # After the lease a crashed runner's job comes back.
    clock.advance(16 * 60)
    assert second.run().done == 1


def test_retry_after_longer_than_the_backoff_is_honoured_up_to_the_cap(
    session: Session, clock: FakeClock
) -> None:
    job_id = _queued_score(session)
    runner = _runner(session, clock, [_retryable(600), _retryable(10 * 24 * 3600)])
    runner.run()
    job = session.get(ServiceJob, job_id)
    assert job is not None
    assert job.next_attempt_at == clock() + dt.timedelta(minutes=10)
    clock.advance(600)
    runner.run()
    session.refresh(job)
    assert job.next_attempt_at == clock() + BACKOFF[-1]


def test_refusals_give_up_after_a_few_tries(session: Session, clock: FakeClock) -> None:
    job_id = _queued_score(session)
    refusal = ScorePublishError("refused", retryable=False, platform_status=401)
    runner = _runner(session, clock, [refusal] * PERMANENT_ATTEMPTS)
    for attempt in range(PERMANENT_ATTEMPTS):
        clock.advance(backoff(attempt).total_seconds() if attempt else 0)
        runner.run()
    job = session.get(ServiceJob, job_id)
    assert job is not None
    assert job.status is JobStatus.FAILED
    assert job.attempts == PERMANENT_ATTEMPTS
    assert job.outcome == "gave up"


def test_retryable_failures_give_up_in_the_end(session: Session, clock: FakeClock) -> None:
    job_id = _queued_score(session)
    runner = _runner(session, clock, [_retryable()] * RETRYABLE_ATTEMPTS)
    for _ in range(RETRYABLE_ATTEMPTS):
        runner.run()
        clock.advance(BACKOFF[-1].total_seconds())
    job = session.get(ServiceJob, job_id)
    assert job is not None
    assert job.status is JobStatus.FAILED
    assert job.attempts == RETRYABLE_ATTEMPTS


def test_a_job_whose_data_is_gone_fails_at_once(session: Session, clock: FakeClock) -> None:
    job_id = _queued_score(session)
    _runner(session, clock, [JobGone("gone")]).run()
    job = session.get(ServiceJob, job_id)
    assert job is not None
    assert job.status is JobStatus.FAILED
    assert job.attempts == 1


def test_an_unexpected_error_is_recorded_without_detail(
    session: Session, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    job_id = _queued_score(session)
    _runner(session, clock, [RuntimeError("secret detail")]).run()
    job = session.get(ServiceJob, job_id)
    assert job is not None
    assert job.status is JobStatus.PENDING
    assert job.last_error == "Unexpected error in the tool (RuntimeError)."
    assert "secret detail" in caplog.text


def test_only_the_given_ids_run(session: Session, clock: FakeClock) -> None:
    job_id = _queued_score(session)
    assert _runner(session, clock, ["delivered"]).run(ids=[job_id + 100]).attempted == 0
    assert _runner(session, clock, ["delivered"]).run(ids=[job_id]).done == 1


def test_retry_now_of_a_failed_roster_job(session: Session, clock: FakeClock) -> None:
    world = _world(session)
    course = session.get(Course, world.course_id)
    assert course is not None
    job_id, _ = enqueue_roster(session.connection(), course, clock())
    session.commit()
    _runner(session, clock, [JobGone("gone")]).run()
    failed = session.get(ServiceJob, job_id)
    assert failed is not None
    assert failed.status is JobStatus.FAILED
    assert failed.dedupe_key == f"roster:{course.id}:{job_id}"
    service = OutboxService(session, AuditService(session, Actor("test")), clock)
    assert service.retry_now(failed) is failed
    assert failed.dedupe_key == roster_pending_key(course.id)
    assert failed.attempts == 0
    session.commit()
    _runner(session, clock, [JobGone("gone")]).run()
    # A new roster job waits meanwhile: retrying the failed one runs the waiting one.
    waiting_id, created = enqueue_roster(session.connection(), course, clock())
    assert created
    session.refresh(failed)
    assert service.retry_now(failed).id == waiting_id
    done = _runner(session, clock, ["ok"])
    session.commit()
    assert done.run().done == 1
    session.refresh(failed)
    with pytest.raises(ValueError, match="done"):
        service.retry_now(session.get(ServiceJob, waiting_id))  # type: ignore[arg-type]


def test_summary_and_attention(session: Session, clock: FakeClock) -> None:
    job_id = _queued_score(session)
    world_org = session.get(ServiceJob, job_id)
    assert world_org is not None
    service = OutboxService(session, AuditService(session, Actor("test")), clock)
    summary = service.summary(world_org.organisation_id)
    assert (summary.pending, summary.failing, summary.failed, summary.done_last_day) == (1, 0, 0, 0)
    person = session.get(Person, world_org.person_id)
    assert person is not None
    assert pending_score_count(session, person) == 1
    _runner(session, clock, [_retryable()]).run()
    (view,) = service.attention(world_org.organisation_id)
    assert view.description == f"Grade for {person.display_name}, SEND"
    assert service.summary(world_org.organisation_id).failing == 1
    assert service.job(world_org.organisation_id + 1, job_id) is None
