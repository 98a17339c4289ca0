"""``cpd-tracker import staff|completions``: the nightly MIS path, through ``runner.invoke``.

Same checks as the web import; problems go to stderr row by row with exit status 1 and write
nothing; a good file is committed and counted on stdout.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import Result
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import func, select

from cpd_tracker.extensions import db
from cpd_tracker.models import (
    AuditEntry,
    Completion,
    Delivery,
    Module,
    Person,
    StaffRole,
    Tier,
)
from tests.support.csv_files import (
    completion_row,
    completions_csv,
    staff_csv,
    staff_row,
    staff_rows,
)
from tests.support.factories import make_org


@pytest.fixture
def org_id(app: Flask) -> int:
    return make_org(app)


def write(tmp_path: Path, data: bytes, name: str = "staff.csv") -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def run(runner: FlaskCliRunner, *args: str, stdin: bytes | None = None) -> Result:
    return runner.invoke(args=["import", *args], input=stdin)


def people(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(Person.id))) or 0


def audit_rows(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(AuditEntry.id))) or 0


def test_staff_import_commits_and_counts(
    app: Flask, runner: FlaskCliRunner, org_id: int, tmp_path: Path
) -> None:
    path = write(tmp_path, staff_csv(staff_rows(5)))
    result = run(runner, "staff", path, "--school", "100001")
    assert result.exit_code == 0, (result.output, result.exception)
    assert result.stdout == (
        f"Imported {path} into Alder Primary (URN 100001): 5 new, 0 updated, 0 unchanged, "
        "0 leavers.\n"
    )
    assert "Checking" in result.stderr
    assert "Importing" in result.stderr
    assert people(app) == 5
    with app.app_context():
        assert db.session.scalar(select(func.count(StaffRole.id))) == 5
        entries = db.session.scalars(
            select(AuditEntry).where(AuditEntry.action.like("%import%"))
        ).all()
        assert {e.actor_label for e in entries} == {"cli"}
        assert len({e.correlation_id for e in entries}) == 1
        assert entries[0].correlation_id
        assert [e.action for e in entries].count("person.created_from_import") == 5
    again = run(runner, "staff", path, "--school", "100001")
    assert again.exit_code == 0
    assert "0 new, 0 updated, 5 unchanged" in again.stdout


def test_bad_rows_exit_1_with_a_row_by_row_report_and_write_nothing(
    app: Flask, runner: FlaskCliRunner, org_id: int, tmp_path: Path
) -> None:
    rows = [staff_row(1), staff_row(2, role="Cleaner"), staff_row(3, start_date="09/23/2020")]
    path = write(tmp_path, staff_csv(rows))
    before = audit_rows(app)
    result = run(runner, "staff", path, "--school", "100001")
    assert result.exit_code == 1
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert f"{path}: 2 problems; nothing was imported." in result.stderr
    assert any(line.startswith("  Row 3: role 'Cleaner' is not one of:") for line in lines)
    assert any(line.startswith("  Row 4: start date '09/23/2020' looks like") for line in lines)
    assert "Traceback" not in result.output
    assert people(app) == 0
    assert audit_rows(app) == before


def test_file_level_problems_exit_1(
    app: Flask, runner: FlaskCliRunner, org_id: int, tmp_path: Path
) -> None:
    path = write(tmp_path, b"PK\x03\x04not a csv", "staff.xlsx")
    result = run(runner, "staff", path, "--school", "100001")
    assert result.exit_code == 1
    assert "This is an Excel workbook (.xlsx), not a CSV file" in result.stderr
    result = run(runner, "completions", path)
    assert result.exit_code == 1
    assert "This is an Excel workbook (.xlsx), not a CSV file" in result.stderr
    too_big = write(tmp_path, b"a" * (5 * 1024 * 1024 + 10), "big.csv")
    result = run(runner, "staff", too_big, "--school", "100001")
    assert result.exit_code == 1
    assert "the most one import takes is 5 MB" in result.stderr


def test_dry_run_writes_nothing(
    app: Flask, runner: FlaskCliRunner, org_id: int, tmp_path: Path
) -> None:
    before = audit_rows(app)
    result = run(runner, "staff", write(tmp_path, staff_csv()), "--school", "100001", "--dry-run")
    assert result.exit_code == 0
    assert "3 new" in result.stdout
    assert "Nothing was written." in result.stdout
    assert people(app) == 0
    assert audit_rows(app) == before


def test_without_school_the_urn_column_decides(
    app: Flask, runner: FlaskCliRunner, org_id: int, tmp_path: Path
) -> None:
    rows = [staff_row(1, urn="100001"), staff_row(2, urn="100002")]
    result = run(runner, "staff", write(tmp_path, staff_csv(rows)))
    assert result.exit_code == 0, result.output
    assert "into Test Trust: 2 new" in result.stdout
    blank = run(runner, "staff", write(tmp_path, staff_csv([staff_row(3, urn="")]), "b.csv"))
    assert blank.exit_code == 1
    assert "Row 2: school URN is empty" in blank.stderr


def test_reads_standard_input(app: Flask, runner: FlaskCliRunner, org_id: int) -> None:
    result = run(runner, "staff", "-", "--school", "100001", stdin=staff_csv())
    assert result.exit_code == 0, result.output
    assert people(app) == 3


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--school", "999999"), "Test Trust has no school with URN 999999"),
        (("--org", "999"), "there is no organisation 999"),
    ],
)
def test_wrong_usage_exits_2(
    runner: FlaskCliRunner, org_id: int, tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    result = run(runner, "staff", write(tmp_path, staff_csv()), *args)
    assert result.exit_code == 2
    assert message in result.stderr


def test_org_is_needed_when_there_are_several(
    app: Flask, runner: FlaskCliRunner, org_id: int, tmp_path: Path
) -> None:
    other = make_org(app, "Other Trust", schools=[("200001", "Elm School")])
    path = write(tmp_path, staff_csv(staff_rows(2, urn="200001")))
    refused = run(runner, "staff", path, "--school", "200001")
    assert refused.exit_code == 2
    assert "there are several organisations: give --org ID" in refused.stderr
    result = run(runner, "staff", path, "--school", "200001", "--org", str(other))
    assert result.exit_code == 0, result.output
    with app.app_context():
        orgs = db.session.scalars(select(Person.organisation_id)).all()
    assert orgs == [other, other]


def test_no_organisation_yet(runner: FlaskCliRunner, tmp_path: Path) -> None:
    result = run(runner, "staff", write(tmp_path, staff_csv()))
    assert result.exit_code == 2
    assert "there are no organisations yet" in result.stderr


def test_missing_file_exits_2(runner: FlaskCliRunner, org_id: int, tmp_path: Path) -> None:
    result = run(runner, "staff", str(tmp_path / "nope.csv"))
    assert result.exit_code == 2
    assert "nope.csv" in result.stderr


def test_completions_import(
    app: Flask, runner: FlaskCliRunner, org_id: int, tmp_path: Path
) -> None:
    with app.app_context():
        db.session.add(
            Module(
                organisation_id=org_id,
                slug="send-awareness",
                title="SEND awareness",
                tier=Tier.AWARENESS,
                delivery=Delivery.IN_TOOL,
                cpd_hours=Decimal(2),
            )
        )
        db.session.commit()
    staff = run(runner, "staff", write(tmp_path, staff_csv()), "--school", "100001")
    assert staff.exit_code == 0
    good = write(tmp_path, completions_csv([completion_row()]), "done.csv")
    result = run(runner, "completions", good)
    assert result.exit_code == 0, result.output
    assert result.stdout == f"Imported {good} into Test Trust: 1 added, 0 already recorded.\n"
    again = run(runner, "completions", good, "--school", "100001")
    assert again.exit_code == 0
    assert "0 added, 1 already recorded" in again.stdout
    bad = write(tmp_path, completions_csv([completion_row(module="Nope", hours="x")]), "bad.csv")
    refused = run(runner, "completions", bad)
    assert refused.exit_code == 1
    assert "Row 2: CPD hours 'x' is not a number" in refused.stderr
    with app.app_context():
        assert db.session.scalar(select(func.count(Completion.id))) == 1
