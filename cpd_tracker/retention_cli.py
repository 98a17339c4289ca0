"""``cpd-tracker retention run [--dry-run]``: apply the retention rules, from cron (daily).

Suggested crontab::

    30 3 * * *  cpd-tracker retention run

Prints, for each rule (``services/retention.py``), what it removes, its cutoff and how many
rows went (or, with ``--dry-run``, would go: nothing is changed and nothing audited); for
leavers, how many were erased and, one line each, who was kept under a legal hold and why. Each rule
is committed on its own, so a rule that fails leaves the others done; a long rule shows a
progress bar on stderr.

Exit status: 0 done; 1 a rule failed (reported on stderr; the others still ran).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy.exc import SQLAlchemyError

from cpd_tracker.extensions import db
from cpd_tracker.registry import clock
from cpd_tracker.services.audit import Actor, AuditService
from cpd_tracker.services.erasure import ErasureService
from cpd_tracker.services.retention import (
    BATCH,
    Progress,
    RetentionPeriods,
    RetentionService,
    RuleResult,
)
from cpd_tracker.storage import EvidenceStore, evidence_root

retention_group = click.Group(
    "retention", help="Retention rules: stop keeping what is past its period."
)


def _plural(count: int, one: str = "row", many: str | None = None) -> str:
    return f"{count:,} {one if count == 1 else (many or one + 's')}"


@contextmanager
def _progress(result: RuleResult) -> Iterator[Progress | None]:
    """A bar on stderr when the rule has more than one batch to remove."""
    if result.due <= BATCH:
        yield None
        return
    with click.progressbar(length=result.due, label=result.label, file=sys.stderr) as bar:
        yield bar.update


def _line(result: RuleResult, dry_run: bool) -> str:
    if result.name == "leavers":
        head = f"leavers: people who left before {result.cutoff_label}"
        kept = f", {_plural(len(result.skipped), 'kept')} under a legal hold"
        if dry_run:
            going = result.due - len(result.skipped)
            return f"{head}: {_plural(going, 'person', 'people')} would be erased{kept}."
        return f"{head}: {_plural(result.removed, 'person', 'people')} erased{kept}."
    head = f"{result.name}: {result.label} from before {result.cutoff_label}"
    if dry_run:
        return f"{head}: {_plural(result.due)} would go."
    return f"{head}: {_plural(result.removed)} went."


def _kept(result: RuleResult) -> None:
    for person_id, reason in result.skipped:
        click.echo(f"  kept person {person_id}: {reason}")


@retention_group.command("run")
@click.option("--dry-run", is_flag=True, help="Count what would go; change nothing.")
@with_appcontext
def retention_run(dry_run: bool) -> None:
    """Apply every retention rule now (see README, "Data protection")."""
    session = db.new_session()
    failed = 0
    try:
        audit = AuditService(session, Actor("cli"))
        service = RetentionService(
            session,
            periods=RetentionPeriods.from_config(current_app.config),
            now=clock,
            audit=audit,
            evidence=EvidenceStore(evidence_root()),
            eraser=ErasureService(session, audit, EvidenceStore(evidence_root()), clock),
        )
        if dry_run:
            click.echo("Dry run: nothing is removed.")
        for name in service.rules():
            try:
                if dry_run:
                    result = service.plan(name)
                    session.rollback()
                else:
                    planned = service.plan(name)
                    with _progress(planned) as progress:
                        result = service.apply(name, progress)
                    session.commit()
            except (SQLAlchemyError, OSError) as exc:
                session.rollback()
                failed += 1
                click.echo(f"{name}: failed, nothing of it removed: {exc}", err=True)
                continue
            click.echo(_line(result, dry_run))
            _kept(result)
    finally:
        session.close()
    if failed:
        click.get_current_context().exit(1)
