"""Erasure: a person anonymised, kept as counts (issue 15, finding 4)

Two new nullable columns on ``person``: ``erased_at`` (when ``services/erasure.py`` anonymised
them) and ``erased_by_id`` (who did; None for the retention command). Nothing existing changes.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 04:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.add_column(sa.Column("erased_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("erased_by_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_person_erased_by_id_person"), "person", ["erased_by_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_person_erased_by_id_person"), type_="foreignkey")
        batch_op.drop_column("erased_by_id")
        batch_op.drop_column("erased_at")
