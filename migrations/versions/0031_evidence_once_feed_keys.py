"""Evidence waits for a check once, enforced by the database; calendar feed tokens not stored

Evidence: two forms for the same training sent at the same instant could both get through (the
service's "already waiting" refusal read first and inserted after). This revision:

1. returns every later copy already waiting twice (``cpd_tracker.services.evidence_duplicates``:
   the first sent keeps waiting, each later one is rejected with a reason saying why, its
   certificate kept, each audited), each group logged here;
2. creates ``uq_evidence_pending``, a partial unique index on (person, module) over evidence
   whose status is ``pending`` (on SQLite and PostgreSQL alike).

Calendar feeds: ``calendar_feed.token`` held every feed's secret as it was, so a copy of the
database opened every feed. A feed's key is now derived from SECRET_KEY, the feed's id and its
new ``generation`` (``cpd_tracker/services/feed_keys.py``) and never stored. Existing tokens
keep working: each is kept only as its SHA-256 in ``legacy_token_hash`` (cleared when the
feed's address is reset), and the ``token`` column is dropped.

Downgrade drops the index (returned copies stay returned) and gives every feed a new random
token (the hashes cannot be turned back into addresses): calendars must subscribe again.

Revision ID: 0031
Revises: 0029
Create Date: 2026-12-07 12:30:00
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import secrets

import sqlalchemy as sa
from alembic import op

from cpd_tracker.services.evidence_duplicates import close_duplicates

revision = "0031"
down_revision = "0029"
branch_labels = None
depends_on = None

log = logging.getLogger("alembic.runtime.migration")

PENDING = "status = 'pending'"

_FEED = sa.table(
    "calendar_feed",
    sa.column("id", sa.Integer),
    sa.column("token", sa.String),
    sa.column("legacy_token_hash", sa.String),
)


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

    with op.batch_alter_table("calendar_feed", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("generation", sa.Integer(), server_default="1", nullable=False)
        )
        batch_op.add_column(sa.Column("legacy_token_hash", sa.String(length=64), nullable=True))
    connection = op.get_bind()
    feeds = connection.execute(sa.select(_FEED.c.id, _FEED.c.token)).all()
    for feed_id, token in feeds:
        connection.execute(
            sa.update(_FEED)
            .where(_FEED.c.id == feed_id)
            .values(legacy_token_hash=hashlib.sha256(token.encode()).hexdigest())
        )
    log.warning("calendar feeds: %d token(s) now kept only as their SHA-256", len(feeds))
    with op.batch_alter_table("calendar_feed", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_calendar_feed_token"), type_="unique")
        batch_op.drop_column("token")
        batch_op.create_unique_constraint(
            batch_op.f("uq_calendar_feed_legacy_token_hash"), ["legacy_token_hash"]
        )


def downgrade() -> None:
    with op.batch_alter_table("calendar_feed", schema=None) as batch_op:
        batch_op.add_column(sa.Column("token", sa.String(length=64), nullable=True))
    connection = op.get_bind()
    for (feed_id,) in connection.execute(sa.select(_FEED.c.id)).all():
        connection.execute(
            sa.update(_FEED).where(_FEED.c.id == feed_id).values(token=secrets.token_urlsafe(32))
        )
    with op.batch_alter_table("calendar_feed", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_calendar_feed_legacy_token_hash"), type_="unique")
        batch_op.drop_column("legacy_token_hash")
        batch_op.drop_column("generation")
        batch_op.alter_column("token", existing_type=sa.String(length=64), nullable=False)
        batch_op.create_unique_constraint(batch_op.f("uq_calendar_feed_token"), ["token"])

    with op.batch_alter_table("evidence", schema=None) as batch_op:
        batch_op.drop_index("uq_evidence_pending")
