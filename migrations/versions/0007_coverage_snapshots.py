"""Monthly coverage snapshots for trends

One new table (``coverage_snapshot``), filled by ``cpd-tracker snapshots take``; nothing
existing changes, so the upgrade is safe on a live database. Downgrading drops the snapshots:
they are derived data, and ``snapshots take`` back-fills them again from completion history
(months taken live before the downgrade come back as reconstructions).

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27 22:05:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "coverage_snapshot",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("requirement_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("applicable", sa.Integer(), nullable=False),
        sa.Column("compliant", sa.Integer(), nullable=False),
        sa.Column("expiring_soon", sa.Integer(), nullable=False),
        sa.Column("not_yet_due", sa.Integer(), nullable=False),
        sa.Column("due", sa.Integer(), nullable=False),
        sa.Column("due_soon", sa.Integer(), nullable=False),
        sa.Column("overdue", sa.Integer(), nullable=False),
        sa.Column("extended", sa.Integer(), nullable=False),
        sa.Column("expired", sa.Integer(), nullable=False),
        sa.Column("exempt", sa.Integer(), nullable=False),
        sa.Column("backfilled", sa.Boolean(), nullable=False),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_coverage_snapshot_organisation_id_organisation"),
        ),
        sa.ForeignKeyConstraint(
            ["requirement_id"],
            ["requirement.id"],
            name=op.f("fk_coverage_snapshot_requirement_id_requirement"),
        ),
        sa.ForeignKeyConstraint(
            ["school_id"], ["school.id"], name=op.f("fk_coverage_snapshot_school_id_school")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coverage_snapshot")),
        sa.UniqueConstraint(
            "school_id",
            "requirement_id",
            "month",
            name=op.f("uq_coverage_snapshot_school_id_requirement_id_month"),
        ),
    )
    with op.batch_alter_table("coverage_snapshot", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_coverage_snapshot_organisation_id"), ["organisation_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_coverage_snapshot_requirement_id"), ["requirement_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("coverage_snapshot", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_coverage_snapshot_requirement_id"))
        batch_op.drop_index(batch_op.f("ix_coverage_snapshot_organisation_id"))
    op.drop_table("coverage_snapshot")
