"""The trust's own nominal code on a purchase, beside its CFR code (issue 16)

``purchase.nominal_code``: the ledger code a trust keeps for it; "" for existing purchases.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-07 05:05:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("purchase", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("nominal_code", sa.String(length=30), nullable=False, server_default="")
        )
    with op.batch_alter_table("purchase", schema=None) as batch_op:
        batch_op.alter_column("nominal_code", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("purchase", schema=None) as batch_op:
        batch_op.drop_column("nominal_code")
