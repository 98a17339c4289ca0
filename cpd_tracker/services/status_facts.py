"""Status facts: the status engine's answers, precomputed per school, person and requirement
so reports count them with ``GROUP BY`` (issue 6, "Scale"; see ``models/status.py``).

Kept true in two ways:

* **Invalidated on write, from one place.** Session listeners (the pattern of
  ``services/outbox.py``) see every change to the facts behind a status (completions, staff
  roles, a person's start or leaving date, requirements, modules, exemptions, extensions), from
  ``after_flush`` for the unit of work and ``do_orm_execute`` for ORM bulk statements (imports),
  and mark what no longer holds in the same transaction: the people concerned at each of their
  schools (``report_status_person``) for a change to a person's own facts, whole schools for a
  requirement or module or a bulk change of a school's roles. No service has to remember.
* **Recomputed on read** (``ensure_fresh``): the marked people alone, then the school
  recounted (issue 18, item 5: one completion costs its person's rows, not the school's); a
  stale school, or one whose timelines have run out, whole, with the same facts
  ``ComplianceService`` loads; and by ``cpd-tracker report-status refresh`` (nightly, so
  readers rarely wait).

The status on ``today`` is then ``status_on(today)``, a SQL ``CASE`` over the row's boundaries.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from itertools import chain
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import (
    ColumnElement,
    Date,
    Integer,
    Select,
    Table,
    and_,
    bindparam,
    case,
    delete,
    event,
    insert,
    inspect,
    literal,
    not_,
    or_,
    select,
    text,
    tuple_,
    union,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction

if TYPE_CHECKING:
    from cpd_tracker.services.school_counts import SchoolCounts

from cpd_tracker.dates import local_date
from cpd_tracker.models import (
    Completion,
    Exemption,
    Extension,
    Module,
    Person,
    ReportStatus,
    ReportStatusPerson,
    ReportStatusSchool,
    Requirement,
    School,
    StaffRole,
)
from cpd_tracker.models.status import ReportCount, ReportStaffRow
from cpd_tracker.rules.timeline import Timeline, timeline
from cpd_tracker.rules.training import PersonFacts
from cpd_tracker.services.bulk_rows import insert_rows
from cpd_tracker.services.compliance import (
    ComplianceService,
    StaffMember,
    applies_to,
    appointment_for,
    later,
    requirement_facts,
)

#: Stands for "no further change" in an unused boundary.
NEVER = dt.date(9999, 12, 31)
_SEGMENT_COLUMNS = 4
#: The advisory-lock namespace for recomputing a school's rows (PostgreSQL).
_LOCK_SPACE = 60601
#: ``Session.info`` key: the (organisation, day, schools) ``ensure_fresh`` answered in the
#: session's transaction, forgotten at its end or on any write.
_FRESH = "status_facts_fresh"
#: ``Session.info`` key: the kept counts ``SchoolCounts.counts`` read in the transaction (the
#: school page and its trend chart read the same rows), forgotten with ``_FRESH``.
COUNTS_READ = "school_counts_read"
#: More people than this marked at one school (an import of completions): the school is
#: recomputed whole, in one pass over its facts rather than a long ``IN`` list.
PEOPLE_LIMIT = 500


def status_on(today: dt.date) -> ColumnElement[str]:
    """A row's status on ``today`` (valid while ``computed_on <= today < valid_until``)."""
    day = bindparam("report_today", today, type_=Date)
    t = ReportStatus
    return case(
        (day < t.change_1, t.status_0),
        (day < t.change_2, t.status_1),
        (day < t.change_3, t.status_2),
        else_=t.status_3,
    )


def due_on(today: dt.date) -> ColumnElement[dt.date | None]:
    day = bindparam("report_today", today, type_=Date)
    t = ReportStatus
    return case(
        (day < t.change_1, t.due_0),
        (day < t.change_2, t.due_1),
        (day < t.change_3, t.due_2),
        else_=t.due_3,
    )


def _row(
    school: School,
    person_id: int,
    requirement: Requirement,
    column_id: int,
    line: Timeline,
    today: dt.date,
) -> dict[str, Any]:
    segments = list(line.segments)
    changes = [s.starts_on for s in segments[1:]]
    changes += [NEVER] * (_SEGMENT_COLUMNS - 1 - len(changes))
    segments += [segments[-1]] * (_SEGMENT_COLUMNS - len(segments))
    row: dict[str, Any] = {
        "school_id": school.id,
        "person_id": person_id,
        "requirement_id": requirement.id,
        "organisation_id": school.organisation_id,
        "module_id": requirement.module_id,
        "column_id": column_id,
        "computed_on": today,
        "valid_until": line.valid_until,
        "expires_on": line.expires_on,
        "last_completed_on": line.last_completed_on,
    }
    for i, day in enumerate(changes, start=1):
        row[f"change_{i}"] = day
    for i, segment in enumerate(segments):
        row[f"status_{i}"] = segment.status.value
        row[f"due_{i}"] = segment.due_on
    return row


class StatusFactsService:
    def __init__(
        self,
        session: Session,
        compliance: ComplianceService | None = None,
        counts: SchoolCounts | None = None,
    ) -> None:
        # Imported here: ``school_counts`` builds on this module's ``status_on``.
        from cpd_tracker.services.school_counts import SchoolCounts

        self.session = session
        self.compliance = compliance or ComplianceService(session)
        self.counts = counts or SchoolCounts(session)

    # -- reading -------------------------------------------------------------------------

    def ensure_fresh(
        self, organisation_id: int, today: dt.date, school_ids: Iterable[int] | None = None
    ) -> int:
        """Recompute the organisation's schools (or just ``school_ids``) whose facts do not
        hold on ``today``, and recount those whose counts are not ``today``'s
        (``school_counts``); returns how many schools' facts were recomputed.

        Asked again in the same transaction with nothing written since (the school page and
        its trend chart each ask), it answers 0 without asking the database."""
        wanted_key = None if school_ids is None else tuple(sorted(set(school_ids)))
        school_ids = None if wanted_key is None else list(wanted_key)
        answered: set[tuple[Any, ...]] = self.session.info.get(_FRESH, set())
        if {(organisation_id, today, None), (organisation_id, today, wanted_key)} & answered:
            return 0
        query = (
            select(School)
            .outerjoin(ReportStatusSchool, ReportStatusSchool.school_id == School.id)
            .where(
                School.organisation_id == organisation_id,
                or_(
                    ReportStatusSchool.school_id.is_(None),
                    not_(
                        and_(
                            ReportStatusSchool.computed_on <= today,
                            ReportStatusSchool.valid_until > today,
                        )
                    ),
                ),
            )
            .order_by(School.id)
        )
        # Fresh facts counted on another day (or not since a name changed).
        uncounted = (
            select(ReportStatusSchool.school_id)
            .join(School, School.id == ReportStatusSchool.school_id)
            .where(
                School.organisation_id == organisation_id,
                or_(
                    ReportStatusSchool.counted_on.is_(None), ReportStatusSchool.counted_on != today
                ),
            )
            .order_by(ReportStatusSchool.school_id)
        )
        # People whose own facts changed, at a school whose other rows still hold.
        marked = (
            select(ReportStatusPerson.school_id, ReportStatusPerson.person_id)
            .join(School, School.id == ReportStatusPerson.school_id)
            .where(School.organisation_id == organisation_id)
        )
        if school_ids is not None:
            wanted = list(school_ids)
            query = query.where(School.id.in_(wanted))
            uncounted = uncounted.where(ReportStatusSchool.school_id.in_(wanted))
            marked = marked.where(ReportStatusPerson.school_id.in_(wanted))
        # One statement answers the usual case, where everything holds.
        probe = select(
            or_(
                query.order_by(None).exists(),
                uncounted.order_by(None).exists(),
                marked.exists(),
            )
        )
        if not self.session.scalar(probe):
            self.session.info.setdefault(_FRESH, set()).add((organisation_id, today, wanted_key))
            return 0
        stale = list(self.session.scalars(query))
        recount = list(self.session.scalars(uncounted))
        people = self._marked(marked)
        if (stale or recount or people) and self.session.get_bind().dialect.name == "postgresql":
            # Two requests finding the same school stale: one computes, the other waits for
            # it (the lock ends with the transaction) and then finds the school fresh.
            for key in sorted({school.id for school in stale} | set(recount) | set(people)):
                self.session.execute(
                    text("SELECT pg_advisory_xact_lock(:space, :key)"),
                    {"space": _LOCK_SPACE, "key": key},
                )
            stale = list(self.session.scalars(query))
            recount = list(self.session.scalars(uncounted))
            people = self._marked(marked)
        for school in stale:
            self.refresh_school(school, today)
        recomputed = {school.id for school in stale}
        for school_id, person_ids in sorted(people.items()):
            at = self.session.get(School, school_id)
            if school_id in recomputed or at is None:
                continue
            if len(person_ids) > PEOPLE_LIMIT:
                self.refresh_school(at, today)
            else:
                self.refresh_people(at, person_ids, today)
            recomputed.add(school_id)
        for school_id in recount:
            if school_id not in recomputed:
                self.counts.recount(school_id, organisation_id, today)
        # After this call's own writes, which forget what was answered before them.
        self.session.info.setdefault(_FRESH, set()).add((organisation_id, today, wanted_key))
        return len(recomputed)

    def _marked(self, query: Select[int, int]) -> dict[int, list[int]]:
        """School id -> the people marked there."""
        people: dict[int, list[int]] = {}
        for school_id, person_id in self.session.execute(query):
            people.setdefault(school_id, []).append(person_id)
        return people

    # -- computing -----------------------------------------------------------------------

    def refresh_school(self, school: School, today: dt.date) -> int:
        """Replace the school's rows with timelines from ``today``; returns the row count."""
        # First, so that a person marked by a write committed meanwhile stays marked.
        self.session.execute(
            delete(ReportStatusPerson).where(ReportStatusPerson.school_id == school.id)
        )
        rows = self._rows(school, self.compliance.staff_of(school), today)
        self._replace(school, rows, today)
        return len(rows)

    def refresh_people(self, school: School, person_ids: Sequence[int], today: dt.date) -> int:
        """Replace the rows of ``person_ids`` at the school with timelines from ``today``
        (none for someone no longer on its staff) and move the school's counts by what those
        people add now instead of what they added (the school is recounted whole when its
        counts are not today's or someone joined or left its staff list); its other rows are
        kept. Returns the row count written."""
        self.session.execute(
            delete(ReportStatusPerson).where(
                ReportStatusPerson.school_id == school.id,
                ReportStatusPerson.person_id.in_(person_ids),
            )
        )
        before = self.counts.before_people(school.id, school.organisation_id, today, person_ids)
        rows = self._rows(school, self.compliance.staff_of(school, person_ids=person_ids), today)
        self.session.execute(
            delete(ReportStatus).where(
                ReportStatus.school_id == school.id, ReportStatus.person_id.in_(person_ids)
            )
        )
        if rows:
            insert_rows(self.session.connection(), _FACTS, rows)
            # The school's rows hold until the first of them runs out.
            until = min(r["valid_until"] for r in rows)
            self.session.execute(
                update(ReportStatusSchool)
                .where(
                    ReportStatusSchool.school_id == school.id,
                    ReportStatusSchool.valid_until > until,
                )
                .values(valid_until=until)
            )
        if before is None or not self.counts.recount_people(before):
            self.counts.recount(school.id, school.organisation_id, today)
        return len(rows)

    def _rows(
        self, school: School, staff: Sequence[StaffMember], today: dt.date
    ) -> list[dict[str, Any]]:
        """The status rows of ``staff`` at the school: a timeline from ``today`` for each
        person and requirement that applies to them."""
        requirements = self.compliance.requirements_for_school(school)
        people = [m.person_id for m in staff]
        rows: list[dict[str, Any]] = []
        if people and requirements:
            # Every completion, future-dated ones too: a timeline ends on such a date.
            completions = self.compliance._completions(
                people, {r.module_id for r in requirements}, dt.date.max
            )
            exemptions = self.compliance._exemptions(people, [r.id for r in requirements])
            extensions = self.compliance._extensions(people, [r.id for r in requirements])
            for requirement in requirements:
                facts = requirement_facts(requirement)
                column_id = (
                    requirement.overrides_id
                    if requirement.school_id is not None and requirement.overrides_id
                    else requirement.id
                )
                # As ComplianceService._assess: a requirement bites from its introduction.
                introduced = local_date(requirement.created_at)
                for member in staff:
                    if not applies_to(requirement, member.roles):
                        continue
                    person = PersonFacts(
                        start_date=later(member.start_date, introduced),
                        appointed_on=later(appointment_for(requirement, member), introduced),
                        leaving_date=member.leaving_date,
                    )
                    line = timeline(
                        person,
                        facts,
                        completions.get((member.person_id, requirement.module_id), []),
                        exemptions.get((member.person_id, requirement.id), []),
                        extensions.get((member.person_id, requirement.id), []),
                        today,
                    )
                    rows.append(_row(school, member.person_id, requirement, column_id, line, today))
        return rows

    def _replace(self, school: School, rows: Sequence[dict[str, Any]], today: dt.date) -> None:
        self.session.execute(delete(ReportStatus).where(ReportStatus.school_id == school.id))
        self.session.execute(
            delete(ReportStatusSchool).where(ReportStatusSchool.school_id == school.id)
        )
        insert_rows(self.session.connection(), _FACTS, rows)
        until = min([r["valid_until"] for r in rows], default=NEVER)
        self.session.execute(
            insert(ReportStatusSchool),
            [
                {
                    "school_id": school.id,
                    "organisation_id": school.organisation_id,
                    "computed_on": today,
                    "valid_until": until,
                }
            ],
        )
        # The figures, in the same transaction (issue 14, finding 9).
        self.counts.recount(school.id, school.organisation_id, today)


# ---------------------------------------------------------------- invalidation

_MARKER = cast(Table, ReportStatusSchool.__table__)
_FACTS = cast(Table, ReportStatus.__table__)
#: Person fields a status depends on (``ComplianceService.staff_of`` and ``_assess``).
_PERSON_FIELDS = ("start_date", "leaving_date", "active", "organisation_id")
#: Person fields the dashboards' lists are ordered by (``school_counts``: recounted, the
#: facts kept).
_NAME_FIELDS = ("name", "given_name", "family_name")
_STAFF_FACTS = (Completion, Exemption, Extension)
_ORGANISATION_FACTS = (Requirement, Module)
_WATCHED_TABLES = {
    Completion.__tablename__,
    Exemption.__tablename__,
    Extension.__tablename__,
    StaffRole.__tablename__,
    Person.__tablename__,
    Requirement.__tablename__,
    Module.__tablename__,
}


def mark_stale(
    session: Session,
    *,
    person_ids: Iterable[int] = (),
    school_ids: Iterable[int] = (),
    organisation_ids: Iterable[int] = (),
    people_at: Iterable[tuple[int, int]] = (),
) -> None:
    """Mark what no longer holds, recomputed on the next read: ``person_ids`` at every
    school they hold a role in or have rows at, and each (school, person) of ``people_at``
    (a role's school before a move); every person of ``school_ids`` and of every school of
    ``organisation_ids``."""
    people, schools, orgs = (
        {i for i in person_ids if i is not None},
        {i for i in school_ids if i is not None},
        {i for i in organisation_ids if i is not None},
    )
    pairs = {(s, p) for s, p in people_at if s is not None and p is not None}
    if people or pairs:
        _mark_people(session, people, pairs)
    if not (schools or orgs):
        return
    marker = ReportStatusSchool
    conditions = []
    if schools:
        conditions.append(marker.school_id.in_(schools))
    if orgs:
        conditions.append(marker.organisation_id.in_(orgs))
    session.connection().execute(
        update(_MARKER)
        .where(or_(*conditions), marker.valid_until > marker.computed_on)
        .values(valid_until=marker.computed_on)
    )


#: Pairs named as literals per statement: SQLite refuses a UNION of more than 500 SELECTs.
_PAIRS_PER_STATEMENT = 400


def _mark_people(session: Session, people: set[int], pairs: set[tuple[int, int]]) -> None:
    """``report_status_person`` rows for each of ``people`` at their schools and for
    ``pairs``, at schools whose facts have been computed (any other is computed whole)."""
    found: list[Any] = []
    if people:
        found.append(
            select(StaffRole.school_id, StaffRole.person_id).where(StaffRole.person_id.in_(people))
        )
        # Rows left at a school they hold no role in any more (a role deleted, a person
        # erased): those rows go too.
        found.append(
            select(ReportStatus.school_id, ReportStatus.person_id).where(
                ReportStatus.person_id.in_(people)
            )
        )
    if found:
        _insert_marks(session, found)
    ordered = sorted(pairs)
    for start in range(0, len(ordered), _PAIRS_PER_STATEMENT):
        _insert_marks(
            session,
            [
                select(literal(school_id, Integer), literal(person_id, Integer))
                for school_id, person_id in ordered[start : start + _PAIRS_PER_STATEMENT]
            ],
        )


def _insert_marks(session: Session, found: list[Any]) -> None:
    rows: Any = union(*found) if len(found) > 1 else found[0]
    each = rows.subquery("each")
    computed = (
        select(each.c[0], each.c[1])
        .join(ReportStatusSchool, ReportStatusSchool.school_id == each.c[0])
        .order_by(each.c[0], each.c[1])
    )
    connection = session.connection()
    columns = ["school_id", "person_id"]
    if connection.dialect.name == "postgresql":
        statement: Any = pg_insert(ReportStatusPerson).from_select(columns, computed)
    else:
        statement = sqlite_insert(ReportStatusPerson).from_select(columns, computed)
    # Already marked by an earlier write of the transaction (or another): nothing to add.
    connection.execute(statement.on_conflict_do_nothing())


def _changed(obj: object, fields: Sequence[str]) -> bool:
    state = inspect(obj)
    return any(state.attrs[f].history.has_changes() for f in fields)


def _after_flush(session: Session, _context: UOWTransaction) -> None:
    _forget_fresh(session)
    people: set[int] = set()
    pairs: set[tuple[int, int]] = set()
    orgs: set[int] = set()
    renamed: set[int] = set()
    # People whose roles or employment changed: who is on a list, and under which role,
    # may have moved, which the counts cannot follow person by person.
    staffing: set[int] = set()
    # ``dirty`` holds every object an attribute was set on, changed or not (a launch sets a
    # person's roles again): only real changes count.
    changed = [o for o in session.dirty if session.is_modified(o, include_collections=False)]
    changed_people = [o for o in changed if isinstance(o, Person)]
    for obj in chain(session.new, changed, session.deleted):
        if isinstance(obj, _STAFF_FACTS):
            people.add(obj.person_id)
        elif isinstance(obj, StaffRole):
            # The person at the role's school, and at its school before a move.
            people.add(obj.person_id)
            staffing.add(obj.person_id)
            pairs.add((obj.school_id, obj.person_id))
            for before in inspect(obj).attrs.school_id.history.deleted or ():
                pairs.add((before, obj.person_id))
        elif isinstance(obj, Person):
            if obj in session.deleted or _changed(obj, _PERSON_FIELDS):
                people.add(obj.id)
                staffing.add(obj.id)
            elif obj not in session.new and _changed(obj, _NAME_FIELDS):
                renamed.add(obj.id)
        elif isinstance(obj, _ORGANISATION_FACTS):
            orgs.add(obj.organisation_id)
    mark_stale(session, person_ids=people, people_at=pairs, organisation_ids=orgs)
    _uncount(session, staffing, {school_id for school_id, _ in pairs})
    for obj in changed_people:
        _launched(session, obj)
    if renamed:
        session.connection().execute(
            update(_MARKER)
            .where(
                ReportStatusSchool.school_id.in_(
                    select(StaffRole.school_id).where(StaffRole.person_id.in_(renamed))
                )
            )
            .values(counted_on=None)
        )


def _launched(session: Session, person: Person) -> None:
    """A first launch (``last_launch_at`` set where there was none; undone, the reverse):
    the kept "never opened the tool" counts of every school list the person is on follow,
    with no recount (``school_counts``)."""
    history = inspect(person).attrs.last_launch_at.history
    before, after = history.deleted, history.added
    if not before or not after or (before[0] is None) == (after[0] is None):
        return
    s = ReportStaffRow
    session.connection().execute(
        update(ReportCount)
        .where(
            ReportCount.kind == "never_launched",
            tuple_(ReportCount.school_id, ReportCount.scope).in_(
                select(s.school_id, s.scope).where(s.person_id == person.id)
            ),
        )
        .values(n=ReportCount.n + (1 if after[0] is None else -1))
    )


def _do_orm_execute(state: ORMExecuteState) -> None:
    """Bulk INSERT/UPDATE/DELETE (CSV imports) bypass the unit of work and ``after_flush``."""
    if not (state.is_insert or state.is_update or state.is_delete):
        return
    # Any write (the facts' own tables too: ``report-status refresh --all`` marks them).
    _forget_fresh(state.session)
    table = getattr(state.statement, "table", None)
    name = getattr(table, "name", None)
    if name not in _WATCHED_TABLES:
        return
    params = state.parameters
    rows: list[Any] = params if isinstance(params, list) else [params or {}]
    if not any(rows) or name in {Requirement.__tablename__, Module.__tablename__}:
        # No parameters to go on (a WHERE-based statement): every school that could be hit.
        orgs = {r.get("organisation_id") for r in rows if r}
        if not orgs - {None}:
            state.session.connection().execute(
                update(_MARKER).values(valid_until=ReportStatusSchool.computed_on)
            )
            return
        mark_stale(state.session, organisation_ids=orgs)
        return
    key = "id" if name == Person.__tablename__ else "person_id"
    people = {r.get(key) for r in rows} - {None}
    schools = {r.get("school_id") for r in rows} - {None}
    mark_stale(state.session, person_ids=people, school_ids=schools)
    if name in {Person.__tablename__, StaffRole.__tablename__}:
        _uncount(state.session, people, schools)


def _uncount(session: Session, people: set[int], schools: set[int]) -> None:
    """The schools of ``people`` (and ``schools``) recounted whole on their next read: a
    change to someone's roles or employment can move them onto or off a staff list or a
    role's figures. A change to facts alone moves the counts by the people changed
    (``SchoolCounts.recount_people``)."""
    marker = ReportStatusSchool
    conditions = []
    if people:
        conditions.append(
            marker.school_id.in_(
                union(
                    select(StaffRole.school_id).where(StaffRole.person_id.in_(people)),
                    select(ReportStatus.school_id).where(ReportStatus.person_id.in_(people)),
                )
            )
        )
    if schools:
        conditions.append(marker.school_id.in_(schools))
    if conditions:
        session.connection().execute(
            update(_MARKER)
            .where(or_(*conditions), marker.counted_on.is_not(None))
            .values(counted_on=None)
        )


def _forget_fresh(session: Session, *_: Any) -> None:
    """What ``ensure_fresh`` found fresh holds no longer: a write, or a transaction ended
    (others' commits become visible)."""
    session.info.pop(_FRESH, None)
    session.info.pop(COUNTS_READ, None)


def install_status_listeners() -> None:
    """Listen on every ORM session (idempotent)."""
    for name, listener in (
        ("after_flush", _after_flush),
        ("do_orm_execute", _do_orm_execute),
        ("after_transaction_end", _forget_fresh),
    ):
        if not event.contains(Session, name, listener):
            event.listen(Session, name, listener)
