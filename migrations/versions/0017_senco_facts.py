"""The SENCO's real history: course end date, prior stints, QTLS, relevant schools (issue 16)

- ``school.school_type``: what kind of school (maintained, academy, special, independent, ...),
  nullable; whether reg. 49's SENCO duty applies follows from it.
- ``senco_appointment.qtls_with_set``: QTLS with SET membership makes a qualified teacher.
- ``senco_qualification.course_completed_on``: the day the course ended (the NASENCO cut-off).
- ``senco_prior_service``: dated periods as SENCO before an appointment, at a relevant school
  or not, entered on the form.

Nothing existing changes meaning; existing appointments keep their ``prior_senco_months``.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 04:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("school", schema=None) as batch_op:
        batch_op.add_column(sa.Column("school_type", sa.String(length=30), nullable=True))
    with op.batch_alter_table("senco_appointment", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("qtls_with_set", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    with op.batch_alter_table("senco_qualification", schema=None) as batch_op:
        batch_op.add_column(sa.Column("course_completed_on", sa.Date(), nullable=True))
    op.create_table(
        "senco_prior_service",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("appointment_id", sa.Integer(), nullable=False),
        sa.Column("school_name", sa.String(length=200), nullable=True),
        sa.Column("started_on", sa.Date(), nullable=False),
        sa.Column("ended_on", sa.Date(), nullable=False),
        sa.Column("relevant_school", sa.Boolean(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["appointment_id"],
            ["senco_appointment.id"],
            name=op.f("fk_senco_prior_service_appointment_id_senco_appointment"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["person.id"],
            name=op.f("fk_senco_prior_service_created_by_id_person"),
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_senco_prior_service_organisation_id_organisation"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_senco_prior_service")),
    )
    with op.batch_alter_table("senco_prior_service", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_senco_prior_service_appointment_id"), ["appointment_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_senco_prior_service_organisation_id"), ["organisation_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("senco_prior_service", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_senco_prior_service_organisation_id"))
        batch_op.drop_index(batch_op.f("ix_senco_prior_service_appointment_id"))
    op.drop_table("senco_prior_service")
    with op.batch_alter_table("senco_qualification", schema=None) as batch_op:
        batch_op.drop_column("course_completed_on")
    with op.batch_alter_table("senco_appointment", schema=None) as batch_op:
        batch_op.drop_column("qtls_with_set")
    with op.batch_alter_table("school", schema=None) as batch_op:
        batch_op.drop_column("school_type")
