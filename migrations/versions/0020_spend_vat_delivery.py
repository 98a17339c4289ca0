"""Training spend as school finance sees it (issue 16): VAT, delivery date, included places

``purchase`` gains ``delivered_on`` (the year of a purchase is the year it is delivered),
``vat_rate`` and ``vat_pence`` (existing rows: prices are ex-VAT, VAT not stated, counted as
nil) and ``included_places`` (delegates on a membership's included places; existing included
purchases used them for every delegate).

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07 05:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("purchase", schema=None) as batch_op:
        batch_op.add_column(sa.Column("delivered_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("vat_rate", sa.Numeric(5, 2), nullable=True))
        batch_op.add_column(
            sa.Column("vat_pence", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(
            sa.Column("included_places", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.create_index(batch_op.f("ix_purchase_delivered_on"), ["delivered_on"])
    op.execute(
        sa.text("UPDATE purchase SET included_places = delegates WHERE included = :yes").bindparams(
            yes=True
        )
    )
    with op.batch_alter_table("purchase", schema=None) as batch_op:
        batch_op.alter_column("vat_pence", server_default=None)
        batch_op.alter_column("included_places", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("purchase", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_purchase_delivered_on"))
        batch_op.drop_column("included_places")
        batch_op.drop_column("vat_pence")
        batch_op.drop_column("vat_rate")
        batch_op.drop_column("delivered_on")
