"""Requirements: which staff must complete which module, by when, and for how long it counts.

Statuses are never stored: ``rules/training.py`` derives them from these rows, the people's
completions, exemptions and extensions, and today's date.
"""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import JSON, Enum, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cpd_tracker.models.base import Base, utcnow
from cpd_tracker.models.catalogue import Module
from cpd_tracker.models.organisation import School


class DueRule(enum.StrEnum):
    #: Within ``due_days`` of the person's start date at the school.
    DAYS_AFTER_START = "days_after_start"
    #: Within ``due_days`` of the person's appointment to the role the requirement targets.
    DAYS_AFTER_APPOINTMENT = "days_after_appointment"
    #: By a fixed day each academic year (``due_month``/``due_day``, e.g. 1 September).
    FIXED_DATE = "fixed_date"


class RecertifyFrom(enum.StrEnum):
    """Where a renewal's expiry is counted from (Totara's recertification bases; the values
    are ``rules.training.Basis``'s)."""

    COMPLETION = "completion"
    EXPIRY = "expiry"
    FIXED = "fixed"


class Requirement(Base):
    __tablename__ = "requirement"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    module_id: Mapped[int] = mapped_column(ForeignKey("training_module.id"), index=True)
    #: None: every school of the organisation; else one school.
    school_id: Mapped[int | None] = mapped_column(ForeignKey("school.id"), index=True)
    #: A school's override of an organisation-wide requirement (replaces it at that school).
    overrides_id: Mapped[int | None] = mapped_column(ForeignKey("requirement.id"))
    #: Staff role values (``StaffRoleKind``) the requirement applies to; empty: all staff.
    roles: Mapped[list[str]] = mapped_column(JSON, default=list)
    due_rule: Mapped[DueRule] = mapped_column(
        Enum(DueRule, native_enum=False, length=30, values_callable=lambda e: [m.value for m in e])
    )
    due_days: Mapped[int | None]
    due_month: Mapped[int | None]
    due_day: Mapped[int | None]
    #: Months a completion counts for; None: it never expires.
    validity_months: Mapped[int | None]
    #: Days before expiry when recertification opens (and "expiring soon" starts).
    window_days: Mapped[int] = mapped_column(default=60)
    #: Days before the due date when "due soon" starts.
    due_soon_days: Mapped[int] = mapped_column(default=30)
    #: None: from the fixed date for fixed-date rules, from the completion date otherwise.
    recertify_from: Mapped[RecertifyFrom | None] = mapped_column(
        Enum(
            RecertifyFrom,
            native_enum=False,
            length=30,
            values_callable=lambda e: [m.value for m in e],
        )
    )
    #: Renewals on a fixed date: the least a completion counts for; None: half the validity.
    min_active_months: Mapped[int | None]
    #: Fixed-date rules: newcomers and returners have at least this many days; None: 30.
    grace_days: Mapped[int | None]
    notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    retired_at: Mapped[dt.datetime | None]

    module: Mapped[Module] = relationship()
    school: Mapped[School | None] = relationship()
    overrides: Mapped[Requirement | None] = relationship(remote_side=[id])


class Exemption(Base):
    """A person is exempt from a requirement (reason, period, who granted it)."""

    __tablename__ = "exemption"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    requirement_id: Mapped[int] = mapped_column(ForeignKey("requirement.id"), index=True)
    reason: Mapped[str] = mapped_column(String(500))
    starts_on: Mapped[dt.date]
    #: None: open-ended.
    ends_on: Mapped[dt.date | None]
    granted_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[dt.datetime | None]


class Extension(Base):
    """A new due date for one person and requirement (reason, who granted it)."""

    __tablename__ = "extension"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    requirement_id: Mapped[int] = mapped_column(ForeignKey("requirement.id"), index=True)
    reason: Mapped[str] = mapped_column(String(500))
    new_due_on: Mapped[dt.date]
    granted_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[dt.datetime | None]
