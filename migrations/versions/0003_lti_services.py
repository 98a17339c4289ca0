"""LTI services: deep linking requests, course rosters, resource links, the service outbox

Five new tables (``deep_link_request``, ``course_membership``, ``resource_link``,
``line_item_binding``, ``lti_service_job``) and two nullable columns on ``course``
(``memberships_url``, ``roster_synced_at``): nothing existing is rewritten, so the upgrade is
safe on a live database.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27 20:17:23.269792
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "course_membership",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("lms_status", sa.String(length=20), nullable=False),
        sa.Column("roles", sa.JSON(), nullable=False),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("left_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["course_id"], ["course.id"], name=op.f("fk_course_membership_course_id_course")
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_course_membership_organisation_id_organisation"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_course_membership_person_id_person")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_course_membership")),
        sa.UniqueConstraint(
            "course_id", "person_id", name=op.f("uq_course_membership_course_id_person_id")
        ),
    )
    with op.batch_alter_table("course_membership", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_course_membership_organisation_id"), ["organisation_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_course_membership_person_id"), ["person_id"], unique=False
        )

    op.create_table(
        "deep_link_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("registration_id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=True),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("deployment_id", sa.String(length=255), nullable=False),
        sa.Column("settings", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["course_id"], ["course.id"], name=op.f("fk_deep_link_request_course_id_course")
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_deep_link_request_organisation_id_organisation"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_deep_link_request_person_id_person")
        ),
        sa.ForeignKeyConstraint(
            ["registration_id"],
            ["platform_registration.id"],
            name=op.f("fk_deep_link_request_registration_id_platform_registration"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deep_link_request")),
        sa.UniqueConstraint("token", name=op.f("uq_deep_link_request_token")),
    )
    with op.batch_alter_table("deep_link_request", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_deep_link_request_expires_at"), ["expires_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_deep_link_request_organisation_id"), ["organisation_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_deep_link_request_person_id"), ["person_id"], unique=False
        )

    op.create_table(
        "resource_link",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("registration_id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=True),
        sa.Column("resource_link_id", sa.String(length=255), nullable=False),
        sa.Column("title", sa.String(length=255), nullable=True),
        sa.Column("module_id", sa.Integer(), nullable=True),
        sa.Column("module_slug", sa.String(length=80), nullable=True),
        sa.Column("lineitem_url", sa.String(length=1000), nullable=True),
        sa.Column("lineitems_url", sa.String(length=1000), nullable=True),
        sa.Column("ags_scopes", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["course_id"], ["course.id"], name=op.f("fk_resource_link_course_id_course")
        ),
        sa.ForeignKeyConstraint(
            ["module_id"],
            ["training_module.id"],
            name=op.f("fk_resource_link_module_id_training_module"),
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_resource_link_organisation_id_organisation"),
        ),
        sa.ForeignKeyConstraint(
            ["registration_id"],
            ["platform_registration.id"],
            name=op.f("fk_resource_link_registration_id_platform_registration"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_resource_link")),
        sa.UniqueConstraint(
            "registration_id",
            "resource_link_id",
            name=op.f("uq_resource_link_registration_id_resource_link_id"),
        ),
    )
    with op.batch_alter_table("resource_link", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_resource_link_course_id"), ["course_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_resource_link_module_id"), ["module_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_resource_link_organisation_id"), ["organisation_id"], unique=False
        )

    op.create_table(
        "line_item_binding",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("resource_link_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.String(length=255), nullable=False),
        sa.Column("first_launch_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_launch_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_line_item_binding_person_id_person")
        ),
        sa.ForeignKeyConstraint(
            ["resource_link_id"],
            ["resource_link.id"],
            name=op.f("fk_line_item_binding_resource_link_id_resource_link"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_line_item_binding")),
        sa.UniqueConstraint(
            "resource_link_id",
            "person_id",
            name=op.f("uq_line_item_binding_resource_link_id_person_id"),
        ),
    )
    with op.batch_alter_table("line_item_binding", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_line_item_binding_person_id"), ["person_id"], unique=False
        )

    op.create_table(
        "lti_service_job",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("registration_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("score", "roster", name="jobkind", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("dedupe_key", sa.String(length=200), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=True),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("completion_id", sa.Integer(), nullable=True),
        sa.Column("resource_link_id", sa.Integer(), nullable=True),
        sa.Column("lineitem_url", sa.String(length=1000), nullable=True),
        sa.Column("user_id", sa.String(length=255), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column(
            "status",
            sa.Enum("pending", "done", "failed", name="jobstatus", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("last_error_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_status", sa.Integer(), nullable=True),
        sa.Column("outcome", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["completion_id"],
            ["completion.id"],
            name=op.f("fk_lti_service_job_completion_id_completion"),
        ),
        sa.ForeignKeyConstraint(
            ["course_id"], ["course.id"], name=op.f("fk_lti_service_job_course_id_course")
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_lti_service_job_organisation_id_organisation"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_lti_service_job_person_id_person")
        ),
        sa.ForeignKeyConstraint(
            ["registration_id"],
            ["platform_registration.id"],
            name=op.f("fk_lti_service_job_registration_id_platform_registration"),
        ),
        sa.ForeignKeyConstraint(
            ["resource_link_id"],
            ["resource_link.id"],
            name=op.f("fk_lti_service_job_resource_link_id_resource_link"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lti_service_job")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_lti_service_job_dedupe_key")),
    )
    with op.batch_alter_table("lti_service_job", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_lti_service_job_completion_id"), ["completion_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_lti_service_job_course_id"), ["course_id"], unique=False
        )
        batch_op.create_index("ix_lti_service_job_due", ["status", "next_attempt_at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_lti_service_job_organisation_id"), ["organisation_id"], unique=False
        )

    with op.batch_alter_table("course", schema=None) as batch_op:
        batch_op.add_column(sa.Column("memberships_url", sa.String(length=1000), nullable=True))
        batch_op.add_column(
            sa.Column("roster_synced_at", sa.DateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("course", schema=None) as batch_op:
        batch_op.drop_column("roster_synced_at")
        batch_op.drop_column("memberships_url")

    with op.batch_alter_table("lti_service_job", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lti_service_job_organisation_id"))
        batch_op.drop_index("ix_lti_service_job_due")
        batch_op.drop_index(batch_op.f("ix_lti_service_job_course_id"))
        batch_op.drop_index(batch_op.f("ix_lti_service_job_completion_id"))

    op.drop_table("lti_service_job")
    with op.batch_alter_table("line_item_binding", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_line_item_binding_person_id"))

    op.drop_table("line_item_binding")
    with op.batch_alter_table("resource_link", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_resource_link_organisation_id"))
        batch_op.drop_index(batch_op.f("ix_resource_link_module_id"))
        batch_op.drop_index(batch_op.f("ix_resource_link_course_id"))

    op.drop_table("resource_link")
    with op.batch_alter_table("deep_link_request", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_deep_link_request_person_id"))
        batch_op.drop_index(batch_op.f("ix_deep_link_request_organisation_id"))
        batch_op.drop_index(batch_op.f("ix_deep_link_request_expires_at"))

    op.drop_table("deep_link_request")
    with op.batch_alter_table("course_membership", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_course_membership_person_id"))
        batch_op.drop_index(batch_op.f("ix_course_membership_organisation_id"))

    op.drop_table("course_membership")
