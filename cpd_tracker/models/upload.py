"""An uploaded CSV kept between its preview and its apply (all-or-nothing imports)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from cpd_tracker.models.base import Base, utcnow


class ImportUpload(Base):
    __tablename__ = "import_upload"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    #: "staff" or "completions" (``services/imports``), or "purchases" (``services/spend``).
    kind: Mapped[str] = mapped_column(String(20))
    school_id: Mapped[int | None] = mapped_column(ForeignKey("school.id"))
    file_name: Mapped[str] = mapped_column(String(255))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    applied_at: Mapped[dt.datetime | None]
