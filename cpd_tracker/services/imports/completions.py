"""The historical completions import, as pure functions: parse, then plan.

Each row says who (staff number or e-mail), which module (its slug or title, in this
organisation's catalogue), when (not in the future) and optionally the CPD hours (default: the
module's) and the provider. Completions are immutable records (ARCHITECTURE.md, "Training"):
the import only ever adds them, with the method ``imported``. A completion already recorded for
the same person, module and day is reported as already recorded and skipped, so running the
same file twice adds nothing the second time.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from cpd_tracker.dates import long_date
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
from cpd_tracker.services.imports.staff import (
    STAFF_COLUMNS,
    KnownPerson,
    KnownSchool,
    People,
    match_person,
)
from cpd_tracker.services.records import certificate_expiry_problem

_STAFF = {c.field: c for c in STAFF_COLUMNS}
COMPLETION_COLUMNS = (
    _STAFF["staff_number"],
    _STAFF["email"],
    Column(
        "module",
        "Module",
        ("Module slug", "Module title", "Module name", "Course", "Course title", "Training"),
    ),
    Column(
        "completed_on",
        "Completed on",
        ("Completed", "Completion date", "Date completed", "Date of completion", "Date"),
    ),
    Column("hours", "CPD hours", ("Hours", "Duration hours")),
    Column("provider", "Provider", ("Training provider",)),
    Column(
        "certificate_expires_on",
        "Certificate expires on",
        ("Certificate expiry", "Certificate expiry date", "Certificate expires", "Expiry date"),
    ),
)
COMPLETION_TEMPLATE_HEADINGS = tuple(c.heading for c in COMPLETION_COLUMNS)
MAX_HOURS = Decimal("999.99")


@dataclass(frozen=True)
class CompletionRow:
    row: int
    staff_number: str | None
    email: str | None
    module: str
    completed_on: dt.date
    hours: Decimal | None
    provider: str | None
    #: The provider certificate's own expiry, when the file gives one.
    certificate_expires_on: dt.date | None = None


def parse_completions_csv(
    data: bytes, progress: Progress | None = None
) -> ParsedFile[CompletionRow]:
    try:
        table = read_table(
            data,
            COMPLETION_COLUMNS,
            required=("module", "completed_on"),
            one_of=(("staff_number", "email"),),
            what="completion rows",
        )
    except FileProblem as exc:
        return ParsedFile(errors=[Problem(None, str(exc))])
    parsed: ParsedFile[CompletionRow] = ParsedFile(
        ignored_columns=table.ignored_columns, data_rows=len(table.records)
    )
    ticker = Ticker(progress)
    for record in table.records:
        row, problems = _completion_row(record)
        parsed.errors.extend(Problem(record.row, p) for p in problems)
        if row is not None:
            parsed.rows.append(row)
        ticker.tick()
    ticker.done()
    return parsed


def _completion_row(record: Record) -> tuple[CompletionRow | None, list[str]]:
    problems: list[str] = []
    if record.overflow:
        problems.append(
            f"has {record.overflow} more value(s) than there are column headings (a value "
            "containing a comma must be in double quotes)"
        )
    number, email = record.get("staff_number") or None, record.get("email") or None
    if number is None and email is None:
        problems.append("give a staff number or an email address, so the person can be found")
    if number is not None and len(number) > 50:
        problems.append("staff number is longer than 50 characters")
    if email is not None and not is_email(email):
        problems.append(f"email '{email}' is not an email address")
    module = record.get("module")
    if not module:
        problems.append("module is empty: give the module's title or short name (slug)")
    completed: dt.date | None = None
    if not record.get("completed_on"):
        problems.append("completion date is empty: write it as dd/mm/yyyy")
    else:
        try:
            completed = parse_date(record.get("completed_on"))
        except ValueError as exc:
            problems.append(f"completion date {exc}")
    hours = _hours(record.get("hours"), problems)
    provider = record.get("provider") or None
    if provider is not None and len(provider) > 200:
        problems.append("provider is longer than 200 characters")
    expires: dt.date | None = None
    if record.get("certificate_expires_on"):
        try:
            expires = parse_date(record.get("certificate_expires_on"))
        except ValueError as exc:
            problems.append(f"certificate expiry date {exc}")
        else:
            problem = completed and certificate_expiry_problem(expires, completed)
            if problem:
                problems.append(problem[0].lower() + problem[1:].rstrip("."))
    if problems or completed is None:
        return None, problems
    return (
        CompletionRow(record.row, number, email, module, completed, hours, provider, expires),
        [],
    )


def _hours(value: str, problems: list[str]) -> Decimal | None:
    if not value:
        return None
    try:
        hours = Decimal(value)
    except InvalidOperation:
        problems.append(f"CPD hours '{value}' is not a number: write e.g. 1.5")
        return None
    if not hours.is_finite() or not Decimal(0) <= hours <= MAX_HOURS:
        problems.append(f"CPD hours '{value}' must be between 0 and {MAX_HOURS}")
        return None
    if hours != hours.quantize(Decimal("0.01")):
        problems.append(f"CPD hours '{value}' has more than two decimal places")
        return None
    return hours


@dataclass(frozen=True)
class KnownModule:
    id: int
    slug: str
    title: str
    cpd_hours: Decimal


class Catalogue:
    """An organisation's modules, looked up by slug or title, ignoring case."""

    def __init__(self, modules: Iterable[KnownModule]) -> None:
        self.modules = list(modules)
        self.by_slug = {m.slug.lower(): m for m in self.modules}
        self.by_title: dict[str, list[KnownModule]] = defaultdict(list)
        for module in self.modules:
            self.by_title[" ".join(module.title.lower().split())].append(module)

    def find(self, key: str) -> KnownModule | str:
        text = " ".join(key.lower().split())
        if text in self.by_slug:
            return self.by_slug[text]
        titled = self.by_title.get(text, [])
        if len(titled) == 1:
            return titled[0]
        if titled:
            choices = ", ".join(sorted(m.slug for m in titled))
            return (
                f"module '{key}' matches {len(titled)} modules with that title: use the short "
                f"name (slug) instead, one of {choices}"
            )
        if not self.modules:
            return (
                f"module '{key}' is not in the catalogue: your organisation has no modules in "
                "the tool yet"
            )
        slugs = sorted(m.slug for m in self.modules)
        shown = ", ".join(slugs[:12]) + (", ..." if len(slugs) > 12 else "")
        return (
            f"module '{key}' is not in your organisation's catalogue: give a module's title or "
            f"short name (slug), e.g. {shown}"
        )


class CompletionAction(enum.StrEnum):
    ADD = "add"
    ALREADY_RECORDED = "already_recorded"


@dataclass(frozen=True)
class CompletionChange:
    row: CompletionRow
    action: CompletionAction
    person_id: int
    person_name: str
    module: KnownModule
    hours: Decimal
    #: Why a row is skipped ("already recorded", "same as row 4").
    note: str = ""

    @property
    def describe(self) -> str:
        if self.action is CompletionAction.ADD:
            return "New completion"
        return self.note


@dataclass
class CompletionPlan:
    organisation_id: int
    school: KnownSchool | None
    parsed: ParsedFile[CompletionRow]
    changes: list[CompletionChange] = field(default_factory=list)
    errors: list[Problem] = field(default_factory=list)

    kind = "completions"

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def counts(self) -> dict[str, int]:
        actions = [c.action for c in self.changes]
        return {
            "added": actions.count(CompletionAction.ADD),
            "already_recorded": actions.count(CompletionAction.ALREADY_RECORDED),
        }


def plan_completions(
    organisation_id: int,
    parsed: ParsedFile[CompletionRow],
    *,
    people: People,
    catalogue: Catalogue,
    existing: set[tuple[int, int, dt.date]],
    school: KnownSchool | None,
    today: dt.date,
    progress: Progress | None = None,
) -> CompletionPlan:
    """Which rows add a completion, which are already recorded, and which cannot be imported.

    With ``school`` (a CPD lead's import) every person must be on that school's staff list, now
    or in the past; without it, anyone in the organisation.
    """
    plan = CompletionPlan(organisation_id, school, parsed, errors=list(parsed.errors))
    seen: dict[tuple[int, int, dt.date], int] = {}
    ticker = Ticker(progress)
    for row in parsed.rows:
        ticker.tick()
        problems: list[str] = []
        if row.completed_on > today:
            problems.append(
                f"completion date {long_date(row.completed_on)} is in the future: only training "
                "already completed can be imported"
            )
        module = catalogue.find(row.module)
        if isinstance(module, str):
            problems.append(module)
        found = match_person(
            people,
            staff_number=row.staff_number,
            email=row.email,
            school_id=None if school is None else school.id,
        )
        person: KnownPerson | None = None
        if isinstance(found, str):
            problems.append(found)
        elif found is None or (school is not None and found.id not in people.at_school[school.id]):
            who = row.email or f"staff number {row.staff_number}"
            where = f"the staff list of {school.name}" if school else "your organisation's staff"
            problems.append(
                f"{who} is not on {where} in the tool: import the staff list first, or check "
                "the staff number and email"
            )
        else:
            person = found
        if problems or person is None or isinstance(module, str):
            plan.errors.extend(Problem(row.row, p) for p in problems)
            continue
        key = (person.id, module.id, row.completed_on)
        hours = module.cpd_hours if row.hours is None else row.hours
        name = " ".join(p for p in (person.given_name, person.family_name) if p) or (
            person.name or person.email or f"person {person.id}"
        )
        if key in existing:
            action, note = CompletionAction.ALREADY_RECORDED, "Already recorded: skipped"
        elif key in seen:
            action, note = CompletionAction.ALREADY_RECORDED, f"Same as row {seen[key]}: skipped"
        else:
            action, note = CompletionAction.ADD, ""
            seen[key] = row.row
        plan.changes.append(CompletionChange(row, action, person.id, name, module, hours, note))
    ticker.done()
    plan.errors.sort(key=lambda p: p.row or 0)
    return plan
