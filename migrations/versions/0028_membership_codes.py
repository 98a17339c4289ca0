"""A membership's fee carries a CFR code and the trust's nominal code, as purchases do (issue 16)

``membership.finance_code``: "E09" (staff development and training) for existing memberships;
``membership.nominal_code``: "" (none given).

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-07 12:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("membership", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("finance_code", sa.String(length=10), nullable=False, server_default="E09")
        )
        batch_op.add_column(
            sa.Column("nominal_code", sa.String(length=30), nullable=False, server_default="")
        )
    with op.batch_alter_table("membership", schema=None) as batch_op:
        batch_op.alter_column("finance_code", server_default=None)
        batch_op.alter_column("nominal_code", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("membership", schema=None) as batch_op:
        batch_op.drop_column("nominal_code")
        batch_op.drop_column("finance_code")
