"""Which school an LMS course belongs to: a trusted act.

Linking a course to a school makes the course's teachers that school's CPD leads (their LMS
role says Instructor there), so it is done only by someone who may already decide it: the LMS
(the ``school_urn`` custom parameter its administrator sets on the tool or the activity), the
LMS's administrator opening the course, or a trust leader. Any other teacher of an unlinked
course asks; the request waits on *LMS registrations* until a trust leader approves it (the
course is linked, and the teacher is CPD lead from their next launch) or declines it. Each
step is audited. (Before, any teacher could pick any school of the trust and became its CPD
lead at once.)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from cpd_tracker.auth import Grant
from cpd_tracker.models import Course, PermissionKind, Person, School
from cpd_tracker.services.audit import AuditService
from cpd_tracker.services.identity import IdentityService
from cpd_tracker.services.permission_admin import PermissionAdminService


class CourseLinkRefused(ValueError):
    """The request cannot be made or decided; the message says why."""


@dataclass(frozen=True)
class LinkRequest:
    course: Course
    school: School
    requested_by: Person | None


class CourseLinkService:
    def __init__(
        self,
        session: Session,
        audit: AuditService,
        clock: Callable[[], dt.datetime],
        identity: IdentityService,
    ) -> None:
        self.session = session
        self.audit = audit
        self.clock = clock
        self.identity = identity

    def _school(self, organisation_id: int, school_id: int) -> School:
        school = self.session.scalar(
            select(School).where(School.id == school_id, School.organisation_id == organisation_id)
        )
        if school is None:
            raise CourseLinkRefused("That school is not one of your organisation's.")
        return school

    def request(self, person: Person, course: Course, school_id: int) -> School:
        """A teacher asks for their course to be linked to a school."""
        if course.organisation_id != person.organisation_id:
            raise CourseLinkRefused("That course belongs to another organisation.")
        if course.school_id is not None:
            raise CourseLinkRefused("This course is linked to a school already.")
        school = self._school(person.organisation_id, school_id)
        course.requested_school_id = school.id
        course.requested_by_id = person.id
        course.requested_at = self.clock()
        self.audit.record(
            "course.link_requested",
            organisation_id=course.organisation_id,
            entity_type="course",
            entity_id=course.id,
            school_id=school.id,
            requested_by=person.id,
        )
        self.session.flush()
        return school

    def waiting(self, organisation_id: int) -> list[LinkRequest]:
        courses = self.session.scalars(
            select(Course)
            .options(selectinload(Course.requested_school))
            .where(
                Course.organisation_id == organisation_id,
                Course.school_id.is_(None),
                Course.requested_school_id.is_not(None),
            )
            .order_by(Course.requested_at, Course.id)
        ).all()
        people = {
            p.id: p
            for p in self.session.scalars(
                select(Person).where(
                    Person.id.in_([c.requested_by_id for c in courses if c.requested_by_id])
                )
            )
        }
        return [
            LinkRequest(c, c.requested_school, people.get(c.requested_by_id or 0))
            for c in courses
            if c.requested_school is not None
        ]

    def approve(self, course: Course, by: Person) -> School:
        if course.school_id is not None or course.requested_school_id is None:
            raise CourseLinkRefused("That course has no request waiting.")
        school = self._school(by.organisation_id, course.requested_school_id)
        self.identity.assign_course_school(course, school)
        self.audit.record(
            "course.link_approved",
            organisation_id=course.organisation_id,
            entity_type="course",
            entity_id=course.id,
            school_id=school.id,
            requested_by=course.requested_by_id,
        )
        self._clear(course)
        return school

    def decline(self, course: Course, by: Person) -> None:
        if course.requested_school_id is None:
            raise CourseLinkRefused("That course has no request waiting.")
        self.audit.record(
            "course.link_declined",
            organisation_id=course.organisation_id,
            entity_type="course",
            entity_id=course.id,
            school_id=course.requested_school_id,
            requested_by=course.requested_by_id,
            declined_by=by.id,
        )
        self._clear(course)

    def _clear(self, course: Course) -> None:
        course.requested_school_id = None
        course.requested_by_id = None
        course.requested_at = None
        self.session.flush()

    def trust_leaders(self, organisation_id: int) -> list[Person]:
        """Who decides a request (named on the teacher's page, so they know whom to ask)."""
        leaders = PermissionAdminService(self.session, self.audit).leaders(organisation_id)
        return [
            leader.person
            for leader in leaders
            if Grant(PermissionKind.TRUST_LEADER, None) in leader.grants
        ]
