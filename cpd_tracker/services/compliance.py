"""Who must do what, and where they stand: requirements resolved per school and person, and
statuses derived by ``rules.training.assess`` from bulk-loaded facts.

Every query is scoped by organisation and loads a school's facts in a handful of statements
(people, roles, requirements, completions, exemptions, extensions), never one per person.

Issue 16 (renewals): a requirement carries its recertification basis, minimum active period,
grace days, introduction date and its module's version cut-off into the rules; a retired
module's requirements carry over to its replacement, and completions of any module in a chain
of replacements count for all of them; a role appointment that brought a requirement is a
grace start; a completion carries its certificate's own expiry.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, selectinload

from cpd_tracker.dates import local_date
from cpd_tracker.models import (
    Completion,
    DueRule,
    Exemption,
    Extension,
    Module,
    Person,
    Requirement,
    School,
    StaffRole,
    StaffRoleKind,
)
from cpd_tracker.rules.training import (
    Basis,
    CompletionFacts,
    ExemptionFacts,
    ExtensionFacts,
    PersonFacts,
    RequirementFacts,
    Rule,
    Status,
    StatusResult,
    assess,
)


@dataclass(frozen=True)
class StaffMember:
    person_id: int
    name: str
    email: str | None
    roles: frozenset[str]
    start_date: dt.date | None
    leaving_date: dt.date | None
    #: Earliest appointment to each role at this school (for appointment-based due rules).
    appointed: dict[str, dt.date | None] = field(default_factory=dict, compare=False)
    last_launch_at: dt.datetime | None = None


@dataclass(frozen=True)
class StatusRow:
    person_id: int
    requirement_id: int
    module_id: int
    result: StatusResult


@dataclass
class SchoolCompliance:
    school: School
    staff: list[StaffMember]
    requirements: list[Requirement]
    #: (person_id, requirement_id) -> status; only where the requirement applies.
    cells: dict[tuple[int, int], StatusRow]

    def row_for(self, person_id: int) -> list[StatusRow | None]:
        return [self.cells.get((person_id, r.id)) for r in self.requirements]

    def count(self, requirement_id: int, *statuses: Status) -> int:
        return sum(
            1
            for (_, rid), row in self.cells.items()
            if rid == requirement_id and row.result.status in statuses
        )

    def coverage(self, requirement_id: int) -> Coverage:
        results = [
            row.result.status for (_, rid), row in self.cells.items() if rid == requirement_id
        ]
        return coverage_of(results)

    def chase_list(self) -> list[StatusRow]:
        """Overdue first, then expired, then due soon and expiring soon, soonest first."""
        urgent = [r for r in self.cells.values() if r.result.status in CHASE_ORDER]
        return sorted(
            urgent,
            key=lambda r: (CHASE_ORDER.index(r.result.status), r.result.due_on or dt.date.max),
        )


#: Statuses that still count as trained.
VALID = (Status.COMPLIANT, Status.EXPIRING_SOON)
#: Outside the figures: not (or no longer) expected to be trained.
EXCLUDED = (Status.LEFT, Status.EXEMPT)
CHASE_ORDER = (Status.OVERDUE, Status.EXPIRED, Status.DUE_SOON, Status.EXPIRING_SOON)


@dataclass(frozen=True)
class Coverage:
    trained: int
    expected: int

    @property
    def percent(self) -> int | None:
        return round(100 * self.trained / self.expected) if self.expected else None


def coverage_of(statuses: Iterable[Status]) -> Coverage:
    """Trained over expected: leavers and exempt staff are outside both figures."""
    counted = [s for s in statuses if s not in EXCLUDED]
    return Coverage(sum(1 for s in counted if s in VALID), len(counted))


def audience_label(requirement: Requirement) -> str:
    from cpd_tracker.templating import ROLE_LABELS

    where = requirement.school.name if requirement.school else "every school"
    if not requirement.roles:
        return f"All staff, {where}"
    roles = ", ".join(ROLE_LABELS.get(r, r) for r in requirement.roles)
    return f"{roles}, {where}"


def requirement_facts(requirement: Requirement) -> RequirementFacts:
    current = requirement.module.current or requirement.module
    return RequirementFacts(
        rule=Rule(requirement.due_rule.value),
        due_days=requirement.due_days,
        due_month=requirement.due_month,
        due_day=requirement.due_day,
        validity_months=requirement.validity_months,
        window_days=requirement.window_days,
        due_soon_days=requirement.due_soon_days,
        basis=None if requirement.recertify_from is None else Basis(requirement.recertify_from),
        min_active_months=requirement.min_active_months,
        grace_days=requirement.grace_days,
        # A requirement only bites from the day it was introduced: everyone gets its due
        # period from then, whatever their history.
        introduced_on=local_date(requirement.created_at),
        counts_from=current.completions_count_from,
    )


def applies_to(requirement: Requirement, roles: Iterable[str]) -> bool:
    return not requirement.roles or bool(set(requirement.roles) & set(roles))


def appointment_for(requirement: Requirement, member: StaffMember) -> dt.date | None:
    """The appointment an appointment rule counts from (the latest to a role it names); for
    other rules naming roles, the day the first of them was taken, when the requirement began
    to apply (a role change is a grace start: issue 16); None for an all-staff rule."""
    dates = [
        d
        for role, d in member.appointed.items()
        if (not requirement.roles or role in requirement.roles) and d is not None
    ]
    if requirement.due_rule is DueRule.DAYS_AFTER_APPOINTMENT:
        return max(dates) if dates else None
    return min(dates) if dates and requirement.roles else None


def later(day: dt.date | None, floor: dt.date) -> dt.date:
    """``day``, but never before ``floor`` (and ``floor`` when ``day`` is unknown)."""
    return floor if day is None or day < floor else day


class ComplianceService:
    def __init__(self, session: Session) -> None:
        self.session = session

    # -- requirements --------------------------------------------------------------------

    def requirements_for_school(self, school: School) -> list[Requirement]:
        """Active organisation-wide requirements plus this school's own; a school override
        replaces the organisation requirement it overrides."""
        rows = list(
            self.session.scalars(
                select(Requirement)
                .where(
                    Requirement.organisation_id == school.organisation_id,
                    Requirement.retired_at.is_(None),
                    (Requirement.school_id.is_(None)) | (Requirement.school_id == school.id),
                )
                .options(selectinload(Requirement.module), selectinload(Requirement.school))
                .order_by(Requirement.id)
            )
        )
        overridden = {r.overrides_id for r in rows if r.school_id == school.id and r.overrides_id}
        # A retired module's requirement carries over to its replacement (issue 16).
        return [r for r in rows if r.id not in overridden and r.module.current is not None]

    # -- people --------------------------------------------------------------------------

    def staff_of(
        self,
        school: School,
        *,
        include_leavers: bool = False,
        person_id: int | None = None,
        person_ids: Collection[int] | None = None,
        limit: int | None = None,
    ) -> list[StaffMember]:
        """The school's current staff (or just ``person_id``, or those of ``person_ids``, who
        are on it; the first ``limit`` of them in name order)."""
        query = self._on_staff(school, include_leavers).order_by(
            Person.family_name, Person.given_name, Person.name, Person.id
        )
        if person_id is not None:
            query = query.where(Person.id == person_id)
        if person_ids is not None:
            query = query.where(Person.id.in_(list(person_ids)))
        if limit is not None:
            # The first ``limit`` people in the list's order, not everyone's rows.
            first = (
                query.with_only_columns(Person.id)
                .group_by(Person.id, Person.family_name, Person.given_name, Person.name)
                .limit(limit)
            )
            query = query.where(Person.id.in_(first.scalar_subquery()))
        members: dict[int, tuple[Person, dict[str, dt.date | None]]] = {}
        for person, role in self.session.execute(query):
            _, appointed = members.setdefault(person.id, (person, {}))
            appointed[role.role.value] = role.started_on
        return [
            StaffMember(
                person_id=p.id,
                name=p.display_name,
                email=p.email,
                roles=frozenset(appointed) - {StaffRoleKind.UNASSIGNED.value}
                if len(appointed) > 1
                else frozenset(appointed),
                start_date=p.start_date,
                leaving_date=p.leaving_date,
                appointed=appointed,
                last_launch_at=p.last_launch_at,
            )
            for p, appointed in members.values()
        ]

    def staff_count(self, school: School, *, include_leavers: bool = False) -> int:
        """How many people ``staff_of`` lists for the school."""
        query = self._on_staff(school, include_leavers).with_only_columns(
            func.count(func.distinct(Person.id))
        )
        return self.session.scalar(query) or 0

    @staticmethod
    def _on_staff(school: School, include_leavers: bool) -> Select[Person, StaffRole]:
        """Each current role at the school with its person (``staff_of`` and
        ``staff_count`` read the same list)."""
        query = (
            select(Person, StaffRole)
            .join(StaffRole, StaffRole.person_id == Person.id)
            .where(
                StaffRole.school_id == school.id,
                StaffRole.ended_on.is_(None),
                Person.organisation_id == school.organisation_id,
            )
        )
        return query if include_leavers else query.where(Person.active.is_(True))

    # -- statuses ------------------------------------------------------------------------

    def school(self, school: School, today: dt.date) -> SchoolCompliance:
        requirements = self.requirements_for_school(school)
        staff = self.staff_of(school)
        cells = self._assess(staff, requirements, today)
        return SchoolCompliance(school, staff, requirements, cells)

    def assess(
        self, staff: Sequence[StaffMember], requirements: Sequence[Requirement], today: dt.date
    ) -> dict[tuple[int, int], StatusRow]:
        """Each of ``staff`` against each requirement that applies to them, on ``today``."""
        return self._assess(staff, requirements, today)

    def for_person(
        self, person: Person, today: dt.date
    ) -> list[tuple[School, Requirement, StatusResult]]:
        """Every requirement that applies to ``person`` at each of their schools."""
        results: list[tuple[School, Requirement, StatusResult]] = []
        schools = {r.school_id: r.school for r in person.staff_roles if r.ended_on is None}
        seen: set[int] = set()
        for school in sorted(schools.values(), key=lambda s: s.name):
            found = self.staff_of(school, include_leavers=True, person_id=person.id)
            if not found:
                continue
            member = found[0]
            requirements = [r for r in self.requirements_for_school(school) if r.id not in seen]
            cells = self._assess([member], requirements, today)
            for requirement in requirements:
                row = cells.get((person.id, requirement.id))
                if row is not None:
                    seen.add(requirement.id)
                    results.append((school, requirement, row.result))
        return results

    def _assess(
        self, staff: Sequence[StaffMember], requirements: Sequence[Requirement], today: dt.date
    ) -> dict[tuple[int, int], StatusRow]:
        if not staff or not requirements:
            return {}
        people = [m.person_id for m in staff]
        completions = self._completions(people, {r.module_id for r in requirements}, today)
        exemptions = self._exemptions(people, [r.id for r in requirements])
        extensions = self._extensions(people, [r.id for r in requirements])
        cells: dict[tuple[int, int], StatusRow] = {}
        for requirement in requirements:
            facts = requirement_facts(requirement)
            # A requirement only bites from the day it was introduced: staff who started years
            # earlier are due within its period from then, not overdue since their first day
            # (and ``facts.introduced_on`` gives it to those with lapsed history too).
            introduced = local_date(requirement.created_at)
            for member in staff:
                if not applies_to(requirement, member.roles):
                    continue
                result = assess(
                    PersonFacts(
                        start_date=later(member.start_date, introduced),
                        appointed_on=later(appointment_for(requirement, member), introduced),
                        leaving_date=member.leaving_date,
                    ),
                    facts,
                    completions.get((member.person_id, requirement.module_id), []),
                    exemptions.get((member.person_id, requirement.id), []),
                    extensions.get((member.person_id, requirement.id), []),
                    today,
                )
                cells[(member.person_id, requirement.id)] = StatusRow(
                    member.person_id, requirement.id, requirement.module_id, result
                )
        return cells

    def module_families(self, modules: Iterable[int]) -> dict[int, set[int]]:
        """Each of ``modules`` with every module joined to it by replacements ("replaced by"):
        a completion of any of them counts for a requirement on any of them."""
        wanted = set(modules)
        if not wanted:
            return {}
        organisations = select(Module.organisation_id).where(Module.id.in_(wanted))
        links = self.session.execute(
            select(Module.id, Module.replaced_by_id).where(
                Module.organisation_id.in_(organisations), Module.replaced_by_id.is_not(None)
            )
        ).all()
        joined: dict[int, set[int]] = defaultdict(set)
        for old, new in links:
            if new is not None:
                joined[old].add(new)
                joined[new].add(old)
        families: dict[int, set[int]] = {}
        for module in wanted:
            family, to_visit = {module}, [module]
            while to_visit:
                for other in joined.get(to_visit.pop(), ()):
                    if other not in family:
                        family.add(other)
                        to_visit.append(other)
            families[module] = family
        return families

    def _completions(
        self, people: list[int], modules: set[int], today: dt.date
    ) -> dict[tuple[int, int], list[CompletionFacts]]:
        """Completions by (person, module), each also under every module of its family."""
        families = self.module_families(modules)
        counted_for: dict[int, set[int]] = defaultdict(set)
        for module, family in families.items():
            for member in family:
                counted_for[member].add(module)
        found: dict[tuple[int, int], list[CompletionFacts]] = defaultdict(list)
        for person_id, module_id, completed_on, certificate_expires_on in self.session.execute(
            select(
                Completion.person_id,
                Completion.module_id,
                Completion.completed_on,
                Completion.certificate_expires_on,
            ).where(
                Completion.person_id.in_(people),
                Completion.module_id.in_(list(counted_for)),
                Completion.completed_on <= today,
            )
        ):
            for module in counted_for[module_id]:
                found[(person_id, module)].append(
                    CompletionFacts(completed_on, certificate_expires_on)
                )
        return found

    def _exemptions(
        self, people: list[int], requirements: list[int]
    ) -> dict[tuple[int, int], list[ExemptionFacts]]:
        found: dict[tuple[int, int], list[ExemptionFacts]] = defaultdict(list)
        for row in self.session.scalars(
            select(Exemption).where(
                Exemption.person_id.in_(people),
                Exemption.requirement_id.in_(requirements),
                Exemption.revoked_at.is_(None),
            )
        ):
            found[(row.person_id, row.requirement_id)].append(
                ExemptionFacts(row.starts_on, row.ends_on, row.reason)
            )
        return found

    def _extensions(
        self, people: list[int], requirements: list[int]
    ) -> dict[tuple[int, int], list[ExtensionFacts]]:
        found: dict[tuple[int, int], list[ExtensionFacts]] = defaultdict(list)
        for row in self.session.scalars(
            select(Extension).where(
                Extension.person_id.in_(people),
                Extension.requirement_id.in_(requirements),
                Extension.revoked_at.is_(None),
            )
        ):
            found[(row.person_id, row.requirement_id)].append(
                ExtensionFacts(row.new_due_on, row.reason)
            )
        return found
