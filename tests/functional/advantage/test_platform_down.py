"""A platform that is down or slow never makes a teacher's page slow or broken: launches and
module pages never call the LMS; the calls run after the response (a thread per request, with
the HttpClient's timeouts) or from cron, and the page says what happened."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from flask import Flask

from cpd_tracker.models import JobKind, JobStatus
from tests.functional.advantage.helpers import (
    IN_TOOL,
    Lms,
    jobs,
    land,
    module,
    new_client,
    pass_module,
    settle,
    text,
)
from tests.support.advantage_platform import ServiceHttp, member_json
from tests.support.http import CannedResponse, RecordedRequest

MAPPED = {"school_urn": "100001"}
#: How long a held LMS call waits for the test to let it answer (a page that waited on the LMS
#: would hang until then, and the test then sees the LMS answered before the page did).
HOLD = 30.0


@pytest.fixture(autouse=True)
def after_response(app: Flask) -> None:
    app.config["LTI_OUTBOX_AFTER_RESPONSE"] = True


class Gate:
    """An LMS call held until the test releases it: no page may wait for its answer. Order,
    not time, is asserted (no wall-clock limits: CI shares two busy cores)."""

    def __init__(self) -> None:
        self.released = threading.Event()
        self.called = threading.Event()
        self.answered = threading.Event()

    def release(self) -> None:
        self.released.set()


def _slow(
    http: ServiceHttp, url: str, handler: Callable[[RecordedRequest], CannedResponse], method: str
) -> Gate:
    gate = Gate()

    def slowly(request: RecordedRequest) -> CannedResponse:
        gate.called.set()
        gate.released.wait(HOLD)
        answer = handler(request)
        gate.answered.set()
        return answer

    http.handle(url, slowly, method=method)
    return gate


def test_a_slow_roster_service_does_not_slow_the_launch(
    app: Flask, lms: Lms, http: ServiceHttp
) -> None:
    lms.services.nrps.members = [member_json(i, lms.dialect) for i in range(1, 4)]
    nrps = lms.services.nrps
    gate = _slow(http, lms.services.memberships_url, nrps._answer, "GET")
    client = new_client(app)
    result = lms.launch(client, "instructor", custom=MAPPED)
    assert not gate.answered.is_set()  # the launch did not wait for the LMS
    # The sync starts as the launch's response closes, and reads the roster while the
    # browser follows the redirect: the landing page must not wait for it (nor its locks).
    result.response.close()
    page = land(client, result)
    assert not gate.answered.is_set(), "the landing page waited on the LMS"
    assert "Roster sync queued" in text(page)
    gate.release()
    settle(app, page)
    assert gate.called.is_set()
    (job,) = jobs(app)
    assert job.status is JobStatus.DONE
    assert app.extensions["lti_after_response"].reports[-1].done == 1


def test_a_gradebook_that_is_down_leaves_the_page_working_and_the_grade_queued(
    app: Flask, lms: Lms, http: ServiceHttp
) -> None:
    lineitem = lms.gradebook.add_item("SEND", f"module:{IN_TOOL}")
    client = new_client(app)
    launched = lms.launch(client, module=IN_TOOL, lineitem=lineitem)
    land(client, launched)
    lms.gradebook.failures.plan("connection")
    result = pass_module(client, module(app, lms.org_id))
    body = text(result)
    assert "You passed" in body
    assert "Your LMS gradebook will be updated shortly." in body
    settle(app, result)
    (job,) = jobs(app)
    assert job.kind is JobKind.SCORE
    assert job.status is JobStatus.PENDING
    assert job.attempts == 1
    assert job.last_error is not None
    assert "could not be reached" in job.last_error
    assert lms.gradebook.scores == []


def test_a_slow_gradebook_does_not_slow_the_module_pages(
    app: Flask, lms: Lms, http: ServiceHttp
) -> None:
    lineitem = lms.gradebook.add_item("SEND", f"module:{IN_TOOL}")
    from lti.platforms import scores_url_for

    scores = scores_url_for(lineitem)
    client = new_client(app)
    land(client, lms.launch(client, module=IN_TOOL, lineitem=lineitem))
    gate = _slow(http, scores, lambda request: lms.gradebook._score(request, scores), "POST")
    result = pass_module(client, module(app, lms.org_id))
    result.close()  # the score is being sent while the learner carries on
    overview = client.get(f"/modules/{module(app, lms.org_id).id}")
    assert not gate.answered.is_set(), "the module pages waited on the gradebook"
    assert overview.status_code == 200
    gate.release()
    settle(app, overview)
    assert len(lms.gradebook.scores) == 1


def test_the_thread_runs_only_its_own_requests_jobs(app: Flask, lms: Lms) -> None:
    lineitem = lms.gradebook.add_item("SEND", f"module:{IN_TOOL}")
    app.config["LTI_OUTBOX_AFTER_RESPONSE"] = False
    teacher = new_client(app)
    queued = lms.launch(teacher, "instructor", custom=MAPPED)
    land(teacher, queued)
    settle(app, queued.response)
    app.config["LTI_OUTBOX_AFTER_RESPONSE"] = True
    learner = new_client(app)
    land(learner, lms.launch(learner, module=IN_TOOL, lineitem=lineitem))
    result = pass_module(learner, module(app, lms.org_id))
    settle(app, result)
    by_kind = {j.kind: j for j in jobs(app)}
    assert by_kind[JobKind.SCORE].status is JobStatus.DONE
    # The roster job queued while the thread was off still waits for cron.
    assert by_kind[JobKind.ROSTER].status is JobStatus.PENDING
