"""Tenancy: an organisation (a trust, or a school standing alone) and its schools."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import JSON, Enum, ForeignKey, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cpd_tracker.models.base import Base, utcnow
from cpd_tracker.rules.money import YearKind
from cpd_tracker.rules.reminders import DEFAULT_LEAD_DAYS, DEFAULT_SEND_HOUR, DEFAULT_SEND_WEEKDAY


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
    #: Days before a due date or an expiry it first appears in a person's weekly digest.
    reminder_lead_days: Mapped[int] = mapped_column(
        default=DEFAULT_LEAD_DAYS, server_default=str(DEFAULT_LEAD_DAYS)
    )
    #: Holiday pauses, ``[{"name", "starts_on", "ends_on"}]`` (ISO dates): no reminders are
    #: queued inside one. None until an administrator saves some: the English school year's
    #: holidays apply (``rules.reminders.organisation_pauses``).
    reminder_pauses: Mapped[list[dict[str, str]] | None] = mapped_column(JSON)
    #: When each ISO week's digests are queued, London time: the day (0 Monday to 6 Sunday)
    #: and the hour (0 to 23); Monday 07:00, the start of the school day, unless changed
    #: (``rules.reminders.digests_due``).
    reminder_send_weekday: Mapped[int] = mapped_column(
        default=DEFAULT_SEND_WEEKDAY, server_default=str(DEFAULT_SEND_WEEKDAY)
    )
    reminder_send_hour: Mapped[int] = mapped_column(
        default=DEFAULT_SEND_HOUR, server_default=str(DEFAULT_SEND_HOUR)
    )

    schools: Mapped[list[School]] = relationship(
        back_populates="organisation", order_by="School.name"
    )


class SchoolType(enum.StrEnum):
    """What kind of school, as Get Information about Schools groups them. Whether the SEND
    Regulations' SENCO duty (reg. 49) applies follows from it (``has_senco_duty``)."""

    MAINTAINED = "maintained"
    ACADEMY = "academy"
    MAINTAINED_NURSERY = "maintained_nursery"
    PUPIL_REFERRAL_UNIT = "pupil_referral_unit"
    AP_ACADEMY = "ap_academy"
    MAINTAINED_SPECIAL = "maintained_special"
    SPECIAL_ACADEMY = "special_academy"
    NON_MAINTAINED_SPECIAL = "non_maintained_special"
    INDEPENDENT = "independent"

    @property
    def has_senco_duty(self) -> bool:
        """A mainstream school (maintained, academy or free school, AP) or a maintained
        nursery school must designate a SENCO with the qualification; special and independent
        schools need not (reg. 2(1), reg. 49)."""
        return self in _SENCO_DUTY


_SENCO_DUTY: frozenset[SchoolType] = frozenset(
    {
        SchoolType.MAINTAINED,
        SchoolType.ACADEMY,
        SchoolType.MAINTAINED_NURSERY,
        SchoolType.PUPIL_REFERRAL_UNIT,
        SchoolType.AP_ACADEMY,
    }
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
    #: None until recorded; an unrecorded type is treated as mainstream (the duty applies).
    school_type: Mapped[SchoolType | None] = mapped_column(
        Enum(
            SchoolType,
            native_enum=False,
            length=30,
            values_callable=lambda e: [m.value for m in e],
        )
    )
    #: Pupils on roll in the latest year entered (``SchoolCensus``, kept in step by
    #: ``SpendService.set_census``); sharing costs out by pupils reads the year's own figures.
    pupil_count: Mapped[int | None]
    #: E-mail the school's CPD leads as soon as evidence arrives (else the weekly digest alone).
    evidence_notice_at_once: Mapped[bool] = mapped_column(default=False, server_default=false())
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    organisation: Mapped[Organisation] = relationship(back_populates="schools")


class SchoolCensus(Base):
    """A school's pupils on roll for one academic year, as a finance director would take them
    from the October (or January) census: costs of a year are shared out by that year's
    figures, not today's (issue 16)."""

    __tablename__ = "school_census"
    __table_args__ = (UniqueConstraint("school_id", "academic_year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"))
    #: The academic year, by its first calendar year: 2024 is 2024/25 (census of October 2024).
    academic_year: Mapped[int]
    pupils: Mapped[int]
    #: Who entered (or last corrected) it, and when; None for figures carried over by migration.
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    entered_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
