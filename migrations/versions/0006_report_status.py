"""Precomputed training status facts for reports at trust scale

Two new tables of derived data (``report_status``, ``report_status_school``); nothing
existing changes. Empty after the upgrade: the first report read (or
``cpd-tracker report-status refresh``) fills them from the status engine.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27 22:05:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "report_status",
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("requirement_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("module_id", sa.Integer(), nullable=False),
        sa.Column("column_id", sa.Integer(), nullable=False),
        sa.Column("computed_on", sa.Date(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=False),
        sa.Column("change_1", sa.Date(), nullable=False),
        sa.Column("change_2", sa.Date(), nullable=False),
        sa.Column("change_3", sa.Date(), nullable=False),
        sa.Column("status_0", sa.String(length=20), nullable=False),
        sa.Column("status_1", sa.String(length=20), nullable=False),
        sa.Column("status_2", sa.String(length=20), nullable=False),
        sa.Column("status_3", sa.String(length=20), nullable=False),
        sa.Column("due_0", sa.Date(), nullable=True),
        sa.Column("due_1", sa.Date(), nullable=True),
        sa.Column("due_2", sa.Date(), nullable=True),
        sa.Column("due_3", sa.Date(), nullable=True),
        sa.Column("expires_on", sa.Date(), nullable=True),
        sa.Column("last_completed_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["column_id"], ["requirement.id"], name=op.f("fk_report_status_column_id_requirement")
        ),
        sa.ForeignKeyConstraint(
            ["module_id"],
            ["training_module.id"],
            name=op.f("fk_report_status_module_id_training_module"),
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_report_status_organisation_id_organisation"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_report_status_person_id_person")
        ),
        sa.ForeignKeyConstraint(
            ["requirement_id"],
            ["requirement.id"],
            name=op.f("fk_report_status_requirement_id_requirement"),
        ),
        sa.ForeignKeyConstraint(
            ["school_id"], ["school.id"], name=op.f("fk_report_status_school_id_school")
        ),
        sa.PrimaryKeyConstraint(
            "school_id", "person_id", "requirement_id", name=op.f("pk_report_status")
        ),
    )
    with op.batch_alter_table("report_status", schema=None) as batch_op:
        batch_op.create_index(
            "ix_report_status_org_school", ["organisation_id", "school_id"], unique=False
        )
        batch_op.create_index("ix_report_status_person", ["person_id"], unique=False)

    op.create_table(
        "report_status_school",
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("computed_on", sa.Date(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_report_status_school_organisation_id_organisation"),
        ),
        sa.ForeignKeyConstraint(
            ["school_id"], ["school.id"], name=op.f("fk_report_status_school_school_id_school")
        ),
        sa.PrimaryKeyConstraint("school_id", name=op.f("pk_report_status_school")),
    )
    with op.batch_alter_table("report_status_school", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_report_status_school_organisation_id"),
            ["organisation_id"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("report_status_school", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_report_status_school_organisation_id"))
    op.drop_table("report_status_school")
    with op.batch_alter_table("report_status", schema=None) as batch_op:
        batch_op.drop_index("ix_report_status_person")
        batch_op.drop_index("ix_report_status_org_school")
    op.drop_table("report_status")
