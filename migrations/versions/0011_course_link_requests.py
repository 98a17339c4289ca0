"""A teacher's request to link a course to a school, waiting for a trust leader

Three new nullable columns on ``course`` (``requested_school_id``, ``requested_by_id``,
``requested_at``). Linking a course makes its teachers the school's CPD leads, so a teacher
now asks and a trust leader decides (issue 15). Nothing existing changes.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 01:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("course", schema=None) as batch_op:
        batch_op.add_column(sa.Column("requested_school_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("requested_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("requested_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_course_requested_school_id_school"),
            "school",
            ["requested_school_id"],
            ["id"],
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_course_requested_by_id_person"), "person", ["requested_by_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("course", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_course_requested_by_id_person"), type_="foreignkey")
        batch_op.drop_constraint(
            batch_op.f("fk_course_requested_school_id_school"), type_="foreignkey"
        )
        batch_op.drop_column("requested_at")
        batch_op.drop_column("requested_by_id")
        batch_op.drop_column("requested_school_id")
