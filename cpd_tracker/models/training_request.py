"""A member of staff's request for a place on training they must complete (issue 17).

Training with no in-tool content, no booking link and no upcoming INSET session at the person's
school used to be a dead end on My training. The person now asks their CPD lead for a place;
the lead approves, declines (with a reason) or turns the request into a booking (a purchase
naming the person as a delegate). At most one request per person and module is open
(requested or approved) at a time: the partial unique index holds that even for two clicks
that arrive together.
"""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import Enum, ForeignKey, Index, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cpd_tracker.models.base import Base, utcnow
from cpd_tracker.models.catalogue import Module
from cpd_tracker.models.organisation import School
from cpd_tracker.models.person import Person
from cpd_tracker.models.requirement import Requirement
from cpd_tracker.models.spend import Purchase


class RequestStatus(enum.StrEnum):
    REQUESTED = "requested"
    APPROVED = "approved"
    DECLINED = "declined"
    BOOKED = "booked"

    @property
    def is_open(self) -> bool:
        """Still waiting for the CPD lead to decide or to book."""
        return self in (RequestStatus.REQUESTED, RequestStatus.APPROVED)


class TrainingRequest(Base):
    __tablename__ = "training_request"
    __table_args__ = (
        Index(
            "uq_training_request_open",
            "person_id",
            "module_id",
            unique=True,
            sqlite_where=text("status IN ('requested', 'approved')"),
            postgresql_where=text("status IN ('requested', 'approved')"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    module_id: Mapped[int] = mapped_column(ForeignKey("training_module.id"))
    #: The requirement the person asked from (None once that requirement is gone).
    requirement_id: Mapped[int | None] = mapped_column(
        ForeignKey("requirement.id", ondelete="SET NULL")
    )
    #: The school whose CPD leads decide.
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    status: Mapped[RequestStatus] = mapped_column(
        Enum(
            RequestStatus,
            native_enum=False,
            length=20,
            values_callable=lambda e: [m.value for m in e],
        ),
        default=RequestStatus.REQUESTED,
    )
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    decided_at: Mapped[dt.datetime | None]
    #: The CPD lead's words to the person: the reason for a decline, else optional.
    note: Mapped[str] = mapped_column(Text, default="")
    #: The booking it became.
    purchase_id: Mapped[int | None] = mapped_column(ForeignKey("purchase.id", ondelete="SET NULL"))

    person: Mapped[Person] = relationship(foreign_keys=[person_id])
    decided_by: Mapped[Person | None] = relationship(foreign_keys=[decided_by_id])
    module: Mapped[Module] = relationship()
    requirement: Mapped[Requirement | None] = relationship()
    school: Mapped[School] = relationship()
    purchase: Mapped[Purchase | None] = relationship()
