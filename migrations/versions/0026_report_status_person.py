"""People whose status facts no longer hold, recomputed alone (issue 18, item 5)

One new table of derived data (``report_status_person``): a (school, person) whose own facts
changed (a completion, an exemption, an extension, a role, a start or leaving date). The next
read recomputes that person's rows at the school and recounts it, instead of recomputing every
person in the school. Empty after the upgrade (nothing is pending).

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-07 09:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "report_status_person",
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.ForeignKeyConstraint(
            ["school_id"], ["school.id"], name=op.f("fk_report_status_person_school_id_school")
        ),
        sa.PrimaryKeyConstraint("school_id", "person_id", name=op.f("pk_report_status_person")),
    )


def downgrade() -> None:
    op.drop_table("report_status_person")
