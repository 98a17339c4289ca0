"""``cpd-tracker spend import``: the cron path of the purchases import, all or nothing."""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from flask.testing import FlaskCliRunner

from tests.functional.spend.support import count, membership, provider

HEADER = "School URN,Provider,Course title,Date,Delegates,List price,Reference\n"


def test_import_dry_run_then_for_real(
    app: Flask, org_id: int, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    membership(app, org_id, provider(app, org_id))
    path = tmp_path / "finance.csv"
    path.write_text(HEADER + "100001,nasen,Autism day,01/10/2025,2,250,INV-9\n")
    dry = runner.invoke(args=["spend", "import", str(path), "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "1 added, 0 already imported. Nothing was written." in dry.output
    assert count(app) == 0
    real = runner.invoke(args=["spend", "import", str(path)])
    assert real.exit_code == 0, real.output
    assert count(app) == 1
    again = runner.invoke(args=["spend", "import", str(path)])
    assert "0 added, 1 already imported" in again.output
    assert count(app) == 1


def test_a_bad_row_writes_nothing(
    app: Flask, org_id: int, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    provider(app, org_id)
    path = tmp_path / "finance.csv"
    path.write_text(
        HEADER
        + "100001,nasen,Autism day,01/10/2025,2,250,A\n"
        + "100001,nasen,Dyslexia,01/10/2025,1,-4,B\n"
    )
    result = runner.invoke(args=["spend", "import", str(path)])
    assert result.exit_code == 1
    assert "Row 3: the list price must be £0 or more" in result.output
    assert count(app) == 0
    wrong = runner.invoke(args=["spend", "import", str(path), "--school", "999999"])
    assert wrong.exit_code == 2
