"""LTI platform registrations (keyed by issuer and client id), their deployments and courses."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cpd_tracker.models.base import Base, utcnow
from cpd_tracker.models.organisation import Organisation, School


class PlatformRegistration(Base):
    __tablename__ = "platform_registration"
    # Every hosted Canvas shares one issuer: the issuer alone names no school.
    __table_args__ = (UniqueConstraint("issuer", "client_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    issuer: Mapped[str] = mapped_column(String(255))
    client_id: Mapped[str] = mapped_column(String(255))
    auth_login_url: Mapped[str] = mapped_column(String(500))
    auth_token_url: Mapped[str] = mapped_column(String(500))
    auth_audience: Mapped[str | None] = mapped_column(String(500))
    key_set_url: Mapped[str] = mapped_column(String(500))
    product_family: Mapped[str | None] = mapped_column(String(50))
    #: Record unknown deployments on their first valid launch (Canvas Dynamic Registration
    #: returns no deployment id); otherwise only known deployments may launch.
    accept_new_deployments: Mapped[bool] = mapped_column(default=False)
    #: "cli", "dynamic", "admin" or "demo".
    created_via: Mapped[str] = mapped_column(String(20))
    #: Origins allowed to frame the tool, learned from launches (Canvas frames from the school's
    #: own host, not from its issuer).
    frame_origins: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    #: The invitation a Dynamic Registration used (None: made by hand, or open registration).
    #: (Added after the tables, since invitations name people who name registrations.)
    invitation_id: Mapped[int | None] = mapped_column(ForeignKey("invitation.id", use_alter=True))
    #: A registration into an organisation that already has a trust leader waits, inert (no
    #: launch, no framing), until a trust leader approves it: None while it waits. Who
    #: approved it is in the audit.
    approved_at: Mapped[dt.datetime | None]

    organisation: Mapped[Organisation] = relationship()
    deployments: Mapped[list[Deployment]] = relationship(
        back_populates="registration", order_by="Deployment.id"
    )


class Deployment(Base):
    __tablename__ = "deployment"
    __table_args__ = (UniqueConstraint("registration_id", "deployment_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(ForeignKey("platform_registration.id"))
    deployment_id: Mapped[str] = mapped_column(String(255))
    #: "cli", "dynamic", "launch" (auto-accepted on first launch) or "demo".
    created_via: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    registration: Mapped[PlatformRegistration] = relationship(back_populates="deployments")


class Course(Base):
    """An LMS course (LTI context) and the school it belongs to."""

    __tablename__ = "course"
    __table_args__ = (UniqueConstraint("registration_id", "context_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    registration_id: Mapped[int] = mapped_column(ForeignKey("platform_registration.id"))
    context_id: Mapped[str] = mapped_column(String(255))
    title: Mapped[str | None] = mapped_column(String(255))
    label: Mapped[str | None] = mapped_column(String(255))
    school_id: Mapped[int | None] = mapped_column(ForeignKey("school.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    #: NRPS ``context_memberships_url`` from the latest launch that offered it.
    memberships_url: Mapped[str | None] = mapped_column(String(1000))
    #: When the roster was last read completely from the platform.
    roster_synced_at: Mapped[dt.datetime | None]
    #: A teacher's request to link this course to a school, waiting for a trust leader
    #: (linking makes the course's teachers that school's CPD leads: a trusted act).
    requested_school_id: Mapped[int | None] = mapped_column(ForeignKey("school.id"))
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    requested_at: Mapped[dt.datetime | None]

    school: Mapped[School | None] = relationship(foreign_keys=[school_id])
    requested_school: Mapped[School | None] = relationship(foreign_keys=[requested_school_id])
