"""The staff import, as pure functions: parse a MIS staff list, then plan what it changes.

``parse_staff_csv`` checks each row on its own (names, e-mail, role, dates) and the file as a
whole (duplicate staff numbers and e-mails). ``plan_staff`` compares the rows with a snapshot of
the organisation's people (plain data, loaded by ``ImportService`` in a few queries) and decides,
row by row, who is new, who changes and how, and what cannot be done. Nothing here touches the
database, so every rule is tested with tables of rows.

Matching (ARCHITECTURE.md, "Tenancy and identity"): a row is the person of the same
organisation with that staff number at the row's school (or with no school yet), else the person
with that e-mail (case-insensitive) anywhere in the organisation. Staff numbers are only looked
up school by school because in a trust each school's MIS numbers its own staff: number 123 at
one school is not number 123 at another. A person's staff number, once set, is never
overwritten for the same reason, and it is stored with the school that gave it
(``staff_number_school_id``): the database holds one person per school and staff number, and
per e-mail (stored lower-case) in the organisation.

The MIS is authoritative for a person's role at the school it exports: roles in the file are
added (or reopened), other open roles at that school end today. Leavers keep their history: a
leaving date is recorded on the person (the status engine then reports them as left from that
day), and nothing is deleted. Someone who leaves one school of a trust while still working at
another has only their roles at the first school ended, on the leaving date.
"""

from __future__ import annotations

import datetime as dt
import enum
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from cpd_tracker.models import StaffRoleKind
from cpd_tracker.models.person import email_key
from cpd_tracker.services.imports.csvfile import (
    Column,
    FileProblem,
    ParsedFile,
    Problem,
    Progress,
    Record,
    Ticker,
    is_email,
    parse_date,
    read_table,
)

STAFF_COLUMNS = (
    Column(
        "staff_number",
        "Staff number",
        (
            "Staff no",
            "Staff ID",
            "Staff code",
            "Payroll number",
            "Payroll no",
            "Payroll ID",
            "Employee number",
            "Employee ID",
            "Employee no",
            "Personnel number",
        ),
    ),
    Column("given_name", "First name", ("Forename", "Forenames", "Legal forename", "Given name")),
    Column("family_name", "Last name", ("Surname", "Legal surname", "Family name")),
    Column(
        "email",
        "Email",
        ("Email address", "E-mail", "Work email", "Work email address", "School email"),
    ),
    Column("role", "Role", ("Roles", "Post", "Job title", "Staff role", "Position")),
    Column("urn", "School URN", ("URN", "DfE URN", "School")),
    Column(
        "start_date",
        "Start date",
        ("Date started", "Employment start date", "Contract start date", "Started on"),
    ),
    Column(
        "leaving_date",
        "Leaving date",
        ("End date", "Date left", "Leave date", "Employment end date", "Contract end date"),
    ),
)
STAFF_TEMPLATE_HEADINGS = tuple(c.heading for c in STAFF_COLUMNS)

#: What a MIS may call each role (compared ignoring case, spacing, dots and hyphens).
ROLE_NAMES: Mapping[StaffRoleKind, tuple[str, ...]] = {
    StaffRoleKind.TEACHER: (
        "teacher",
        "class teacher",
        "classroom teacher",
        "subject teacher",
        "ect",
        "early career teacher",
        "nqt",
        "trainee teacher",
        "unqualified teacher",
        "supply teacher",
    ),
    StaffRoleKind.TEACHING_ASSISTANT: (
        "teaching assistant",
        "ta",
        "hlta",
        "higher level teaching assistant",
        "lsa",
        "learning support assistant",
        "classroom assistant",
    ),
    StaffRoleKind.SENCO: (
        "senco",
        "sendco",
        "special educational needs coordinator",
        "special educational needs co ordinator",
    ),
    StaffRoleKind.LEADER: (
        "leader",
        "head",
        "headteacher",
        "head teacher",
        "executive headteacher",
        "executive head",
        "principal",
        "deputy head",
        "deputy headteacher",
        "deputy head teacher",
        "deputy principal",
        "vice principal",
        "assistant head",
        "assistant headteacher",
        "assistant head teacher",
        "assistant principal",
        "slt",
        "senior leader",
        "senior leadership team",
    ),
    StaffRoleKind.SUPPORT_STAFF: ("support staff", "support"),
    StaffRoleKind.GOVERNOR: ("governor", "chair of governors"),
}
ROLE_LOOKUP = {name: kind for kind, names in ROLE_NAMES.items() for name in names}
ACCEPTED_ROLES = "teacher, teaching assistant, SENCO, leader, support staff, governor"
ROLE_SYNONYMS = "TA, HLTA, LSA, SENDCo, headteacher, deputy head, assistant head, SLT"
_ROLE_SEPARATORS = re.compile(r"[;/+&,|]")


def role_key(text: str) -> str:
    text = re.sub(r"\([^)]*\)", " ", text.lower())  # "Teacher (0.6 FTE)"
    text = re.sub(r"[._-]", lambda m: "" if m.group() == "." else " ", text)
    return " ".join(text.split())


def parse_roles(value: str) -> tuple[StaffRoleKind, ...]:
    """``"Deputy Head / SENCO"`` -> (leader, senco); ``ValueError`` naming what is not a role."""
    roles: list[StaffRoleKind] = []
    unknown: list[str] = []
    for part in _ROLE_SEPARATORS.split(value):
        if not part.strip():
            continue
        kind = ROLE_LOOKUP.get(role_key(part))
        if kind is None:
            unknown.append(part.strip())
        elif kind not in roles:
            roles.append(kind)
    if unknown or not roles:
        shown = ", ".join(f"'{u}'" for u in unknown) or f"'{value}'"
        raise ValueError(
            f"role {shown} is not one of: {ACCEPTED_ROLES} (also understood: {ROLE_SYNONYMS}). "
            "Change it in the file to one of these; a person with two roles can have both, "
            "separated by a semicolon"
        )
    return tuple(roles)


@dataclass(frozen=True)
class StaffRow:
    row: int
    staff_number: str | None
    given_name: str
    family_name: str
    email: str | None
    roles: tuple[StaffRoleKind, ...]
    urn: str | None
    start_date: dt.date
    leaving_date: dt.date | None

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}"


_LIMITS = {"staff_number": 50, "given_name": 255, "family_name": 255, "email": 320, "urn": 10}
_LABELS = {
    "staff_number": "staff number",
    "given_name": "first name",
    "family_name": "last name",
    "email": "email",
    "role": "role",
    "urn": "school URN",
    "start_date": "start date",
    "leaving_date": "leaving date",
}


def parse_staff_csv(data: bytes, progress: Progress | None = None) -> ParsedFile[StaffRow]:
    """Every row checked on its own and against the other rows of the file."""
    try:
        table = read_table(
            data,
            STAFF_COLUMNS,
            required=("given_name", "family_name", "role", "start_date"),
            one_of=(("staff_number", "email"),),
            what="staff rows",
        )
    except FileProblem as exc:
        return ParsedFile(errors=[Problem(None, str(exc))])
    parsed: ParsedFile[StaffRow] = ParsedFile(
        ignored_columns=table.ignored_columns, data_rows=len(table.records)
    )
    ticker = Ticker(progress)
    for record in table.records:
        row, problems = _staff_row(record)
        parsed.errors.extend(problems)
        if row is not None:
            parsed.rows.append(row)
        ticker.tick()
    ticker.done()
    parsed.errors.extend(_duplicates(parsed.rows))
    parsed.errors.sort(key=lambda p: p.row or 0)
    bad = {p.row for p in parsed.errors}
    parsed.rows = [r for r in parsed.rows if r.row not in bad]
    return parsed


def _staff_row(record: Record) -> tuple[StaffRow | None, list[Problem]]:
    problems: list[str] = []
    if record.overflow:
        problems.append(
            f"has {record.overflow} more value(s) than there are column headings (a value "
            "containing a comma must be in double quotes)"
        )
    values: dict[str, str] = {}
    for name, limit in _LIMITS.items():
        value = record.get(name)
        if len(value) > limit:
            problems.append(f"{_LABELS[name]} is longer than {limit} characters")
        values[name] = value
    for name in ("given_name", "family_name"):
        if not values[name]:
            problems.append(f"{_LABELS[name]} is empty")
    number, email = values["staff_number"] or None, values["email"] or None
    if number is None and email is None:
        problems.append("give a staff number or an email address, so the person can be matched")
    if email is not None and not is_email(email):
        problems.append(f"email '{email}' is not an email address")
    roles: tuple[StaffRoleKind, ...] = ()
    if not record.get("role"):
        problems.append(f"role is empty: give one of {ACCEPTED_ROLES}")
    else:
        try:
            roles = parse_roles(record.get("role"))
        except ValueError as exc:
            problems.append(str(exc))
    start = _date(record, "start_date", problems, required=True)
    leaving = _date(record, "leaving_date", problems, required=False)
    if start and leaving and leaving < start:
        problems.append("leaving date is before the start date")
    if problems or start is None:
        return None, [Problem(record.row, p) for p in problems]
    return (
        StaffRow(
            row=record.row,
            staff_number=number,
            given_name=values["given_name"],
            family_name=values["family_name"],
            email=email,
            roles=roles,
            urn=values["urn"] or None,
            start_date=start,
            leaving_date=leaving,
        ),
        [],
    )


def _date(record: Record, name: str, problems: list[str], *, required: bool) -> dt.date | None:
    value = record.get(name)
    if not value:
        if required:
            problems.append(f"{_LABELS[name]} is empty: write it as dd/mm/yyyy")
        return None
    try:
        return parse_date(value)
    except ValueError as exc:
        problems.append(f"{_LABELS[name]} {exc}")
        return None


def _duplicates(rows: Sequence[StaffRow]) -> list[Problem]:
    """A staff number (at one school) or an e-mail may appear once in a file."""
    problems: list[Problem] = []
    numbers: dict[tuple[str, str], int] = {}
    emails: dict[str, int] = {}
    for row in rows:
        if row.staff_number is not None:
            first = numbers.setdefault((row.urn or "", row.staff_number), row.row)
            if first != row.row:
                problems.append(
                    Problem(row.row, f"staff number {row.staff_number} is also on row {first}")
                )
        if row.email is not None:
            first = emails.setdefault(row.email.lower(), row.row)
            if first != row.row:
                problems.append(Problem(row.row, f"email {row.email} is also on row {first}"))
    return problems


# -- the snapshot the plan compares against ---------------------------------------------------


@dataclass(frozen=True)
class KnownSchool:
    id: int
    urn: str
    name: str

    @property
    def label(self) -> str:
        return f"{self.name} (URN {self.urn})"


@dataclass(frozen=True)
class KnownRole:
    id: int
    school_id: int
    role: StaffRoleKind
    started_on: dt.date | None
    ended_on: dt.date | None


@dataclass(frozen=True)
class KnownPerson:
    id: int
    staff_number: str | None
    email: str | None
    given_name: str | None
    family_name: str | None
    name: str | None
    start_date: dt.date | None
    leaving_date: dt.date | None
    roles: tuple[KnownRole, ...] = ()

    def works_elsewhere(self, school_id: int) -> bool:
        return any(r.school_id != school_id and r.ended_on is None for r in self.roles)


class People:
    """An organisation's people, indexed for matching (built once per import)."""

    def __init__(self, people: Iterable[KnownPerson]) -> None:
        self.by_id: dict[int, KnownPerson] = {}
        self.by_email: dict[str, list[int]] = defaultdict(list)
        self.by_number: dict[str, list[int]] = defaultdict(list)
        self.by_school_number: dict[tuple[int, str], list[int]] = defaultdict(list)
        self.unplaced_by_number: dict[str, list[int]] = defaultdict(list)
        self.at_school: dict[int, set[int]] = defaultdict(set)
        for person in people:
            self.by_id[person.id] = person
            if person.email:
                self.by_email[person.email.lower()].append(person.id)
            for school_id in {r.school_id for r in person.roles}:
                self.at_school[school_id].add(person.id)
            if person.staff_number:
                self.by_number[person.staff_number].append(person.id)
                schools = {r.school_id for r in person.roles}
                for school_id in schools:
                    self.by_school_number[(school_id, person.staff_number)].append(person.id)
                if not schools:
                    self.unplaced_by_number[person.staff_number].append(person.id)


def match_person(
    people: People,
    *,
    staff_number: str | None,
    email: str | None,
    school_id: int | None,
) -> KnownPerson | str | None:
    """The one person a row names, None, or a message saying why the row is ambiguous.

    With ``school_id``, staff numbers are looked up among that school's people (and people on
    no school's list yet); without it, across the organisation, where they must be unique.
    """
    by_number: list[int] = []
    if staff_number is not None:
        if school_id is None:
            by_number = people.by_number.get(staff_number, [])
        else:
            by_number = people.by_school_number.get(
                (school_id, staff_number), []
            ) + people.unplaced_by_number.get(staff_number, [])
        if len(set(by_number)) > 1:
            return (
                f"staff number {staff_number} belongs to {len(set(by_number))} people in the "
                "tool, so the row cannot say which one it means: add their email address"
            )
    by_email = people.by_email.get(email.lower(), []) if email is not None else []
    if len(by_email) > 1:
        return (
            f"email {email} belongs to {len(by_email)} people in the tool, so the row cannot "
            "say which one it means"
        )
    number_id = by_number[0] if by_number else None
    email_id = by_email[0] if by_email else None
    if number_id is not None and email_id is not None and number_id != email_id:
        return (
            f"staff number {staff_number} and email {email} belong to two different people "
            "in the tool; check both"
        )
    found = number_id if number_id is not None else email_id
    return None if found is None else people.by_id[found]


# -- the plan ---------------------------------------------------------------------------------


class RowAction(enum.StrEnum):
    NEW = "new"
    UPDATED = "updated"
    UNCHANGED = "unchanged"


@dataclass(frozen=True)
class RoleChange:
    """Add a role (``role_id`` None), or set ``ended_on``/``started_on`` on an existing one."""

    role: StaffRoleKind
    role_id: int | None
    started_on: dt.date | None
    ended_on: dt.date | None
    #: "added", "reopened" or "ended", for the audit log and the preview.
    change: str


@dataclass(frozen=True)
class StaffChange:
    row: StaffRow
    school: KnownSchool
    action: RowAction
    person_id: int | None
    #: Person columns to set (all of them for a new person).
    fields: dict[str, Any]
    roles: tuple[RoleChange, ...]
    #: The row records that the person leaves (or has left) the school.
    leaver: bool

    @property
    def describe(self) -> str:
        if self.action is RowAction.NEW:
            text = "New"
        elif self.action is RowAction.UNCHANGED:
            return "No change"
        else:
            changed = [_FIELD_LABELS[f] for f in self.fields if f in _FIELD_LABELS]
            changed += [f"role {r.change}: {r.role.value.replace('_', ' ')}" for r in self.roles]
            text = "Updated: " + ", ".join(changed)
        return text + (" (leaver)" if self.leaver else "")


_FIELD_LABELS = {
    "given_name": "first name",
    "family_name": "last name",
    "email": "email",
    "staff_number": "staff number",
    "start_date": "start date",
    "leaving_date": "leaving date",
}


@dataclass
class StaffPlan:
    organisation_id: int
    school: KnownSchool | None
    parsed: ParsedFile[StaffRow]
    changes: list[StaffChange] = field(default_factory=list)
    errors: list[Problem] = field(default_factory=list)

    kind = "staff"

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def counts(self) -> dict[str, int]:
        actions = [c.action for c in self.changes]
        return {
            "new": actions.count(RowAction.NEW),
            "updated": actions.count(RowAction.UPDATED),
            "unchanged": actions.count(RowAction.UNCHANGED),
            "leavers": sum(1 for c in self.changes if c.leaver),
        }


def plan_staff(
    organisation_id: int,
    parsed: ParsedFile[StaffRow],
    *,
    schools: Iterable[KnownSchool],
    people: People,
    school: KnownSchool | None,
    today: dt.date,
    progress: Progress | None = None,
) -> StaffPlan:
    """What applying ``parsed`` would do, row by row, or why it cannot.

    ``school`` is the school the import is for (a CPD lead's, or ``--school``); without it every
    row names its school in the URN column. ``schools`` are the organisation's only: a URN of
    any other school is an error, never a lookup elsewhere.
    """
    plan = StaffPlan(organisation_id, school, parsed, errors=list(parsed.errors))
    by_urn = {s.urn: s for s in schools}
    claimed: dict[int, int] = {}
    ticker = Ticker(progress)
    for row in parsed.rows:
        ticker.tick()
        target = _school_for(row, school, by_urn)
        if isinstance(target, str):
            plan.errors.append(Problem(row.row, target))
            continue
        found = match_person(
            people, staff_number=row.staff_number, email=row.email, school_id=target.id
        )
        if isinstance(found, str):
            plan.errors.append(Problem(row.row, found))
            continue
        if found is not None:
            if found.id in claimed:
                plan.errors.append(
                    Problem(
                        row.row,
                        f"is the same person in the tool as row {claimed[found.id]} (matched by "
                        "staff number or email); a person may appear once",
                    )
                )
                continue
            claimed[found.id] = row.row
            plan.changes.append(_update(row, target, found, today))
        else:
            plan.changes.append(_new(row, target))
    ticker.done()
    plan.errors.sort(key=lambda p: p.row or 0)
    return plan


def _school_for(
    row: StaffRow, school: KnownSchool | None, by_urn: Mapping[str, KnownSchool]
) -> KnownSchool | str:
    if school is not None:
        if row.urn is None or row.urn == school.urn:
            return school
        return (
            f"school URN {row.urn} is not {school.label}: this import is for {school.name} "
            "only. Remove the row, or import it for its own school"
        )
    if row.urn is None:
        return "school URN is empty: give the URN of the person's school"
    found = by_urn.get(row.urn)
    if found is None:
        return f"school URN {row.urn} is not a school of your organisation in the tool"
    return found


def _new(row: StaffRow, school: KnownSchool) -> StaffChange:
    fields: dict[str, Any] = {
        "staff_number": row.staff_number,
        "staff_number_school_id": None if row.staff_number is None else school.id,
        "given_name": row.given_name,
        "family_name": row.family_name,
        "name": row.full_name,
        "email": email_key(row.email),
        "start_date": row.start_date,
        "leaving_date": row.leaving_date,
    }
    roles = tuple(RoleChange(r, None, row.start_date, None, "added") for r in row.roles)
    return StaffChange(
        row, school, RowAction.NEW, None, fields, roles, row.leaving_date is not None
    )


def _update(row: StaffRow, school: KnownSchool, person: KnownPerson, today: dt.date) -> StaffChange:
    fields: dict[str, Any] = {}
    for name in ("given_name", "family_name"):
        if getattr(person, name) != getattr(row, name):
            fields[name] = getattr(row, name)
    old_name = " ".join(p for p in (person.given_name, person.family_name) if p)
    if fields and (person.name is None or person.name == old_name) and person.name != row.full_name:
        # Only a name the tool composed itself follows the MIS; one the LMS sent stays.
        fields["name"] = row.full_name
    if row.email is not None and (person.email or "").lower() != row.email.lower():
        fields["email"] = email_key(row.email)
    if row.staff_number is not None and person.staff_number is None:
        fields["staff_number"] = row.staff_number
        fields["staff_number_school_id"] = school.id
    elsewhere = person.works_elsewhere(school.id)
    if person.start_date != row.start_date and (
        not elsewhere or person.start_date is None or row.start_date < person.start_date
    ):
        # At several schools of a trust, the person's start date is their earliest.
        fields["start_date"] = row.start_date
    moving_on = row.leaving_date is not None and elsewhere
    if not moving_on and person.leaving_date != row.leaving_date:
        fields["leaving_date"] = row.leaving_date
    roles = _role_changes(row, school, person, today, moving_on)
    leaver = row.leaving_date is not None and (
        "leaving_date" in fields or any(r.change == "ended" for r in roles)
    )
    action = RowAction.UPDATED if fields or roles else RowAction.UNCHANGED
    return StaffChange(row, school, action, person.id, fields, roles, leaver)


def _role_changes(
    row: StaffRow, school: KnownSchool, person: KnownPerson, today: dt.date, moving_on: bool
) -> tuple[RoleChange, ...]:
    here = [r for r in person.roles if r.school_id == school.id]
    open_roles = {r.role: r for r in here if r.ended_on is None}
    ended_roles = {r.role: r for r in here if r.ended_on is not None}
    real_open = set(open_roles) - {StaffRoleKind.UNASSIGNED}
    changes: list[RoleChange] = []
    for role in row.roles:
        if role in open_roles:
            continue
        # A new role for someone already in a real role here starts now; otherwise they have
        # held it since they started at the school.
        started = today if real_open else row.start_date
        if moving_on:
            started = row.start_date
        ended = row.leaving_date if moving_on else None
        if role in ended_roles:
            if moving_on:
                continue
            changes.append(RoleChange(role, ended_roles[role].id, started, None, "reopened"))
        else:
            changes.append(RoleChange(role, None, started, ended, "added"))
    for role, known in open_roles.items():
        if moving_on:
            changes.append(RoleChange(role, known.id, known.started_on, row.leaving_date, "ended"))
        elif role not in row.roles:
            changes.append(RoleChange(role, known.id, known.started_on, today, "ended"))
    return tuple(changes)
