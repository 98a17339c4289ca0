"""``cpd-tracker snapshots take``: the first run back-fills, later runs are idempotent, usage
errors exit 2, a school that cannot be computed exits 1 without stopping the others, and
progress goes to stderr so stdout is the one-line summary."""

from __future__ import annotations

import datetime as dt

import pytest
from click.testing import Result
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from cpd_tracker import snapshots_cli
from cpd_tracker.extensions import db
from cpd_tracker.models import CoverageSnapshot, DueRule, Requirement
from cpd_tracker.services.snapshots import SnapshotService
from tests.support.clock import FakeClock
from tests.support.trends import History, seed_history, use_clock


@pytest.fixture
def clock(app: Flask) -> FakeClock:
    return use_clock(app)


@pytest.fixture
def history(app: Flask, clock: FakeClock) -> History:
    return seed_history(app)


def take(runner: FlaskCliRunner, *args: str) -> Result:
    return runner.invoke(args=["snapshots", "take", *args])


def count(app: Flask, **where: object) -> int:
    with app.app_context():
        query = select(func.count(CoverageSnapshot.id)).filter_by(**where)
        return db.session.scalar(query) or 0


def test_first_run_backfills_then_runs_are_idempotent(
    app: Flask, runner: FlaskCliRunner, history: History
) -> None:
    result = take(runner)
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        "First run: back-filled 2 schools for November 2025 to March 2026: "
        "10 new, 0 updated, 0 unchanged.\n"
    )
    assert count(app) == 10
    again = take(runner)
    assert again.exit_code == 0
    assert again.stdout == "Took 2 schools for March 2026: 0 new, 0 updated, 2 unchanged.\n"
    one = take(runner, "--month", "2026-01")
    assert one.stdout == "Took 2 schools for January 2026: 0 new, 0 updated, 2 unchanged.\n"
    assert count(app) == 10


def test_the_current_month_is_refreshed_on_a_later_day(
    app: Flask, runner: FlaskCliRunner, history: History, clock: FakeClock
) -> None:
    take(runner)
    clock.now = dt.datetime(2026, 4, 1, 2, 0, tzinfo=dt.UTC)
    result = take(runner)
    assert result.stdout == (
        "Took 2 schools for March 2026 to April 2026: 2 new, 2 updated, 0 unchanged.\n"
    )
    assert count(app, month=dt.date(2026, 3, 1), as_of=dt.date(2026, 3, 31)) == 2


def test_usage_errors_exit_2(runner: FlaskCliRunner, history: History) -> None:
    for args, message in (
        (["--month", "2026-13"], "is not a month: write it as YYYY-MM"),
        (["--month", "2026-04"], "April 2026 has not started yet"),
        (["--org", "999"], "there is no organisation 999"),
    ):
        result = take(runner, *args)
        assert result.exit_code == 2, args
        assert message in result.stderr
        assert result.stdout == ""


def test_progress_goes_to_stderr(
    runner: FlaskCliRunner, history: History, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(snapshots_cli, "PROGRESS_FROM", 3)
    result = take(runner)
    assert result.exit_code == 0
    assert "Taking snapshots" in result.stderr
    assert "Taking snapshots" not in result.stdout
    assert result.stdout.startswith("First run: back-filled")


def test_a_school_that_cannot_be_computed_exits_1_and_the_others_are_taken(
    app: Flask, runner: FlaskCliRunner, history: History
) -> None:
    with app.app_context():
        # A fixed-date rule without its date: the engine refuses it (ValueError).
        db.session.add(
            Requirement(
                organisation_id=history.organisation_id,
                module_id=history.module_id,
                school_id=history.birch,
                roles=[],
                due_rule=DueRule.FIXED_DATE,
                created_at=dt.datetime(2025, 12, 1, tzinfo=dt.UTC),
            )
        )
        db.session.commit()
    result = take(runner)
    assert result.exit_code == 1
    assert "Birch Academy (URN 100002), November 2025: not taken: A fixed-date" in result.stderr
    # Only November fails: from December, Fay's completion means no due date is needed.
    assert result.stderr.count("not taken") == 1
    assert count(app, school_id=history.alder) == 5
    assert count(app, school_id=history.birch, month=dt.date(2025, 11, 1)) == 0
    assert count(app, school_id=history.birch) == 8
    assert "13 new" in result.stdout


def test_an_organisation_with_nothing_required(app: Flask, runner: FlaskCliRunner) -> None:
    from tests.support.factories import make_org

    org = make_org(app)
    result = take(runner, "--org", str(org))
    assert result.exit_code == 0
    assert result.stdout == "Nothing to take: no school has required training yet.\n"


def test_a_run_that_loses_an_insert_race_retries_as_an_update(
    app: Flask, runner: FlaskCliRunner, history: History, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = SnapshotService.take
    raced: list[object] = []

    def racing(self: SnapshotService, job: object, *, replace: bool = False) -> object:
        if not raced:
            raced.append(job)
            # Another run got there first: its rows are committed, ours clash.
            other = db.new_session()
            try:
                real(SnapshotService(other, self.compliance.__class__(other), self.clock), job)  # type: ignore[arg-type]
                other.commit()
            finally:
                other.close()
            raise IntegrityError("INSERT", {}, Exception("unique"))
        return real(self, job, replace=replace)  # type: ignore[arg-type]

    monkeypatch.setattr(SnapshotService, "take", racing)
    result = take(runner)
    assert result.exit_code == 0, result.output
    assert count(app) == 10
    assert "9 new, 0 updated, 1 unchanged" in result.stdout
