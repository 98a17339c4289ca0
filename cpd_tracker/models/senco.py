"""SENCO appointments per school and SENCO qualification records (NPQ for SENCOs, NASENCO).

The statutory rules live in ``cpd_tracker.rules.senco``; these rows are the facts it reads.
Nothing is deleted: an appointment that ends gets ``ended_on``, so the history stays.
"""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import Enum, ForeignKey, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cpd_tracker.models.base import Base, utcnow
from cpd_tracker.models.person import Person


def _enum(cls: type[enum.Enum]) -> Enum:
    return Enum(cls, native_enum=False, length=30, values_callable=lambda e: [m.value for m in e])


class SencoQualificationKind(enum.StrEnum):
    NPQ_SENCO = "npq_senco"
    NASENCO = "nasenco"


class QualificationResult(enum.StrEnum):
    PENDING = "pending"
    PASSED = "passed"
    FAILED = "failed"
    WITHDRAWN = "withdrawn"


class QualificationFunding(enum.StrEnum):
    SCHOLARSHIP = "scholarship"
    SCHOOL = "school"
    TRUST = "trust"
    SELF = "self"


class SencoAppointment(Base):
    """One person designated SENCO at one school, from ``started_on`` until ``ended_on``."""

    __tablename__ = "senco_appointment"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    started_on: Mapped[dt.date]
    ended_on: Mapped[dt.date | None]
    has_qts: Mapped[bool] = mapped_column(default=False)
    #: The seven-digit teacher reference number, where known.
    teacher_reference_number: Mapped[str | None] = mapped_column(String(7))
    qts_via_partial_access: Mapped[bool] = mapped_column(default=False)
    #: QTLS with membership of the Society for Education and Training (SI 2012/431).
    qtls_with_set: Mapped[bool] = mapped_column(default=False, server_default=false())
    #: Induction completed, or not required.
    induction_complete: Mapped[bool] = mapped_column(default=False)
    teaches_at_school: Mapped[bool] = mapped_column(default=True)
    #: The head teacher or acting head teacher.
    is_head: Mapped[bool] = mapped_column(default=False)
    #: Whole months as a SENCO before this appointment, at any school: the old, rounded
    #: figure, used only when no dated ``SencoPriorService`` stints are known.
    prior_senco_months: Mapped[int] = mapped_column(default=0)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    person: Mapped[Person] = relationship(foreign_keys=[person_id])


class SencoQualification(Base):
    """A course towards the SENCO qualification, and its outcome."""

    __tablename__ = "senco_qualification"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    kind: Mapped[SencoQualificationKind] = mapped_column(_enum(SencoQualificationKind))
    provider: Mapped[str | None] = mapped_column(String(255))
    started_on: Mapped[dt.date | None]
    expected_completion_on: Mapped[dt.date | None]
    #: The day the pass outcome was received.
    completed_on: Mapped[dt.date | None]
    #: The day the course itself ended (the NASENCO cut-off tests this, not the award).
    course_completed_on: Mapped[dt.date | None]
    result: Mapped[QualificationResult] = mapped_column(
        _enum(QualificationResult), default=QualificationResult.PENDING
    )
    funding: Mapped[QualificationFunding | None] = mapped_column(_enum(QualificationFunding))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    person: Mapped[Person] = relationship()


class SencoPriorService(Base):
    """A period as SENCO before an appointment, entered on the form (at a school outside the
    tool, or before the tool was used). Past appointments in the tool are read as well."""

    __tablename__ = "senco_prior_service"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    appointment_id: Mapped[int] = mapped_column(ForeignKey("senco_appointment.id"), index=True)
    school_name: Mapped[str | None] = mapped_column(String(200))
    started_on: Mapped[dt.date]
    ended_on: Mapped[dt.date]
    #: A mainstream school or maintained nursery school (reg. 2(1)).
    relevant_school: Mapped[bool]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class SencoDocument(Base):
    """A file kept with a qualification record: an offer letter, a certificate, an outcome.

    The bytes live in the evidence store (``cpd_tracker.storage``) under a random key; the row
    holds what the page shows. Only people who may see the school's SENCO page download it.
    """

    __tablename__ = "senco_document"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    qualification_id: Mapped[int] = mapped_column(ForeignKey("senco_qualification.id"), index=True)
    file_name: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]
    storage_key: Mapped[str] = mapped_column(String(200), unique=True)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class SencoProvider(Base):
    """A provider an organisation has recorded, offered again with the suggested list."""

    __tablename__ = "senco_provider"
    __table_args__ = (UniqueConstraint("organisation_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    name: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class SchoolHead(Base):
    """Who is head teacher (or acting head) of a school: they hear about the SENCO deadline.

    One row per school, replaced when the head changes (the audit log keeps who it was).
    """

    __tablename__ = "school_head"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), unique=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    person: Mapped[Person] = relationship()
