"""``cpd-tracker report-status refresh``: recompute the dashboards' status facts ahead of
readers (nightly from cron; see README.md, "Dashboards at trust scale").

Schools whose facts still hold today are left alone unless ``--all``; each school is
committed on its own, so a long run that dies part way keeps what it did.

Exit status: 0 done; 2 wrong usage (an unknown ``--org``).
"""

from __future__ import annotations

import click
from flask.cli import with_appcontext
from sqlalchemy import select, update

from cpd_tracker.extensions import db
from cpd_tracker.metrics import CliStatusFacts
from cpd_tracker.models import Organisation, ReportStatusSchool, School
from cpd_tracker.registry import local_today

report_status_group = click.Group(
    "report-status", help="Precomputed training statuses behind the dashboards."
)


@report_status_group.command("refresh")
@click.option("--org", "org_id", type=int, help="Only this organisation (default: all).")
@click.option("--all", "everything", is_flag=True, help="Recompute fresh schools too.")
@with_appcontext
def refresh(org_id: int | None, everything: bool) -> None:
    """Bring every school's status facts up to date for today."""
    today = local_today()
    session = db.new_session()
    try:
        query = select(Organisation.id).order_by(Organisation.id)
        if org_id is not None:
            query = query.where(Organisation.id == org_id)
        orgs = list(session.scalars(query))
        if org_id is not None and not orgs:
            raise click.UsageError(f"There is no organisation {org_id}.")
        service = CliStatusFacts(session)
        total = 0
        for org in orgs:
            if everything:
                session.execute(
                    update(ReportStatusSchool)
                    .where(ReportStatusSchool.organisation_id == org)
                    .values(valid_until=ReportStatusSchool.computed_on)
                )
            for school_id in session.scalars(
                select(School.id).where(School.organisation_id == org).order_by(School.id)
            ):
                total += service.ensure_fresh(org, today, [school_id])
                session.commit()
        click.echo(f"Recomputed {total} school{'s' if total != 1 else ''} for {today.isoformat()}.")
    finally:
        session.close()
