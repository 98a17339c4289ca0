"""The LTI service outbox: grades and roster reads queued in the database, sent outside requests.

ARCHITECTURE.md, "Outbound": NRPS and AGS calls go through one HTTP wrapper and this outbox,
so an LMS that is down delays a grade and never loses one. (Not the e-mail outbox: that is
``outgoing_email`` and :mod:`cpd_tracker.services.mailer`.)

Queueing
    * Scores are queued from **one place**: session event listeners installed by
      :func:`install_listeners`. ``after_flush`` sees every new ``Completion`` the ORM inserts
      (in-tool, verified evidence, INSET, recorded by a CPD lead) and ``do_orm_execute`` sees
      ORM bulk ``insert(Completion)`` statements (CSV and command-line imports). Either way the
      jobs are inserted on the same connection, in the same transaction: a completion that
      commits has its jobs, one that rolls back has none, and no service has to remember.
    * Each score job's ``dedupe_key`` is the completion id and (a hash of) the line item URL,
      unique in the table and inserted with ``ON CONFLICT DO NOTHING``: queueing the same score
      twice (a relaunch, a race between workers) leaves one row, so it is sent once.
    * A course has at most one roster job waiting: its key is ``roster:<course>:pending`` until
      it finishes, when the key becomes ``roster:<course>:<job id>``.

Sending (:class:`OutboxRunner`)
    Each job is *claimed* with one conditional UPDATE (its ``next_attempt_at`` moves a lease into
    the future) and committed before the call; the handler reads what it needs and ends that
    transaction before it calls the platform (no transaction is open during a call), and the
    result is committed straight after, job by job: two runners never send the same job, and a
    crash after a delivery is recorded can never send it again. (A crash in the milliseconds
    between the platform's answer and that commit retries the job once the lease ends; AGS
    offers no exactly-once delivery, and a repeated score carries the same timestamp, which
    Moodle answers with 409 and Canvas treats as the same grade.)

Failures
    Retryable ones (no answer, 408, 429, 5xx: ``AdvantageServiceError.retryable``) wait 1, 5
    and 15 minutes, 1 hour, then 4 hours between tries (or longer when the platform asks with
    ``Retry-After``, up to the cap), and give up after :data:`RETRYABLE_ATTEMPTS`. Refusals
    that need an admin give up after :data:`PERMANENT_ATTEMPTS`. A job that gives up is
    ``failed`` with its last error: ``/admin/outbox`` lists it, with "retry now".
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import (
    Connection,
    CursorResult,
    Result,
    event,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import ResourceClosedError
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction

from cpd_tracker.dates import LONDON, in_london, local_date
from cpd_tracker.models import (
    Completion,
    Course,
    JobKind,
    JobStatus,
    LineItemBinding,
    Person,
    ResourceLink,
    ServiceJob,
)
from cpd_tracker.services.audit import AuditService
from lti.ags import SCOPE_LINEITEM, SCOPE_SCORE, format_timestamp
from lti.errors import LtiError

log = logging.getLogger(__name__)

#: Waits before the 1st, 2nd, ... retry; the last one repeats (the 4-hour cap).
BACKOFF = (
    dt.timedelta(minutes=1),
    dt.timedelta(minutes=5),
    dt.timedelta(minutes=15),
    dt.timedelta(hours=1),
    dt.timedelta(hours=4),
)
#: Retryable failures (the LMS down or slow) are tried this often: about four days in all.
RETRYABLE_ATTEMPTS = 25
#: Refusals (401, 403, 404, a bad registration) are tried this often, in case the admin is
#: mid-fix, then left for a person to look at.
PERMANENT_ATTEMPTS = 3
#: How long a claimed job is left to its runner: far longer than a roster read should take.
CLAIM_LEASE = dt.timedelta(minutes=15)
ERROR_LIMIT = 2000

#: ``Session.info`` keys: jobs queued in the open transaction, jobs committed since the request
#: edge last looked, and the person of each score queued in this transaction.
NEW_JOBS = "lti_jobs_new"
COMMITTED_JOBS = "lti_jobs_committed"
QUEUED_SCORES = "lti_scores_queued"

_JOBS = cast(Any, ServiceJob.__table__)
_COMPLETIONS = cast(Any, Completion.__table__)


class JobGone(LtiError):
    """What a job needs (its course, link or completion) no longer exists: nothing to retry."""

    code = "job_gone"
    status = 410
    title = "This job can no longer be done"


def backoff(failures: int) -> dt.timedelta:
    """The wait after the ``failures``-th failure (1-based)."""
    return BACKOFF[min(max(failures, 1), len(BACKOFF)) - 1]


def score_dedupe_key(completion_id: int, lineitem_url: str) -> str:
    digest = hashlib.sha256(lineitem_url.encode()).hexdigest()[:40]
    return f"score:{completion_id}:{digest}"


def roster_pending_key(course_id: int) -> str:
    return f"roster:{course_id}:pending"


def completion_moment(completed_on: dt.date, created_at: dt.datetime | None) -> dt.datetime:
    """When a completion happened, as the score's timestamp: the moment it was recorded when
    that was on the day itself in England (in-tool, INSET on the day), else the start of that
    day in London; always given in UTC."""
    if created_at is not None and local_date(created_at) == completed_on:
        return in_london(created_at).astimezone(dt.UTC)
    return dt.datetime.combine(completed_on, dt.time(0), tzinfo=LONDON).astimezone(dt.UTC)


# ---------------------------------------------------------------- queueing (connection level)


@dataclass(frozen=True)
class CompletionFacts:
    id: int
    organisation_id: int
    person_id: int
    module_id: int
    completed_on: dt.date
    created_at: dt.datetime | None


def _insert_ignoring_duplicates(connection: Connection, rows: list[dict[str, Any]]) -> list[int]:
    """Insert job rows; a row whose ``dedupe_key`` exists already is skipped. New ids back."""
    if not rows:
        return []
    name = connection.dialect.name
    if name == "postgresql":
        statement: Any = postgresql.insert(_JOBS).on_conflict_do_nothing(
            index_elements=["dedupe_key"]
        )
    elif name == "sqlite":
        statement = sqlite.insert(_JOBS).on_conflict_do_nothing(index_elements=["dedupe_key"])
    else:  # pragma: no cover - the app supports SQLite and PostgreSQL only
        keys = [r["dedupe_key"] for r in rows]
        have = set(
            connection.scalars(select(_JOBS.c.dedupe_key).where(_JOBS.c.dedupe_key.in_(keys)))
        )
        rows = [r for r in rows if r["dedupe_key"] not in have]
        statement = insert(_JOBS)
    ids: list[int] = []
    for row in rows:
        # One statement per row: RETURNING with ON CONFLICT DO NOTHING answers no row for a
        # duplicate, which executemany would not let us tell apart.
        ids.extend(connection.scalars(statement.returning(_JOBS.c.id), row))
    return ids


def takes_scores(
    lineitem_url: str | None, lineitems_url: str | None, scopes: Sequence[str] | None
) -> bool:
    """Whether scores may go to a resource link: its own line item (AGS ``lineitem``), or the
    context's line items (``lineitems`` alone) where the lineitem scope lets the tool find or
    create the link's column; and the score scope either way."""
    granted = scopes or []
    column = lineitem_url is not None or (lineitems_url is not None and SCOPE_LINEITEM in granted)
    return column and SCOPE_SCORE in granted


def enqueue_scores(
    connection: Connection, completions: Sequence[CompletionFacts], now: dt.datetime
) -> list[int]:
    """Queue a score for each completion to every line item its person launched its module
    from (a link with a line item whose launch granted the score scope). New job ids back."""
    if not completions:
        return []
    people = {c.person_id for c in completions}
    modules = {c.module_id for c in completions}
    links = connection.execute(
        select(
            LineItemBinding.person_id,
            LineItemBinding.user_id,
            ResourceLink.id,
            ResourceLink.organisation_id,
            ResourceLink.registration_id,
            ResourceLink.course_id,
            ResourceLink.module_id,
            ResourceLink.lineitem_url,
            ResourceLink.lineitems_url,
            ResourceLink.ags_scopes,
        )
        .join(ResourceLink, ResourceLink.id == LineItemBinding.resource_link_id)
        .where(
            LineItemBinding.person_id.in_(people),
            ResourceLink.module_id.in_(modules),
            or_(ResourceLink.lineitem_url.is_not(None), ResourceLink.lineitems_url.is_not(None)),
        )
        .order_by(ResourceLink.id)
    ).all()
    by_pair: dict[tuple[int, int], list[Any]] = {}
    for link in links:
        if takes_scores(link.lineitem_url, link.lineitems_url, link.ags_scopes):
            by_pair.setdefault((link.person_id, link.module_id), []).append(link)
    rows: list[dict[str, Any]] = []
    for completion in completions:
        moment = completion_moment(completion.completed_on, completion.created_at)
        for link in by_pair.get((completion.person_id, completion.module_id), []):
            if link.organisation_id != completion.organisation_id:
                continue  # never across tenants, whatever the rows say
            rows.append(
                {
                    "organisation_id": completion.organisation_id,
                    "registration_id": link.registration_id,
                    "kind": JobKind.SCORE,
                    # A link with only the context's line items gets its column when the
                    # first score is sent (ScoreSender); until then it is keyed by the link.
                    "dedupe_key": score_dedupe_key(
                        completion.id, link.lineitem_url or f"link:{link.id}"
                    ),
                    "course_id": link.course_id,
                    "person_id": completion.person_id,
                    "completion_id": completion.id,
                    "resource_link_id": link.id,
                    "lineitem_url": link.lineitem_url,
                    "user_id": link.user_id,
                    "payload": {"timestamp": format_timestamp(moment)},
                    "status": JobStatus.PENDING,
                    "attempts": 0,
                    "next_attempt_at": now,
                    "created_at": now,
                }
            )
    return _insert_ignoring_duplicates(connection, rows)


def enqueue_roster(connection: Connection, course: Course, now: dt.datetime) -> tuple[int, bool]:
    """(job id, newly queued) of the course's waiting roster job, queueing one if none waits."""
    key = roster_pending_key(course.id)
    ids = _insert_ignoring_duplicates(
        connection,
        [
            {
                "organisation_id": course.organisation_id,
                "registration_id": course.registration_id,
                "kind": JobKind.ROSTER,
                "dedupe_key": key,
                "course_id": course.id,
                "payload": {},
                "status": JobStatus.PENDING,
                "attempts": 0,
                "next_attempt_at": now,
                "created_at": now,
            }
        ],
    )
    if ids:
        return ids[0], True
    existing = connection.scalar(select(_JOBS.c.id).where(_JOBS.c.dedupe_key == key))
    assert existing is not None
    return int(existing), False


def note_queued(session: Session, ids: Iterable[int]) -> None:
    """Remember jobs queued in this transaction, for the request edge to run after commit."""
    fresh = list(ids)
    if fresh:
        session.info.setdefault(NEW_JOBS, []).extend(fresh)


def note_scores(session: Session, connection: Connection, ids: list[int]) -> None:
    """As :func:`note_queued`, for score jobs: also remember whose grades they carry, so the
    page can say "your gradebook" or "N completions"."""
    if not ids:
        return
    note_queued(session, ids)
    people = connection.scalars(select(_JOBS.c.person_id).where(_JOBS.c.id.in_(ids))).all()
    session.info.setdefault(QUEUED_SCORES, []).extend(int(p) for p in people if p is not None)


def take_committed(session: Session) -> list[int]:
    """Jobs committed since the last call (and forget them)."""
    ids: list[int] = session.info.pop(COMMITTED_JOBS, [])
    return ids


# ---------------------------------------------------------------- the listeners


def _facts(rows: Iterable[Any]) -> list[CompletionFacts]:
    return [
        CompletionFacts(
            r.id, r.organisation_id, r.person_id, r.module_id, r.completed_on, r.created_at
        )
        for r in rows
    ]


def _listener_now(session: Session) -> dt.datetime:
    """The time to date jobs queued by a listener: the session's clock (``info["clock"]``),
    else the running app's (tests give it a fake one), else the wall clock."""
    clock = session.info.get("clock")
    if clock is None:
        from flask import current_app, has_app_context

        if has_app_context():
            clock = current_app.extensions.get("clock")
    now: dt.datetime = clock() if clock is not None else dt.datetime.now(dt.UTC)
    return now


def _after_flush(session: Session, _context: UOWTransaction) -> None:
    new = [o for o in session.new if isinstance(o, Completion)]
    if not new:
        return
    connection = session.connection()
    ids = enqueue_scores(connection, _facts(new), _listener_now(session))
    note_scores(session, connection, ids)


def _do_orm_execute(state: ORMExecuteState) -> Result[Any] | None:
    """ORM bulk INSERTs into ``completion`` bypass the unit of work (and ``after_flush``)."""
    if not state.is_insert:
        return None
    table = getattr(state.statement, "table", None)
    if getattr(table, "name", None) != Completion.__tablename__:
        return None
    connection = state.session.connection()
    before = connection.scalar(select(func.max(_COMPLETIONS.c.id))) or 0
    result = state.invoke_statement()
    # Hand the caller a buffered copy: the connection runs more statements before it reads.
    answer: Result[Any]
    try:
        answer = result.freeze()()
    except (NotImplementedError, ResourceClosedError):  # no RETURNING: no rows to hand over
        answer = result
    # Rows above the previous highest id are this statement's (or a concurrent commit's,
    # which the dedupe key makes harmless).
    rows = connection.execute(
        select(
            _COMPLETIONS.c.id,
            _COMPLETIONS.c.organisation_id,
            _COMPLETIONS.c.person_id,
            _COMPLETIONS.c.module_id,
            _COMPLETIONS.c.completed_on,
            _COMPLETIONS.c.created_at,
        ).where(_COMPLETIONS.c.id > before)
    ).all()
    ids = enqueue_scores(connection, _facts(rows), _listener_now(state.session))
    note_scores(state.session, connection, ids)
    return answer


def _after_commit(session: Session) -> None:
    fresh = session.info.pop(NEW_JOBS, None)
    if fresh:
        session.info.setdefault(COMMITTED_JOBS, []).extend(fresh)


def _after_rollback(session: Session) -> None:
    session.info.pop(NEW_JOBS, None)
    session.info.pop(QUEUED_SCORES, None)


_LISTENERS: tuple[tuple[str, Callable[..., Any]], ...] = (
    ("after_flush", _after_flush),
    ("do_orm_execute", _do_orm_execute),
    ("after_commit", _after_commit),
    ("after_rollback", _after_rollback),
)


def install_listeners() -> None:
    """Listen on every ORM session (idempotent): the one place scores are queued from."""
    for name, listener in _LISTENERS:
        if not event.contains(Session, name, listener):
            event.listen(Session, name, listener)


# ---------------------------------------------------------------- running jobs


#: Ends the database transaction: a handler calls it after its reads and before its calls to
#: the platform, so no lock or snapshot is held while an LMS takes its time (SQLite's
#: ``BEGIN IMMEDIATE`` would make every other writer wait for the LMS).
Release = Callable[[], None]
#: Does one job; returns how it ended in words, or raises AdvantageServiceError / JobGone.
Handler = Callable[[ServiceJob, Release], str]
Handlers = Mapping[JobKind, Handler]


@dataclass
class RunReport:
    done: int = 0
    retrying: int = 0
    failed: int = 0
    #: Claimed by another runner meanwhile, or not due.
    skipped: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def attempted(self) -> int:
        return self.done + self.retrying + self.failed


class OutboxRunner:
    """Runs due jobs, one claim, call and commit at a time."""

    def __init__(
        self,
        session: Session,
        handlers: Callable[[Session], Handlers],
        clock: Callable[[], dt.datetime],
        *,
        lease: dt.timedelta = CLAIM_LEASE,
    ) -> None:
        self.session = session
        self.handlers = handlers(session)
        self.clock = clock
        self.lease = lease

    def due_ids(self, limit: int, ids: Sequence[int] | None = None) -> list[int]:
        query = (
            select(ServiceJob.id)
            .where(
                ServiceJob.status == JobStatus.PENDING,
                ServiceJob.next_attempt_at <= self.clock(),
            )
            .order_by(ServiceJob.next_attempt_at, ServiceJob.id)
            .limit(limit)
        )
        if ids is not None:
            query = query.where(ServiceJob.id.in_(list(ids)))
        found = list(self.session.scalars(query))
        self.session.commit()
        return found

    def run(self, *, limit: int = 500, ids: Sequence[int] | None = None) -> RunReport:
        """Run due jobs (only ``ids`` when given), at most ``limit`` of them."""
        report = RunReport()
        for job_id in self.due_ids(limit, ids):
            self.run_one(job_id, report)
        return report

    def run_one(self, job_id: int, report: RunReport) -> None:
        job = self._claim(job_id)
        if job is None:
            report.skipped += 1
            return
        handler = self.handlers[job.kind]
        try:
            outcome = handler(job, self.session.commit)
        except Exception as exc:  # every failure is recorded, whatever it is
            self.session.rollback()
            self._failed(job_id, exc, report)
            return
        job.status = JobStatus.DONE
        job.outcome = outcome[:200]
        job.finished_at = self.clock()
        job.attempts += 1
        job.last_error = None
        self._retire_key(job)
        self.session.commit()
        report.done += 1

    def _claim(self, job_id: int) -> ServiceJob | None:
        now = self.clock()
        result = cast(
            CursorResult[Any],
            self.session.execute(
                update(ServiceJob)
                .where(
                    ServiceJob.id == job_id,
                    ServiceJob.status == JobStatus.PENDING,
                    ServiceJob.next_attempt_at <= now,
                )
                .values(next_attempt_at=now + self.lease)
                .execution_options(synchronize_session=False)
            ),
        )
        self.session.commit()
        if result.rowcount != 1:
            return None
        return self.session.get(ServiceJob, job_id, populate_existing=True)

    def _failed(self, job_id: int, exc: BaseException, report: RunReport) -> None:
        job = self.session.get(ServiceJob, job_id, populate_existing=True)
        if job is None:  # pragma: no cover - jobs are never deleted
            return
        now = self.clock()
        job.attempts += 1
        job.last_error_at = now
        retryable = bool(getattr(exc, "retryable", False))
        if isinstance(exc, LtiError):
            message = exc.message + (f" {exc.hint}" if exc.hint else "")
            job.last_status = getattr(exc, "platform_status", None)
        else:
            log.exception("LTI outbox job %s failed unexpectedly", job_id, exc_info=exc)
            message = f"Unexpected error in the tool ({exc.__class__.__name__})."
            job.last_status = None
        job.last_error = message[:ERROR_LIMIT]
        limit = RETRYABLE_ATTEMPTS if retryable else PERMANENT_ATTEMPTS
        if isinstance(exc, JobGone) or job.attempts >= limit:
            job.status = JobStatus.FAILED
            job.finished_at = now
            job.outcome = "gave up"
            self._retire_key(job)
            report.failed += 1
        else:
            wait = backoff(job.attempts)
            asked = getattr(exc, "retry_after", None)
            if retryable and isinstance(asked, int | float) and asked > 0:
                wait = max(wait, min(dt.timedelta(seconds=asked), BACKOFF[-1]))
            job.next_attempt_at = now + wait
            report.retrying += 1
        report.errors.append(message)
        log.warning("LTI outbox job %s (%s) failed: %s", job_id, job.kind.value, message)
        self.session.commit()

    @staticmethod
    def _retire_key(job: ServiceJob) -> None:
        # A roster job that finished frees its course's "pending" key for the next one.
        if job.kind is JobKind.ROSTER and job.dedupe_key.endswith(":pending"):
            job.dedupe_key = f"roster:{job.course_id}:{job.id}"


# ---------------------------------------------------------------- what admins see and do


@dataclass(frozen=True)
class JobView:
    job: ServiceJob
    #: Who or what it is for: "Score for Ann Smith, SEND awareness" / "Roster of SEND101".
    description: str
    course_title: str | None


@dataclass(frozen=True)
class OutboxSummary:
    pending: int
    failing: int
    failed: int
    done_last_day: int


class OutboxService:
    """The outbox as a trust leader sees it: what is waiting, what keeps failing, retry now."""

    def __init__(
        self, session: Session, audit: AuditService, clock: Callable[[], dt.datetime]
    ) -> None:
        self.session = session
        self.audit = audit
        self.clock = clock

    def summary(self, organisation_id: int) -> OutboxSummary:
        def count(*where: Any) -> int:
            return int(
                self.session.scalar(
                    select(func.count(ServiceJob.id)).where(
                        ServiceJob.organisation_id == organisation_id, *where
                    )
                )
                or 0
            )

        pending = ServiceJob.status == JobStatus.PENDING
        return OutboxSummary(
            pending=count(pending),
            failing=count(pending, ServiceJob.attempts > 0),
            failed=count(ServiceJob.status == JobStatus.FAILED),
            done_last_day=count(
                ServiceJob.status == JobStatus.DONE,
                ServiceJob.finished_at >= self.clock() - dt.timedelta(days=1),
            ),
        )

    def attention(self, organisation_id: int, limit: int = 200) -> list[JobView]:
        """Jobs given up on, then jobs waiting (failing ones first), newest problems first."""
        jobs = self.session.scalars(
            select(ServiceJob)
            .where(
                ServiceJob.organisation_id == organisation_id,
                ServiceJob.status.in_([JobStatus.FAILED, JobStatus.PENDING]),
            )
            .order_by(
                (ServiceJob.status == JobStatus.PENDING).asc(),
                ServiceJob.attempts.desc(),
                ServiceJob.next_attempt_at,
                ServiceJob.id,
            )
            .limit(limit)
        ).all()
        return [self._view(job) for job in jobs]

    def job(self, organisation_id: int, job_id: int) -> ServiceJob | None:
        return self.session.scalar(
            select(ServiceJob).where(
                ServiceJob.id == job_id, ServiceJob.organisation_id == organisation_id
            )
        )

    def retry_now(self, job: ServiceJob) -> ServiceJob:
        """Make a pending or failed job due now (a failed one gets a fresh set of attempts).

        Returns the job that will run: for a failed roster job whose course already has
        another waiting, that one.
        """
        if job.status is JobStatus.DONE:
            raise ValueError("this job is done")
        now = self.clock()
        target = job
        if job.status is JobStatus.FAILED and job.kind is JobKind.ROSTER:
            assert job.course_id is not None
            waiting = self.session.scalar(
                select(ServiceJob).where(ServiceJob.dedupe_key == roster_pending_key(job.course_id))
            )
            if waiting is not None:
                target = waiting
            else:
                job.dedupe_key = roster_pending_key(job.course_id)
        if target.status is JobStatus.FAILED:
            target.attempts = 0
            target.finished_at = None
            target.outcome = None
        target.status = JobStatus.PENDING
        target.next_attempt_at = now
        self.session.flush()
        self.audit.record(
            "lti_job.retry_requested",
            organisation_id=job.organisation_id,
            entity_type="lti_service_job",
            entity_id=target.id,
            kind=job.kind.value,
        )
        note_queued(self.session, [target.id])
        return target

    def _view(self, job: ServiceJob) -> JobView:
        course = job.course
        course_title = (course.title or course.label or course.context_id) if course else None
        if job.kind is JobKind.ROSTER:
            return JobView(job, f"Roster of {course_title or 'a course'}", course_title)
        person = job.person
        name = person.display_name if person is not None else "a learner"
        module = None
        if job.completion_id is not None:
            completion = self.session.get(Completion, job.completion_id)
            module = completion.module.title if completion is not None else None
        return JobView(
            job,
            f"Grade for {name}" + (f", {module}" if module else ""),
            course_title,
        )


def pending_score_count(session: Session, person: Person) -> int:
    """Scores of this person still waiting to reach an LMS gradebook."""
    return int(
        session.scalar(
            select(func.count(ServiceJob.id)).where(
                ServiceJob.person_id == person.id,
                ServiceJob.kind == JobKind.SCORE,
                ServiceJob.status == JobStatus.PENDING,
            )
        )
        or 0
    )
