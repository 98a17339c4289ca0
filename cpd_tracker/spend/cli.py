"""``cpd-tracker spend import FILE``: purchases from a finance system's CSV export, from cron.

The same checks as the web import, all or nothing: a file with any problem writes nothing,
prints every problem to stderr and exits 1; a good file is applied and committed at once.
``--dry-run`` checks and counts without writing. Exit 2: wrong usage (unknown ``--org`` or
``--school``).
"""

from __future__ import annotations

import secrets
import sys
from typing import BinaryIO

import click
from flask.cli import with_appcontext

from cpd_tracker.registry import clock
from cpd_tracker.services.audit import Actor, AuditService
from cpd_tracker.services.imports import MAX_FILE_BYTES, ImportService
from cpd_tracker.services.spend import SpendService
from cpd_tracker.services.spend.imports import PurchaseImportService

spend_group = click.Group("spend", help="Training spend: import purchases.")


@spend_group.command("import")
@click.argument("file", type=click.File("rb"))
@click.option("--org", "org_id", type=int, help="Organisation id; needed when there are several.")
@click.option(
    "--school", "urn", metavar="URN", help="Only this school's purchases (no URN: this school)."
)
@click.option("--dry-run", is_flag=True, help="Check and count, write nothing.")
@with_appcontext
def import_purchases(file: BinaryIO, org_id: int | None, urn: str | None, dry_run: bool) -> None:
    """Import training purchases (provider, module or course title, date, delegates, list
    price, discount, supply cover, travel, funding source, finance code, reference)."""
    from cpd_tracker.cli import cli_session

    name = getattr(file, "name", "-")
    data = file.read(MAX_FILE_BYTES + 1)
    with cli_session() as (session, _audit):
        audit = AuditService(session, Actor("cli", correlation_id=secrets.token_hex(8)))
        lookup = ImportService(session, audit, clock)
        try:
            org = lookup.organisation_for_cli(org_id)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--org") from exc
        school_id = None
        if urn is not None:
            school = lookup.school(org.id, urn=urn)
            if school is None:
                raise click.BadParameter(
                    f"{org.name} has no school with URN {urn}", param_hint="--school"
                )
            school_id = school.id
        service = PurchaseImportService(session, audit, clock, SpendService(session, audit, clock))
        if dry_run:
            plan = service.check(org.id, school_id, data, None)
        else:
            plan = service.import_file(org.id, school_id, data, name)
        if not plan.ok:
            click.echo(
                f"{name}: {len(plan.errors)} problem{'' if len(plan.errors) == 1 else 's'}; "
                "nothing was imported. Row numbers count the heading row as row 1.",
                err=True,
            )
            for problem in plan.errors:
                click.echo(f"  {problem}", err=True)
            sys.exit(1)
        counts = f"{plan.counts['added']} added, {plan.counts['skipped']} already imported"
        if dry_run:
            click.echo(f"Dry run of {name} into {org.name}: {counts}. Nothing was written.")
        else:
            click.echo(f"Imported {name} into {org.name}: {counts}.")
