"""Calendar feeds (issue 17): the secret address a calendar app subscribes to.

Outlook and Google Calendar fetch a subscribed feed without signing in, so the address itself
is the credential: a random token naming one person's or one school's feed. Regenerating it
(a new token) cuts off every calendar that had the old address.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from cpd_tracker.models.base import Base, utcnow


class CalendarFeed(Base):
    """Exactly one of ``person_id`` and ``school_id`` is set; one feed each."""

    __tablename__ = "calendar_feed"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"), unique=True)
    school_id: Mapped[int | None] = mapped_column(ForeignKey("school.id"), unique=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
