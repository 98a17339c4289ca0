"""The trust page reads each school's totals per status (issue 18, item 5)

``report_count`` gains rows of kind ``school_total`` (staff per status over every requirement,
per scope), written with the school's other counts. Counts kept before this migration have
none, so every school is recounted on its next read (``counted_on`` cleared): derived data,
nothing is lost.

Revision ID: 0032
Revises: 0030
Create Date: 2026-12-07 13:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0032"
down_revision = "0030"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(sa.text("UPDATE report_status_school SET counted_on = NULL"))


def downgrade() -> None:
    op.execute(sa.text("DELETE FROM report_count WHERE kind = 'school_total'"))
