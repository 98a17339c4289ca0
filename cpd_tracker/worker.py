"""The scheduler behind ``cpd-tracker worker``: every periodic job, in one process per host.

A job runs on a :class:`Schedule`: every N minutes (slots aligned to the clock, so all hosts
agree on them: every 5 minutes is :00, :05, ...) or daily at a time (UTC). Which jobs are due is
a pure function of their schedules, when this process last ran each and the time
(:func:`due_jobs`, :func:`next_wake`), tested with a clock.

Two hosts never run the same job at once: before a run the worker takes two PostgreSQL
advisory locks (:class:`AdvisoryLocks`, on a connection of its own, never the job's), one
for the job (held while it runs: a run that outlasts its slot is not started again beside
itself) and one for the job's current slot (held until the next slot: a host that comes to
the same slot later, its schedule a little behind, finds it taken and skips it). Both are
``pg_try_advisory_lock``: a host never waits for another, it skips. A lock connection that
is lost drops its locks (PostgreSQL ends them with the session); a job is then at worst run
again, and every job here is safe to repeat (the outbox claims each delivery, reminders are
queued once by key, snapshots and facts are idempotent, purges remove by age).

On SQLite there are no advisory locks (:class:`LocalLocks`): run one worker, on one host.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import Connection, Engine, text

from cpd_tracker.outage import DATABASE_ERRORS

log = logging.getLogger("cpd_tracker.worker")

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
#: The longest the loop sleeps, so a changed clock or a lost lock connection is noticed.
MAX_SLEEP_SECONDS = 60.0


@dataclass(frozen=True)
class Schedule:
    """Every ``every`` (slots aligned to the clock) or daily ``at`` (UTC)."""

    every: dt.timedelta | None = None
    at: dt.time | None = None

    def __post_init__(self) -> None:
        if (self.every is None) == (self.at is None):
            raise ValueError("a schedule is either every N minutes or daily at a time")
        if self.every is not None and self.every < dt.timedelta(minutes=1):
            raise ValueError("a job runs at most once a minute")

    def slot(self, now: dt.datetime) -> dt.datetime:
        """The start of the slot ``now`` falls in."""
        if self.every is not None:
            step = int(self.every.total_seconds())
            elapsed = int((now - EPOCH).total_seconds())
            return EPOCH + dt.timedelta(seconds=elapsed - elapsed % step)
        assert self.at is not None
        today = dt.datetime.combine(now.astimezone(dt.UTC).date(), self.at, tzinfo=dt.UTC)
        return today if now >= today else today - dt.timedelta(days=1)

    def next_slot(self, now: dt.datetime) -> dt.datetime:
        step = self.every if self.every is not None else dt.timedelta(days=1)
        return self.slot(now) + step

    def describe(self) -> str:
        if self.every is not None:
            minutes = int(self.every.total_seconds() // 60)
            if minutes % 60 == 0:
                return f"every {minutes // 60} h"
            return f"every {minutes} min"
        assert self.at is not None
        return f"daily at {self.at:%H:%M} UTC"


_EVERY = re.compile(r"^(?:every\s+)?(\d+)\s*(m|min|mins|minutes?|h|hours?)$")
_DAILY = re.compile(r"^(?:daily\s+(?:at\s+)?)?([01]?\d|2[0-3]):([0-5]\d)$")


def parse_schedule(value: str) -> Schedule | None:
    """``every 5m``, ``15 minutes``, ``every 2 h``, ``daily 02:15``, ``02:15``; ``off`` is
    None (the job is not run by the worker)."""
    spoken = " ".join(value.strip().lower().split())
    if spoken in {"off", "never", "0"}:
        return None
    if match := _EVERY.match(spoken):
        amount = int(match.group(1))
        minutes = amount * 60 if match.group(2).startswith("h") else amount
        return Schedule(every=dt.timedelta(minutes=minutes))
    if match := _DAILY.match(spoken):
        return Schedule(at=dt.time(int(match.group(1)), int(match.group(2))))
    raise ValueError(
        f"{value!r} is not a schedule: write 'every 5m', 'every 2h', 'daily 02:15' or 'off'"
    )


@dataclass(frozen=True)
class Job:
    name: str
    schedule: Schedule
    #: Runs the job; returns its exit status (0 done, else failed: the worker carries on).
    run: Callable[[], int]
    command: str = ""


def is_due(schedule: Schedule, last_run: dt.datetime | None, now: dt.datetime) -> bool:
    """Not yet run (by this process) in the slot ``now`` falls in."""
    return last_run is None or last_run < schedule.slot(now)


def due_jobs(
    jobs: Iterable[Job], last_runs: Mapping[str, dt.datetime | None], now: dt.datetime
) -> list[Job]:
    return [j for j in jobs if is_due(j.schedule, last_runs.get(j.name), now)]


def next_wake(
    jobs: Iterable[Job], last_runs: Mapping[str, dt.datetime | None], now: dt.datetime
) -> dt.datetime:
    """When the next job falls due (``now`` if one is due already)."""
    times = [
        now if is_due(j.schedule, last_runs.get(j.name), now) else j.schedule.next_slot(now)
        for j in jobs
    ]
    return min(times, default=now + dt.timedelta(seconds=MAX_SLEEP_SECONDS))


def first_runs(jobs: Iterable[Job], now: dt.datetime) -> dict[str, dt.datetime | None]:
    """A worker starting up runs its every-N-minutes jobs at once and its daily jobs at their
    next time (a restart or deploy does not repeat last night's work; a night missed while
    the worker was down is caught up by the next, as each daily job catches up by design)."""
    return {j.name: (None if j.schedule.every is not None else now) for j in jobs}


# -- locks -----------------------------------------------------------------------------------


class JobLocks(Protocol):
    def acquire(self, job: str, slot: dt.datetime) -> str | None:
        """Take the job for this slot; None when taken, else why it may not run here."""

    def release(self, job: str) -> None:
        """The run is over (the slot stays taken)."""

    def close(self) -> None: ...


class LocalLocks:
    """One worker on one host (SQLite): nothing to coordinate."""

    def acquire(self, job: str, slot: dt.datetime) -> str | None:
        return None

    def release(self, job: str) -> None:
        return None

    def close(self) -> None:
        return None


def lock_key(*parts: str) -> int:
    """A signed 64-bit advisory lock key for ``parts`` (job names are the tool's own)."""
    digest = hashlib.blake2b("\x1f".join(("cpd-tracker-worker", *parts)).encode(), digest_size=8)
    return int.from_bytes(digest.digest(), "big", signed=True)


class AdvisoryLocks:
    """PostgreSQL session advisory locks, on a connection of their own (autocommit)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine.execution_options(isolation_level="AUTOCOMMIT")
        self._connection: Connection | None = None
        #: The slot lock each job holds until its next slot.
        self._slots: dict[str, int] = {}

    def _conn(self) -> Connection:
        if self._connection is None or self._connection.closed or self._connection.invalidated:
            self._slots.clear()  # a new session holds nothing
            self._connection = self.engine.connect()
        return self._connection

    def _try(self, key: int) -> bool:
        return bool(self._conn().scalar(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}))

    def _unlock(self, key: int) -> None:
        self._conn().execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})

    def acquire(self, job: str, slot: dt.datetime) -> str | None:
        try:
            if not self._try(lock_key("job", job)):
                return "running on another host"
            key = lock_key("slot", job, slot.isoformat())
            if self._slots.get(job) == key:
                return None  # this process's own slot (it ran here already)
            if not self._try(key):
                self._unlock(lock_key("job", job))
                return "done for this slot on another host"
            old = self._slots.pop(job, None)
            if old is not None:
                self._unlock(old)
            self._slots[job] = key
            return None
        except DATABASE_ERRORS as exc:
            self._drop()
            return f"locks unavailable ({type(getattr(exc, 'orig', exc)).__name__})"

    def release(self, job: str) -> None:
        try:
            self._unlock(lock_key("job", job))
        except DATABASE_ERRORS:
            self._drop()  # the session, and with it the lock, is gone already

    def _drop(self) -> None:
        if self._connection is not None:
            try:
                self._connection.invalidate()
                self._connection.close()
            except DATABASE_ERRORS:
                pass
        self._connection = None
        self._slots.clear()

    def close(self) -> None:
        """Ends the session: every lock it holds goes with it."""
        if self._connection is not None:
            self._connection.close()
        self._connection = None
        self._slots.clear()


def locks_for(engine: Engine) -> JobLocks:
    return AdvisoryLocks(engine) if engine.dialect.name == "postgresql" else LocalLocks()


# -- the loop --------------------------------------------------------------------------------


@dataclass(frozen=True)
class RunResult:
    job: str
    outcome: str  # done | failed | skipped
    exit_code: int | None
    duration: float
    reason: str = ""


class Worker:
    def __init__(
        self,
        jobs: Sequence[Job],
        locks: JobLocks,
        clock: Callable[[], dt.datetime],
        stop: threading.Event | None = None,
    ) -> None:
        self.jobs = list(jobs)
        self.locks = locks
        self.clock = clock
        self.stop = stop or threading.Event()
        self.last_runs: dict[str, dt.datetime | None] = {}

    def run_job(self, job: Job) -> RunResult:
        now = self.clock()
        self.last_runs[job.name] = now
        refused = self.locks.acquire(job.name, job.schedule.slot(now))
        if refused is not None:
            log.info("Job %s skipped: %s", job.name, refused, extra={"job": job.name})
            return RunResult(job.name, "skipped", None, 0.0, refused)
        started = time.perf_counter()
        try:
            code = job.run()
        except Exception:
            log.exception("Job %s failed", job.name, extra={"job": job.name})
            code = 1
        finally:
            self.locks.release(job.name)
        duration = time.perf_counter() - started
        outcome = "done" if code == 0 else "failed"
        log.log(
            logging.INFO if code == 0 else logging.WARNING,
            "Job %s %s in %.1f s (exit %d)",
            job.name,
            outcome,
            duration,
            code,
            extra={
                "job": job.name,
                "outcome": outcome,
                "exit_code": code,
                "duration_ms": round(duration * 1000, 1),
            },
        )
        return RunResult(job.name, outcome, code, duration)

    def run_once(self) -> list[RunResult]:
        """Every job once, now (``--once``: for cron and tests); stops early when told to."""
        results = []
        for job in self.jobs:
            if self.stop.is_set():
                break
            results.append(self.run_job(job))
        return results

    def run_forever(self) -> None:
        """Until ``stop`` is set (SIGTERM, SIGINT): a job that has started is finished."""
        self.last_runs = first_runs(self.jobs, self.clock())
        while not self.stop.is_set():
            for job in due_jobs(self.jobs, self.last_runs, self.clock()):
                if self.stop.is_set():
                    break
                self.run_job(job)
            wait = (
                next_wake(self.jobs, self.last_runs, self.clock()) - self.clock()
            ).total_seconds()
            self.stop.wait(min(max(wait, 0.0), MAX_SLEEP_SECONDS))
