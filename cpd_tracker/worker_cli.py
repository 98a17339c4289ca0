"""``cpd-tracker worker``: every periodic job, on its schedule, in one process per host.

Runs the same commands cron would (:data:`JOBS`), in-process, each under the advisory locks
of :mod:`cpd_tracker.worker` so that workers on several hosts never run a job twice at once.
Each run is logged with its duration and outcome, and the command's own output as log lines.
SIGTERM or SIGINT stops it after the job in progress. ``--once`` runs every job once and
exits (1 if any failed); ``--list`` prints the schedule.

Schedules come from ``CPD_TRACKER_WORKER_<JOB>`` (``CPD_TRACKER_WORKER_LTI_OUTBOX=every 2m``,
``CPD_TRACKER_WORKER_SNAPSHOTS=daily 04:00``, ``...=off``); times are UTC.
"""

from __future__ import annotations

import contextlib
import functools
import io
import logging
import os
import signal
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import FrameType

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from cpd_tracker.extensions import db
from cpd_tracker.registry import clock
from cpd_tracker.worker import Job, Schedule, Worker, locks_for, parse_schedule

log = logging.getLogger("cpd_tracker.worker")


@dataclass(frozen=True)
class JobSpec:
    name: str
    #: The ``cpd-tracker`` command it runs, as typed.
    command: tuple[str, ...]
    default: str
    #: Why it cannot run with this configuration (None: it can).
    needs: Callable[[Mapping[str, object]], str | None] = lambda _config: None


def _mail_configured(config: Mapping[str, object]) -> str | None:
    if config.get("DEMO_MODE"):
        return None
    if not config.get("SMTP_HOST"):
        return "SMTP_HOST is not set"
    if not config.get("BASE_URL"):
        return "CPD_TRACKER_BASE_URL is not set"
    return None


#: Every periodic job, with the schedule of the cron lines it replaces (README, Operations).
#: A new periodic command is registered here, and only here.
JOBS: tuple[JobSpec, ...] = (
    JobSpec("lti-outbox", ("lti-outbox", "run"), "every 5m"),
    JobSpec("reminders", ("reminders", "send"), "every 15m", _mail_configured),
    JobSpec("roster-sync", ("roster", "sync", "--all"), "daily 02:15"),
    JobSpec("snapshots", ("snapshots", "take"), "daily 02:15"),
    JobSpec("report-status", ("report-status", "refresh"), "daily 02:30"),
    JobSpec("purge-logins", ("purge-logins",), "daily 03:00"),
    # A job whose command is not installed is listed as off (``--list``), not run.
    JobSpec("retention", ("retention", "run"), "daily 03:30"),
)


def env_name(job: str) -> str:
    return "CPD_TRACKER_WORKER_" + job.upper().replace("-", "_")


def _find(command: tuple[str, ...]) -> click.Command | None:
    from cpd_tracker.cli import main

    found: click.Command | None = main
    for word in command:
        if word.startswith("--"):
            break
        found = found.commands.get(word) if isinstance(found, click.Group) else None
    return found


def invoke(app: Flask, command: tuple[str, ...], name: str) -> int:
    """Run a ``cpd-tracker`` command in this process; its output becomes log lines."""
    found = _find(command)
    assert found is not None
    args = [word for word in command if word.startswith("--")]
    out, err = io.StringIO(), io.StringIO()
    # The demo prints its e-mails to the console, people's names and all: left there, unlogged.
    demo = bool(app.config["DEMO_MODE"])
    try:
        with (
            app.app_context(),
            contextlib.redirect_stdout(out) if not demo else contextlib.nullcontext(),
            contextlib.redirect_stderr(err) if not demo else contextlib.nullcontext(),
        ):
            code = found.main(
                args, prog_name="cpd-tracker " + " ".join(command), standalone_mode=False
            )
    except click.ClickException as exc:
        err.write(exc.format_message())
        code = exc.exit_code
    finally:
        for line in out.getvalue().splitlines():
            if line.strip():
                log.info("%s: %s", name, line.strip(), extra={"job": name})
        for line in err.getvalue().splitlines():
            if line.strip() and "\r" not in line:  # progress bars are noise in a log
                log.warning("%s: %s", name, line.strip(), extra={"job": name})
    return int(code or 0)


@dataclass(frozen=True)
class Planned:
    spec: JobSpec
    schedule: Schedule | None
    off: str | None  # why it does not run


def plan(config: Mapping[str, object], env: Mapping[str, str]) -> list[Planned]:
    planned = []
    for spec in JOBS:
        raw = env.get(env_name(spec.name)) or spec.default
        try:
            schedule = parse_schedule(raw)
        except ValueError as exc:
            raise click.UsageError(f"{env_name(spec.name)}: {exc}") from exc
        off = (
            "switched off"
            if schedule is None
            else "command not installed"
            if _find(spec.command) is None
            else spec.needs(config)
        )
        planned.append(Planned(spec, schedule, off))
    return planned


def jobs_of(app: Flask, planned: list[Planned]) -> list[Job]:
    return [
        Job(
            p.spec.name,
            p.schedule,
            functools.partial(invoke, app, p.spec.command, p.spec.name),
            "cpd-tracker " + " ".join(p.spec.command),
        )
        for p in planned
        if p.schedule is not None and p.off is None
    ]


@click.command("worker")
@click.option("--once", is_flag=True, help="Run every job once now, then exit (1 if any failed).")
@click.option("--list", "show", is_flag=True, help="Show the schedule and exit.")
@with_appcontext
def worker(once: bool, show: bool) -> None:
    """Run every periodic job on its schedule (one worker per host; see README, Operations)."""
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    planned = plan(app.config, os.environ)
    if show:
        for p in planned:
            when = p.schedule.describe() if p.schedule is not None else "-"
            state = f"off: {p.off}" if p.off else when
            click.echo(f"{p.spec.name:<14} {'cpd-tracker ' + ' '.join(p.spec.command):<38} {state}")
        locking = (
            "PostgreSQL advisory locks (safe on many hosts)"
            if db.engine.dialect.name == "postgresql"
            else "none: SQLite, run one worker on one host"
        )
        click.echo(f"Locking: {locking}")
        return
    for p in planned:
        if p.off and p.schedule is not None:
            log.warning("Job %s will not run: %s", p.spec.name, p.off)
    stop = threading.Event()
    runner = Worker(jobs_of(app, planned), locks_for(db.engine), clock, stop)
    previous = (
        {sig: signal.signal(sig, _stopper(stop)) for sig in (signal.SIGTERM, signal.SIGINT)}
        if threading.current_thread() is threading.main_thread()
        else {}
    )
    try:
        if once:
            results = runner.run_once()
            failed = [r.job for r in results if r.outcome == "failed"]
            if failed:
                click.echo(f"Failed: {', '.join(failed)}", err=True)
                click.get_current_context().exit(1)
            return
        log.info("Worker started: %s", ", ".join(j.name for j in runner.jobs))
        runner.run_forever()
        log.info("Worker stopped")
    finally:
        runner.locks.close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _stopper(stop: threading.Event) -> Callable[[int, FrameType | None], None]:
    def handle(signum: int, _frame: FrameType | None) -> None:
        log.info("Worker stopping (%s): finishing the job in progress", signal.Signals(signum).name)
        stop.set()

    return handle
