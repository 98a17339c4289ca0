"""Trust leaders grant and take away tool permissions in the tool (overrides of what the LMS
roles suggest). Launches never change an override; every change is audited."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from cpd_tracker.auth import Grant, effective_grants, end_sessions
from cpd_tracker.models import Permission, PermissionKind, PermissionSource, Person, School
from cpd_tracker.models.base import utcnow
from cpd_tracker.services.audit import AuditService


class PermissionChangeError(ValueError):
    """A grant or revocation that cannot be made; the message says why."""


@dataclass(frozen=True)
class Leader:
    person: Person
    grants: frozenset[Grant]


class PermissionAdminService:
    def __init__(
        self,
        session: Session,
        audit: AuditService,
        clock: Callable[[], dt.datetime] = utcnow,
    ) -> None:
        self.session = session
        self.audit = audit
        self.clock = clock

    def leaders(self, organisation_id: int) -> list[Leader]:
        """Everyone who is a CPD lead, trust leader or finance, by whatever source."""
        people = self.session.scalars(
            select(Person)
            .where(
                Person.organisation_id == organisation_id,
                Person.id.in_(
                    select(Permission.person_id).where(
                        Permission.kind.in_(
                            [
                                PermissionKind.CPD_LEAD,
                                PermissionKind.TRUST_LEADER,
                                PermissionKind.FINANCE,
                            ]
                        )
                    )
                ),
            )
            .options(selectinload(Person.permissions))
            .order_by(Person.family_name, Person.given_name, Person.name)
        )
        leaders = []
        for person in people:
            grants = frozenset(
                g
                for g in effective_grants(list(person.permissions))
                if g.kind is not PermissionKind.STAFF
            )
            if grants:
                leaders.append(Leader(person, grants))
        return leaders

    def find_person(self, organisation_id: int, email_or_number: str) -> Person:
        key = email_or_number.strip().lower()
        person = self.session.scalar(
            select(Person).where(
                Person.organisation_id == organisation_id,
                (func.lower(Person.email) == key) | (func.lower(Person.staff_number) == key),
            )
        )
        if person is None:
            raise PermissionChangeError(
                f"No one in your organisation has the email address or staff number "
                f"“{email_or_number.strip()}”. They appear once they open the tool from the "
                "LMS or are imported from the school's MIS."
            )
        return person

    def grant(self, person: Person, kind: PermissionKind, school: School | None) -> Permission:
        if school is not None and school.organisation_id != person.organisation_id:
            raise PermissionChangeError("That school belongs to another organisation.")
        if kind is PermissionKind.CPD_LEAD and school is None:
            raise PermissionChangeError("Choose the school this person leads CPD for.")
        school_id = school.id if kind is PermissionKind.CPD_LEAD and school else None
        for existing in person.permissions:
            if (existing.kind, existing.school_id, existing.source) == (
                kind,
                school_id,
                PermissionSource.OVERRIDE,
            ):
                if not existing.revoked:
                    return existing
                existing.revoked = False
                self._audit("permission.granted", person, existing)
                return existing
        permission = Permission(
            person_id=person.id, kind=kind, school_id=school_id, source=PermissionSource.OVERRIDE
        )
        self.session.add(permission)
        self.session.flush()
        self.session.refresh(person, ["permissions"])
        self._audit("permission.granted", person, permission)
        return permission

    def revoke(
        self, person: Person, kind: PermissionKind, school_id: int | None, *, acting: Person
    ) -> None:
        if kind is PermissionKind.TRUST_LEADER and person.id == acting.id:
            raise PermissionChangeError(
                "You cannot take away your own trust leader permission: ask another trust "
                "leader, so that the organisation is never left without one."
            )
        override = next(
            (
                p
                for p in person.permissions
                if (p.kind, p.school_id, p.source) == (kind, school_id, PermissionSource.OVERRIDE)
            ),
            None,
        )
        if override is None:
            # What the LMS suggested is taken away by a revoked override, which later launches
            # leave alone.
            override = Permission(
                person_id=person.id,
                kind=kind,
                school_id=school_id,
                source=PermissionSource.OVERRIDE,
                revoked=True,
            )
            self.session.add(override)
            self.session.flush()
        else:
            override.revoked = True
        self.session.refresh(person, ["permissions"])
        # Whatever the person has open now ran on the permission: it ends with it.
        end_sessions(person, self.clock())
        self._audit("permission.revoked", person, override)

    def _audit(self, action: str, person: Person, permission: Permission) -> None:
        self.audit.record(
            action,
            organisation_id=person.organisation_id,
            entity_type="permission",
            entity_id=permission.id,
            person_id=person.id,
            kind=permission.kind.value,
            school_id=permission.school_id,
        )
