"""The data-access log (issue 15, finding 4): who viewed or downloaded a person's evidence,
records or exports, for the school's data protection officer.

What is recorded, by whom:

- a certificate or SENCO document downloaded (``records``, ``senco``): ``downloaded``, the
  person whose file it is;
- the one person page (``staff.person``; ``records.person`` only redirects there) opened by
  anyone other than that person: ``viewed``, once per page view;
- every CSV or XLSX download that lists people (school and trust reports, the SENCO table,
  this log itself): ``exported``, no subject (it lists many), ``what`` naming the export and the
  school;
- a subject access export (``record_access`` with ``action=EXPORTED`` and the person).

``what`` names a page, file or export and a school: never a query string, a token or a secret.
Entries are read by trust leaders on ``/admin/data-access``, their own organisation only, and
kept for ``CPD_TRACKER_RETAIN_ACCESS_LOG_DAYS`` (``services/retention.py``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Select, func, or_, select
from sqlalchemy.orm import Session, aliased

from cpd_tracker.models import DataAccessEntry, Person, School

VIEWED = "viewed"
DOWNLOADED = "downloaded"
EXPORTED = "exported"
ACTIONS = (VIEWED, DOWNLOADED, EXPORTED)
ACTION_LABELS = {VIEWED: "Viewed", DOWNLOADED: "Downloaded", EXPORTED: "Exported"}

#: The longest ``what`` kept (the column's size): longer text is cut, never refused.
WHAT_LENGTH = 300
#: Entries per page on ``/admin/data-access``.
PAGE_SIZE = 50
#: Rows read at a time for a download of the whole log.
EXPORT_BATCH = 1000


def record_access(
    session: Session,
    *,
    organisation_id: int,
    viewer_id: int | None,
    subject_person_id: int | None,
    action: str,
    what: str,
    at: dt.datetime | None = None,
) -> DataAccessEntry:
    """Add one entry to the log (flushed with the caller's transaction, never committed
    here). ``viewer_id`` None means the command line; ``subject_person_id`` None an export
    listing many people."""
    if action not in ACTIONS:
        raise ValueError(f"unknown data-access action {action!r}")
    entry = DataAccessEntry(
        organisation_id=organisation_id,
        viewer_id=viewer_id,
        subject_person_id=subject_person_id,
        action=action,
        what=what[:WHAT_LENGTH],
    )
    if at is not None:
        entry.created_at = at
    session.add(entry)
    return entry


def school_label(school: School) -> str:
    """How a school is named in ``what``: its name and URN."""
    return f"{school.name} (URN {school.urn})"


@dataclass(frozen=True)
class AccessFilter:
    """The page's filters: a person (as viewer or as subject), a name or e-mail to search
    for, and a range of days (both ends included, UTC)."""

    person_id: int | None = None
    name: str = ""
    since: dt.date | None = None
    until: dt.date | None = None


@dataclass(frozen=True)
class AccessRow:
    entry: DataAccessEntry
    viewer: str
    subject: str | None


@dataclass(frozen=True)
class AccessPage:
    rows: list[AccessRow]
    total: int
    page: int
    pages: int


class DataAccessService:
    """Writes the log for the request's signed-in person and reads it for trust leaders."""

    def __init__(self, session: Session, clock: Callable[[], dt.datetime]) -> None:
        self.session = session
        self.clock = clock

    def record(
        self,
        *,
        organisation_id: int,
        viewer_id: int | None,
        subject_person_id: int | None,
        action: str,
        what: str,
    ) -> DataAccessEntry:
        return record_access(
            self.session,
            organisation_id=organisation_id,
            viewer_id=viewer_id,
            subject_person_id=subject_person_id,
            action=action,
            what=what,
            at=self.clock(),
        )

    def viewed(
        self, viewer_id: int, subject: Person | int, organisation_id: int, what: str
    ) -> None:
        """A page of one person's records or evidence: logged unless it is the viewer's own."""
        subject_id = subject if isinstance(subject, int) else subject.id
        if subject_id != viewer_id:
            self.record(
                organisation_id=organisation_id,
                viewer_id=viewer_id,
                subject_person_id=subject_id,
                action=VIEWED,
                what=what,
            )

    def downloaded(self, viewer_id: int, subject_id: int, organisation_id: int, what: str) -> None:
        """A person's file (a certificate, a SENCO document), whoever downloads it."""
        self.record(
            organisation_id=organisation_id,
            viewer_id=viewer_id,
            subject_person_id=subject_id,
            action=DOWNLOADED,
            what=what,
        )

    def exported(
        self, organisation_id: int, viewer_id: int, what: str, school: School | int | None
    ) -> None:
        """A CSV or XLSX listing people: one entry, no subject; ``what`` is followed by the
        school (a school, its id, or None for the whole organisation)."""
        if isinstance(school, int):
            found = self.session.get(School, school)
            school = (
                found if found is not None and found.organisation_id == organisation_id else None
            )
        where = school_label(school) if school is not None else "every school"
        self.record(
            organisation_id=organisation_id,
            viewer_id=viewer_id,
            subject_person_id=None,
            action=EXPORTED,
            what=f"{what}, {where}",
        )

    # --- Reading ---------------------------------------------------------------------------

    def person(self, organisation_id: int, person_id: int) -> Person | None:
        """The person a filter names, if they are this organisation's."""
        found = self.session.get(Person, person_id)
        return found if found is not None and found.organisation_id == organisation_id else None

    def _query(self, organisation_id: int, wanted: AccessFilter) -> Select[int]:
        viewer = aliased(Person)
        subject = aliased(Person)
        query = (
            select(DataAccessEntry.id)
            .outerjoin(viewer, viewer.id == DataAccessEntry.viewer_id)
            .outerjoin(subject, subject.id == DataAccessEntry.subject_person_id)
            .where(DataAccessEntry.organisation_id == organisation_id)
        )
        if wanted.person_id is not None:
            query = query.where(
                or_(
                    DataAccessEntry.viewer_id == wanted.person_id,
                    DataAccessEntry.subject_person_id == wanted.person_id,
                )
            )
        if wanted.name:
            pattern = "%" + _escape_like(wanted.name.lower()) + "%"
            query = query.where(or_(*_matches(viewer, pattern), *_matches(subject, pattern)))
        if wanted.since is not None:
            query = query.where(DataAccessEntry.created_at >= _start_of(wanted.since))
        if wanted.until is not None:
            query = query.where(
                DataAccessEntry.created_at < _start_of(wanted.until + dt.timedelta(days=1))
            )
        return query

    def page(self, organisation_id: int, wanted: AccessFilter, page: int) -> AccessPage:
        """One page of entries, newest first; ``page`` past the last is the caller's 400
        (``pages`` is at least 1)."""
        ids = self._query(organisation_id, wanted)
        total = self.session.scalar(select(func.count()).select_from(ids.subquery())) or 0
        pages = max(1, -(-total // PAGE_SIZE))
        chosen = list(
            self.session.scalars(
                ids.order_by(DataAccessEntry.created_at.desc(), DataAccessEntry.id.desc())
                .limit(PAGE_SIZE)
                .offset((page - 1) * PAGE_SIZE)
            )
        )
        return AccessPage(rows=self._rows(chosen), total=total, page=page, pages=pages)

    def all_rows(self, organisation_id: int, wanted: AccessFilter) -> Iterator[AccessRow]:
        """Every entry the filters match, newest first, read a batch at a time."""
        ids = list(
            self.session.scalars(
                self._query(organisation_id, wanted).order_by(
                    DataAccessEntry.created_at.desc(), DataAccessEntry.id.desc()
                )
            )
        )
        for start in range(0, len(ids), EXPORT_BATCH):
            yield from self._rows(ids[start : start + EXPORT_BATCH])

    def _rows(self, ids: list[int]) -> list[AccessRow]:
        if not ids:
            return []
        viewer = aliased(Person)
        subject = aliased(Person)
        found = self.session.execute(
            select(DataAccessEntry, viewer, subject)
            .outerjoin(viewer, viewer.id == DataAccessEntry.viewer_id)
            .outerjoin(subject, subject.id == DataAccessEntry.subject_person_id)
            .where(DataAccessEntry.id.in_(ids))
        ).all()
        by_id = {
            entry.id: AccessRow(
                entry=entry,
                viewer=who.display_name if who is not None else "Command line",
                subject=whose.display_name if whose is not None else None,
            )
            for entry, who, whose in found
        }
        return [by_id[i] for i in ids if i in by_id]


def _start_of(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _matches(person: type[Person], pattern: str) -> list[ColumnElement[bool]]:
    return [
        func.lower(column).like(pattern, escape="\\")
        for column in (person.name, person.given_name, person.family_name, person.email)
    ]
