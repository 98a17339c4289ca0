"""Who may come in: registration invitations, and request counters for the rate limits."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cpd_tracker.models.base import Base, utcnow
from cpd_tracker.models.organisation import Organisation
from cpd_tracker.models.person import Person


class Invitation(Base):
    """A Dynamic Registration link into one organisation: used a stated number of times (once
    by default), until it expires or a trust leader revokes it. Only a hash of its secret is
    kept: the link is shown once, to whoever made it."""

    __tablename__ = "invitation"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    #: SHA-256 of the secret in the link (hex).
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: Who made it: a person of the organisation, or None for the command line.
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime]
    max_uses: Mapped[int] = mapped_column(default=1)
    uses: Mapped[int] = mapped_column(default=0)
    revoked_at: Mapped[dt.datetime | None]
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))

    organisation: Mapped[Organisation] = relationship()
    created_by: Mapped[Person | None] = relationship(foreign_keys=[created_by_id])
    revoked_by: Mapped[Person | None] = relationship(foreign_keys=[revoked_by_id])


class RateCounter(Base):
    """Requests counted per key (an endpoint and a client address or platform) and fixed
    window, shared by every worker and host through the database."""

    __tablename__ = "rate_counter"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    window_start: Mapped[dt.datetime] = mapped_column(primary_key=True)
    count: Mapped[int] = mapped_column(default=0)
