"""How to complete every requirement, and requests for a place (issue 17)

``training_module`` gains ``booking_url`` (https, where staff book external training) and
``how_to_complete`` (free text for staff); both empty for existing modules. A new table,
``training_request``: a member of staff asks their CPD lead for a place; the lead approves,
declines or books it. A partial unique index allows one open (requested or approved) request
per person and module.

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-07 09:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None

OPEN = sa.text("status IN ('requested', 'approved')")


def upgrade() -> None:
    with op.batch_alter_table("training_module", schema=None) as batch_op:
        batch_op.add_column(sa.Column("booking_url", sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column("how_to_complete", sa.Text(), nullable=True))
    op.create_table(
        "training_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("module_id", sa.Integer(), nullable=False),
        sa.Column("requirement_id", sa.Integer(), nullable=True),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "requested",
                "approved",
                "declined",
                "booked",
                name="requeststatus",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("purchase_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["decided_by_id"],
            ["person.id"],
            name=op.f("fk_training_request_decided_by_id_person"),
        ),
        sa.ForeignKeyConstraint(
            ["module_id"],
            ["training_module.id"],
            name=op.f("fk_training_request_module_id_training_module"),
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_training_request_organisation_id_organisation"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_training_request_person_id_person")
        ),
        sa.ForeignKeyConstraint(
            ["purchase_id"],
            ["purchase.id"],
            name=op.f("fk_training_request_purchase_id_purchase"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["requirement_id"],
            ["requirement.id"],
            name=op.f("fk_training_request_requirement_id_requirement"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["school_id"], ["school.id"], name=op.f("fk_training_request_school_id_school")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_training_request")),
    )
    with op.batch_alter_table("training_request", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_training_request_organisation_id"), ["organisation_id"]
        )
        batch_op.create_index(batch_op.f("ix_training_request_person_id"), ["person_id"])
        batch_op.create_index(batch_op.f("ix_training_request_school_id"), ["school_id"])
        batch_op.create_index(
            "uq_training_request_open",
            ["person_id", "module_id"],
            unique=True,
            sqlite_where=OPEN,
            postgresql_where=OPEN,
        )


def downgrade() -> None:
    op.drop_table("training_request")
    with op.batch_alter_table("training_module", schema=None) as batch_op:
        batch_op.drop_column("how_to_complete")
        batch_op.drop_column("booking_url")
