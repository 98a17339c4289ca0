"""A purchase says whether it would have been bought without the membership discount (issue 16)

``purchase.bought_anyway``: only then is its discount a saving of the membership (D, as
DOMAIN.md defines it). Existing purchases: yes, as the report has counted them so far.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-07 05:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("purchase", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("bought_anyway", sa.Boolean(), nullable=False, server_default=sa.true())
        )
    with op.batch_alter_table("purchase", schema=None) as batch_op:
        batch_op.alter_column("bought_anyway", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("purchase", schema=None) as batch_op:
        batch_op.drop_column("bought_anyway")
