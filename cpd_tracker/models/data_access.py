"""The data-access log: who viewed or downloaded a person's evidence, records or exports
(issue 15, finding 4). Written by ``services/data_access.py``; read by trust leaders on
``/admin/data-access``; kept for ``CPD_TRACKER_RETAIN_ACCESS_LOG_DAYS`` (``services/retention``).

A view changes nothing, so it is not an audit entry: this log answers a data protection
officer's "who has looked at my records?" without mixing reads into the change history.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from cpd_tracker.models.base import Base, utcnow


class DataAccessEntry(Base):
    __tablename__ = "data_access_entry"
    __table_args__ = (
        # The trust leaders' page: one organisation's entries, newest first.
        Index("ix_data_access_entry_organisation_created", "organisation_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    #: Who looked (None: the command line, e.g. an operator's subject access export).
    viewer_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"), index=True)
    #: Whose data; None for an export listing many people.
    subject_person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"), index=True)
    #: "viewed", "downloaded" or "exported" (``services.data_access``).
    action: Mapped[str] = mapped_column(String(20))
    #: Which page, file or export, and which school: never a query string or a secret.
    what: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
