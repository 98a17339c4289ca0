"""``cpd-tracker catalogue refresh [--org N] [--dry-run]``: give organisations created before
the built-in catalogue's content was corrected the current summaries and pages of the modules
they have not edited themselves (``services/catalogue_refresh.py``). Run it after
``cpd-tracker db upgrade`` when a release changes the catalogue's content; running it again
changes nothing.

Prints a line per organisation as it goes (refreshed, up to date, kept because edited here),
then one line per module refreshed or kept. Each organisation is committed on its own, so an
interrupted run keeps what it did. ``--dry-run`` says what would change and writes nothing.

Exit status: 0 done; 2 wrong usage (an unknown ``--org``).
"""

from __future__ import annotations

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from cpd_tracker.models import Organisation
from cpd_tracker.services.catalogue_refresh import (
    CatalogueRefreshService,
    ModuleRefresh,
    OrganisationRefresh,
    Outcome,
)

catalogue_group = click.Group("catalogue", help="The built-in training catalogue.")


def _modules(count: int) -> str:
    return f"{count} module{'' if count == 1 else 's'}"


def _summary(result: OrganisationRefresh, dry_run: bool) -> str:
    refreshed = len(result.with_outcome(Outcome.REFRESHED))
    current = len(result.with_outcome(Outcome.UP_TO_DATE))
    kept = len(result.with_outcome(Outcome.KEPT))
    done = "would refresh" if dry_run else "refreshed"
    return (
        f"Organisation {result.organisation_id} ({result.name}): {done} {_modules(refreshed)}, "
        f"{current} up to date, {kept} kept (edited here)."
    )


def _detail(module: ModuleRefresh) -> str:
    if module.outcome is Outcome.KEPT:
        return f"  kept {module.slug}: its own {', '.join(module.parts)}"
    return f"  {module.slug}: {', '.join(module.parts)}"


@catalogue_group.command("refresh")
@click.option("--org", "org_id", type=int, help="Only this organisation (default: every one).")
@click.option("--dry-run", is_flag=True, help="Say what would change; write nothing.")
@with_appcontext
def refresh(org_id: int | None, dry_run: bool) -> None:
    """Refresh the built-in modules' summaries and pages where not edited here."""
    from cpd_tracker.cli import cli_session

    with cli_session() as (session, audit):
        query = select(Organisation).order_by(Organisation.id)
        if org_id is not None:
            query = query.where(Organisation.id == org_id)
        organisations = list(session.scalars(query))
        if org_id is not None and not organisations:
            raise click.BadParameter(f"there is no organisation {org_id}", param_hint="--org")
        service = CatalogueRefreshService(session, audit)
        totals = dict.fromkeys(Outcome, 0)
        for number, organisation in enumerate(organisations, start=1):
            result = service.refresh(organisation, dry_run=dry_run)
            if dry_run:
                session.rollback()
            else:
                session.commit()
            click.echo(f"[{number}/{len(organisations)}] {_summary(result, dry_run)}")
            for module in result.modules:
                totals[module.outcome] += 1
                if module.outcome is not Outcome.UP_TO_DATE:
                    click.echo(_detail(module))
        done = "Would refresh" if dry_run else "Refreshed"
        click.echo(
            f"{done} {_modules(totals[Outcome.REFRESHED])} in {len(organisations)} "
            f"organisation{'' if len(organisations) == 1 else 's'}; "
            f"{totals[Outcome.UP_TO_DATE]} up to date; {totals[Outcome.KEPT]} kept (edited here)."
            + (" Nothing was written." if dry_run else "")
        )
