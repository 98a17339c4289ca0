"""LTI Advantage state: deep linking requests in flight, course rosters, resource links and the
line items they carry, and the outbox of calls to platform services.

* :class:`DeepLinkRequest`: the ``deep_linking_settings`` of one ``LtiDeepLinkingRequest``,
  kept server side between the launch and the module picker (never trusted from the browser),
  used once, expiring.
* :class:`CourseMembership`: who the platform's Names and Role Provisioning Service lists in a
  course. ``active`` is true when the person was listed with status ``Active`` in the course's
  last *complete* roster sync (every page read); anyone absent from such a sync, or listed
  ``Inactive``/``Deleted``, becomes inactive in that course (``left_at`` set). Nothing is ever
  deleted, and the person's own row stays whatever the roster says.
* :class:`ResourceLink` and :class:`LineItemBinding`: a course activity that opens a module
  (custom ``module=<slug>``) with its AGS line item, and each person who launched it with their
  LTI ``sub``: where that person's completions of the module are sent as scores.
* :class:`ServiceJob`: one outbound call to make (a score to post, a roster to read), retried
  with backoff; ``dedupe_key`` is unique so the same score is never queued twice.
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import JSON, Enum, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cpd_tracker.models.base import Base, utcnow
from cpd_tracker.models.catalogue import Module
from cpd_tracker.models.person import Person
from cpd_tracker.models.platform import Course, PlatformRegistration


def _enum(cls: type[enum.Enum]) -> Enum:
    return Enum(cls, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e])


class DeepLinkRequest(Base):
    __tablename__ = "deep_link_request"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Random, in the picker's URL: names the request without revealing anything.
    token: Mapped[str] = mapped_column(String(64), unique=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    registration_id: Mapped[int] = mapped_column(ForeignKey("platform_registration.id"))
    course_id: Mapped[int | None] = mapped_column(ForeignKey("course.id"))
    #: The instructor who launched it: nobody else may answer it.
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    deployment_id: Mapped[str] = mapped_column(String(255))
    #: The ``deep_linking_settings`` claim exactly as the verified launch carried it.
    settings: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(index=True)
    used_at: Mapped[dt.datetime | None]

    registration: Mapped[PlatformRegistration] = relationship()
    course: Mapped[Course | None] = relationship()


class CourseMembership(Base):
    __tablename__ = "course_membership"
    __table_args__ = (UniqueConstraint("course_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id"))
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    #: Listed ``Active`` in the last complete roster sync.
    active: Mapped[bool] = mapped_column(default=True)
    #: The NRPS status last seen: Active, Inactive, Deleted, or "absent" (not listed).
    lms_status: Mapped[str] = mapped_column(String(20), default="Active")
    #: Course roles as the platform listed them (full LIS URIs).
    roles: Mapped[list[str]] = mapped_column(JSON, default=list)
    first_seen_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    #: When a sync last listed them as Active.
    last_seen_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    #: When they stopped being active in the course (None while active).
    left_at: Mapped[dt.datetime | None]

    person: Mapped[Person] = relationship()


class ResourceLink(Base):
    """An activity in an LMS course that opens one of the tool's modules."""

    __tablename__ = "resource_link"
    # Resource link ids are unique per platform (LTI Core 1.3 §5.3.5).
    __table_args__ = (UniqueConstraint("registration_id", "resource_link_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    registration_id: Mapped[int] = mapped_column(ForeignKey("platform_registration.id"))
    course_id: Mapped[int | None] = mapped_column(ForeignKey("course.id"), index=True)
    resource_link_id: Mapped[str] = mapped_column(String(255))
    title: Mapped[str | None] = mapped_column(String(255))
    module_id: Mapped[int | None] = mapped_column(ForeignKey("training_module.id"), index=True)
    #: The custom ``module`` parameter as the platform sent it.
    module_slug: Mapped[str | None] = mapped_column(String(80))
    #: AGS claim: this link's line item (where scores go) and the context's container.
    lineitem_url: Mapped[str | None] = mapped_column(String(1000))
    lineitems_url: Mapped[str | None] = mapped_column(String(1000))
    #: AGS scopes the launch granted: only these are ever requested.
    ags_scopes: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    module: Mapped[Module | None] = relationship()
    course: Mapped[Course | None] = relationship()
    registration: Mapped[PlatformRegistration] = relationship()


class LineItemBinding(Base):
    """A person launched a resource link: their completions of its module go to its line item."""

    __tablename__ = "line_item_binding"
    __table_args__ = (UniqueConstraint("resource_link_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    resource_link_id: Mapped[int] = mapped_column(ForeignKey("resource_link.id"))
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    #: The person's LTI ``sub`` at that platform: the score's ``userId``.
    user_id: Mapped[str] = mapped_column(String(255))
    first_launch_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_launch_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    resource_link: Mapped[ResourceLink] = relationship()


class JobKind(enum.StrEnum):
    SCORE = "score"
    ROSTER = "roster"


class JobStatus(enum.StrEnum):
    #: Waiting for ``next_attempt_at`` (new, or retrying after a failure).
    PENDING = "pending"
    DONE = "done"
    #: Given up: an admin can see why and retry it.
    FAILED = "failed"


class ServiceJob(Base):
    """One call to a platform service, queued in the transaction that made it necessary."""

    __tablename__ = "lti_service_job"
    __table_args__ = (Index("ix_lti_service_job_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    registration_id: Mapped[int] = mapped_column(ForeignKey("platform_registration.id"))
    kind: Mapped[JobKind] = mapped_column(_enum(JobKind))
    #: Scores: ``score:<completion id>:<hash of the line item URL>``; rosters:
    #: ``roster:<course id>:pending`` while one waits (one per course), then ``...:<job id>``.
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    course_id: Mapped[int | None] = mapped_column(ForeignKey("course.id"), index=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    completion_id: Mapped[int | None] = mapped_column(ForeignKey("completion.id"), index=True)
    resource_link_id: Mapped[int | None] = mapped_column(ForeignKey("resource_link.id"))
    lineitem_url: Mapped[str | None] = mapped_column(String(1000))
    #: The learner's LTI ``sub`` (scores).
    user_id: Mapped[str | None] = mapped_column(String(255))
    #: What to send (scores: the timestamp and values), fixed when queued.
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[JobStatus] = mapped_column(_enum(JobStatus), default=JobStatus.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_at: Mapped[dt.datetime | None]
    #: The platform's HTTP status on the last failure (None: no answer).
    last_status: Mapped[int | None]
    #: How it ended, in words ("delivered", "the LMS holds a newer grade", ...).
    outcome: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[dt.datetime | None]

    course: Mapped[Course | None] = relationship()
    person: Mapped[Person | None] = relationship(foreign_keys=[person_id])
    registration: Mapped[PlatformRegistration] = relationship()
