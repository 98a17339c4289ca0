"""Pupil numbers per school per academic year, and a certificate's expiry on evidence (issue 16)

* ``school_census``: a school's pupils for one academic year (2024 = 2024/25), so the costs of
  a past year are shared out by that year's pupils. Each school's existing ``pupil_count`` is
  carried over as the figure of the academic year current when the upgrade runs (London
  time): that is the year it was entered for. ``school.pupil_count`` stays, meaning the latest
  year's figure.
* ``evidence.certificate_expires_on``: the provider certificate's own expiry as the member of
  staff sends it (None for existing evidence); verifying copies it onto the completion, whose
  column exists since 0016.

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-07 12:40:00
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

revision = "0029"
down_revision = "0028"
branch_labels = None
depends_on = None


def _academic_year(day: dt.date) -> int:
    return day.year if day.month >= 9 else day.year - 1


def upgrade() -> None:
    census = op.create_table(
        "school_census",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("academic_year", sa.Integer(), nullable=False),
        sa.Column("pupils", sa.Integer(), nullable=False),
        sa.Column("entered_by_id", sa.Integer(), nullable=True),
        sa.Column("entered_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["entered_by_id"],
            ["person.id"],
            name=op.f("fk_school_census_entered_by_id_person"),
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_school_census_organisation_id_organisation"),
        ),
        sa.ForeignKeyConstraint(
            ["school_id"], ["school.id"], name=op.f("fk_school_census_school_id_school")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_school_census")),
        sa.UniqueConstraint(
            "school_id", "academic_year", name=op.f("uq_school_census_school_id_academic_year")
        ),
    )
    with op.batch_alter_table("school_census", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_school_census_organisation_id"), ["organisation_id"], unique=False
        )
    now = dt.datetime.now(dt.UTC)
    year = _academic_year(now.astimezone(ZoneInfo("Europe/London")).date())
    school = sa.table(
        "school",
        sa.column("id", sa.Integer()),
        sa.column("organisation_id", sa.Integer()),
        sa.column("pupil_count", sa.Integer()),
    )
    rows = op.get_bind().execute(
        sa.select(school.c.id, school.c.organisation_id, school.c.pupil_count).where(
            school.c.pupil_count.is_not(None)
        )
    )
    carried = [
        {
            "organisation_id": org,
            "school_id": school_id,
            "academic_year": year,
            "pupils": pupils,
            "entered_by_id": None,
            "entered_at": now,
        }
        for school_id, org, pupils in rows
    ]
    if carried:
        op.bulk_insert(census, carried)

    with op.batch_alter_table("evidence", schema=None) as batch_op:
        batch_op.add_column(sa.Column("certificate_expires_on", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("evidence", schema=None) as batch_op:
        batch_op.drop_column("certificate_expires_on")
    with op.batch_alter_table("school_census", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_school_census_organisation_id"))
    op.drop_table("school_census")
