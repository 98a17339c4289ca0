"""Rows for tests, built through the same services the app uses (so they are audited too)."""

from __future__ import annotations

from collections.abc import Iterable

from flask import Flask

from cpd_tracker.extensions import db
from cpd_tracker.models import Organisation, OrganisationKind, PlatformRegistration, School
from cpd_tracker.services.audit import Actor, AuditService
from cpd_tracker.services.registrations import PlatformDetails, RegistrationService
from tests.support.platform import TestPlatform


def _service() -> RegistrationService:
    return RegistrationService(db.session, AuditService(db.session, Actor("test")))


def make_org(
    app: Flask,
    name: str = "Test Trust",
    *,
    schools: Iterable[tuple[str, str]] = (("100001", "Alder Primary"), ("100002", "Birch Academy")),
) -> int:
    """An organisation with schools; returns its id."""
    with app.app_context():
        service = _service()
        org = service.create_organisation(name, OrganisationKind.TRUST)
        for urn, school_name in schools:
            service.add_school(org, urn=urn, name=school_name)
        db.session.commit()
        return org.id


def register(
    app: Flask,
    platform: TestPlatform,
    org_id: int,
    *,
    deployments: Iterable[str] | None = None,
    accept_new: bool = False,
) -> int:
    """Register a test platform for an organisation; returns the registration id."""
    with app.app_context():
        org = db.session.get(Organisation, org_id)
        assert org is not None
        row = _service().add_platform(
            org,
            PlatformDetails(
                name=f"{platform.dialect} test platform",
                issuer=platform.issuer,
                client_id=platform.client_id,
                auth_login_url=platform.auth_login_url,
                auth_token_url=platform.auth_token_url,
                key_set_url=platform.key_set_url,
                product_family=platform.dialect,
            ),
            deployment_ids=[platform.deployment_id] if deployments is None else deployments,
            accept_new_deployments=accept_new,
            created_via="cli",
        )
        db.session.commit()
        return row.id


def school_id(app: Flask, urn: str) -> int:
    from sqlalchemy import select

    with app.app_context():
        found = db.session.scalar(select(School.id).where(School.urn == urn))
        assert found is not None
        return found


def registration(app: Flask, registration_id: int) -> PlatformRegistration:
    with app.app_context():
        row = db.session.get(PlatformRegistration, registration_id)
        assert row is not None
        return row


def make_invite(app: Flask, org_id: int, *, days: int = 7, uses: int = 1) -> str:
    """A registration link's secret for an organisation (as `cpd-tracker org invite` makes)."""
    from cpd_tracker.registry import clock
    from cpd_tracker.services.invitations import InvitationService

    with app.app_context():
        org = db.session.get(Organisation, org_id)
        assert org is not None
        _invitation, secret = InvitationService(
            db.session, AuditService(db.session, Actor("test")), clock
        ).create(org, by=None, days=days, uses=uses)
        db.session.commit()
        return secret
