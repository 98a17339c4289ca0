"""The staff list's name order kept per school and day (issue 14, finding 9)

One new table of derived data (``report_staff``): each member of a school's staff list at their
position in its name order, per role filter, with their statuses that day, so a page of a 26,000-staff
school's list is a range of positions rather than a sort of everyone. Empty after the upgrade:
``report_status_school.counted_on`` is cleared, so the next read of a dashboard (or
``cpd-tracker report-status refresh``) counts each school again and fills it.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07 04:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "report_staff",
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("scope", sa.String(length=20), nullable=False),
        sa.Column("position", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("statuses", sa.String(length=250), nullable=False),
        sa.ForeignKeyConstraint(
            ["school_id"], ["school.id"], name=op.f("fk_report_staff_school_id_school")
        ),
        sa.PrimaryKeyConstraint("school_id", "scope", "position", name=op.f("pk_report_staff")),
    )
    # Counted before this table existed: count again on the next read.
    op.execute("UPDATE report_status_school SET counted_on = NULL")


def downgrade() -> None:
    op.drop_table("report_staff")
