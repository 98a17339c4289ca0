"""Who viewed or downloaded a person's data (issue 15, finding 4)

One new table, ``data_access_entry``: each view of a person's records page by someone else,
each evidence or document download, and each export that lists people (see
``cpd_tracker/services/data_access.py``). Nothing existing changes.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 04:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "data_access_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("viewer_id", sa.Integer(), nullable=True),
        sa.Column("subject_person_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("what", sa.String(length=300), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_data_access_entry_organisation_id_organisation"),
        ),
        sa.ForeignKeyConstraint(
            ["subject_person_id"],
            ["person.id"],
            name=op.f("fk_data_access_entry_subject_person_id_person"),
        ),
        sa.ForeignKeyConstraint(
            ["viewer_id"], ["person.id"], name=op.f("fk_data_access_entry_viewer_id_person")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_access_entry")),
    )
    with op.batch_alter_table("data_access_entry", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_data_access_entry_created_at"), ["created_at"], unique=False
        )
        batch_op.create_index(
            "ix_data_access_entry_organisation_created",
            ["organisation_id", "created_at"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_data_access_entry_subject_person_id"),
            ["subject_person_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_data_access_entry_viewer_id"), ["viewer_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("data_access_entry", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_data_access_entry_viewer_id"))
        batch_op.drop_index(batch_op.f("ix_data_access_entry_subject_person_id"))
        batch_op.drop_index("ix_data_access_entry_organisation_created")
        batch_op.drop_index(batch_op.f("ix_data_access_entry_created_at"))
    op.drop_table("data_access_entry")
