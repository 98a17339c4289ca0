"""Evidence waits for a check once per person and training, enforced by the database

Two evidence forms for the same training sent at the same instant could both get through: the
service's "already waiting" refusal read first and inserted after. This revision:

1. returns every later copy already waiting twice (``cpd_tracker.services.evidence_duplicates``:
   the first sent keeps waiting, each later one is rejected with a reason saying why, its
   certificate kept, each audited), each group logged here;
2. creates ``uq_evidence_pending``, a partial unique index on (person, module) over evidence
   whose status is ``pending`` (on SQLite and PostgreSQL alike).

Downgrade drops the index; returned copies stay returned.

Revision ID: 0031
Revises: 0028
Create Date: 2026-12-07 12:30:00
"""

from __future__ import annotations

import datetime as dt
import logging

import sqlalchemy as sa
from alembic import op

from cpd_tracker.services.evidence_duplicates import close_duplicates

revision = "0031"
down_revision = "0028"
branch_labels = None
depends_on = None

log = logging.getLogger("alembic.runtime.migration")

PENDING = "status = 'pending'"


def upgrade() -> None:
    close_duplicates(op.get_bind(), now=dt.datetime.now(dt.UTC), log=log.warning)
    with op.batch_alter_table("evidence", schema=None) as batch_op:
        batch_op.create_index(
            "uq_evidence_pending",
            ["person_id", "module_id"],
            unique=True,
            sqlite_where=sa.text(PENDING),
            postgresql_where=sa.text(PENDING),
        )


def downgrade() -> None:
    with op.batch_alter_table("evidence", schema=None) as batch_op:
        batch_op.drop_index("uq_evidence_pending")
