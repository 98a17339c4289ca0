"""Read-only views of an organisation's people for the landing pages.

Counts are computed in SQL (GROUP BY), never by loading rows into Python to count them.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cpd_tracker.models import (
    AuditEntry,
    Course,
    Organisation,
    Permission,
    PermissionKind,
    Person,
    School,
    StaffRole,
)


@dataclass(frozen=True)
class SchoolRow:
    school_id: int
    urn: str
    name: str
    phase: str | None
    staff: int
    launched: int
    cpd_leads: int
    courses: int


class OverviewService:
    def __init__(self, session: Session) -> None:
        self.session = session

    def organisation(self, organisation_id: int) -> Organisation:
        org = self.session.get(Organisation, organisation_id)
        assert org is not None
        return org

    def school_courses(self, school: School) -> list[Course]:
        return list(
            self.session.scalars(
                select(Course)
                .where(
                    Course.school_id == school.id, Course.organisation_id == school.organisation_id
                )
                .order_by(Course.title)
            )
        )

    def trust_schools(self, organisation_id: int) -> list[SchoolRow]:
        staff = (
            select(
                StaffRole.school_id.label("school_id"),
                func.count(func.distinct(Person.id)).label("staff"),
                func.count(func.distinct(Person.id))
                .filter(Person.last_launch_at.is_not(None))
                .label("launched"),
            )
            .join(Person, Person.id == StaffRole.person_id)
            .where(
                Person.organisation_id == organisation_id,
                Person.active.is_(True),
                StaffRole.ended_on.is_(None),
            )
            .group_by(StaffRole.school_id)
            .subquery()
        )
        leads = (
            select(
                Permission.school_id.label("school_id"),
                func.count(func.distinct(Permission.person_id)).label("leads"),
            )
            .where(Permission.kind == PermissionKind.CPD_LEAD, Permission.revoked.is_(False))
            .group_by(Permission.school_id)
            .subquery()
        )
        courses = (
            select(Course.school_id.label("school_id"), func.count().label("courses"))
            .where(Course.organisation_id == organisation_id)
            .group_by(Course.school_id)
            .subquery()
        )
        query = (
            select(
                School,
                func.coalesce(staff.c.staff, 0),
                func.coalesce(staff.c.launched, 0),
                func.coalesce(leads.c.leads, 0),
                func.coalesce(courses.c.courses, 0),
            )
            .outerjoin(staff, staff.c.school_id == School.id)
            .outerjoin(leads, leads.c.school_id == School.id)
            .outerjoin(courses, courses.c.school_id == School.id)
            .where(School.organisation_id == organisation_id)
            .order_by(School.name)
        )
        return [
            SchoolRow(s.id, s.urn, s.name, s.phase, n_staff, n_launched, n_leads, n_courses)
            for s, n_staff, n_launched, n_leads, n_courses in self.session.execute(query)
        ]

    def recent_activity(self, person: Person, limit: int = 10) -> list[AuditEntry]:
        """Changes to this person's own record (their entries only, in their organisation)."""
        return list(
            self.session.scalars(
                select(AuditEntry)
                .where(
                    AuditEntry.organisation_id == person.organisation_id,
                    AuditEntry.entity_type == "person",
                    AuditEntry.entity_id == str(person.id),
                )
                .order_by(AuditEntry.id.desc())
                .limit(limit)
            )
        )

    def schools_of(self, organisation_id: int) -> list[School]:
        return list(
            self.session.scalars(
                select(School)
                .where(School.organisation_id == organisation_id)
                .order_by(School.name)
            )
        )
