"""An LMS account waiting to be confirmed as a person already on the staff list (issue 15).

A launch links an LMS account to an imported person by e-mail only when that is safe (the
person has never launched and holds nothing beyond staff). Otherwise the account signs in as a
new person without the e-mail, and this row asks a CPD lead or trust leader to confirm (the two
become one person) or refuse.
"""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import Enum, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cpd_tracker.models.base import Base, utcnow
from cpd_tracker.models.person import Person


class LinkOutcome(enum.StrEnum):
    LINKED = "linked"
    REFUSED = "refused"


class IdentityLinkRequest(Base):
    __tablename__ = "identity_link_request"
    __table_args__ = (UniqueConstraint("person_id", "candidate_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    #: The person the LMS account signed in as (new, without the e-mail).
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    #: The person on the staff list whose e-mail the platform's signed claims gave.
    candidate_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    #: The e-mail from the launch's signed claims (lower case).
    email: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[dt.datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    outcome: Mapped[LinkOutcome | None] = mapped_column(
        Enum(
            LinkOutcome,
            native_enum=False,
            length=20,
            values_callable=lambda e: [m.value for m in e],
        )
    )

    person: Mapped[Person | None] = relationship(foreign_keys=[person_id])
    candidate: Mapped[Person] = relationship(foreign_keys=[candidate_id])
