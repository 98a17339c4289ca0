"""Organisations, schools, platform registrations and deployments: created here, audited."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from cpd_tracker.auth import Grant, effective_grants
from cpd_tracker.models import (
    Deployment,
    Organisation,
    OrganisationKind,
    Permission,
    PermissionKind,
    Person,
    PlatformRegistration,
    School,
)
from cpd_tracker.models.base import utcnow
from cpd_tracker.services.audit import AuditService
from cpd_tracker.services.catalogue import CatalogueService


class RegistrationConflict(ValueError):
    """A registration for this (issuer, client_id) already exists."""


@dataclass(frozen=True)
class PlatformDetails:
    name: str
    issuer: str
    client_id: str
    auth_login_url: str
    auth_token_url: str
    key_set_url: str
    auth_audience: str | None = None
    product_family: str | None = None


class RegistrationService:
    def __init__(self, session: Session, audit: AuditService) -> None:
        self.session = session
        self.audit = audit

    def create_organisation(self, name: str, kind: OrganisationKind) -> Organisation:
        org = Organisation(name=name.strip(), kind=kind)
        self.session.add(org)
        self.session.flush()
        self.audit.record(
            "organisation.created",
            organisation_id=org.id,
            entity_type="organisation",
            entity_id=org.id,
            name=org.name,
            kind=kind.value,
        )
        # Every organisation starts with its own copy of the SEND catalogue.
        CatalogueService(self.session, self.audit, utcnow).seed(org)
        return org

    def add_school(
        self, org: Organisation, *, urn: str, name: str, phase: str | None = None
    ) -> School:
        school = School(organisation_id=org.id, urn=urn.strip(), name=name.strip(), phase=phase)
        self.session.add(school)
        self.session.flush()
        self.audit.record(
            "school.created",
            organisation_id=org.id,
            entity_type="school",
            entity_id=school.id,
            urn=school.urn,
            name=school.name,
        )
        return school

    def add_platform(
        self,
        org: Organisation,
        details: PlatformDetails,
        *,
        deployment_ids: Iterable[str] = (),
        accept_new_deployments: bool = False,
        created_via: str,
        awaiting_approval: bool = False,
        invitation_id: int | None = None,
    ) -> PlatformRegistration:
        """Register a platform; ``awaiting_approval`` leaves it inert (no launch, no framing)
        until a trust leader approves it."""
        existing = self.session.scalar(
            select(PlatformRegistration.id).where(
                PlatformRegistration.issuer == details.issuer,
                PlatformRegistration.client_id == details.client_id,
            )
        )
        if existing is not None:
            raise RegistrationConflict(
                f"A platform with issuer {details.issuer} and client id {details.client_id} "
                "is already registered."
            )
        registration = PlatformRegistration(
            organisation_id=org.id,
            name=details.name,
            issuer=details.issuer,
            client_id=details.client_id,
            auth_login_url=details.auth_login_url,
            auth_token_url=details.auth_token_url,
            auth_audience=details.auth_audience,
            key_set_url=details.key_set_url,
            product_family=details.product_family,
            accept_new_deployments=accept_new_deployments,
            created_via=created_via,
            frame_origins=[],
            invitation_id=invitation_id,
            approved_at=None if awaiting_approval else utcnow(),
        )
        self.session.add(registration)
        self.session.flush()
        self.audit.record(
            "platform_registration.created",
            organisation_id=org.id,
            entity_type="platform_registration",
            entity_id=registration.id,
            issuer=details.issuer,
            client_id=details.client_id,
            via=created_via,
            awaiting_approval=awaiting_approval,
        )
        for deployment_id in deployment_ids:
            self.add_deployment(registration, deployment_id, created_via=created_via)
        return registration

    def has_trust_leader(self, org: Organisation) -> bool:
        """Whether someone active in the organisation holds trust leader (not taken away)."""
        permissions = self.session.scalars(
            select(Permission)
            .join(Person, Person.id == Permission.person_id)
            .where(
                Person.organisation_id == org.id,
                Person.active.is_(True),
                Permission.kind == PermissionKind.TRUST_LEADER,
            )
        ).all()
        by_person: dict[int, list[Permission]] = {}
        for permission in permissions:
            by_person.setdefault(permission.person_id, []).append(permission)
        leader = Grant(PermissionKind.TRUST_LEADER, None)
        return any(leader in effective_grants(held) for held in by_person.values())

    def approve(self, registration: PlatformRegistration, *, by: Person, now: dt.datetime) -> None:
        if registration.approved_at is not None:
            return
        registration.approved_at = now
        self.audit.record(
            "platform_registration.approved",
            organisation_id=registration.organisation_id,
            entity_type="platform_registration",
            entity_id=registration.id,
            approved_by=by.id,
        )
        self.session.flush()

    def refuse(self, registration: PlatformRegistration) -> None:
        """Remove a registration that waits for approval (it never launched anything)."""
        if registration.approved_at is not None:
            raise RegistrationConflict("Only a registration waiting for approval can be refused.")
        for deployment in list(registration.deployments):
            self.session.delete(deployment)
        self.audit.record(
            "platform_registration.refused",
            organisation_id=registration.organisation_id,
            entity_type="platform_registration",
            entity_id=registration.id,
            issuer=registration.issuer,
            client_id=registration.client_id,
        )
        self.session.delete(registration)
        self.session.flush()

    def add_deployment(
        self, registration: PlatformRegistration, deployment_id: str, *, created_via: str
    ) -> Deployment:
        deployment = Deployment(
            registration_id=registration.id, deployment_id=deployment_id, created_via=created_via
        )
        self.session.add(deployment)
        self.session.flush()
        self.audit.record(
            "deployment.created",
            organisation_id=registration.organisation_id,
            entity_type="deployment",
            entity_id=deployment.id,
            deployment_id=deployment_id,
            registration_id=registration.id,
        )
        return deployment

    def registrations_of(self, organisation_id: int) -> list[PlatformRegistration]:
        return list(
            self.session.scalars(
                select(PlatformRegistration)
                .where(PlatformRegistration.organisation_id == organisation_id)
                .options(selectinload(PlatformRegistration.deployments))
                .order_by(PlatformRegistration.name)
            )
        )
