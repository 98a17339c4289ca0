"""Calendar feeds (issue 17): the secret address a calendar app subscribes to.

Outlook and Google Calendar fetch a subscribed feed without signing in, so the address itself
is the credential. Its key is derived from SECRET_KEY, the feed's id and its ``generation``
(``services/feed_keys.py``) and never stored: a copy of the database opens no feed. A new
address is the next generation, which cuts off every calendar that had the old one.
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
    #: Which address is current: each new address is the next generation.
    generation: Mapped[int] = mapped_column(default=1, server_default="1")
    #: SHA-256 (hex) of the random token a feed made before migration 0031 had, so calendars
    #: subscribed to that address keep working; cleared when the address is reset.
    legacy_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
