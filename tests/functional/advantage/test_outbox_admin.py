"""``/admin/outbox``: trust leaders see grades and rosters that wait or gave up, with the last
error, and can retry one now."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from cpd_tracker.models import JobKind, JobStatus
from tests.functional.advantage.helpers import (
    IN_TOOL,
    Lms,
    csrf,
    jobs,
    land,
    make_lms,
    module,
    new_client,
    pass_module,
    run_outbox,
    text,
)
from tests.support.advantage_platform import ServiceHttp
from tests.support.clock import FakeClock
from tests.support.factories import make_org


@pytest.fixture(params=["canvas"])
def dialect(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def _trust_leader(app: Flask, lms: Lms) -> FlaskClient:
    client = new_client(app)
    land(client, lms.launch(client, "admin"))
    return client


def _failed_score(app: Flask, lms: Lms, clock: FakeClock) -> None:
    lineitem = lms.gradebook.add_item("SEND", f"module:{IN_TOOL}")
    learner = new_client(app)
    land(learner, lms.launch(learner, module=IN_TOOL, lineitem=lineitem))
    pass_module(learner, module(app, lms.org_id))
    lms.gradebook.failures.plan(404, 404, 404)
    for wait in (0, 60, 300):
        clock.advance(wait)
        run_outbox(app)


def test_trust_leader_sees_a_failed_grade_with_its_error_and_retries_it(
    app: Flask, lms: Lms, clock: FakeClock
) -> None:
    _failed_score(app, lms, clock)
    leader = _trust_leader(app, lms)
    page = leader.get("/admin/outbox")
    assert page.status_code == 200
    body = text(page)
    assert "Gave up" in body
    assert f"Grade for {lms.platform.user('learner').name}" in body
    assert "The gradebook column is gone" in body
    (job,) = jobs(app)
    assert job.status is JobStatus.FAILED
    assert leader.post(f"/admin/outbox/{job.id}/retry", data={}).status_code == 400
    retried = leader.post(f"/admin/outbox/{job.id}/retry", data={"csrf_token": csrf(body)})
    assert retried.status_code == 302
    (job,) = jobs(app)
    assert job.status is JobStatus.PENDING
    assert job.attempts == 0
    assert run_outbox(app).done == 1
    assert "Nothing is waiting" in text(leader.get("/admin/outbox"))
    done = leader.post(f"/admin/outbox/{job.id}/retry", data={"csrf_token": csrf(body)})
    assert done.status_code == 409


def test_only_trust_leaders_see_the_outbox(app: Flask, lms: Lms, clock: FakeClock) -> None:
    _failed_score(app, lms, clock)
    (job,) = jobs(app)
    learner = new_client(app)
    land(learner, lms.launch(learner))
    assert learner.get("/admin/outbox").status_code == 403
    assert learner.post(f"/admin/outbox/{job.id}/retry", data={}).status_code == 403
    teacher = new_client(app)
    land(teacher, lms.launch(teacher, "instructor", custom={"school_urn": "100001"}))
    assert teacher.get("/admin/outbox").status_code == 403


def test_another_organisations_job_is_not_found(
    app: Flask, lms: Lms, clock: FakeClock, http: ServiceHttp, tool_jwks: dict[str, Any]
) -> None:
    _failed_score(app, lms, clock)
    (job,) = jobs(app)
    other_org = make_org(app, "Other Trust", schools=[("200001", "Elm School")])
    other = make_lms(app, http, clock, other_org, "canvas", tool_jwks, client_id="10000000000099")
    leader = _trust_leader(app, other)
    assert "Nothing is waiting" in text(leader.get("/admin/outbox"))
    token = csrf(text(leader.get("/admin/permissions")))
    response = leader.post(f"/admin/outbox/{job.id}/retry", data={"csrf_token": token})
    assert response.status_code == 404


def test_a_failing_roster_shows_as_retrying(app: Flask, lms: Lms, clock: FakeClock) -> None:
    teacher = new_client(app)
    land(teacher, lms.launch(teacher, "instructor", custom={"school_urn": "100001"}))
    lms.services.nrps.failures.plan(503)
    run_outbox(app)
    leader = _trust_leader(app, lms)
    body = text(leader.get("/admin/outbox"))
    assert "Roster of SEND CPD" in body
    assert "Retrying" in body
    (job,) = jobs(app)
    assert job.kind is JobKind.ROSTER
    assert (
        leader.post(f"/admin/outbox/{job.id}/retry", data={"csrf_token": csrf(body)}).status_code
        == 302
    )
    assert run_outbox(app).done == 1
