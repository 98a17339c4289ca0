"""The worker's schedule (what is due when) and loop, with a clock."""

from __future__ import annotations

import datetime as dt
import logging
import threading

import pytest

from cpd_tracker.worker import (
    Job,
    LocalLocks,
    Schedule,
    Worker,
    due_jobs,
    first_runs,
    is_due,
    lock_key,
    next_wake,
    parse_schedule,
)

UTC = dt.UTC
EVERY_5 = Schedule(every=dt.timedelta(minutes=5))
NIGHTLY = Schedule(at=dt.time(2, 15))


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("every 5m", EVERY_5),
        ("5 minutes", EVERY_5),
        ("every  2 h", Schedule(every=dt.timedelta(hours=2))),
        ("daily 02:15", NIGHTLY),
        ("daily at 2:15", NIGHTLY),
        ("02:15", NIGHTLY),
        ("off", None),
    ],
)
def test_schedules_are_read_from_words(text: str, expected: Schedule | None) -> None:
    assert parse_schedule(text) == expected


@pytest.mark.parametrize("text", ["", "weekly", "every 0m", "daily 25:00", "every 30s", "2:75"])
def test_a_schedule_that_means_nothing_is_refused(text: str) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - the message is the operator's
        parse_schedule(text)


def test_interval_slots_are_aligned_to_the_clock_so_hosts_agree() -> None:
    assert EVERY_5.slot(at("2026-12-07 10:07:31")) == at("2026-12-07 10:05")
    assert EVERY_5.slot(at("2026-12-07 10:10:00")) == at("2026-12-07 10:10")
    assert EVERY_5.next_slot(at("2026-12-07 10:07:31")) == at("2026-12-07 10:10")


def test_a_daily_slot_starts_at_its_time() -> None:
    assert NIGHTLY.slot(at("2026-12-07 02:14:59")) == at("2026-12-06 02:15")
    assert NIGHTLY.slot(at("2026-12-07 02:15")) == at("2026-12-07 02:15")
    assert NIGHTLY.slot(at("2026-12-07 23:00")) == at("2026-12-07 02:15")
    assert NIGHTLY.next_slot(at("2026-12-07 23:00")) == at("2026-12-08 02:15")
    assert NIGHTLY.describe() == "daily at 02:15 UTC"
    assert EVERY_5.describe() == "every 5 min"


def test_a_job_is_due_once_per_slot() -> None:
    assert is_due(EVERY_5, None, at("2026-12-07 10:07"))
    assert not is_due(EVERY_5, at("2026-12-07 10:06"), at("2026-12-07 10:09:59"))
    assert is_due(EVERY_5, at("2026-12-07 10:06"), at("2026-12-07 10:10"))
    assert not is_due(NIGHTLY, at("2026-12-07 02:16"), at("2026-12-08 02:14"))
    assert is_due(NIGHTLY, at("2026-12-07 02:16"), at("2026-12-08 02:15"))
    # A night missed (the worker was down) is one run when it is back, not one per night.
    assert is_due(NIGHTLY, at("2026-12-01 02:16"), at("2026-12-07 09:00"))


def _job(name: str, schedule: Schedule, ran: list[str] | None = None, code: int = 0) -> Job:
    def run() -> int:
        if ran is not None:
            ran.append(name)
        return code

    return Job(name, schedule, run)


def test_what_is_due_and_when_to_wake() -> None:
    jobs = [_job("outbox", EVERY_5), _job("nightly", NIGHTLY)]
    started = at("2026-12-07 10:07")
    last = first_runs(jobs, started)
    # Start-up: the frequent job at once, the nightly one at its time (a deploy repeats nothing).
    assert [j.name for j in due_jobs(jobs, last, started)] == ["outbox"]
    last["outbox"] = started
    assert due_jobs(jobs, last, at("2026-12-07 10:09")) == []
    assert next_wake(jobs, last, at("2026-12-07 10:09")) == at("2026-12-07 10:10")
    assert [j.name for j in due_jobs(jobs, last, at("2026-12-08 02:15"))] == ["outbox", "nightly"]


def test_run_once_runs_every_job_and_a_failure_stops_nothing(
    caplog: pytest.LogCaptureFixture,
) -> None:
    ran: list[str] = []

    def broken() -> int:
        raise RuntimeError("boom")

    jobs = [_job("a", EVERY_5, ran, code=1), Job("b", NIGHTLY, broken), _job("c", NIGHTLY, ran)]
    caplog.set_level(logging.INFO, logger="cpd_tracker.worker")
    results = Worker(jobs, LocalLocks(), lambda: at("2026-12-07 10:00")).run_once()
    assert ran == ["a", "c"]
    assert [(r.job, r.outcome) for r in results] == [
        ("a", "failed"),
        ("b", "failed"),
        ("c", "done"),
    ]
    assert "Job b failed" in caplog.text
    assert "Job c done in" in caplog.text


class FakeClock:
    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


class SleepOnTheClock(threading.Event):
    """``wait`` moves the fake clock on instead of sleeping; stops after ``rounds`` waits."""

    def __init__(self, clock: FakeClock, rounds: int) -> None:
        super().__init__()
        self.clock = clock
        self.rounds = rounds
        self.waits: list[float] = []

    def wait(self, timeout: float | None = None) -> bool:
        assert timeout is not None
        self.waits.append(timeout)
        self.clock.now += dt.timedelta(seconds=timeout)
        self.rounds -= 1
        if self.rounds == 0:
            self.set()
        return self.is_set()


def test_run_forever_runs_each_job_in_each_of_its_slots() -> None:
    clock = FakeClock(at("2026-12-07 02:03"))
    ran: list[str] = []
    stop = SleepOnTheClock(clock, rounds=40)  # 40 waits of at most a minute: to 02:43 at most
    jobs = [_job("outbox", EVERY_5, ran), _job("nightly", NIGHTLY, ran)]
    Worker(jobs, LocalLocks(), clock, stop).run_forever()
    # 02:03, then 02:05, 02:10, 02:15 (with the nightly job), 02:20, ... until the clock stops.
    assert ran[:5] == ["outbox", "outbox", "outbox", "outbox", "nightly"]
    assert ran.count("nightly") == 1
    slots = (EVERY_5.slot(clock.now) - at("2026-12-07 02:00")) // dt.timedelta(minutes=5) + 1
    assert ran.count("outbox") == slots  # once in each five minutes the clock went through
    assert max(stop.waits) <= 60


def test_a_stop_during_a_job_lets_it_finish_and_starts_no_other() -> None:
    stop = threading.Event()
    ran: list[str] = []

    def first() -> int:
        stop.set()  # SIGTERM arrives while this job runs
        ran.append("first")
        return 0

    jobs = [Job("first", EVERY_5, first), _job("second", EVERY_5, ran)]
    results = Worker(jobs, LocalLocks(), lambda: at("2026-12-07 10:00"), stop).run_once()
    assert ran == ["first"]
    assert [r.outcome for r in results] == ["done"]


def test_lock_keys_are_stable_64_bit_and_distinct() -> None:
    keys = {lock_key("job", "lti-outbox"), lock_key("job", "reminders"), lock_key("slot", "x")}
    assert len(keys) == 3
    assert all(-(2**63) <= k < 2**63 for k in keys)
    assert lock_key("job", "lti-outbox") == lock_key("job", "lti-outbox")
