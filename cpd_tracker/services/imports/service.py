"""``ImportService``: the database side of the staff and completions imports.

Parsing and planning are pure (``staff.py``, ``completions.py``); this class loads what a plan
compares against, in a handful of statements per import (the organisation's schools, people,
staff roles, modules, and the completions in the file's date range, never one query per row),
and applies a plan all or nothing: every row valid, or nothing written.

Applying uses SQLAlchemy's bulk statements (``insert()`` with ``RETURNING`` in parameter
order, ``update()`` by primary key) rather than the unit of work, so 5,000 people apply in about
one to two seconds on SQLite and PostgreSQL (``benchmarks/import_staff.py``). The audit log
gets one summary entry per import (``import.applied``, through ``AuditService``, with the
counts) plus one entry per person created or updated and per completion added, written by one
bulk INSERT with the same actor and correlation id (``_AuditRows``). Services flush; the
request edge (or the CLI command) commits once.

Imports within one organisation run one at a time (issue 15, finding 3: two uploads of one
staff file applied at the same moment made two people per staff number). ``lock_organisation``
is taken before the plan is made: on PostgreSQL a transaction-scoped advisory lock per
organisation, on SQLite the database's one writer lock (a no-op write). The second import then
plans against the people the first committed. Should a person be created meanwhile by another
path (a launch, a roster sync), the unique indexes on ``person`` refuse the clash and the import
is refused as a whole with a message (``ImportConflict``), never a 500.
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import CursorResult, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cpd_tracker.dates import local_date
from cpd_tracker.models import (
    AuditEntry,
    Completion,
    CompletionMethod,
    ImportUpload,
    Module,
    Organisation,
    Person,
    School,
    StaffRole,
)
from cpd_tracker.services.audit import AuditService
from cpd_tracker.services.imports.completions import (
    Catalogue,
    CompletionAction,
    CompletionPlan,
    CompletionRow,
    KnownModule,
    parse_completions_csv,
    plan_completions,
)
from cpd_tracker.services.imports.csvfile import ParsedFile, Problem, Progress, Ticker
from cpd_tracker.services.imports.staff import (
    KnownPerson,
    KnownRole,
    KnownSchool,
    People,
    RowAction,
    StaffPlan,
    StaffRow,
    parse_staff_csv,
    plan_staff,
)

#: Schools are in England: "today" (for dates in the future) is today in London, not in UTC.

Plan = StaffPlan | CompletionPlan

#: First key of the PostgreSQL advisory lock that serialises an organisation's imports (the
#: second is the organisation id); any constant no other lock of the tool uses.
IMPORT_LOCK = 15_003


class ImportKind(enum.StrEnum):
    STAFF = "staff"
    COMPLETIONS = "completions"


class ImportRefused(Exception):
    """The file (or the data it would change) has problems: nothing was written."""

    def __init__(self, plan: Plan) -> None:
        super().__init__(f"{len(plan.errors)} problem(s) in the file")
        self.plan = plan


class ImportConflict(ImportRefused):
    """Someone else created or changed one of these people while the import was applied (a
    unique index refused it): nothing of the import was written."""

    MESSAGE = (
        "Someone else added or changed people with the same staff numbers or email addresses "
        "while this import was being applied, so nothing was imported. Check the file again: "
        "the rows now match the people already in the tool."
    )

    def __init__(self, plan: Plan) -> None:
        plan.errors.insert(0, Problem(None, self.MESSAGE))
        super().__init__(plan)


class AlreadyApplied(Exception):
    def __init__(self, applied_at: dt.datetime | None) -> None:
        super().__init__("this upload has already been applied")
        self.applied_at = applied_at


@dataclass(frozen=True)
class ImportResult:
    kind: str
    counts: dict[str, int]
    file_name: str
    school: str | None
    applied_at: dt.datetime


@dataclass(frozen=True)
class Submitted:
    plan: Plan
    #: Stored for the preview and apply steps only when the plan has no problems.
    upload: ImportUpload | None


class ImportService:
    def __init__(
        self, session: Session, audit: AuditService, clock: Callable[[], dt.datetime]
    ) -> None:
        self.session = session
        self.audit = audit
        self.clock = clock

    def today(self) -> dt.date:
        return local_date(self.clock())

    # -- organisations and schools --------------------------------------------------------

    def organisation_for_cli(self, organisation_id: int | None) -> Organisation:
        """The organisation a command means; ``ValueError`` with what to give otherwise."""
        if organisation_id is not None:
            org = self.session.get(Organisation, organisation_id)
            if org is None:
                raise ValueError(
                    f"there is no organisation {organisation_id} (see `cpd-tracker org list`)"
                )
            return org
        orgs = list(self.session.scalars(select(Organisation).order_by(Organisation.id).limit(2)))
        if not orgs:
            raise ValueError("there are no organisations yet (see `cpd-tracker org add`)")
        if len(orgs) > 1:
            raise ValueError(
                "there are several organisations: give --org ID (see `cpd-tracker org list`)"
            )
        return orgs[0]

    def schools(self, organisation_id: int) -> list[KnownSchool]:
        return [
            KnownSchool(s.id, s.urn, s.name)
            for s in self.session.execute(
                select(School.id, School.urn, School.name)
                .where(School.organisation_id == organisation_id)
                .order_by(School.name)
            )
        ]

    def school(
        self, organisation_id: int, *, school_id: int | None = None, urn: str | None = None
    ) -> KnownSchool | None:
        """A school of this organisation only, by id or URN."""
        for school in self.schools(organisation_id):
            if school.id == school_id or (urn is not None and school.urn == urn.strip()):
                return school
        return None

    # -- parse, plan ----------------------------------------------------------------------

    @staticmethod
    def parse(kind: ImportKind, data: bytes) -> ParsedFile[StaffRow] | ParsedFile[CompletionRow]:
        if kind is ImportKind.STAFF:
            return parse_staff_csv(data)
        return parse_completions_csv(data)

    def plan(
        self,
        kind: ImportKind,
        organisation_id: int,
        parsed: ParsedFile[StaffRow] | ParsedFile[CompletionRow],
        *,
        school: KnownSchool | None,
        progress: Progress | None = None,
    ) -> Plan:
        """What the parsed file would change in this organisation (loads, never writes)."""
        file_level = any(p.row is None for p in parsed.errors)
        if kind is ImportKind.STAFF:
            staff = cast(ParsedFile[StaffRow], parsed)
            if file_level:
                return StaffPlan(organisation_id, school, staff, errors=list(staff.errors))
            return plan_staff(
                organisation_id,
                staff,
                schools=self.schools(organisation_id),
                people=self._people(organisation_id),
                school=school,
                today=self.today(),
                progress=progress,
            )
        rows = cast(ParsedFile[CompletionRow], parsed)
        if file_level:
            return CompletionPlan(organisation_id, school, rows, errors=list(rows.errors))
        return plan_completions(
            organisation_id,
            rows,
            people=self._people(organisation_id),
            catalogue=self._catalogue(organisation_id),
            existing=self._existing_completions(organisation_id, rows.rows),
            school=school,
            today=self.today(),
            progress=progress,
        )

    def check(
        self, kind: ImportKind, organisation_id: int, data: bytes, *, school: KnownSchool | None
    ) -> Plan:
        return self.plan(kind, organisation_id, self.parse(kind, data), school=school)

    # -- uploads (the web's preview and apply) ---------------------------------------------

    def submit(
        self,
        kind: ImportKind,
        organisation_id: int,
        *,
        school: KnownSchool | None,
        file_name: str,
        content: bytes,
        uploaded_by_id: int | None,
    ) -> Submitted:
        """Check an uploaded file; keep it for preview and apply only if it has no problems
        (a bad file is answered at once and nothing of it is stored)."""
        plan = self.check(kind, organisation_id, content, school=school)
        if not plan.ok:
            return Submitted(plan, None)
        upload = ImportUpload(
            organisation_id=organisation_id,
            kind=kind.value,
            school_id=None if school is None else school.id,
            file_name=file_name[:255],
            content=content,
            uploaded_by_id=uploaded_by_id,
            created_at=self.clock(),
        )
        self.session.add(upload)
        self.session.flush()
        self.audit.record(
            "import.uploaded",
            organisation_id=organisation_id,
            entity_type="import_upload",
            entity_id=upload.id,
            kind=kind.value,
            file_name=upload.file_name,
            school_id=upload.school_id,
            rows=plan.parsed.data_rows,
            sha256=hashlib.sha256(content).hexdigest(),
        )
        return Submitted(plan, upload)

    def upload(self, organisation_id: int, upload_id: int) -> ImportUpload | None:
        """An upload of this organisation (another organisation's is as good as missing), of a
        kind this service imports (a purchases upload belongs to the spend import)."""
        return self.session.scalar(
            select(ImportUpload).where(
                ImportUpload.id == upload_id,
                ImportUpload.organisation_id == organisation_id,
                ImportUpload.kind.in_([k.value for k in ImportKind]),
            )
        )

    def preview(self, upload: ImportUpload) -> Plan:
        school = (
            None
            if upload.school_id is None
            else self.school(upload.organisation_id, school_id=upload.school_id)
        )
        return self.check(
            ImportKind(upload.kind), upload.organisation_id, upload.content, school=school
        )

    def apply(self, upload: ImportUpload) -> ImportResult:
        """Re-check the stored file against today's data and apply it, or raise and write
        nothing. An upload applies once."""
        if upload.applied_at is not None:
            raise AlreadyApplied(upload.applied_at)
        # Claim the upload first: a second apply of the same file (a double click, two tabs)
        # waits on this row lock and then finds it claimed. If anything below fails, the
        # request's rollback releases the claim with everything else.
        now = self.clock()
        claimed = cast(
            CursorResult[Any],
            self.session.execute(
                update(ImportUpload)
                .where(ImportUpload.id == upload.id, ImportUpload.applied_at.is_(None))
                .values(applied_at=now)
                .execution_options(synchronize_session=False)
            ),
        )
        self.session.refresh(upload, ["applied_at"])
        if claimed.rowcount != 1:
            raise AlreadyApplied(upload.applied_at)
        # Another upload of this organisation being applied now finishes first; the plan is
        # then made against the people it created.
        self.lock_organisation(upload.organisation_id)
        plan = self.preview(upload)
        if not plan.ok:
            raise ImportRefused(plan)
        return self.execute(plan, file_name=upload.file_name, upload_id=upload.id)

    def lock_organisation(self, organisation_id: int) -> None:
        """Wait until no other import of this organisation is being applied, and keep it so
        until this transaction ends (take it before making the plan)."""
        if self.session.get_bind().dialect.name == "postgresql":
            self.session.execute(select(func.pg_advisory_xact_lock(IMPORT_LOCK, organisation_id)))
            return
        # SQLite has one writer at a time: a write takes that lock now (waiting on
        # busy_timeout for the other import's commit), and reads after it see what it wrote.
        self.session.execute(
            update(Organisation)
            .where(Organisation.id == organisation_id)
            .values(id=Organisation.id)
            .execution_options(synchronize_session=False)
        )

    def result_of(self, upload: ImportUpload) -> ImportResult | None:
        """What an applied upload did, from its audit entry (the record of the import)."""
        entry = self.session.scalar(
            select(AuditEntry)
            .where(
                AuditEntry.organisation_id == upload.organisation_id,
                AuditEntry.action == "import.applied",
                AuditEntry.entity_type == "import_upload",
                AuditEntry.entity_id == str(upload.id),
            )
            .order_by(AuditEntry.id.desc())
            .limit(1)
        )
        if entry is None or upload.applied_at is None:
            return None
        details = entry.details
        return ImportResult(
            kind=upload.kind,
            counts={str(k): int(v) for k, v in dict(details.get("counts", {})).items()},
            file_name=upload.file_name,
            school=details.get("school"),
            applied_at=upload.applied_at,
        )

    # -- apply ----------------------------------------------------------------------------

    def execute(
        self,
        plan: Plan,
        *,
        file_name: str,
        upload_id: int | None = None,
        progress: Progress | None = None,
    ) -> ImportResult:
        """Write a checked plan (the caller made sure ``plan.ok``)."""
        if not plan.ok:
            raise ImportRefused(plan)
        try:
            with self.session.begin_nested():
                if isinstance(plan, StaffPlan):
                    self._execute_staff(plan, upload_id, Ticker(progress))
                else:
                    self._execute_completions(plan, upload_id, Ticker(progress))
        except IntegrityError as exc:
            raise ImportConflict(plan) from exc
        school = None if plan.school is None else plan.school.label
        self.audit.record(
            "import.applied",
            organisation_id=plan.organisation_id,
            entity_type="import_upload",
            entity_id=upload_id,
            kind=plan.kind,
            file_name=file_name,
            school=school,
            school_id=None if plan.school is None else plan.school.id,
            rows=plan.parsed.data_rows,
            counts=plan.counts,
        )
        self.session.flush()
        return ImportResult(plan.kind, plan.counts, file_name, school, self.clock())

    def _execute_staff(self, plan: StaffPlan, upload_id: int | None, ticker: Ticker) -> None:
        org, now = plan.organisation_id, self.clock()
        new = [c for c in plan.changes if c.action is RowAction.NEW]
        changed = [c for c in plan.changes if c.action is RowAction.UPDATED]
        new_ids: list[int] = []
        if new:
            new_ids = list(
                self.session.scalars(
                    insert(Person).returning(Person.id, sort_by_parameter_order=True),
                    [
                        {"organisation_id": org, "active": True, "created_at": now, **c.fields}
                        for c in new
                    ],
                )
            )
        person_updates = [{"id": c.person_id, **c.fields} for c in changed if c.fields]
        if person_updates:
            self.session.execute(update(Person), person_updates)
        role_inserts: list[dict[str, Any]] = []
        role_updates: list[dict[str, Any]] = []
        entries = _AuditRows(self.audit, org, now)
        for change, person_id in [
            *zip(new, new_ids, strict=True),
            *((c, c.person_id) for c in changed),
        ]:
            for role in change.roles:
                if role.role_id is None:
                    role_inserts.append(
                        {
                            "person_id": person_id,
                            "school_id": change.school.id,
                            "role": role.role,
                            "started_on": role.started_on,
                            "ended_on": role.ended_on,
                        }
                    )
                else:
                    role_updates.append(
                        {
                            "id": role.role_id,
                            "started_on": role.started_on,
                            "ended_on": role.ended_on,
                        }
                    )
            entries.add(
                "person.created_from_import"
                if change.action is RowAction.NEW
                else "person.updated_from_import",
                entity_type="person",
                entity_id=person_id,
                upload_id=upload_id,
                row=change.row.row,
                school_id=change.school.id,
                fields=sorted(change.fields),
                roles={r.role.value: r.change for r in change.roles},
                leaving_date=None
                if change.row.leaving_date is None
                else change.row.leaving_date.isoformat(),
            )
            ticker.tick()
        if role_inserts:
            self.session.execute(insert(StaffRole), role_inserts)
        if role_updates:
            self.session.execute(update(StaffRole), role_updates)
        entries.write(self.session)
        ticker.done()
        # Bulk statements bypass the identity map: expire any of these already loaded (the
        # signed-in CPD lead is often on their own school's list).
        touched = {c.person_id for c in changed}
        for obj in list(self.session.identity_map.values()):
            if (isinstance(obj, Person) and obj.id in touched) or (
                isinstance(obj, StaffRole) and obj.person_id in touched
            ):
                self.session.expire(obj)

    def _execute_completions(
        self, plan: CompletionPlan, upload_id: int | None, ticker: Ticker
    ) -> None:
        org = plan.organisation_id
        adding = [c for c in plan.changes if c.action is CompletionAction.ADD]
        recorded_by = self.audit.actor.person_id
        note = "Imported from a CSV file" if upload_id is None else f"Imported (upload {upload_id})"
        ids: list[int] = []
        if adding:
            ids = list(
                self.session.scalars(
                    insert(Completion).returning(Completion.id, sort_by_parameter_order=True),
                    [
                        {
                            "organisation_id": org,
                            "person_id": c.person_id,
                            "module_id": c.module.id,
                            "completed_on": c.row.completed_on,
                            "method": CompletionMethod.IMPORTED,
                            "cpd_hours": c.hours,
                            "provider": c.row.provider,
                            "certificate_expires_on": c.row.certificate_expires_on,
                            "recorded_by_id": recorded_by,
                            "note": f"{note}, row {c.row.row}",
                            "created_at": self.clock(),
                        }
                        for c in adding
                    ],
                )
            )
        entries = _AuditRows(self.audit, org, self.clock())
        for change, completion_id in zip(adding, ids, strict=True):
            entries.add(
                "completion.imported",
                entity_type="completion",
                entity_id=completion_id,
                upload_id=upload_id,
                row=change.row.row,
                person_id=change.person_id,
                module_id=change.module.id,
                completed_on=change.row.completed_on.isoformat(),
                cpd_hours=str(change.hours),
                certificate_expires_on=(
                    None
                    if change.row.certificate_expires_on is None
                    else change.row.certificate_expires_on.isoformat()
                ),
            )
            ticker.tick()
        entries.write(self.session)
        ticker.done()

    # -- snapshots ------------------------------------------------------------------------

    def _people(self, organisation_id: int) -> People:
        roles: dict[int, list[KnownRole]] = {}
        for role_id, person_id, school_id, role, started, ended in self.session.execute(
            select(
                StaffRole.id,
                StaffRole.person_id,
                StaffRole.school_id,
                StaffRole.role,
                StaffRole.started_on,
                StaffRole.ended_on,
            )
            .join(Person, Person.id == StaffRole.person_id)
            .join(School, School.id == StaffRole.school_id)
            .where(
                Person.organisation_id == organisation_id,
                School.organisation_id == organisation_id,
            )
            .order_by(StaffRole.id)
        ):
            roles.setdefault(person_id, []).append(
                KnownRole(role_id, school_id, role, started, ended)
            )
        return People(
            KnownPerson(
                id=row.id,
                staff_number=row.staff_number,
                email=row.email,
                given_name=row.given_name,
                family_name=row.family_name,
                name=row.name,
                start_date=row.start_date,
                leaving_date=row.leaving_date,
                roles=tuple(roles.get(row.id, ())),
            )
            for row in self.session.execute(
                select(
                    Person.id,
                    Person.staff_number,
                    Person.email,
                    Person.given_name,
                    Person.family_name,
                    Person.name,
                    Person.start_date,
                    Person.leaving_date,
                ).where(Person.organisation_id == organisation_id)
            )
        )

    def _catalogue(self, organisation_id: int) -> Catalogue:
        return Catalogue(
            KnownModule(m.id, m.slug, m.title, Decimal(m.cpd_hours))
            for m in self.session.execute(
                select(Module.id, Module.slug, Module.title, Module.cpd_hours).where(
                    Module.organisation_id == organisation_id
                )
            )
        )

    def _existing_completions(
        self, organisation_id: int, rows: Sequence[CompletionRow]
    ) -> set[tuple[int, int, dt.date]]:
        if not rows:
            return set()
        first = min(r.completed_on for r in rows)
        last = max(r.completed_on for r in rows)
        return {
            (person_id, module_id, completed_on)
            for person_id, module_id, completed_on in self.session.execute(
                select(Completion.person_id, Completion.module_id, Completion.completed_on).where(
                    Completion.organisation_id == organisation_id,
                    Completion.completed_on.between(first, last),
                )
            )
        }


class _AuditRows:
    """Audit entries for many rows, written with one bulk INSERT.

    The same columns ``AuditService.record`` fills, from the same actor, without an ORM object
    per entry: through the unit of work each entry costs a RETURNING round trip for an id
    nobody reads, which is most of a 5,000-row import's time on PostgreSQL.
    """

    def __init__(self, audit: AuditService, organisation_id: int, now: dt.datetime) -> None:
        self.actor = audit.actor
        self.organisation_id = organisation_id
        self.now = now
        self.rows: list[dict[str, Any]] = []

    def add(self, action: str, *, entity_type: str, entity_id: object, **details: Any) -> None:
        self.rows.append(
            {
                "organisation_id": self.organisation_id,
                "actor_person_id": self.actor.person_id,
                "actor_label": self.actor.label,
                "action": action,
                "entity_type": entity_type,
                "entity_id": str(entity_id),
                "details": details,
                "correlation_id": self.actor.correlation_id,
                "created_at": self.now,
            }
        )

    def write(self, session: Session) -> None:
        if self.rows:
            session.execute(insert(AuditEntry), self.rows)
