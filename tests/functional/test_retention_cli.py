"""``cpd-tracker retention run [--dry-run]`` through the Flask CLI runner, with a clock: each
rule's line names what goes, the cutoff and the count; a dry run removes nothing; a real run
removes exactly what is past its period, commits each rule and audits it; a long rule shows
a progress bar on stderr."""

from __future__ import annotations

import datetime as dt

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import func, insert, select

from cpd_tracker.extensions import db
from cpd_tracker.models import (
    AuditEntry,
    FormSubmission,
    LoginState,
    Organisation,
    OrganisationKind,
    Person,
    School,
    SencoAppointment,
    SencoQualification,
    SencoQualificationKind,
)
from cpd_tracker.services.retention import RULES
from tests.support.clock import FakeClock

NOW = dt.datetime(2026, 12, 7, 3, 0, tzinfo=dt.UTC)


@pytest.fixture
def org_id(app: Flask) -> int:
    app.extensions["clock"] = FakeClock(NOW)
    with app.app_context():
        org = Organisation(name="Trust", kind=OrganisationKind.TRUST)
        db.session.add(org)
        db.session.commit()
        return org.id


def _submissions(app: Flask, org_id: int, *ages_in_days: float) -> None:
    with app.app_context():
        db.session.execute(
            insert(FormSubmission),
            [
                {
                    "organisation_id": org_id,
                    "key": f"{n:064d}",
                    "endpoint": "spend.new_purchase",
                    "created_at": NOW - dt.timedelta(days=age),
                }
                for n, age in enumerate(ages_in_days)
            ],
        )
        db.session.commit()


def _logins(app: Flask, *expired_days_ago: float) -> None:
    with app.app_context():
        for n, age in enumerate(expired_days_ago):
            db.session.add(
                LoginState(
                    state=f"state-{n}",
                    nonce=f"nonce-{n}",
                    issuer="https://lms.example.org",
                    client_id="client",
                    target_link_uri="https://tool.example/lti/launch",
                    expires_at=NOW - dt.timedelta(days=age),
                )
            )
        db.session.commit()


def _count(app: Flask, model: type) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model)) or 0


def test_dry_run_reports_every_rule_and_removes_nothing(
    app: Flask, runner: FlaskCliRunner, org_id: int
) -> None:
    _submissions(app, org_id, 8, 7.5, 6.9)
    _logins(app, 2, 0.5)
    result = runner.invoke(args=["retention", "run", "--dry-run"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "Dry run: nothing is removed."
    assert len(lines) == 1 + len(RULES)
    assert (
        "form-submissions: form submission keys from before 2026-11-30 03:00 UTC: "
        "2 rows would go." in lines
    )
    assert "login-states: expired LTI logins from before 2026-12-06 03:00 UTC: 1 row would go." in (
        lines
    )
    assert (
        "access-log: data-access log entries from before 2024-12-07 03:00 UTC: 0 rows would go."
        in (lines)
    )
    assert _count(app, FormSubmission) == 3
    assert _count(app, LoginState) == 2
    assert _count(app, AuditEntry) == 0


def test_run_removes_what_is_past_its_period_and_audits_each_rule(
    app: Flask, runner: FlaskCliRunner, org_id: int
) -> None:
    _submissions(app, org_id, 8, 7.5, 6.9)
    _logins(app, 2, 0.5)
    result = runner.invoke(args=["retention", "run"])
    assert result.exit_code == 0, result.output
    assert (
        "form-submissions: form submission keys from before 2026-11-30 03:00 UTC: 2 rows went."
        in (result.stdout)
    )
    assert "login-states: expired LTI logins from before 2026-12-06 03:00 UTC: 1 row went." in (
        result.stdout
    )
    assert _count(app, FormSubmission) == 1
    assert _count(app, LoginState) == 1
    with app.app_context():
        entries = list(db.session.scalars(select(AuditEntry).order_by(AuditEntry.id)))
    assert [e.entity_id for e in entries] == list(RULES)
    assert {e.actor_label for e in entries} == {"cli"}
    removed = {e.entity_id: e.details["removed"] for e in entries}
    assert removed["form-submissions"] == 2
    assert removed["login-states"] == 1

    # Run again: nothing left to remove.
    again = runner.invoke(args=["retention", "run"])
    assert (
        "form-submissions: form submission keys from before 2026-11-30 03:00 UTC: 0 rows went."
        in (again.stdout)
    )


def test_a_long_rule_shows_progress(app: Flask, runner: FlaskCliRunner, org_id: int) -> None:
    _submissions(app, org_id, *([30] * 1200))
    result = runner.invoke(args=["retention", "run"])
    assert result.exit_code == 0, result.output
    assert "form submission keys" in result.stderr
    assert "1,200 rows went." in result.stdout
    assert _count(app, FormSubmission) == 0


def test_the_periods_come_from_the_environment(
    app: Flask, runner: FlaskCliRunner, org_id: int
) -> None:
    app.config["RETAIN_FORM_SUBMISSIONS_DAYS"] = 30
    _submissions(app, org_id, 31, 29)
    result = runner.invoke(args=["retention", "run"])
    assert "form submission keys from before 2026-11-07 03:00 UTC: 1 row went." in result.stdout
    assert _count(app, FormSubmission) == 1


def test_leavers_past_six_years_are_erased_and_a_legal_hold_is_reported(
    app: Flask, runner: FlaskCliRunner, org_id: int
) -> None:
    """With the real erasure service: a teacher who left seven years ago is anonymised; a
    SENCO who left as long ago, whose qualification is still within its hold, is kept and
    named on the output with why; someone who left five years ago is not due."""
    with app.app_context():
        school = School(organisation_id=org_id, urn="100001", name="Alder Primary")
        db.session.add(school)
        old = Person(
            organisation_id=org_id,
            name="Olive Oldleaver",
            email="olive@alder.example",
            staff_number="T123",
            leaving_date=dt.date(2019, 8, 31),
            active=False,
        )
        senco = Person(
            organisation_id=org_id,
            name="Sam Senco",
            email="sam@alder.example",
            leaving_date=dt.date(2019, 8, 31),
            active=False,
        )
        recent = Person(
            organisation_id=org_id,
            name="Rita Recent",
            leaving_date=dt.date(2021, 8, 31),
            active=False,
        )
        db.session.add_all([old, senco, recent])
        db.session.flush()
        db.session.add(
            SencoAppointment(
                organisation_id=org_id,
                school_id=school.id,
                person_id=senco.id,
                started_on=dt.date(2016, 9, 1),
                ended_on=dt.date(2019, 8, 31),
            )
        )
        db.session.add(
            SencoQualification(
                organisation_id=org_id,
                person_id=senco.id,
                kind=SencoQualificationKind.NPQ_SENCO,
                completed_on=dt.date(2021, 7, 1),
            )
        )
        db.session.commit()
        ids = {"old": old.id, "senco": senco.id, "recent": recent.id}

    dry = runner.invoke(args=["retention", "run", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert (
        "leavers: people who left before 2020-12-07: 1 person would be erased, 1 kept under "
        "a legal hold." in dry.stdout
    )
    assert f"kept person {ids['senco']}: " in dry.stdout
    with app.app_context():
        assert db.session.get(Person, ids["old"]).erased_at is None  # type: ignore[union-attr]

    result = runner.invoke(args=["retention", "run"])
    assert result.exit_code == 0, result.output
    assert (
        "leavers: people who left before 2020-12-07: 1 person erased, 1 kept under a legal hold."
        in (result.stdout)
    )
    assert f"kept person {ids['senco']}: " in result.stdout
    assert "Olive" not in result.stdout
    with app.app_context():
        old_row = db.session.get(Person, ids["old"])
        assert old_row is not None
        assert old_row.erased_at is not None
        assert "Olive" not in old_row.display_name
        assert old_row.email is None
        for kept in ("senco", "recent"):
            row = db.session.get(Person, ids[kept])
            assert row is not None
            assert row.erased_at is None
        entry = db.session.scalars(
            select(AuditEntry).where(
                AuditEntry.action == "retention.applied", AuditEntry.entity_id == "leavers"
            )
        ).one()
        assert entry.details["removed"] == 1
        assert entry.details["kept_under_legal_hold"] == 1
