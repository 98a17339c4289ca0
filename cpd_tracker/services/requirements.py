"""Requirements: which staff must complete which module, by when, and for how long it counts
(ARCHITECTURE.md, "Training"; DOMAIN.md, "Mandatory training").

A requirement is module, audience (staff roles at one school, or at every school of the
organisation), due rule, validity and recertification window. A school may override an
organisation-wide requirement: the override replaces it at that school only
(``ComplianceService.requirements_for_school``) and counts as introduced when the original was.

Changing a requirement changes only the requirement row: statuses are derived on every read
(``rules.training``), so they follow at once, and completions are never touched. Retiring sets
``retired_at`` and keeps the row, its exemptions and extensions, as history.

Two active requirements for the same module and the same people are refused
(``RequirementConflict``): each person would get two statuses, with different due dates, for
one piece of training, and nobody could say which one counts. "The same people" means:

* the same scope (the whole organisation, or one school) and overlapping roles (no roles means
  all staff, which overlaps everything);
* for a school requirement, also an organisation requirement that still applies at that school
  (one not overridden there, and not the one being overridden): the school should override it
  instead.

An organisation requirement added later may still overlap a school's own requirement: the trust
decides for the trust, and the school's page shows both.

Who may call what is decided by the views (``manage/routes.py``); this service assumes the
caller has checked access and scoped every row to the caller's organisation.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, fields

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, selectinload

from cpd_tracker.dates import MONTHS
from cpd_tracker.models import DueRule, Module, RecertifyFrom, Requirement, School, StaffRoleKind
from cpd_tracker.rules.training import add_months
from cpd_tracker.services.audit import AuditService

MONTH_NAMES = MONTHS

#: Roles a requirement may name (``unassigned`` staff are covered by "all staff").
ROLE_CHOICES = tuple(r.value for r in StaffRoleKind if r is not StaffRoleKind.UNASSIGNED)

DUE_DAYS_RANGE = (1, 730)
VALIDITY_RANGE = (1, 120)
WINDOW_RANGE = (0, 365)
DUE_SOON_RANGE = (0, 365)
DEFAULT_WINDOW_DAYS = 60
DEFAULT_DUE_SOON_DAYS = 30
GRACE_RANGE = (0, 365)


@dataclass(frozen=True)
class RequirementDetails:
    """What a trust leader or CPD lead sets on a requirement (module and scope aside)."""

    roles: tuple[str, ...]
    due_rule: DueRule
    due_days: int | None = None
    due_month: int | None = None
    due_day: int | None = None
    validity_months: int | None = None
    window_days: int = DEFAULT_WINDOW_DAYS
    due_soon_days: int = DEFAULT_DUE_SOON_DAYS
    notes: str = ""
    #: Issue 16. None: the old behaviour (fixed date for fixed-date rules, else completion).
    recertify_from: RecertifyFrom | None = None
    #: Renewals on the fixed date: the least a completion counts for; None: half the validity.
    min_active_months: int | None = None
    #: Fixed-date rules: newcomers and returners have at least this many days; None: 30.
    grace_days: int | None = None

    @property
    def fixed_renewal(self) -> bool:
        """Renewals fall on the fixed date (the default for fixed-date rules)."""
        if self.validity_months is None:
            return False
        if self.recertify_from is None:
            return self.due_rule is DueRule.FIXED_DATE
        return self.recertify_from is RecertifyFrom.FIXED

    @classmethod
    def of(cls, requirement: Requirement) -> RequirementDetails:
        return cls(
            roles=tuple(requirement.roles or ()),
            due_rule=requirement.due_rule,
            due_days=requirement.due_days,
            due_month=requirement.due_month,
            due_day=requirement.due_day,
            validity_months=requirement.validity_months,
            window_days=requirement.window_days,
            due_soon_days=requirement.due_soon_days,
            notes=requirement.notes or "",
            recertify_from=requirement.recertify_from,
            min_active_months=requirement.min_active_months,
            grace_days=requirement.grace_days,
        )

    def normalised(self) -> RequirementDetails:
        """Roles sorted and unique; the fields the due rule does not use cleared."""
        days_rule = self.due_rule is not DueRule.FIXED_DATE
        renews = self.validity_months is not None
        return RequirementDetails(
            recertify_from=self.recertify_from if renews else None,
            min_active_months=self.min_active_months if self.fixed_renewal else None,
            grace_days=None if days_rule else self.grace_days,
            roles=tuple(sorted(set(self.roles))),
            due_rule=self.due_rule,
            due_days=self.due_days if days_rule else None,
            due_month=None if days_rule else self.due_month,
            due_day=None if days_rule else self.due_day,
            validity_months=self.validity_months,
            window_days=self.window_days,
            due_soon_days=self.due_soon_days,
            notes=self.notes.strip(),
        )


class InvalidRequirement(ValueError):
    """Details that break a rule of ``check_details``; ``problems`` maps field to message."""

    def __init__(self, problems: Mapping[str, str]) -> None:
        super().__init__("; ".join(problems.values()))
        self.problems = dict(problems)


class RequirementConflict(Exception):
    """Another active requirement already covers this module for some of the same people."""

    def __init__(self, existing: list[Requirement]) -> None:
        super().__init__(f"{len(existing)} overlapping requirement(s)")
        self.existing = existing


# --- Pure rules -----------------------------------------------------------------------------


@functools.lru_cache(maxsize=128)
def shortest_period_days(months: int) -> int:
    """The fewest days ``months`` calendar months can last (1 month: 28 days), counted as
    ``rules.training.add_months`` counts expiry, over a whole leap-year cycle of start days."""
    start = dt.date(2024, 1, 1)
    return min(
        (add_months(day, months) - day).days
        for day in (start + dt.timedelta(days=n) for n in range(4 * 366))
    )


def roles_overlap(a: Iterable[str], b: Iterable[str]) -> bool:
    """No roles means all staff, which overlaps any set of roles."""
    first, second = set(a), set(b)
    return not first or not second or bool(first & second)


def _out_of(value: int, bounds: tuple[int, int]) -> bool:
    return not bounds[0] <= value <= bounds[1]


def check_details(details: RequirementDetails) -> dict[str, str]:
    """Every rule the details break, as ``{field name: message}``; empty when valid."""
    problems: dict[str, str] = {}
    unknown = sorted(set(details.roles) - set(ROLE_CHOICES))
    if unknown:
        problems["roles"] = f"Choose roles from the list ({', '.join(unknown)} is not one)"
    if details.due_rule is DueRule.FIXED_DATE:
        month, day = details.due_month, details.due_day
        if month is None or day is None:
            problems["due_date"] = "Enter the day and month it is due each year"
        elif _out_of(month, (1, 12)):
            problems["due_date"] = "The month must be between 1 and 12"
        else:
            try:
                # A leap year, so 29 February is a date (it falls on 28 February in other years).
                dt.date(2024, month, day)
            except ValueError:
                problems["due_date"] = (
                    f"{MONTH_NAMES[month - 1]} has no day {day}: enter a real date, like 1 9"
                )
    elif details.due_days is None:
        problems["due_days"] = "Enter how many days staff have to complete it"
    elif _out_of(details.due_days, DUE_DAYS_RANGE):
        problems["due_days"] = "The number of days must be between 1 and 730"
    validity = details.validity_months
    if validity is not None and _out_of(validity, VALIDITY_RANGE):
        problems["validity_months"] = "The number of months must be between 1 and 120"
    if _out_of(details.window_days, WINDOW_RANGE):
        problems["window_days"] = "The renewal window must be between 0 and 365 days"
    elif validity is not None and "validity_months" not in problems:
        longest = shortest_period_days(validity) - 1
        if details.window_days > longest:
            problems["window_days"] = (
                f"The renewal window must be shorter than the validity: at most {longest} days "
                f"for {describe_months(validity)}"
            )
    if _out_of(details.due_soon_days, DUE_SOON_RANGE):
        problems["due_soon_days"] = "The due soon period must be between 0 and 365 days"
    if details.recertify_from is RecertifyFrom.FIXED and details.due_rule is not DueRule.FIXED_DATE:
        problems["recertify_from"] = (
            "Renewing on a fixed date needs a fixed date: choose 'By a fixed date each academic "
            "year', or count renewals from the completion or expiry date"
        )
    minimum = details.min_active_months
    if minimum is not None and validity is not None and not 0 <= minimum <= validity:
        problems["min_active_months"] = (
            f"The least time it counts for must be between 0 and {describe_months(validity)}"
        )
    if details.grace_days is not None and _out_of(details.grace_days, GRACE_RANGE):
        problems["grace_days"] = "The days newcomers have must be between 0 and 365"
    return problems


def describe_months(months: int) -> str:
    return "1 month" if months == 1 else f"{months} months"


def describe_due_rule(requirement: Requirement | RequirementDetails) -> str:
    """The due rule as staff read it: "Within 90 days of starting", "By 1 September each year"."""
    rule = requirement.due_rule
    if rule is DueRule.FIXED_DATE:
        if requirement.due_month is None or requirement.due_day is None:
            return "By a fixed date each year"
        return f"By {requirement.due_day} {MONTH_NAMES[requirement.due_month - 1]} each year"
    days = requirement.due_days
    span = "1 day" if days == 1 else f"{days} days"
    if rule is DueRule.DAYS_AFTER_APPOINTMENT:
        return f"Within {span} of appointment to the role"
    return f"Within {span} of starting"


def describe_validity(validity_months: int | None) -> str:
    """How often it must be done again: "Every 12 months", or "Once" when it never expires."""
    if validity_months is None:
        return "Once"
    return "Every month" if validity_months == 1 else f"Every {validity_months} months"


RECERTIFY_WORDS = {
    RecertifyFrom.COMPLETION: "From the date it was completed",
    RecertifyFrom.EXPIRY: "From the expiry date (renewing early keeps the anniversary)",
    RecertifyFrom.FIXED: "On the fixed date",
}


def describe_recertification(requirement: Requirement | RequirementDetails) -> str:
    """Where a renewal's new expiry is counted from, as a CPD lead reads it."""
    if requirement.validity_months is None:
        return "Not applicable"
    basis = requirement.recertify_from or (
        RecertifyFrom.FIXED
        if requirement.due_rule is DueRule.FIXED_DATE
        else RecertifyFrom.COMPLETION
    )
    words = RECERTIFY_WORDS[basis]
    if basis is RecertifyFrom.FIXED:
        least = requirement.min_active_months
        if least is None:
            least = requirement.validity_months // 2
        words += f", counting at least {describe_months(least)}"
    return words


def describe_window(requirement: Requirement | RequirementDetails) -> str:
    """When renewal opens; nothing to renew when it never expires."""
    if requirement.validity_months is None:
        return "Not applicable"
    if requirement.window_days == 0:
        return "Opens on expiry"
    days = requirement.window_days
    return f"Opens {'1 day' if days == 1 else f'{days} days'} before expiry"


# --- Reading --------------------------------------------------------------------------------


@dataclass
class OrganisationRequirement:
    """An organisation-wide requirement as one school sees it, with its overrides there."""

    requirement: Requirement
    overrides: list[Requirement] = field(default_factory=list)

    @property
    def overridden(self) -> bool:
        return bool(self.overrides)


@dataclass
class SchoolRequirements:
    """A school's view: organisation requirements (and whether overridden here), this school's
    overrides, and its own requirements; retired ones only when asked for."""

    school: School
    organisation: list[OrganisationRequirement]
    overrides: list[Requirement]
    own: list[Requirement]
    retired: list[Requirement]


_LOADED = (
    selectinload(Requirement.module),
    selectinload(Requirement.school),
    selectinload(Requirement.overrides).selectinload(Requirement.module),
)


class RequirementService:
    def __init__(
        self, session: Session, audit: AuditService, clock: Callable[[], dt.datetime]
    ) -> None:
        self.session = session
        self.audit = audit
        self.clock = clock

    def requirement(self, organisation_id: int, requirement_id: int) -> Requirement | None:
        return self.session.scalar(
            select(Requirement)
            .where(
                Requirement.id == requirement_id,
                Requirement.organisation_id == organisation_id,
            )
            .options(*_LOADED)
        )

    def schools(self, organisation_id: int) -> list[School]:
        return list(
            self.session.scalars(
                select(School)
                .where(School.organisation_id == organisation_id)
                .order_by(School.name, School.id)
            )
        )

    def organisation_requirements(
        self, organisation_id: int, *, include_retired: bool = False
    ) -> list[Requirement]:
        query = select(Requirement).where(
            Requirement.organisation_id == organisation_id, Requirement.school_id.is_(None)
        )
        if not include_retired:
            query = query.where(Requirement.retired_at.is_(None))
        return self._ordered(query)

    def school_requirements(
        self, school: School, *, include_retired: bool = False
    ) -> list[Requirement]:
        """The school's own rows: school-only requirements and overrides."""
        query = select(Requirement).where(
            Requirement.organisation_id == school.organisation_id,
            Requirement.school_id == school.id,
        )
        if not include_retired:
            query = query.where(Requirement.retired_at.is_(None))
        return self._ordered(query)

    def school_counts(self, organisation_id: int) -> dict[int, int]:
        """Active school-only requirements and overrides, per school id."""
        rows = self.session.execute(
            select(Requirement.school_id, func.count(Requirement.id))
            .where(
                Requirement.organisation_id == organisation_id,
                Requirement.school_id.is_not(None),
                Requirement.retired_at.is_(None),
            )
            .group_by(Requirement.school_id)
        )
        return {school_id: count for school_id, count in rows if school_id is not None}

    def school_view(self, school: School, *, include_retired: bool = False) -> SchoolRequirements:
        org = self.organisation_requirements(school.organisation_id, include_retired=True)
        mine = self.school_requirements(school, include_retired=True)
        active_mine = [r for r in mine if r.retired_at is None]
        overrides = [r for r in active_mine if r.overrides_id is not None]
        retired = [r for r in (*org, *mine) if r.retired_at is not None] if include_retired else []
        return SchoolRequirements(
            school=school,
            organisation=[
                OrganisationRequirement(r, [o for o in overrides if o.overrides_id == r.id])
                for r in org
                if r.retired_at is None
            ],
            overrides=overrides,
            own=[r for r in active_mine if r.overrides_id is None],
            retired=sorted(retired, key=lambda r: (r.module.title, r.id)),
        )

    def active_for_module(self, module: Module) -> list[Requirement]:
        """Active requirements of a module: they stop applying while the module is retired."""
        return self._ordered(
            select(Requirement).where(
                Requirement.organisation_id == module.organisation_id,
                Requirement.module_id == module.id,
                Requirement.retired_at.is_(None),
            )
        )

    def overrides_of(self, requirement: Requirement) -> list[Requirement]:
        return self._ordered(
            select(Requirement).where(
                Requirement.organisation_id == requirement.organisation_id,
                Requirement.overrides_id == requirement.id,
                Requirement.retired_at.is_(None),
            )
        )

    def conflicts(
        self,
        organisation_id: int,
        module_id: int,
        school_id: int | None,
        roles: Iterable[str],
        *,
        ignore_id: int | None = None,
        overrides_id: int | None = None,
    ) -> list[Requirement]:
        """Active requirements that would cover some of the same people for the same module
        (see the module docstring)."""
        roles = tuple(roles)
        candidates = self._ordered(
            select(Requirement).where(
                Requirement.organisation_id == organisation_id,
                Requirement.module_id == module_id,
                Requirement.retired_at.is_(None),
                (Requirement.school_id.is_(None)) | (Requirement.school_id == school_id),
            )
        )
        overridden_here = {
            r.overrides_id for r in candidates if r.school_id == school_id and r.overrides_id
        }
        found = []
        for other in candidates:
            if other.id == ignore_id or not roles_overlap(roles, other.roles or ()):
                continue
            if other.school_id == school_id:
                found.append(other)
            elif (
                school_id is not None
                and other.id != overrides_id
                and other.id not in overridden_here
            ):
                # An organisation requirement that still applies at this school.
                found.append(other)
        return found

    def _ordered(self, query: Select[Requirement]) -> list[Requirement]:
        return list(self.session.scalars(query.options(*_LOADED).order_by(Requirement.id)))

    # --- Writing -----------------------------------------------------------------------------

    def create(
        self, module: Module, school: School | None, details: RequirementDetails
    ) -> Requirement:
        """A new requirement for the whole organisation (``school`` None) or one school."""
        if school is not None and school.organisation_id != module.organisation_id:
            raise ValueError("The school belongs to another organisation.")
        return self._add(module, school, details, overrides=None)

    def override(
        self, original: Requirement, school: School, details: RequirementDetails
    ) -> Requirement:
        """A school's version of an organisation requirement; it replaces the original at
        ``school`` only. The module stays the original's."""
        if original.school_id is not None or original.retired_at is not None:
            raise ValueError("Only an active organisation-wide requirement can be overridden.")
        if school.organisation_id != original.organisation_id:
            raise ValueError("The school belongs to another organisation.")
        return self._add(original.module, school, details, overrides=original)

    def _add(
        self,
        module: Module,
        school: School | None,
        details: RequirementDetails,
        overrides: Requirement | None,
    ) -> Requirement:
        if module.is_retired:
            raise ValueError("A retired module cannot be required.")
        details = self._checked(details)
        clash = self.conflicts(
            module.organisation_id,
            module.id,
            school.id if school else None,
            details.roles,
            overrides_id=overrides.id if overrides else None,
        )
        if clash:
            raise RequirementConflict(clash)
        requirement = Requirement(
            organisation_id=module.organisation_id,
            module_id=module.id,
            module=module,
            school_id=school.id if school else None,
            school=school,
            overrides_id=overrides.id if overrides else None,
            # Requirements bite from their introduction (``created_at``, see
            # ``ComplianceService._assess``). An override is the same duty, set differently at
            # one school, so it bites from the original's introduction: staff already overdue
            # under it stay overdue instead of getting a fresh period. The audit entry keeps
            # when the override itself was made.
            created_at=overrides.created_at if overrides else self.clock(),
            **_columns(details),
        )
        self.session.add(requirement)
        self.session.flush()
        self.audit.record(
            "requirement.overridden" if overrides else "requirement.created",
            organisation_id=module.organisation_id,
            entity_type="requirement",
            entity_id=requirement.id,
            module_id=module.id,
            module=module.title,
            school_id=school.id if school else None,
            overrides_id=overrides.id if overrides else None,
            **_audit_values(details),
        )
        return requirement

    def update(
        self, requirement: Requirement, details: RequirementDetails
    ) -> dict[str, list[object]]:
        """Change the rule of a requirement (its module and scope stay: to change those, retire
        it and add another). Returns ``{field: [old, new]}`` for what changed, also audited.

        Only the requirement row is written: statuses are derived from it on every read, and
        completions are history, never rewritten."""
        if requirement.retired_at is not None:
            raise ValueError("A retired requirement is history: add a new one instead.")
        details = self._checked(details)
        clash = self.conflicts(
            requirement.organisation_id,
            requirement.module_id,
            requirement.school_id,
            details.roles,
            ignore_id=requirement.id,
            overrides_id=requirement.overrides_id,
        )
        if clash:
            raise RequirementConflict(clash)
        before = _audit_values(RequirementDetails.of(requirement))
        after = _audit_values(details)
        changed = {
            name: [before[name], after[name]] for name in after if before[name] != after[name]
        }
        if not changed:
            return changed
        for name, value in _columns(details).items():
            setattr(requirement, name, value)
        self.session.flush()
        self.audit.record(
            "requirement.updated",
            organisation_id=requirement.organisation_id,
            entity_type="requirement",
            entity_id=requirement.id,
            changed=changed,
        )
        return changed

    def retire(self, requirement: Requirement) -> bool:
        """Stop applying a requirement, keeping it (and its exemptions and extensions) as
        history. Overrides of it at schools are the schools' decisions and keep applying.
        Returns False if it was already retired."""
        if requirement.retired_at is not None:
            return False
        requirement.retired_at = self.clock()
        self.session.flush()
        self.audit.record(
            "requirement.retired",
            organisation_id=requirement.organisation_id,
            entity_type="requirement",
            entity_id=requirement.id,
            module_id=requirement.module_id,
            school_id=requirement.school_id,
        )
        return True

    @staticmethod
    def _checked(details: RequirementDetails) -> RequirementDetails:
        details = details.normalised()
        problems = check_details(details)
        if problems:
            raise InvalidRequirement(problems)
        return details


def _columns(details: RequirementDetails) -> dict[str, object]:
    values = {f.name: getattr(details, f.name) for f in fields(details)}
    values["roles"] = list(details.roles)
    return values


def _audit_values(details: RequirementDetails) -> dict[str, object]:
    # JSON-ready: the audit table stores details as JSON.
    values = _columns(details)
    values["due_rule"] = details.due_rule.value
    values["recertify_from"] = details.recertify_from and details.recertify_from.value
    return values
