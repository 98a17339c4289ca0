"""A school's CPD leads may hear of evidence as soon as it arrives (issue 17)

``school.evidence_notice_at_once``: off for every existing school (the weekly digest, as
before).

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-07 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("school", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "evidence_notice_at_once", sa.Boolean(), server_default=sa.false(), nullable=False
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("school", schema=None) as batch_op:
        batch_op.drop_column("evidence_notice_at_once")
