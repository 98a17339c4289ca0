"""Renewals as schools live them: recertification bases and minimum active periods (issue 16)

New nullable columns only; NULL keeps each row's old meaning (``rules/training.py``):

* ``requirement.recertify_from`` (completion, expiry or fixed; NULL: fixed for fixed-date rules,
  completion otherwise), ``requirement.min_active_months`` (NULL: half the validity) and
  ``requirement.grace_days`` (fixed-date rules; NULL: 30 days);
* ``training_module.replaced_by_id`` (a retired module's successor: its requirements carry over)
  and ``training_module.completions_count_from`` (a new version: older completions stop
  counting from that day);
* ``completion.certificate_expires_on`` (the provider certificate's own expiry caps validity).

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 04:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("requirement", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "recertify_from",
                sa.Enum(
                    "completion",
                    "expiry",
                    "fixed",
                    name="recertifyfrom",
                    native_enum=False,
                    length=30,
                ),
                nullable=True,
            )
        )
        batch_op.add_column(sa.Column("min_active_months", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("grace_days", sa.Integer(), nullable=True))
    with op.batch_alter_table("training_module", schema=None) as batch_op:
        batch_op.add_column(sa.Column("replaced_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("completions_count_from", sa.Date(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_training_module_replaced_by_id_training_module"),
            "training_module",
            ["replaced_by_id"],
            ["id"],
        )
    with op.batch_alter_table("completion", schema=None) as batch_op:
        batch_op.add_column(sa.Column("certificate_expires_on", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("completion", schema=None) as batch_op:
        batch_op.drop_column("certificate_expires_on")
    with op.batch_alter_table("training_module", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_training_module_replaced_by_id_training_module"), type_="foreignkey"
        )
        batch_op.drop_column("completions_count_from")
        batch_op.drop_column("replaced_by_id")
    with op.batch_alter_table("requirement", schema=None) as batch_op:
        batch_op.drop_column("grace_days")
        batch_op.drop_column("min_active_months")
        batch_op.drop_column("recertify_from")
