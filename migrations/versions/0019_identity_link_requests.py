"""LMS accounts waiting to be confirmed as people on the staff list (issue 15, finding 2)

A new table, ``identity_link_request``: a launch whose e-mail (from the platform's signed
claims) belongs to an imported person it may not be linked to by itself asks a CPD lead or
trust leader to confirm or refuse. Nothing existing changes.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07 04:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "identity_link_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("candidate_id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column(
            "outcome",
            sa.Enum("linked", "refused", name="linkoutcome", native_enum=False, length=20),
            nullable=True,
        ),
        sa.ForeignKeyConstraint(
            ["candidate_id"],
            ["person.id"],
            name=op.f("fk_identity_link_request_candidate_id_person"),
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"],
            ["person.id"],
            name=op.f("fk_identity_link_request_decided_by_id_person"),
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_identity_link_request_organisation_id_organisation"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
            name=op.f("fk_identity_link_request_person_id_person"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identity_link_request")),
        sa.UniqueConstraint(
            "person_id",
            "candidate_id",
            name=op.f("uq_identity_link_request_person_id_candidate_id"),
        ),
    )
    with op.batch_alter_table("identity_link_request", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_identity_link_request_organisation_id"), ["organisation_id"]
        )
        batch_op.create_index(batch_op.f("ix_identity_link_request_candidate_id"), ["candidate_id"])


def downgrade() -> None:
    op.drop_table("identity_link_request")
