"""Form submissions already acted on: a create form sent twice creates once (issue 14, 8).

Each form the tool renders carries a random nonce in its signed CSRF token, so the token is
the form's one-time key. A create handler claims the key (a row here, in the same transaction
as what it creates, so a refused submission leaves no claim) and records where its result is
shown; the same form sent again (a double click, Back and submit, a retry after a timeout)
finds the row and is shown that result instead of creating anything.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from cpd_tracker.models.base import Base, utcnow


class FormSubmission(Base):
    __tablename__ = "form_submission"
    __table_args__ = (UniqueConstraint("organisation_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    #: SHA-256 (hex) of the form's path and its CSRF token: never the token itself.
    key: Mapped[str] = mapped_column(String(64))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    #: The endpoint that handled it, e.g. "spend.new_purchase".
    endpoint: Mapped[str] = mapped_column(String(100))
    #: Where what it created is shown: an endpoint and its URL values (None until recorded).
    result_endpoint: Mapped[str | None] = mapped_column(String(100))
    result_values: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
