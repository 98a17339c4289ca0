"""Seed the demo trust and register the built-in demo LMS. Safe to run again: it only adds
what is missing and points the demo registration at the URL being served."""

from __future__ import annotations

import datetime as dt
import itertools

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cpd_tracker.demo_lms import people
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
from cpd_tracker.services.audit import AuditService
from cpd_tracker.services.catalogue import CatalogueService
from cpd_tracker.services.compliance import ComplianceService
from cpd_tracker.services.keys import KeyService
from cpd_tracker.services.registrations import PlatformDetails, RegistrationService
from cpd_tracker.services.snapshots import SnapshotService

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
        # A history of monthly coverage, so the trend charts have lines to draw.
        session.flush()
        SnapshotService(session, ComplianceService(session), _now).take_pending(org.id)
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


def _staff(
    session: Session,
    org: Organisation,
    registration: PlatformRegistration,
    schools: dict[str, School],
) -> None:
    """A staff list per school, as a roster sync would bring it; few have launched yet."""
    # Step through given and family names at different strides so names rarely repeat.
    names = (
        (
            people.GIVEN[(7 * i + 3) % len(people.GIVEN)],
            people.FAMILY[(5 * i + 1) % len(people.FAMILY)],
        )
        for i in itertools.count()
    )
    today = dt.date.today()
    launchers = {u.sub: u for u in people.LAUNCHABLE}
    for s_index, (urn, _name, _phase) in enumerate(people.SCHOOLS):
        school = schools[urn]
        domain = school.name.split()[0].lower()
        for n in range(people.STAFF_PER_SCHOOL):
            given, family = next(names)
            sub = f"demo-{domain}-{n + 1}"
            role = StaffRoleKind(people.ROLE_CYCLE[n % len(people.ROLE_CYCLE)])
            if n == 0 and urn == "990002":
                sub, role = "demo-riverside-lead", StaffRoleKind.SENCO
            user = launchers.get(sub)
            if user is not None:
                given, family = user.given_name, user.family_name
            person = Person(
                organisation_id=org.id,
                registration_id=registration.id,
                sub=sub,
                given_name=given,
                family_name=family,
                name=f"{given} {family}",
                email=f"{given}.{family}@{domain}.example".lower(),
                start_date=today - dt.timedelta(days=90 + 97 * n + 31 * s_index),
            )
            session.add(person)
            session.flush()
            session.add(
                StaffRole(
                    person_id=person.id,
                    school_id=school.id,
                    role=role,
                    started_on=person.start_date,
                )
            )
    leader = people.demo_user("trust-leader")
    assert leader is not None
    trust_leader = Person(
        organisation_id=org.id,
        registration_id=registration.id,
        sub=leader.sub,
        given_name=leader.given_name,
        family_name=leader.family_name,
        name=leader.name,
        email=leader.email,
    )
    session.add(trust_leader)
    session.flush()
    session.add(
        Permission(
            person_id=trust_leader.id,
            kind=PermissionKind.TRUST_LEADER,
            source=PermissionSource.OVERRIDE,
        )
    )


def _training_history(session: Session, org: Organisation) -> None:
    """Completions spread so the demo shows every status: some staff up to date, some
    expiring, some overdue. Deterministic, so every demo looks the same."""
    today = dt.date.today()
    requirements = list(
        session.scalars(select(Requirement).where(Requirement.organisation_id == org.id))
    )
    people = list(session.scalars(select(Person).where(Person.organisation_id == org.id)))
    for p_index, person in enumerate(people):
        for r_index, requirement in enumerate(requirements):
            pattern = (p_index * 7 + r_index * 3) % 10
            if pattern < 3:
                continue  # never done: due, due soon or overdue
            # 3..9 -> completed between about 2 years and 1 month ago
            days_ago = 30 + (pattern - 3) * 110
            completed_on = today - dt.timedelta(days=days_ago)
            if person.start_date and completed_on < person.start_date:
                completed_on = person.start_date + dt.timedelta(days=14)
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
