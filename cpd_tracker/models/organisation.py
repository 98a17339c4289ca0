"""Tenancy: an organisation (a trust, or a school standing alone) and its schools."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import Enum, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cpd_tracker.models.base import Base, utcnow
from cpd_tracker.rules.money import YearKind


class OrganisationKind(enum.StrEnum):
    TRUST = "trust"
    SCHOOL = "school"


class Organisation(Base):
    __tablename__ = "organisation"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[OrganisationKind] = mapped_column(
        Enum(
            OrganisationKind,
            native_enum=False,
            length=20,
            values_callable=lambda e: [m.value for m in e],
        )
    )
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    #: The year the spend report uses: academy (Sep-Aug) or financial (Apr-Mar).
    spend_year: Mapped[YearKind] = mapped_column(
        Enum(
            YearKind, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e]
        ),
        default=YearKind.ACADEMY,
        server_default=YearKind.ACADEMY.value,
    )

    schools: Mapped[list[School]] = relationship(
        back_populates="organisation", order_by="School.name"
    )


class School(Base):
    """A school, identified by its DfE unique reference number (URN)."""

    __tablename__ = "school"
    __table_args__ = (UniqueConstraint("organisation_id", "urn"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    urn: Mapped[str] = mapped_column(String(10))
    name: Mapped[str] = mapped_column(String(200))
    phase: Mapped[str | None] = mapped_column(String(40))
    #: Pupils on roll, for sharing trust-central costs out by pupils.
    pupil_count: Mapped[int | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    organisation: Mapped[Organisation] = relationship(back_populates="schools")
