"""Reminders people control and calendar feeds (issue 17)

``organisation.reminder_lead_days`` (42, six weeks, for existing organisations) and
``organisation.reminder_pauses`` (NULL: the English school year's holidays apply);
``inset_session.starts_at``/``ends_at`` (optional times, NULL for existing sessions);
``calendar_feed``: the secret token of a person's or a school's calendar feed.

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-07 09:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("organisation", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("reminder_lead_days", sa.Integer(), nullable=False, server_default="42")
        )
        batch_op.add_column(sa.Column("reminder_pauses", sa.JSON(), nullable=True))
    with op.batch_alter_table("inset_session", schema=None) as batch_op:
        batch_op.add_column(sa.Column("starts_at", sa.Time(), nullable=True))
        batch_op.add_column(sa.Column("ends_at", sa.Time(), nullable=True))
    op.create_table(
        "calendar_feed",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("school_id", sa.Integer(), nullable=True),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_calendar_feed_organisation_id_organisation"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_calendar_feed_person_id_person")
        ),
        sa.ForeignKeyConstraint(
            ["school_id"], ["school.id"], name=op.f("fk_calendar_feed_school_id_school")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar_feed")),
        sa.UniqueConstraint("person_id", name=op.f("uq_calendar_feed_person_id")),
        sa.UniqueConstraint("school_id", name=op.f("uq_calendar_feed_school_id")),
        sa.UniqueConstraint("token", name=op.f("uq_calendar_feed_token")),
    )
    with op.batch_alter_table("calendar_feed", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_calendar_feed_organisation_id"), ["organisation_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("calendar_feed", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_calendar_feed_organisation_id"))
    op.drop_table("calendar_feed")
    with op.batch_alter_table("inset_session", schema=None) as batch_op:
        batch_op.drop_column("ends_at")
        batch_op.drop_column("starts_at")
    with op.batch_alter_table("organisation", schema=None) as batch_op:
        batch_op.drop_column("reminder_pauses")
        batch_op.drop_column("reminder_lead_days")
