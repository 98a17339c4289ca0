"""A fair knowledge check: question banks, topics to revisit, the pass mark kept per attempt

``training_module.questions_per_attempt`` (draw N of M; None: every question),
``question.page_position`` (the module page to revisit after a wrong answer) and
``attempt.pass_mark_percent`` (the pass mark the attempt was marked against), all nullable
(issue 17). The seeded questions said "Select all that apply." in their prompts while the page
said it again as a hint; the page now says it only for questions with several right answers, so
the words leave the prompts.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07 04:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

_SUFFIX = " Select all that apply."


def upgrade() -> None:
    with op.batch_alter_table("training_module", schema=None) as batch_op:
        batch_op.add_column(sa.Column("questions_per_attempt", sa.Integer(), nullable=True))
    with op.batch_alter_table("question", schema=None) as batch_op:
        batch_op.add_column(sa.Column("page_position", sa.Integer(), nullable=True))
    with op.batch_alter_table("attempt", schema=None) as batch_op:
        batch_op.add_column(sa.Column("pass_mark_percent", sa.Integer(), nullable=True))
    question = sa.table("question", sa.column("prompt", sa.Text()))
    op.execute(
        question.update()
        .where(question.c.prompt.like(f"%{_SUFFIX}"))
        .values(
            prompt=sa.func.substr(
                question.c.prompt, 1, sa.func.length(question.c.prompt) - len(_SUFFIX)
            )
        )
    )


def downgrade() -> None:
    with op.batch_alter_table("attempt", schema=None) as batch_op:
        batch_op.drop_column("pass_mark_percent")
    with op.batch_alter_table("question", schema=None) as batch_op:
        batch_op.drop_column("page_position")
    with op.batch_alter_table("training_module", schema=None) as batch_op:
        batch_op.drop_column("questions_per_attempt")
