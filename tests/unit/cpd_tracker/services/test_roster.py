"""``RosterService`` on the test database, for what the functional tests cannot easily reach: a
batch insert that meets a row a concurrent launch created, and the school page's statuses."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cpd_tracker.extensions import db
from cpd_tracker.models import (
    AuditEntry,
    Course,
    JobStatus,
    Organisation,
    OrganisationKind,
    Permission,
    PermissionKind,
    PermissionSource,
    Person,
    PlatformRegistration,
    School,
    ServiceJob,
)
from cpd_tracker.services.audit import Actor, AuditService
from cpd_tracker.services.outbox import enqueue_roster
from cpd_tracker.services.roster import RosterReport, RosterService
from lti.nrps import member_from_json
from tests.support.clock import FakeClock


@pytest.fixture
def session(app: Flask) -> Iterator[Session]:
    with app.app_context():
        yield db.session
        db.session.rollback()


def _registration(session: Session) -> tuple[PlatformRegistration, School]:
    org = Organisation(name="Trust", kind=OrganisationKind.TRUST)
    session.add(org)
    session.flush()
    school = School(organisation_id=org.id, urn="100001", name="Alder")
    registration = PlatformRegistration(
        organisation_id=org.id,
        name="LMS",
        issuer="https://lms.example.org",
        client_id="c",
        auth_login_url="https://lms.example.org/auth",
        auth_token_url="https://lms.example.org/token",
        key_set_url="https://lms.example.org/jwks",
        created_via="cli",
    )
    session.add_all([school, registration])
    session.flush()
    return registration, school


def test_a_person_created_meanwhile_is_read_back_not_duplicated(session: Session) -> None:
    registration, _ = _registration(session)
    service = RosterService(session, AuditService(session, Actor("test")), FakeClock())
    # A launch created "u2" after the sync looked people up.
    session.add(
        Person(
            organisation_id=registration.organisation_id, registration_id=registration.id, sub="u2"
        )
    )
    session.flush()
    members = [member_from_json({"user_id": f"u{i}", "name": f"P{i}"}) for i in (1, 2, 3)]
    created = service._insert_people(registration, [m for m in members if m is not None])
    assert sorted(created) == ["u1", "u3"]
    assert session.scalar(select(func.count(Person.id))) == 3


def test_statuses_say_queued_and_the_last_failure(session: Session) -> None:
    registration, school = _registration(session)
    clock = FakeClock()
    course = Course(
        organisation_id=registration.organisation_id,
        registration_id=registration.id,
        context_id="c1",
        school_id=school.id,
        memberships_url="https://lms.example.org/nrps",
    )
    unrostered = Course(
        organisation_id=registration.organisation_id,
        registration_id=registration.id,
        context_id="c2",
        school_id=school.id,
    )
    session.add_all([course, unrostered])
    session.flush()
    service = RosterService(session, AuditService(session, Actor("test")), clock)
    (status,) = service.statuses(school)
    assert (status.course.id, status.queued, status.last_error, status.synced_at) == (
        course.id,
        False,
        None,
        None,
    )
    job_id, _ = enqueue_roster(session.connection(), course, clock())
    job = session.get(ServiceJob, job_id)
    assert job is not None
    job.status = JobStatus.FAILED
    job.last_error = "The LMS said no."
    job.finished_at = clock()
    session.flush()
    (status,) = service.statuses(school)
    assert not status.queued
    assert status.last_error == "The LMS said no."
    # A later successful sync hides the older failure.
    clock.advance(60)
    course.roster_synced_at = clock()
    session.flush()
    (status,) = service.statuses(school)
    assert status.last_error is None
    assert not service.course_mapped(unrostered)


def test_a_roster_never_links_someone_granted_more_than_staff_by_email(session: Session) -> None:
    """Issue 15, finding 2, through NRPS: as at launch, an e-mail a CPD lead can change does
    not hand a trust leader's record to whichever LMS account the roster lists with it."""
    registration, _ = _registration(session)
    org = registration.organisation_id
    leader = Person(organisation_id=org, name="Pat Deputy", email="pat@alder.sch.uk")
    teacher = Person(organisation_id=org, name="Sam Teacher", email="sam@alder.sch.uk")
    session.add_all([leader, teacher])
    session.flush()
    session.add(
        Permission(
            person_id=leader.id, kind=PermissionKind.TRUST_LEADER, source=PermissionSource.OVERRIDE
        )
    )
    session.flush()
    service = RosterService(session, AuditService(session, Actor("test")), FakeClock())
    members = [
        member_from_json({"user_id": "rogue", "name": "Rogue", "email": "PAT@alder.sch.uk"}),
        member_from_json({"user_id": "sam", "name": "Sam Teacher", "email": "sam@alder.sch.uk"}),
    ]
    report = RosterReport()
    people = service._people(registration, [m for m in members if m is not None], report)
    assert report.linked == [teacher.id]
    assert (teacher.registration_id, teacher.sub) == (registration.id, "sam")
    assert (leader.registration_id, leader.sub) == (None, None)
    rogue = people["rogue"]
    assert rogue.id != leader.id
    assert rogue.email is None  # the address stays the trust leader's
    refused = session.scalars(
        select(AuditEntry).where(AuditEntry.action == "person.link_refused")
    ).all()
    assert [(e.entity_id, e.details["source"]) for e in refused] == [(str(leader.id), "roster")]
