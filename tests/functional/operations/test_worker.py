"""``cpd-tracker worker`` (issue 18, item 2): every periodic job on its schedule, and never the
same job twice at once across hosts (PostgreSQL advisory locks)."""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections import Counter
from collections.abc import Callable, Iterator

import pytest
from flask.testing import FlaskCliRunner
from sqlalchemy import Engine, create_engine

from cpd_tracker.worker import AdvisoryLocks, Job, RunResult, Schedule, Worker
from cpd_tracker.worker_cli import JOBS, env_name

NOW = dt.datetime(2026, 12, 7, 2, 16, tzinfo=dt.UTC)
NIGHTLY = Schedule(at=dt.time(2, 15))
EVERY_5 = Schedule(every=dt.timedelta(minutes=5))


def test_list_shows_every_job_with_its_schedule(runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["worker", "--list"])
    assert result.exit_code == 0, result.output
    lines = {line.split()[0]: line for line in result.output.splitlines()}
    assert "every 5 min" in lines["lti-outbox"]
    assert "cpd-tracker roster sync --all" in lines["roster-sync"]
    assert "daily at 02:30 UTC" in lines["report-status"]
    assert "off: SMTP_HOST is not set" in lines["reminders"]  # the test app has no mail server
    assert "Locking:" in result.output


def test_schedules_come_from_the_environment(
    runner: FlaskCliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(env_name("lti-outbox"), "every 2m")
    monkeypatch.setenv(env_name("snapshots"), "off")
    lines = {
        line.split()[0]: line
        for line in runner.invoke(args=["worker", "--list"]).output.splitlines()
    }
    assert "every 2 min" in lines["lti-outbox"]
    assert "off: switched off" in lines["snapshots"]

    monkeypatch.setenv(env_name("purge-logins"), "fortnightly")
    result = runner.invoke(args=["worker", "--list"])
    assert result.exit_code == 2
    assert "CPD_TRACKER_WORKER_PURGE_LOGINS" in result.output


def test_once_runs_every_job_and_logs_each_run(
    runner: FlaskCliRunner, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="cpd_tracker.worker")
    result = runner.invoke(args=["worker", "--once"])
    assert result.exit_code == 0, result.output + caplog.text
    done = {r.__dict__.get("job") for r in caplog.records if r.__dict__.get("outcome") == "done"}
    assert {
        "lti-outbox",
        "roster-sync",
        "snapshots",
        "report-status",
        "purge-logins",
        "retention",
    } <= done
    assert "reminders" not in done  # no mail server configured: not scheduled
    # The commands' own output is in the log, beside the run's duration.
    assert "purge-logins: Removed 0 expired logins" in caplog.text
    assert "roster-sync: Syncing 0 course rosters." in caplog.text
    assert [r for r in caplog.records if r.__dict__.get("duration_ms") is not None]


def test_every_job_names_a_command_that_exists() -> None:
    from cpd_tracker.worker_cli import _find

    for spec in JOBS:
        assert _find(spec.command) is not None, spec.command


# -- two hosts, one PostgreSQL ---------------------------------------------------------------


@pytest.fixture
def engines(database_url: str) -> Iterator[list[Engine]]:
    """Two engines on the test database: two hosts' workers, each with its own connections."""
    if not database_url.startswith("postgresql"):
        pytest.skip("advisory locks need PostgreSQL (TEST_DATABASE_URL); SQLite runs one worker")
    made = [create_engine(database_url) for _ in range(2)]
    yield made
    for engine in made:
        engine.dispose()


def _counting(runs: Counter[str], guard: threading.Lock, name: str) -> Callable[[], int]:
    def run() -> int:
        with guard:
            runs[name] += 1
        return 0

    return run


@pytest.mark.postgres
def test_two_workers_at_once_never_run_a_job_twice(engines: list[Engine]) -> None:
    runs: Counter[str] = Counter()
    guard = threading.Lock()
    names = [f"job-{i}" for i in range(12)]
    jobs = [
        Job(n, NIGHTLY if i % 2 else EVERY_5, _counting(runs, guard, n))
        for i, n in enumerate(names)
    ]
    workers = [Worker(jobs, AdvisoryLocks(engine), lambda: NOW) for engine in engines]
    start = threading.Barrier(2)
    results: dict[int, list[RunResult]] = {}

    def host(index: int) -> None:
        start.wait()
        results[index] = workers[index].run_once()

    threads = [threading.Thread(target=host, args=(i,)) for i in range(2)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    finally:
        for worker in workers:
            worker.locks.close()

    assert runs == dict.fromkeys(names, 1)  # each job once, whichever host took it
    outcomes = Counter(r.outcome for rs in results.values() for r in rs)
    assert outcomes == {"done": len(names), "skipped": len(names)}


@pytest.mark.postgres
def test_a_job_running_on_one_host_is_skipped_on_the_other(engines: list[Engine]) -> None:
    started, finish = threading.Event(), threading.Event()
    runs: list[str] = []

    def slow() -> int:
        runs.append("slow")
        started.set()
        assert finish.wait(timeout=30)
        return 0

    clock = {"now": NOW}
    job = Job("report-status", EVERY_5, slow)
    first, second = (Worker([job], AdvisoryLocks(e), lambda: clock["now"]) for e in engines)
    try:
        thread = threading.Thread(target=first.run_once)
        thread.start()
        assert started.wait(timeout=30)
        [while_running] = second.run_once()
        finish.set()
        thread.join(timeout=30)
        [same_slot] = second.run_once()  # later, in the slot the first host has done
        finish.clear()
        clock["now"] = NOW + dt.timedelta(minutes=5)
        finish.set()
        [next_slot] = second.run_once()
    finally:
        finish.set()
        first.locks.close()
        second.locks.close()

    assert while_running.reason == "running on another host"
    assert same_slot.reason == "done for this slot on another host"
    assert next_slot.outcome == "done"
    assert runs == ["slow", "slow"]
