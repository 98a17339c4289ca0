"""Counts kept per school, refreshed with the status facts (issue 14, finding 9)

Two new tables of derived data (``report_count``, ``report_list``) and
``report_status_school.counted_on``. Empty after the upgrade: the next read of a dashboard (or
``cpd-tracker report-status refresh``) counts each school from its status facts.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 04:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "report_count",
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("scope", sa.String(length=20), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("column_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("module_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("tag", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_report_count_organisation_id_organisation"),
        ),
        sa.ForeignKeyConstraint(
            ["school_id"], ["school.id"], name=op.f("fk_report_count_school_id_school")
        ),
        sa.PrimaryKeyConstraint(
            "school_id",
            "scope",
            "kind",
            "column_id",
            "module_id",
            "tag",
            "status",
            name=op.f("pk_report_count"),
        ),
    )
    with op.batch_alter_table("report_count", schema=None) as batch_op:
        batch_op.create_index(
            "ix_report_count_org", ["organisation_id", "scope", "kind"], unique=False
        )
    op.create_table(
        "report_list",
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("scope", sa.String(length=20), nullable=False),
        sa.Column("tag", sa.String(length=20), nullable=False),
        sa.Column("position", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("column_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("expires_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["school_id"], ["school.id"], name=op.f("fk_report_list_school_id_school")
        ),
        sa.PrimaryKeyConstraint(
            "school_id", "scope", "tag", "position", name=op.f("pk_report_list")
        ),
    )
    with op.batch_alter_table("report_status_school", schema=None) as batch_op:
        batch_op.add_column(sa.Column("counted_on", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("report_status_school", schema=None) as batch_op:
        batch_op.drop_column("counted_on")
    op.drop_table("report_list")
    with op.batch_alter_table("report_count", schema=None) as batch_op:
        batch_op.drop_index("ix_report_count_org")
    op.drop_table("report_count")
