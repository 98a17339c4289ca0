"""Create forms sent twice create once: form submissions, one completion per INSET attendee,
one purchase per finance reference

One new table (``form_submission``: the one-time key of each create form acted on, and where
its result is shown) and two unique indexes: ``completion (inset_session_id, person_id)`` (the
tool never wrote two, so this only holds the line) and ``purchase (organisation_id,
reference)`` where a reference is given. Purchases already sharing a reference (a form sent
twice, issue 14) keep the reference on the first; each later one has it moved into its notes,
which say which purchase it duplicates, so finance can delete or correct it. Nothing is deleted.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

_purchase = sa.table(
    "purchase",
    sa.column("id", sa.Integer()),
    sa.column("organisation_id", sa.Integer()),
    sa.column("reference", sa.String()),
    sa.column("notes", sa.Text()),
)


def _free_duplicate_references() -> None:
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(_purchase.c.id, _purchase.c.organisation_id, _purchase.c.reference)
        .where(_purchase.c.reference != "")
        .order_by(_purchase.c.organisation_id, _purchase.c.reference, _purchase.c.id)
    ).all()
    first: dict[tuple[int, str], int] = {}
    for purchase_id, organisation_id, reference in rows:
        kept = first.setdefault((organisation_id, reference), purchase_id)
        if kept == purchase_id:
            continue
        notes = connection.scalar(sa.select(_purchase.c.notes).where(_purchase.c.id == purchase_id))
        note = (
            f"Finance reference {reference} is also on purchase {kept}, recorded first: "
            "this purchase may be a duplicate."
        )
        connection.execute(
            sa.update(_purchase)
            .where(_purchase.c.id == purchase_id)
            .values(reference="", notes=f"{notes}\n\n{note}" if notes else note)
        )


def upgrade() -> None:
    op.create_table(
        "form_submission",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("endpoint", sa.String(length=100), nullable=False),
        sa.Column("result_endpoint", sa.String(length=100), nullable=True),
        sa.Column("result_values", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_form_submission_organisation_id_organisation"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_form_submission_person_id_person")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_form_submission")),
        sa.UniqueConstraint(
            "organisation_id", "key", name=op.f("uq_form_submission_organisation_id_key")
        ),
    )
    with op.batch_alter_table("form_submission", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_form_submission_created_at"), ["created_at"], unique=False
        )

    with op.batch_alter_table("completion", schema=None) as batch_op:
        batch_op.create_unique_constraint(
            batch_op.f("uq_completion_inset_session_id_person_id"),
            ["inset_session_id", "person_id"],
        )

    _free_duplicate_references()
    with op.batch_alter_table("purchase", schema=None) as batch_op:
        batch_op.create_index(
            "uq_purchase_organisation_id_reference",
            ["organisation_id", "reference"],
            unique=True,
            sqlite_where=sa.text("reference <> ''"),
            postgresql_where=sa.text("reference <> ''"),
        )


def downgrade() -> None:
    with op.batch_alter_table("purchase", schema=None) as batch_op:
        batch_op.drop_index("uq_purchase_organisation_id_reference")

    with op.batch_alter_table("completion", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("uq_completion_inset_session_id_person_id"), type_="unique"
        )

    with op.batch_alter_table("form_submission", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_form_submission_created_at"))
    op.drop_table("form_submission")
