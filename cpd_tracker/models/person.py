"""People (keyed by registration and LTI ``sub``), their staff roles and tool permissions."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import Enum, ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from cpd_tracker.models.base import Base, utcnow
from cpd_tracker.models.organisation import Organisation, School


def _enum(cls: type[enum.Enum]) -> Enum:
    return Enum(cls, native_enum=False, length=30, values_callable=lambda e: [m.value for m in e])


class StaffRoleKind(enum.StrEnum):
    TEACHER = "teacher"
    TEACHING_ASSISTANT = "teaching_assistant"
    SENCO = "senco"
    LEADER = "leader"
    SUPPORT_STAFF = "support_staff"
    GOVERNOR = "governor"
    #: On the school's staff (from the LMS course) but the role is not yet set.
    UNASSIGNED = "unassigned"


class PermissionKind(enum.StrEnum):
    STAFF = "staff"
    CPD_LEAD = "cpd_lead"
    TRUST_LEADER = "trust_leader"
    #: Sees and records the whole organisation's training spend (granted in the tool only).
    FINANCE = "finance"


class PermissionSource(enum.StrEnum):
    #: Suggested by LMS roles at launch; refreshed at every launch.
    LMS = "lms"
    #: Granted in the tool by a trust leader; launches never change it.
    OVERRIDE = "override"


def blank_to_none(value: str | None) -> str | None:
    """Identifiers are stored trimmed, and a blank one as NULL: '' would be a value that two
    people could share (and the unique indexes below would refuse the second)."""
    if value is None:
        return None
    value = value.strip()
    return value or None


def email_key(value: str | None) -> str | None:
    """An e-mail as stored: trimmed, lower-case (schools' mail systems ignore case, and so
    does every match in the tool), a blank one NULL."""
    value = blank_to_none(value)
    return None if value is None else value.lower()


class Person(Base):
    """One person per staff number and per e-mail within an organisation (issue 15, finding 3),
    enforced here so that two imports racing cannot make two people of one member of staff.

    A staff number is unique per *numbering school* (``staff_number_school_id``), not across
    the organisation: in a trust each school's MIS numbers its own staff, so number 123 at one
    school is not number 123 at another (``services/imports/staff.py``). An e-mail is unique
    across the organisation whatever its case: it is stored lower-case. Blank values are stored
    as NULL (never '').
    """

    __tablename__ = "person"
    __table_args__ = (
        UniqueConstraint("registration_id", "sub"),
        Index(
            "uq_person_school_staff_number",
            "organisation_id",
            "staff_number_school_id",
            "staff_number",
            unique=True,
            sqlite_where=text("staff_number IS NOT NULL AND staff_number_school_id IS NOT NULL"),
            postgresql_where=text(
                "staff_number IS NOT NULL AND staff_number_school_id IS NOT NULL"
            ),
        ),
        # A number set where no school numbered it (on no school's list): unique among those.
        Index(
            "uq_person_unplaced_staff_number",
            "organisation_id",
            "staff_number",
            unique=True,
            sqlite_where=text("staff_number IS NOT NULL AND staff_number_school_id IS NULL"),
            postgresql_where=text("staff_number IS NOT NULL AND staff_number_school_id IS NULL"),
        ),
        # E-mails are stored lower-case (below), so this is the index on lower(email). Not an
        # expression index: SQLite cannot reflect one, so every later batch migration of this
        # table (which copies it by reflection) would drop it silently, with a warning.
        Index(
            "uq_person_organisation_id_email",
            "organisation_id",
            "email",
            unique=True,
            sqlite_where=text("email IS NOT NULL"),
            postgresql_where=text("email IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    registration_id: Mapped[int | None] = mapped_column(ForeignKey("platform_registration.id"))
    sub: Mapped[str | None] = mapped_column(String(255))
    name: Mapped[str | None] = mapped_column(String(255))
    given_name: Mapped[str | None] = mapped_column(String(255))
    family_name: Mapped[str | None] = mapped_column(String(255))
    email: Mapped[str | None] = mapped_column(String(320), index=True)
    staff_number: Mapped[str | None] = mapped_column(String(50))
    #: The school whose MIS gave ``staff_number`` (None: set where no school numbered it).
    staff_number_school_id: Mapped[int | None] = mapped_column(ForeignKey("school.id"))
    start_date: Mapped[dt.date | None]
    leaving_date: Mapped[dt.date | None]
    active: Mapped[bool] = mapped_column(default=True)
    last_launch_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    #: Sessions started before this moment are over (sign-out, permissions revoked).
    sessions_valid_after: Mapped[dt.datetime | None]
    #: Anonymised by ``services/erasure.py``: identity gone, completions kept as counts.
    erased_at: Mapped[dt.datetime | None]
    erased_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))

    organisation: Mapped[Organisation] = relationship()
    staff_roles: Mapped[list[StaffRole]] = relationship(
        back_populates="person", order_by="StaffRole.id"
    )
    permissions: Mapped[list[Permission]] = relationship(
        back_populates="person", order_by="Permission.id"
    )

    @validates("email", "staff_number")
    def _normalise(self, key: str, value: str | None) -> str | None:
        return email_key(value) if key == "email" else blank_to_none(value)

    @property
    def display_name(self) -> str:
        if self.name:
            return self.name
        parts = [p for p in (self.given_name, self.family_name) if p]
        if parts:
            return " ".join(parts)
        return self.email or f"Staff member #{self.id}"


class StaffRole(Base):
    """A person's role at one school, over a period."""

    __tablename__ = "staff_role"
    __table_args__ = (UniqueConstraint("person_id", "school_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    role: Mapped[StaffRoleKind] = mapped_column(_enum(StaffRoleKind))
    started_on: Mapped[dt.date | None]
    ended_on: Mapped[dt.date | None]

    person: Mapped[Person] = relationship(back_populates="staff_roles")
    school: Mapped[School] = relationship()


class Permission(Base):
    """What a person may do in the tool: staff member, CPD lead of a school, trust leader."""

    __tablename__ = "permission"
    __table_args__ = (UniqueConstraint("person_id", "kind", "school_id", "source"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    kind: Mapped[PermissionKind] = mapped_column(_enum(PermissionKind))
    #: Set for a CPD lead (their school); None for staff and trust leaders.
    school_id: Mapped[int | None] = mapped_column(ForeignKey("school.id"))
    source: Mapped[PermissionSource] = mapped_column(_enum(PermissionSource))
    #: An override may also take away what the LMS suggests.
    revoked: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    person: Mapped[Person] = relationship(back_populates="permissions")
    school: Mapped[School | None] = relationship()
