"""Registration invitations, registrations that wait for approval, session ends, rate counters

Two new tables (``invitation``: single-use, expiring, revocable registration links, kept as a
hash of their secret; ``rate_counter``: requests per key and window, shared by every worker)
and three new nullable columns: ``platform_registration.invitation_id`` and ``.approved_at``
(existing registrations are approved as of their creation, so nothing that works stops
working), ``person.sessions_valid_after`` (sign-out and revoked permissions end sessions).
Old signed invitation links stop working: they could not be revoked.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 00:35:39
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rate_counter",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("window_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("key", "window_start", name=op.f("pk_rate_counter")),
    )
    op.create_table(
        "invitation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("max_uses", sa.Integer(), nullable=False),
        sa.Column("uses", sa.Integer(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["person.id"], name=op.f("fk_invitation_created_by_id_person")
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_invitation_organisation_id_organisation"),
        ),
        sa.ForeignKeyConstraint(
            ["revoked_by_id"], ["person.id"], name=op.f("fk_invitation_revoked_by_id_person")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invitation")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_invitation_token_hash")),
    )
    with op.batch_alter_table("invitation", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_invitation_organisation_id"), ["organisation_id"], unique=False
        )

    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("sessions_valid_after", sa.DateTime(timezone=True), nullable=True)
        )

    with op.batch_alter_table("platform_registration", schema=None) as batch_op:
        batch_op.add_column(sa.Column("invitation_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_platform_registration_invitation_id_invitation"),
            "invitation",
            ["invitation_id"],
            ["id"],
        )
    # Every registration made so far works as before.
    op.execute("UPDATE platform_registration SET approved_at = created_at")


def downgrade() -> None:
    with op.batch_alter_table("platform_registration", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_platform_registration_invitation_id_invitation"), type_="foreignkey"
        )
        batch_op.drop_column("approved_at")
        batch_op.drop_column("invitation_id")

    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.drop_column("sessions_valid_after")

    with op.batch_alter_table("invitation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_invitation_organisation_id"))

    op.drop_table("invitation")
    op.drop_table("rate_counter")
