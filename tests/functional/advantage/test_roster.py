"""Names and Role Provisioning: an instructor's launch queues a roster sync; the sync creates and
updates staff, marks people who left the course inactive there, and the school page shows
everyone, including those who never opened the tool."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import func, select

from cpd_tracker.extensions import db
from cpd_tracker.models import (
    AuditEntry,
    Course,
    CourseMembership,
    JobKind,
    JobStatus,
    Person,
    StaffRole,
    StaffRoleKind,
)
from tests.functional.advantage.helpers import (
    Lms,
    course,
    csrf,
    jobs,
    land,
    new_client,
    run_outbox,
    text,
)
from tests.support.advantage_platform import member_json
from tests.support.clock import FakeClock
from tests.support.factories import school_id

MAPPED = {"school_urn": "100001"}


def _members(lms: Lms, count: int, **kw: Any) -> None:
    lms.services.nrps.members = [member_json(i, lms.dialect, **kw) for i in range(1, count + 1)]


def _memberships(app: Flask) -> dict[str, CourseMembership]:
    with app.app_context():
        rows = db.session.execute(
            select(Person.sub, CourseMembership).join(
                CourseMembership, CourseMembership.person_id == Person.id
            )
        ).all()
        db.session.expunge_all()
        return {str(sub): membership for sub, membership in rows}


def _people(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(Person.id))) or 0


def test_instructor_launch_queues_a_sync_that_fills_the_school_staff_list(
    app: Flask, lms: Lms, clock: FakeClock
) -> None:
    _members(lms, 25)
    lms.services.nrps.members.append(lms.member("instructor"))
    client = new_client(app)
    page = land(client, lms.launch(client, "instructor", custom=MAPPED))
    body = text(page)
    assert "Roster sync queued" in body
    (job,) = jobs(app)
    assert job.kind is JobKind.ROSTER
    assert _people(app) == 1  # nothing read during the request
    report = run_outbox(app)
    assert report.done == 1
    assert _people(app) == 26
    mapped = course(app, lms.registration_id)
    assert mapped.roster_synced_at == clock()
    with app.app_context():
        roles = db.session.scalar(
            select(func.count(StaffRole.id)).where(
                StaffRole.school_id == school_id(app, "100001"),
                StaffRole.role == StaffRoleKind.UNASSIGNED,
            )
        )
        assert roles == 26
        (audit,) = db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "roster.synced")
        ).all()
        assert audit.actor_label == "lti-outbox"
        assert audit.details["members"] == 26
        assert len(audit.details["created_person_ids"]) == 25
        assert len(audit.details["joined_person_ids"]) == 26
        person = db.session.scalar(select(Person).where(Person.sub == "user-00003"))
        assert person is not None
        assert person.name == "Person 3"
        assert person.email == "person3@school.example"
        assert person.last_launch_at is None
    school = client.get(f"/schools/{school_id(app, '100001')}")
    html = text(school)
    assert "Person 3" in html
    assert (
        '<span class="app-stat__value">25</span> <span class="app-stat__label">never opened' in html
    )
    assert "Last roster sync" in html
    assert "Sync roster now" in html


def test_a_complete_sync_marks_people_who_left_inactive_and_never_deletes(
    app: Flask, lms: Lms, clock: FakeClock
) -> None:
    _members(lms, 12)
    client = new_client(app)
    land(client, lms.launch(client, "instructor", custom=MAPPED))
    run_outbox(app)
    lms.services.nrps.members = [
        m for m in lms.services.nrps.members if m["user_id"] not in ("user-00002", "user-00005")
    ]
    for member in lms.services.nrps.members:
        if member["user_id"] == "user-00007":
            member["status"] = "Inactive"
    clock.advance(3600)
    land(client, lms.launch(client, "instructor", custom=MAPPED))
    assert run_outbox(app).done == 1
    memberships = _memberships(app)
    assert not memberships["user-00002"].active
    assert memberships["user-00002"].lms_status == "absent"
    assert memberships["user-00002"].left_at == clock()
    assert not memberships["user-00007"].active
    assert memberships["user-00007"].lms_status == "Inactive"
    assert memberships["user-00001"].active
    assert memberships["user-00001"].last_seen_at == clock()
    assert _people(app) == 13
    # Back in the course: active again.
    lms.services.nrps.members.append(member_json(2, lms.dialect))
    clock.advance(3600)
    land(client, lms.launch(client, "instructor", custom=MAPPED))
    run_outbox(app)
    back = _memberships(app)["user-00002"]
    assert back.active
    assert back.left_at is None


def test_a_sync_that_fails_part_way_changes_nothing_and_is_retried(
    app: Flask, lms: Lms, clock: FakeClock
) -> None:
    _members(lms, 30)
    client = new_client(app)
    land(client, lms.launch(client, "instructor", custom=MAPPED, nrps=True))
    lms.services.nrps.failures.plan(500)
    report = run_outbox(app)
    assert report.retrying == 1
    assert _people(app) == 1
    (job,) = jobs(app)
    assert job.status is JobStatus.PENDING
    assert job.last_status == 500
    page = text(client.get(f"/schools/{school_id(app, '100001')}"))
    assert "Roster sync queued" in page
    assert "Last try failed" in page
    clock.advance(60)
    assert run_outbox(app).done == 1
    assert _people(app) == 31


def test_learner_launches_and_recent_syncs_queue_nothing(
    app: Flask, lms: Lms, clock: FakeClock
) -> None:
    learner = new_client(app)
    land(learner, lms.launch(learner, custom=MAPPED))
    assert jobs(app) == []
    mapped = course(app, lms.registration_id)
    assert mapped.memberships_url == lms.services.memberships_url
    teacher = new_client(app)
    land(teacher, lms.launch(teacher, "instructor", custom=MAPPED))
    assert len(jobs(app)) == 1
    # Another instructor launch while one waits: still one job.
    land(teacher, lms.launch(teacher, "instructor", custom=MAPPED))
    assert len(jobs(app)) == 1
    run_outbox(app)
    clock.advance(10 * 60)
    land(teacher, lms.launch(teacher, "instructor", custom=MAPPED))
    assert len(jobs(app)) == 1
    clock.advance(6 * 60)
    land(teacher, lms.launch(teacher, "instructor", custom=MAPPED))
    assert len(jobs(app)) == 2


def test_a_course_without_nrps_queues_nothing(app: Flask, lms: Lms) -> None:
    client = new_client(app)
    page = land(client, lms.launch(client, "instructor", custom=MAPPED, nrps=False))
    assert "Roster sync" not in text(page)
    assert jobs(app) == []


def test_imported_staff_are_linked_by_email_not_duplicated(app: Flask, lms: Lms) -> None:
    _members(lms, 3)
    with app.app_context():
        db.session.add(
            Person(organisation_id=lms.org_id, name="From the MIS", email="PERSON2@school.example")
        )
        db.session.commit()
    client = new_client(app)
    land(client, lms.launch(client, "instructor", custom=MAPPED))
    run_outbox(app)
    with app.app_context():
        linked = db.session.scalar(select(Person).where(Person.sub == "user-00002"))
        assert linked is not None
        assert linked.registration_id == lms.registration_id
        assert linked.name == "Person 2"
    assert _people(app) == 4


def test_sync_roster_now_button(app: Flask, lms: Lms) -> None:
    _members(lms, 2)
    client = new_client(app)
    land(client, lms.launch(client, "instructor", custom=MAPPED))
    run_outbox(app)
    school = school_id(app, "100001")
    page = client.get(f"/schools/{school}")
    mapped = course(app, lms.registration_id)
    url = f"/schools/{school}/courses/{mapped.id}/roster-sync"
    assert client.post(url, data={}).status_code == 400
    response = client.post(url, data={"csrf_token": csrf(text(page))})
    assert response.status_code == 302
    waiting = [j for j in jobs(app) if j.status is JobStatus.PENDING]
    assert [j.kind for j in waiting] == [JobKind.ROSTER]
    assert "Roster sync queued" in text(client.get(f"/schools/{school}"))
    other = school_id(app, "100002")
    assert client.post(
        f"/schools/{other}/courses/{mapped.id}/roster-sync",
        data={"csrf_token": csrf(text(page))},
    ).status_code in (403, 404)
    learner = new_client(app)
    land(learner, lms.launch(learner, custom=MAPPED))
    assert learner.post(url, data={"csrf_token": "x"}).status_code == 403


def test_roster_sync_command(app: Flask, lms: Lms, runner: FlaskCliRunner) -> None:
    _members(lms, 5)
    client = new_client(app)
    land(client, lms.launch(client, "instructor", custom=MAPPED))
    mapped = course(app, lms.registration_id)
    result = runner.invoke(args=["roster", "sync", "--all"])
    assert result.exit_code == 0, result.output
    assert result.stdout == "Syncing 1 course roster.\nDone 1 job.\n"
    assert _people(app) == 6
    again = runner.invoke(args=["roster", "sync", "--course", str(mapped.id)])
    assert again.exit_code == 0
    assert len(jobs(app)) == 2
    assert runner.invoke(args=["roster", "sync"]).exit_code == 2
    missing = runner.invoke(args=["roster", "sync", "--course", "999"])
    assert missing.exit_code == 1
    assert "No course with a roster service has id 999" in missing.output
    lms.services.nrps.failures.plan("connection")
    down = runner.invoke(args=["roster", "sync", "--all"])
    assert down.exit_code == 1
    assert "1 failed and will be retried" in down.stdout
    status = runner.invoke(args=["lti-outbox", "status"])
    assert status.exit_code == 0
    assert "Waiting: 1 (0 grades, 1 rosters; 1 failing)" in status.stdout


@pytest.mark.parametrize("pages", [10])
def test_a_thousand_members_over_ten_pages(
    app: Flask, lms: Lms, clock: FakeClock, pages: int
) -> None:
    """Correctness of the big roster (its speed is benchmarks/roster_sync.py's business)."""
    _members(lms, 1000)
    client = new_client(app)
    land(client, lms.launch(client, "instructor", custom=MAPPED))
    before = len(lms.services.nrps.requests)
    assert run_outbox(app).done == 1
    assert len(lms.services.nrps.requests) - before == pages
    assert _people(app) == 1001
    with app.app_context():
        active = db.session.scalar(
            select(func.count(CourseMembership.id)).where(CourseMembership.active.is_(True))
        )
        assert active == 1000
        synced = db.session.scalar(select(Course.roster_synced_at))
        assert synced is not None
    # The same roster again: nothing new, nobody left.
    clock.advance(16 * 60)
    land(client, lms.launch(client, "instructor", custom=MAPPED))
    assert run_outbox(app).done == 1
    assert _people(app) == 1001
    with app.app_context():
        last = db.session.scalars(
            select(AuditEntry)
            .where(AuditEntry.action == "roster.synced")
            .order_by(AuditEntry.id.desc())
        ).first()
        assert last is not None
        assert last.details["created_person_ids"] == []
        assert last.details["left_person_ids"] == []
        assert last.details["joined_person_ids"] == []


def test_linking_the_course_to_a_school_reads_the_roster_again(app: Flask, lms: Lms) -> None:
    _members(lms, 4)
    client = new_client(app)
    page = land(client, lms.launch(client, "instructor"))
    assert page.request.path == "/lti/course-school"
    assert run_outbox(app).done == 1  # people and memberships, but no school to put them in
    with app.app_context():
        assert db.session.scalar(select(func.count(StaffRole.id))) == 0
    alder = school_id(app, "100001")
    asked = client.post(
        "/lti/course-school", data={"csrf_token": csrf(text(page)), "school_id": alder}
    )
    assert asked.status_code == 302
    assert [j.status for j in jobs(app)] == [JobStatus.DONE]  # nothing linked yet
    # A trust leader links it (a teacher only asks: tests/security/test_role_taking.py).
    leader = new_client(app)
    land(leader, lms.launch(leader, "admin"))
    registrations = text(leader.get("/admin/registrations"))
    (course_id,) = re.findall(r"/admin/courses/(\d+)/link/approve", registrations)
    approved = leader.post(
        f"/admin/courses/{course_id}/link/approve", data={"csrf_token": csrf(registrations)}
    )
    assert approved.status_code == 302
    assert [j.status for j in jobs(app)] == [JobStatus.DONE, JobStatus.PENDING]
    assert run_outbox(app).done == 1
    with app.app_context():
        on_staff = db.session.scalar(
            select(func.count(StaffRole.id)).where(StaffRole.school_id == alder)
        )
    assert on_staff == 4  # the four members; the teacher joins at their next launch
    teacher = new_client(app)
    land(teacher, lms.launch(teacher, "instructor"))
    assert "Person 4" in text(teacher.get(f"/schools/{alder}"))
    with app.app_context():
        on_staff = db.session.scalar(
            select(func.count(StaffRole.id)).where(StaffRole.school_id == alder)
        )
    assert on_staff == 5
