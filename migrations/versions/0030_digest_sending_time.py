"""Digest sending time: the day and hour each week's digests are queued (issue 17)

``organisation.reminder_send_weekday`` (0 Monday to 6 Sunday) and
``organisation.reminder_send_hour`` (0 to 23), London time; existing organisations get
Monday 07:00, the start of the school day (before, digests went on the week's first run,
Monday just after midnight).

Numbered 0030 as assigned; it follows 0031, the head when it was written.

Revision ID: 0030
Revises: 0031
Create Date: 2026-12-07 12:35:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0030"
down_revision = "0031"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("organisation", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("reminder_send_weekday", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(
            sa.Column("reminder_send_hour", sa.Integer(), nullable=False, server_default="7")
        )


def downgrade() -> None:
    with op.batch_alter_table("organisation", schema=None) as batch_op:
        batch_op.drop_column("reminder_send_hour")
        batch_op.drop_column("reminder_send_weekday")
