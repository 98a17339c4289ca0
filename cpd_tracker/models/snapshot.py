"""Monthly coverage snapshots: how many staff of a school were trained for a requirement in a
month (issue 6, "Trends").

Derived data, not a record of anyone's training: ``services/snapshots.py`` computes each row
with the status engine and may recompute it, so rows carry no audit trail. Per-status counts
are kept beside the coverage pair so a later report can chart overdue or expired as well.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from cpd_tracker.models.base import Base, utcnow


class CoverageSnapshot(Base):
    """One school's figures for one requirement in one calendar month."""

    __tablename__ = "coverage_snapshot"
    __table_args__ = (UniqueConstraint("school_id", "requirement_id", "month"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    # No index of its own: the unique constraint's index leads with it.
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"))
    requirement_id: Mapped[int] = mapped_column(ForeignKey("requirement.id"), index=True)
    #: The first day of the calendar month.
    month: Mapped[dt.date]
    #: The day the figures describe: the month's last day once the month is final; while
    #: it is still open, the day of the run that last found them changed.
    as_of: Mapped[dt.date]
    #: Staff the requirement applied to, leavers and exempt staff left out (``Coverage.expected``).
    applicable: Mapped[int] = mapped_column(default=0)
    #: Of those, trained: compliant or expiring soon (``Coverage.trained``).
    compliant: Mapped[int] = mapped_column(default=0)
    # The statuses behind the figures. ``compliant`` above includes ``expiring_soon``.
    expiring_soon: Mapped[int] = mapped_column(default=0)
    not_yet_due: Mapped[int] = mapped_column(default=0)
    due: Mapped[int] = mapped_column(default=0)
    due_soon: Mapped[int] = mapped_column(default=0)
    overdue: Mapped[int] = mapped_column(default=0)
    extended: Mapped[int] = mapped_column(default=0)
    expired: Mapped[int] = mapped_column(default=0)
    exempt: Mapped[int] = mapped_column(default=0)
    #: Computed after the day it describes, from the completion history and today's staff
    #: list, rather than on the day itself.
    backfilled: Mapped[bool] = mapped_column(default=False)
    taken_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    @property
    def percent(self) -> int | None:
        """Trained as a whole percentage, rounded as ``Coverage.percent`` does."""
        return round(100 * self.compliant / self.applicable) if self.applicable else None

    @property
    def is_final(self) -> bool:
        """Taken as of the month's last day: never rewritten (unless asked to replace)."""
        return (self.as_of + dt.timedelta(days=1)).month != self.month.month
