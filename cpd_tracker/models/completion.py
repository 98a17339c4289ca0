"""Training records: completions (immutable), knowledge-check attempts, external evidence
awaiting verification, and whole-staff INSET sessions."""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Enum, ForeignKey, Index, Numeric, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cpd_tracker.models.base import Base, utcnow
from cpd_tracker.models.catalogue import Module


def _enum(cls: type[enum.Enum]) -> Enum:
    return Enum(cls, native_enum=False, length=30, values_callable=lambda e: [m.value for m in e])


class CompletionMethod(enum.StrEnum):
    IN_TOOL = "in_tool"
    EXTERNAL = "external"
    INSET = "inset"
    RECORDED = "recorded"
    IMPORTED = "imported"


class Completion(Base):
    """A person finished a module on a day. Never edited: a new cycle adds a new record."""

    __tablename__ = "completion"
    __table_args__ = (
        Index("ix_completion_person_module", "person_id", "module_id", "completed_on"),
        # An INSET session records each attendee once (NULLs, other methods, never clash).
        UniqueConstraint("inset_session_id", "person_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    module_id: Mapped[int] = mapped_column(ForeignKey("training_module.id"), index=True)
    completed_on: Mapped[dt.date]
    method: Mapped[CompletionMethod] = mapped_column(_enum(CompletionMethod))
    cpd_hours: Mapped[Decimal] = mapped_column(Numeric(6, 2), default=Decimal("0"))
    provider: Mapped[str | None] = mapped_column(String(200))
    attempt_id: Mapped[int | None] = mapped_column(ForeignKey("attempt.id"))
    evidence_id: Mapped[int | None] = mapped_column(ForeignKey("evidence.id"))
    inset_session_id: Mapped[int | None] = mapped_column(ForeignKey("inset_session.id"))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    note: Mapped[str] = mapped_column(Text, default="")
    #: The provider's certificate's own expiry, when recorded: the completion counts no longer.
    certificate_expires_on: Mapped[dt.date | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    module: Mapped[Module] = relationship()


class Attempt(Base):
    """One go at a module's knowledge check; every attempt is kept."""

    __tablename__ = "attempt"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    module_id: Mapped[int] = mapped_column(ForeignKey("training_module.id"))
    #: Question id -> chosen option ids, as submitted.
    answers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    correct: Mapped[int]
    total: Mapped[int]
    score_percent: Mapped[int]
    #: The module's pass mark when this attempt was marked (a later change does not rewrite it).
    pass_mark_percent: Mapped[int | None]
    passed: Mapped[bool]
    submitted_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class EvidenceStatus(enum.StrEnum):
    PENDING = "pending"
    VERIFIED = "verified"
    REJECTED = "rejected"


class Evidence(Base):
    """External training a staff member recorded, with its certificate, awaiting a CPD lead."""

    __tablename__ = "evidence"
    __table_args__ = (
        # One copy per person and training waits for a check: two forms sent at the same
        # instant both pass the service's read, and this refuses the second insert.
        Index(
            "uq_evidence_pending",
            "person_id",
            "module_id",
            unique=True,
            sqlite_where=text("status = 'pending'"),
            postgresql_where=text("status = 'pending'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    #: The catalogue module it counts towards.
    module_id: Mapped[int] = mapped_column(ForeignKey("training_module.id"))
    #: The school whose CPD lead verifies it.
    school_id: Mapped[int | None] = mapped_column(ForeignKey("school.id"), index=True)
    course_title: Mapped[str] = mapped_column(String(200))
    provider: Mapped[str] = mapped_column(String(200))
    completed_on: Mapped[dt.date]
    cpd_hours: Mapped[Decimal] = mapped_column(Numeric(6, 2))
    #: The provider certificate's own expiry, as the member of staff read it (optional); the
    #: CPD lead confirms or corrects it when verifying, and the completion carries it.
    certificate_expires_on: Mapped[dt.date | None]
    #: Where the certificate is kept, relative to the evidence folder (outside the web root).
    file_key: Mapped[str | None] = mapped_column(String(200))
    file_name: Mapped[str | None] = mapped_column(String(255))
    content_type: Mapped[str | None] = mapped_column(String(100))
    file_size: Mapped[int | None]
    status: Mapped[EvidenceStatus] = mapped_column(
        _enum(EvidenceStatus), default=EvidenceStatus.PENDING
    )
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    reviewed_at: Mapped[dt.datetime | None]
    rejection_reason: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    module: Mapped[Module] = relationship()


class InsetSession(Base):
    """A whole-staff training session; attendance adds a completion for each person ticked."""

    __tablename__ = "inset_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    module_id: Mapped[int] = mapped_column(ForeignKey("training_module.id"))
    title: Mapped[str] = mapped_column(String(200))
    held_on: Mapped[dt.date]
    #: The session's times (Europe/London wall-clock), when given: calendar feeds show it as a
    #: timed event then, else as an all-day one.
    starts_at: Mapped[dt.time | None]
    ends_at: Mapped[dt.time | None]
    cpd_hours: Mapped[Decimal] = mapped_column(Numeric(6, 2))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    module: Mapped[Module] = relationship()
