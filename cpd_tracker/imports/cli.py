"""``cpd-tracker import staff|completions FILE``: the nightly MIS export path.

The same checks as the web import, all or nothing: a file with any problem writes nothing,
prints every problem row by row to stderr and exits 1 (so cron mails the report). A good file
is applied and committed in one transaction; the counts go to stdout. ``--dry-run`` checks and
counts without writing. Progress bars go to stderr, so stdout stays the summary alone.

Exit status: 0 imported (or dry run clean), 1 problems in the file, 2 wrong usage (unknown
``--org`` or ``--school``, unreadable FILE).
"""

from __future__ import annotations

import secrets
import sys
from typing import BinaryIO

import click
from flask.cli import with_appcontext

from cpd_tracker.registry import clock
from cpd_tracker.services.audit import Actor, AuditService
from cpd_tracker.services.imports import (
    MAX_FILE_BYTES,
    ImportConflict,
    ImportKind,
    ImportService,
    Plan,
)

import_group = click.Group("import", help="Import staff or completions from CSV files.")

COUNT_LABELS = {
    "new": "new",
    "updated": "updated",
    "unchanged": "unchanged",
    "leavers": "leavers",
    "added": "added",
    "already_recorded": "already recorded",
}

_file = click.argument("file", type=click.File("rb"))
_org = click.option(
    "--org",
    "org_id",
    type=int,
    help="Organisation id (see `cpd-tracker org list`); needed when there are several.",
)
_dry_run = click.option("--dry-run", is_flag=True, help="Check and count, write nothing.")


@import_group.command("staff")
@_file
@click.option(
    "--school",
    "urn",
    metavar="URN",
    help="The school the staff list is for. Without it, every row needs a School URN column.",
)
@_org
@_dry_run
@with_appcontext
def import_staff(file: BinaryIO, urn: str | None, org_id: int | None, dry_run: bool) -> None:
    """Import a staff list (the CSV a school MIS exports) into one school.

    Columns: staff number, first name, last name, email, role, school URN, start date,
    leaving date. People are matched by staff number, then email; new ones are added.
    """
    _run(ImportKind.STAFF, file, urn, org_id, dry_run)


@import_group.command("completions")
@_file
@click.option(
    "--school",
    "urn",
    metavar="URN",
    help="Only accept people on this school's staff list.",
)
@_org
@_dry_run
@with_appcontext
def import_completions(file: BinaryIO, urn: str | None, org_id: int | None, dry_run: bool) -> None:
    """Import past training completions from CSV.

    Columns: staff number or email, module (title or slug), completed on, CPD hours, provider.
    Completions already recorded (same person, module and date) are skipped.
    """
    _run(ImportKind.COMPLETIONS, file, urn, org_id, dry_run)


def _run(
    kind: ImportKind, file: BinaryIO, urn: str | None, org_id: int | None, dry_run: bool
) -> None:
    # cpd_tracker.cli imports this module to add the group, so its helper is imported here.
    from cpd_tracker.cli import cli_session

    name = getattr(file, "name", "-")
    data = file.read(MAX_FILE_BYTES + 1)
    with cli_session() as (session, _audit):
        # One correlation id ties the import's summary to its per-person entries.
        audit = AuditService(session, Actor("cli", correlation_id=secrets.token_hex(8)))
        service = ImportService(session, audit, clock)
        try:
            org = service.organisation_for_cli(org_id)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--org") from exc
        school = None
        if urn is not None:
            school = service.school(org.id, urn=urn)
            if school is None:
                raise click.BadParameter(
                    f"{org.name} has no school with URN {urn} (see `cpd-tracker school add`)",
                    param_hint="--school",
                )
        parsed = service.parse(kind, data)
        if not dry_run:
            # Imports of one organisation run one at a time: plan against what the last wrote.
            service.lock_organisation(org.id)
        with click.progressbar(
            length=len(parsed.rows), label=f"Checking {name}", file=sys.stderr
        ) as bar:
            plan = service.plan(kind, org.id, parsed, school=school, progress=bar.update)
        if not plan.ok:
            _report(name, plan)
            sys.exit(1)
        where = f" into {school.label}" if school else f" into {org.name}"
        if dry_run:
            click.echo(f"Dry run of {name}{where}: {_counts(plan.counts)}. Nothing was written.")
            return
        with click.progressbar(
            length=len(plan.changes), label=f"Importing {name}", file=sys.stderr
        ) as bar:
            try:
                result = service.execute(plan, file_name=name, progress=bar.update)
            except ImportConflict as conflict:
                _report(name, conflict.plan)
                sys.exit(1)
        click.echo(f"Imported {name}{where}: {_counts(result.counts)}.")


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{n} {COUNT_LABELS.get(k, k)}" for k, n in counts.items())


def _report(name: str, plan: Plan) -> None:
    errors = plan.errors
    click.echo(
        f"{name}: {len(errors)} problem{'' if len(errors) == 1 else 's'}; nothing was imported. "
        "Row numbers count the heading row as row 1.",
        err=True,
    )
    for problem in errors:
        click.echo(f"  {problem}", err=True)
