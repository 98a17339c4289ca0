"""Precomputed status timelines for reports at trust scale (issue 6, "Scale").

Derived data, never a record: ``services/status_facts.py`` fills these rows from the status
engine (``rules/timeline.py``) and throws them away whenever the facts behind them change, so
they carry no audit trail. A row holds up to four segments of constant status; the status on
a day is ``CASE WHEN :today < change_1 THEN status_0 WHEN :today < change_2 THEN status_1 ...``
(unused boundaries are 9999-12-31), valid while ``computed_on <= today < valid_until``.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from cpd_tracker.models.base import Base


class ReportStatus(Base):
    """Where one person at one school stands against one requirement, day by day."""

    __tablename__ = "report_status"
    __table_args__ = (
        # The trust's figures: every row of the organisation, grouped by school and column.
        Index("ix_report_status_org_school", "organisation_id", "school_id"),
        # A person's rows across schools (the staff page, drill-downs).
        Index("ix_report_status_person", "person_id"),
    )

    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), primary_key=True)
    requirement_id: Mapped[int] = mapped_column(ForeignKey("requirement.id"), primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    module_id: Mapped[int] = mapped_column(ForeignKey("training_module.id"))
    #: The trust-wide requirement a school override stands in for, else the requirement itself:
    #: one column of the trust's matrix.
    column_id: Mapped[int] = mapped_column(ForeignKey("requirement.id"))
    computed_on: Mapped[dt.date]
    valid_until: Mapped[dt.date]
    change_1: Mapped[dt.date]
    change_2: Mapped[dt.date]
    change_3: Mapped[dt.date]
    status_0: Mapped[str] = mapped_column(String(20))
    status_1: Mapped[str] = mapped_column(String(20))
    status_2: Mapped[str] = mapped_column(String(20))
    status_3: Mapped[str] = mapped_column(String(20))
    due_0: Mapped[dt.date | None]
    due_1: Mapped[dt.date | None]
    due_2: Mapped[dt.date | None]
    due_3: Mapped[dt.date | None]
    expires_on: Mapped[dt.date | None]
    last_completed_on: Mapped[dt.date | None]


class ReportStatusSchool(Base):
    """When a school's rows were computed and until when they hold; a change to the facts
    behind them sets ``valid_until`` to ``computed_on`` (stale: recomputed on next read)."""

    __tablename__ = "report_status_school"

    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    computed_on: Mapped[dt.date]
    valid_until: Mapped[dt.date]
    #: The day ``report_count`` and ``report_list`` were counted for (None: never, or a name
    #: changed since); they hold for that day only (issue 14, finding 9).
    counted_on: Mapped[dt.date | None]


class ReportCount(Base):
    """One figure of the dashboards for one school and day, counted from its status facts
    (``services/school_counts.py``) so a page reads a few hundred of these, not a row per
    person and requirement. ``scope`` is a staff role (the figures with that role filter) or
    "" (all staff); unused key columns are 0 or "".

    Kinds: "requirement" (column, module, status: rows), "role" (tag: a role held, status:
    rows), "expiring" (tag: 30, 60 or 90 days: trained rows expiring in that window),
    "never_started" (people), "with_status" (status: people on the staff list with it)."""

    __tablename__ = "report_count"
    __table_args__ = (
        # The trust's figures: every school's "requirement" counts without a role filter.
        Index("ix_report_count_org", "organisation_id", "scope", "kind"),
    )

    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), primary_key=True)
    scope: Mapped[str] = mapped_column(String(20), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    column_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    module_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    tag: Mapped[str] = mapped_column(String(20), primary_key=True)
    status: Mapped[str] = mapped_column(String(20), primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    n: Mapped[int]


class ReportListRow(Base):
    """The first rows of one of the school dashboard's lists for one school and day (a gap
    list, "never_started"), in the list's order; counted with ``ReportCount``."""

    __tablename__ = "report_list"

    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), primary_key=True)
    scope: Mapped[str] = mapped_column(String(20), primary_key=True)
    tag: Mapped[str] = mapped_column(String(20), primary_key=True)
    position: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    #: No foreign keys: derived data, thrown away with the facts (a person's erasure need
    #: not know of it).
    person_id: Mapped[int]
    column_id: Mapped[int | None]
    status: Mapped[str | None] = mapped_column(String(20))
    due_on: Mapped[dt.date | None]
    expires_on: Mapped[dt.date | None]


class ReportStaffRow(Base):
    """One member of a school's staff list at their position in its name order (the page's
    ``school_statements.name_order``), counted with ``ReportCount`` for the day: page N of
    the list is a range of ``position``, not a sort of everyone (issue 14, finding 9).
    ``scope`` as in ``ReportCount``; ``statuses`` the person's statuses at the school that day,
    each between bars ("|overdue|due|"), for the status filter."""

    __tablename__ = "report_staff"

    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), primary_key=True)
    scope: Mapped[str] = mapped_column(String(20), primary_key=True)
    position: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    #: No foreign key, as ``ReportListRow``.
    person_id: Mapped[int]
    statuses: Mapped[str] = mapped_column(String(250))


class ReportStatusPerson(Base):
    """A person whose rows at a school no longer hold: a change to their own facts (a
    completion, an exemption, an extension, a role, their start or leaving date). The next
    read recomputes their rows alone and recounts the school, not every person in it
    (issue 18, item 5); the school's ``ReportStatusSchool`` stays fresh meanwhile."""

    __tablename__ = "report_status_person"

    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), primary_key=True)
    #: No foreign key, as ``ReportListRow``.
    person_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
