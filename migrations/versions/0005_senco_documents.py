"""SENCO qualification documents, organisation providers, and each school's head teacher

Three new tables (``senco_document``, ``senco_provider``, ``school_head``); nothing existing
changes, so the upgrade is safe on a live database.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27 22:05:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "senco_document",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("qualification_id", sa.Integer(), nullable=False),
        sa.Column("file_name", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("storage_key", sa.String(length=200), nullable=False),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisation.id"]),
        sa.ForeignKeyConstraint(["qualification_id"], ["senco_qualification.id"]),
        sa.ForeignKeyConstraint(["uploaded_by_id"], ["person.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("storage_key"),
    )
    op.create_index(
        op.f("ix_senco_document_organisation_id"), "senco_document", ["organisation_id"]
    )
    op.create_index(
        op.f("ix_senco_document_qualification_id"), "senco_document", ["qualification_id"]
    )
    op.create_table(
        "senco_provider",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisation.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("organisation_id", "name"),
    )
    op.create_index(
        op.f("ix_senco_provider_organisation_id"), "senco_provider", ["organisation_id"]
    )
    op.create_table(
        "school_head",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisation.id"]),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"]),
        sa.ForeignKeyConstraint(["school_id"], ["school.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("school_id"),
    )
    op.create_index(op.f("ix_school_head_organisation_id"), "school_head", ["organisation_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_school_head_organisation_id"), table_name="school_head")
    op.drop_table("school_head")
    op.drop_index(op.f("ix_senco_provider_organisation_id"), table_name="senco_provider")
    op.drop_table("senco_provider")
    op.drop_index(op.f("ix_senco_document_qualification_id"), table_name="senco_document")
    op.drop_index(op.f("ix_senco_document_organisation_id"), table_name="senco_document")
    op.drop_table("senco_document")
