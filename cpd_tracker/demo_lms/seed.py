"""Seed the demo trust and register the built-in demo LMS. Safe to run again: it only adds
what is missing and points the demo registration at the URL being served."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cpd_tracker.demo_lms import people, school_days
from cpd_tracker.demo_lms.seed_senco import seed_sencos
from cpd_tracker.demo_lms.spend_seed import seed_spend
from cpd_tracker.models import (
    Completion,
    CompletionMethod,
    Course,
    Organisation,
    OrganisationKind,
    Permission,
    PermissionKind,
    PermissionSource,
    Person,
    PlatformRegistration,
    Requirement,
    School,
    StaffRole,
    StaffRoleKind,
)
from cpd_tracker.rules.training import add_months
from cpd_tracker.services.audit import AuditService
from cpd_tracker.services.catalogue import CatalogueService
from cpd_tracker.services.compliance import ComplianceService
from cpd_tracker.services.keys import KeyService
from cpd_tracker.services.months import month_of
from cpd_tracker.services.registrations import PlatformDetails, RegistrationService
from cpd_tracker.services.snapshots import SnapshotService
from cpd_tracker.services.trends import DEFAULT_WINDOW

CLIENT_ID = "cpd-tracker-demo"
DEPLOYMENT_ID = "demo-deployment-1"


def demo_endpoints(base_url: str) -> PlatformDetails:
    lms = base_url.rstrip("/") + "/demo-lms"
    return PlatformDetails(
        name="Demo LMS (built in)",
        issuer=lms,
        client_id=CLIENT_ID,
        auth_login_url=lms + "/auth",
        auth_token_url=lms + "/token",
        key_set_url=lms + "/jwks",
        product_family="demo",
    )


def seed_demo(session: Session, audit: AuditService, *, base_url: str, secret: str) -> str:
    registrations = RegistrationService(session, audit)
    org = session.scalar(select(Organisation).where(Organisation.name == people.TRUST_NAME))
    created = org is None
    if org is None:
        org = registrations.create_organisation(people.TRUST_NAME, OrganisationKind.TRUST)
    schools = {s.urn: s for s in org.schools}
    for urn, name, phase in people.SCHOOLS:
        if urn not in schools:
            schools[urn] = registrations.add_school(org, urn=urn, name=name, phase=phase)
    registration = _demo_registration(session, registrations, org, base_url)
    _courses(session, org, registration, schools)
    catalogue = CatalogueService(session, audit, _now)
    catalogue.seed(org)
    if created:
        catalogue.seed_requirements(org)
        # The trust introduced its requirements two years ago, so the demo has history.
        for requirement in session.scalars(
            select(Requirement).where(Requirement.organisation_id == org.id)
        ):
            requirement.created_at = _now() - dt.timedelta(days=730)
        _staff(session, org, registration, schools)
        _training_history(session, org)
        seed_sencos(session, org, dt.date.today())
        seed_spend(session, audit, org, dt.date.today())
        # A history of monthly coverage, so the trend charts have lines to draw: the months
        # a trend chart shows by default (a year), not the whole two years, to keep the demo
        # quick to set up (a later snapshot run can back-fill the rest).
        session.flush()
        snapshots = SnapshotService(session, ComplianceService(session), _now)
        since = add_months(month_of(_now().date()), -(DEFAULT_WINDOW - 1))
        for job in snapshots.pending(organisation_id=org.id):
            if job.month >= since:
                snapshots.take(job)
    KeyService(session, secret=secret, clock=_now, audit=audit).ensure_key()
    session.flush()
    staff = session.scalar(select(func.count(Person.id)).where(Person.organisation_id == org.id))
    return (
        f"Demo trust '{org.name}': {len(schools)} schools, {staff} staff. "
        f"Demo LMS registered as issuer {registration.issuer}."
    )


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _demo_registration(
    session: Session, registrations: RegistrationService, org: Organisation, base_url: str
) -> PlatformRegistration:
    details = demo_endpoints(base_url)
    row = session.scalar(
        select(PlatformRegistration).where(
            PlatformRegistration.organisation_id == org.id,
            PlatformRegistration.created_via == "demo",
        )
    )
    if row is None:
        return registrations.add_platform(
            org, details, deployment_ids=[DEPLOYMENT_ID], created_via="demo"
        )
    # The demo may be served on another port than last time: follow it.
    row.issuer = details.issuer
    row.auth_login_url = details.auth_login_url
    row.auth_token_url = details.auth_token_url
    row.key_set_url = details.key_set_url
    return row


def _courses(
    session: Session,
    org: Organisation,
    registration: PlatformRegistration,
    schools: dict[str, School],
) -> None:
    existing = set(
        session.scalars(select(Course.context_id).where(Course.registration_id == registration.id))
    )
    for context_id, title, label, urn in people.COURSES:
        if context_id not in existing:
            session.add(
                Course(
                    organisation_id=org.id,
                    registration_id=registration.id,
                    context_id=context_id,
                    title=title,
                    label=label,
                    school_id=schools[urn].id,
                )
            )


def _names() -> Iterator[tuple[str, str]]:
    """Given and family names stepped through at different strides, so no name repeats in
    the first 220 (nor is anyone named as a demo user the LMS launches as)."""
    taken = {(u.given_name, u.family_name) for u in people.LAUNCHABLE}
    for i in itertools.count():
        name = (
            people.GIVEN[(7 * i + 3) % len(people.GIVEN)],
            people.FAMILY[(5 * i + 1) % len(people.FAMILY)],
        )
        if name not in taken:
            yield name


def start_date_for(n: int, s_index: int, today: dt.date) -> dt.date:
    """When the ``n``-th person on school ``s_index``'s list joined: the first working day of
    a term (most in September), up to 11 years ago, about one in twelve this school year;
    never a weekend, bank holiday or school holiday (``school_days``)."""
    years_back = (7 * n + 3 * s_index) % 12
    term = (0, 0, 1, 0, 2)[(3 * n + s_index) % 5]
    this_year = today.year if today.month >= 9 else today.year - 1
    year = this_year - years_back
    start = school_days.term_starts(year)[term]
    while start > today:
        year -= 1
        start = school_days.term_starts(year)[term]
    return start


def _staff(
    session: Session,
    org: Organisation,
    registration: PlatformRegistration,
    schools: dict[str, School],
) -> None:
    """A staff list per school, as a roster sync would bring it, sized for its pupils; few
    have launched yet. Each school's board has governors on the list too."""
    names = _names()
    today = dt.date.today()
    launchers = {u.sub: u for u in people.LAUNCHABLE}
    for s_index, (urn, _name, phase) in enumerate(people.SCHOOLS):
        school = schools[urn]
        domain = school.name.split()[0].lower()
        cycle = people.ROLE_CYCLES[phase]
        places = [
            (f"demo-{domain}-{n + 1}", StaffRoleKind(cycle[n % len(cycle)]), n)
            for n in range(people.STAFF[urn])
        ] + [
            (f"demo-{domain}-governor-{k + 1}", StaffRoleKind.GOVERNOR, 5 * k + 2)
            for k in range(people.GOVERNORS_PER_SCHOOL)
        ]
        for sub, role, n in places:
            given, family = next(names)
            if sub == "demo-riverside-1":
                sub, role = "demo-riverside-lead", StaffRoleKind.SENCO
            user = launchers.get(sub)
            if user is not None:
                given, family = user.given_name, user.family_name
            start = start_date_for(n, s_index, today)
            session.add(
                Person(
                    organisation_id=org.id,
                    registration_id=registration.id,
                    sub=sub,
                    given_name=given,
                    family_name=family,
                    name=f"{given} {family}",
                    email=f"{given}.{family}@{domain}.example".lower(),
                    start_date=start,
                    staff_roles=[StaffRole(school_id=school.id, role=role, started_on=start)],
                )
            )
    for key, kind in (
        ("trust-leader", PermissionKind.TRUST_LEADER),
        ("finance", PermissionKind.FINANCE),
    ):
        user = people.demo_user(key)
        assert user is not None
        session.add(
            Person(
                organisation_id=org.id,
                registration_id=registration.id,
                sub=user.sub,
                given_name=user.given_name,
                family_name=user.family_name,
                name=user.name,
                email=user.email,
                permissions=[Permission(kind=kind, source=PermissionSource.OVERRIDE)],
            )
        )
    session.flush()


def _training_history(session: Session, org: Organisation) -> None:
    """Completions spread so the demo shows every status: some staff up to date, some
    expiring, some overdue. Deterministic, so every demo looks the same."""
    today = dt.date.today()
    requirements = list(
        session.scalars(select(Requirement).where(Requirement.organisation_id == org.id))
    )
    roles: dict[int, set[str]] = {}
    for person_id, role in session.execute(
        select(StaffRole.person_id, StaffRole.role)
        .join(Person, Person.id == StaffRole.person_id)
        .where(Person.organisation_id == org.id)
    ):
        roles.setdefault(person_id, set()).add(role.value)
    people = list(session.scalars(select(Person).where(Person.organisation_id == org.id)))
    for p_index, person in enumerate(people):
        for r_index, requirement in enumerate(requirements):
            # Only training the person is required to do (no governor training for teachers).
            if requirement.roles and not set(requirement.roles) & roles.get(person.id, set()):
                continue
            pattern = (p_index * 7 + r_index * 3) % 10
            if pattern < 3:
                continue  # never done: due, due soon or overdue
            # 3..9 -> completed between about 2 years and 1 month ago
            days_ago = 30 + (pattern - 3) * 110
            # Training happens on working days, as do starts (``school_days``).
            completed_on = school_days.previous_working_day(today - dt.timedelta(days=days_ago))
            if person.start_date and completed_on < person.start_date:
                completed_on = school_days.next_working_day(
                    person.start_date + dt.timedelta(days=14)
                )
            if completed_on > today:
                continue
            session.add(
                Completion(
                    organisation_id=org.id,
                    person_id=person.id,
                    module_id=requirement.module_id,
                    completed_on=completed_on,
                    method=CompletionMethod.IMPORTED,
                    cpd_hours=requirement.module.cpd_hours,
                    provider=requirement.module.provider,
                    note="Demo history",
                )
            )
