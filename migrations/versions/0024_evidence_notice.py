"""A school's CPD leads may hear of evidence as soon as it arrives (issue 17)

``school.evidence_notice_at_once``: off for every existing school (the weekly digest, as
before). Numbered 0024 as allotted, but it follows 0028: 0025, 0026 and 0028 landed first.

Revision ID: 0024
Revises: 0028
Create Date: 2026-12-07 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0024"
down_revision = "0028"
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
