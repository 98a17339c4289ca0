"""One person per staff number and per e-mail within an organisation (issue 15, finding 3)

Two imports of one staff file applied at the same moment made two people per staff number;
nothing in the schema stopped it. This revision:

1. adds ``person.staff_number_school_id``, the school whose MIS gave the staff number (each
   school of a trust numbers its own staff), filled from the person's first staff role;
2. stores e-mails trimmed and lower-case, and blank e-mails and staff numbers as NULL (the
   model does the same on every write), so a plain unique index on (organisation, e-mail) is
   the case-insensitive one: SQLite cannot reflect an index on lower(email), so a later batch
   migration of ``person`` would have dropped it silently;
3. reports and merges the duplicates already there (``cpd_tracker.services.merge``: every
   completion, audit entry and other row of theirs moves to the survivor; people who both
   launched from different LMS accounts are kept apart, the shared identifier cleared on one),
   each merge audited, each group logged here;
4. creates the unique indexes: (organisation, numbering school, staff number), (organisation,
   staff number) for numbers no school gave, and (organisation, e-mail).

Downgrade drops the indexes and the column; merged people stay merged.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 04:00:00
"""

from __future__ import annotations

import datetime as dt
import logging

import sqlalchemy as sa
from alembic import op

from cpd_tracker.services.merge import merge_duplicates

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

log = logging.getLogger("alembic.runtime.migration")

NUMBERED = "staff_number IS NOT NULL AND staff_number_school_id IS NOT NULL"
UNPLACED = "staff_number IS NOT NULL AND staff_number_school_id IS NULL"


def upgrade() -> None:
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.add_column(sa.Column("staff_number_school_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_person_staff_number_school_id_school"),
            "school",
            ["staff_number_school_id"],
            ["id"],
        )
    op.execute(
        "UPDATE person SET email = NULLIF(LOWER(TRIM(email)), ''), "
        "staff_number = NULLIF(TRIM(staff_number), '')"
    )
    # The school that numbered them: the school of their first staff role (an import adds
    # the person and their role at the imported school together).
    op.execute(
        "UPDATE person SET staff_number_school_id = ("
        " SELECT staff_role.school_id FROM staff_role WHERE staff_role.person_id = person.id"
        " ORDER BY staff_role.id LIMIT 1"
        ") WHERE staff_number IS NOT NULL"
    )
    merge_duplicates(op.get_bind(), now=dt.datetime.now(dt.UTC), log=log.warning)
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.create_index(
            "uq_person_school_staff_number",
            ["organisation_id", "staff_number_school_id", "staff_number"],
            unique=True,
            sqlite_where=sa.text(NUMBERED),
            postgresql_where=sa.text(NUMBERED),
        )
        batch_op.create_index(
            "uq_person_unplaced_staff_number",
            ["organisation_id", "staff_number"],
            unique=True,
            sqlite_where=sa.text(UNPLACED),
            postgresql_where=sa.text(UNPLACED),
        )
        batch_op.create_index(
            "uq_person_organisation_id_email",
            ["organisation_id", "email"],
            unique=True,
            sqlite_where=sa.text("email IS NOT NULL"),
            postgresql_where=sa.text("email IS NOT NULL"),
        )


def downgrade() -> None:
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.drop_index("uq_person_organisation_id_email")
        batch_op.drop_index("uq_person_unplaced_staff_number")
        batch_op.drop_index("uq_person_school_staff_number")
        batch_op.drop_constraint(
            batch_op.f("fk_person_staff_number_school_id_school"), type_="foreignkey"
        )
        batch_op.drop_column("staff_number_school_id")
