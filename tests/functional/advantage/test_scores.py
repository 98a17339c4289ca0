"""Completions reach the LMS gradebook through the outbox: once per completion and line item,
however the completion was recorded, through failures and retries."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import select

from cpd_tracker.extensions import db
from cpd_tracker.models import (
    Completion,
    CompletionMethod,
    JobKind,
    JobStatus,
    Person,
    School,
    ServiceJob,
)
from cpd_tracker.services.audit import Actor, AuditService
from cpd_tracker.services.compliance import ComplianceService
from cpd_tracker.services.records import InsetDetails, InsetService
from cpd_tracker.services.scores import LINE_ITEM_TAG
from lti.platforms import scores_url_for
from tests.functional.advantage.helpers import (
    IN_TOOL,
    Lms,
    jobs,
    land,
    module,
    new_client,
    pass_module,
    person,
    run_outbox,
    text,
)
from tests.support.advantage_platform import respond
from tests.support.clock import FakeClock
from tests.support.csv_files import completion_row, completions_csv

INSET_MODULE = "autism-awareness"


def _launch(app: Flask, lms: Lms, slug: str = IN_TOOL, **kw: Any) -> tuple[FlaskClient, str]:
    lineitem = kw.pop("lineitem", None) or lms.gradebook.add_item(slug, f"module:{slug}")
    client = new_client(app)
    land(client, lms.launch(client, module=slug, lineitem=lineitem, **kw))
    return client, lineitem


def test_an_in_tool_completion_posts_one_full_score(app: Flask, lms: Lms, clock: FakeClock) -> None:
    client, _lineitem = _launch(app, lms)
    result = pass_module(client, module(app, lms.org_id))
    assert "Your LMS gradebook will be updated shortly." in text(result)
    (job,) = jobs(app)
    assert job.kind is JobKind.SCORE
    assert job.status is JobStatus.PENDING
    assert lms.gradebook.scores == []  # nothing was sent during the request
    report = run_outbox(app)
    assert report.done == 1
    (score,) = lms.gradebook.scores
    assert score.client_id == lms.platform.client_id
    assert score.body["userId"] == lms.sub("learner")
    assert score.body["scoreGiven"] == 1
    assert score.body["scoreMaximum"] == 1
    assert score.body["activityProgress"] == "Completed"
    assert score.body["gradingProgress"] == "FullyGraded"
    with app.app_context():
        completion = db.session.scalars(select(Completion)).one()
        assert completion.completed_on == clock().date()
    assert score.body["timestamp"].startswith(clock().date().isoformat())
    assert run_outbox(app).attempted == 0
    assert len(lms.gradebook.scores) == 1
    (job,) = jobs(app)
    assert job.status is JobStatus.DONE
    assert job.outcome == "delivered"


def test_scores_arrive_exactly_once_when_the_platform_fails_the_first_three_attempts(
    app: Flask, lms: Lms, clock: FakeClock
) -> None:
    client, _ = _launch(app, lms)
    pass_module(client, module(app, lms.org_id))
    lms.gradebook.failures.plan(503, 502, "timeout")
    for wait in (0, 60, 5 * 60):
        clock.advance(wait)
        report = run_outbox(app)
        assert (report.done, report.retrying) == (0, 1)
        # Not due again before its backoff is over.
        assert run_outbox(app).attempted == 0
    (job,) = jobs(app)
    assert job.attempts == 3
    assert job.next_attempt_at == clock() + dt.timedelta(minutes=15)
    assert job.last_error is not None
    assert "did not answer in time" in job.last_error
    clock.advance(15 * 60 - 1)
    assert run_outbox(app).attempted == 0
    clock.advance(1)
    assert run_outbox(app).done == 1
    for _ in range(3):
        clock.advance(4 * 3600)
        assert run_outbox(app).attempted == 0
    assert len(lms.gradebook.scores) == 1
    (job,) = jobs(app)
    assert job.status is JobStatus.DONE
    assert job.attempts == 4


def test_a_completion_before_the_first_launch_is_sent_at_that_launch(app: Flask, lms: Lms) -> None:
    client = new_client(app)
    land(client, lms.launch(client, module=IN_TOOL, ags=False))  # no gradebook column yet
    pass_module(client, module(app, lms.org_id))
    assert jobs(app) == []
    lineitem = lms.gradebook.add_item("SEND", f"module:{IN_TOOL}")
    land(client, lms.launch(client, module=IN_TOOL, lineitem=lineitem, resource_link_id="rl-2"))
    assert [j.kind for j in jobs(app)] == [JobKind.SCORE]
    # Launching again queues nothing more.
    land(client, lms.launch(client, module=IN_TOOL, lineitem=lineitem, resource_link_id="rl-2"))
    assert len(jobs(app)) == 1
    run_outbox(app)
    assert len(lms.gradebook.scores) == 1


def test_each_line_item_the_person_launched_the_module_from_gets_the_score(
    app: Flask, lms: Lms
) -> None:
    first = lms.gradebook.add_item("SEND (course 1)", f"module:{IN_TOOL}")
    second = lms.gradebook.add_item("SEND (course 2)", f"module:{IN_TOOL}")
    client, _ = _launch(app, lms, lineitem=first)
    land(client, lms.launch(client, module=IN_TOOL, lineitem=second, resource_link_id="other"))
    pass_module(client, module(app, lms.org_id))
    assert len(jobs(app)) == 2
    run_outbox(app)
    assert sorted(s.url for s in lms.gradebook.scores) == sorted(
        scores_url_for(url) for url in (first, second)
    )


def test_no_score_without_the_score_scope(app: Flask, lms: Lms) -> None:
    scopes = ["https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"]
    client, _ = _launch(app, lms, scopes=scopes)
    result = pass_module(client, module(app, lms.org_id))
    assert jobs(app) == []
    assert "gradebook will be updated" not in text(result)


def _inset(app: Flask, lms: Lms, clock: FakeClock, people: list[Person]) -> None:
    mod = module(app, lms.org_id, INSET_MODULE)
    with app.app_context():
        school = db.session.scalar(select(School).where(School.urn == "100001"))
        assert school is not None
        service = InsetService(
            db.session,
            AuditService(db.session, Actor("test")),
            clock,
            ComplianceService(db.session),
        )
        lead = db.session.get(Person, people[0].id)
        assert lead is not None
        service.record(
            school,
            InsetDetails(mod.id, "Autism INSET", clock().date(), Decimal("1.5")),
            [p.id for p in people[1:]],
            lead,
        )
        db.session.commit()


def test_inset_attendance_posts_scores(app: Flask, lms: Lms, clock: FakeClock) -> None:
    _launch(app, lms, INSET_MODULE, custom={"school_urn": "100001"})
    lead = new_client(app)
    land(lead, lms.launch(lead, "instructor", custom={"school_urn": "100001"}))
    learner = person(app, lms.registration_id, lms.sub("learner"))
    instructor = person(app, lms.registration_id, lms.sub("instructor"))
    _inset(app, lms, clock, [instructor, learner])
    (job,) = [j for j in jobs(app) if j.kind is JobKind.SCORE]
    assert job.person_id == learner.id
    run_outbox(app)
    assert [s.body["userId"] for s in lms.gradebook.scores] == [lms.sub("learner")]


@pytest.mark.parametrize("dialect", ["moodle"], indirect=True)
def test_a_bulk_import_of_completions_posts_scores(app: Flask, lms: Lms, clock: FakeClock) -> None:
    """ORM bulk INSERTs (the CSV import's) bypass after_flush; do_orm_execute sees them."""
    from sqlalchemy import insert

    _launch(app, lms)
    learner = person(app, lms.registration_id, lms.sub("learner"))
    mod = module(app, lms.org_id)
    with app.app_context():
        ids = list(
            db.session.scalars(
                insert(Completion).returning(Completion.id, sort_by_parameter_order=True),
                [
                    {
                        "organisation_id": lms.org_id,
                        "person_id": learner.id,
                        "module_id": mod.id,
                        "completed_on": dt.date(2024, 9, 2),
                        "method": CompletionMethod.IMPORTED,
                        "cpd_hours": Decimal("1"),
                        "created_at": clock(),
                    }
                ],
            )
        )
        assert len(ids) == 1
        db.session.commit()
    (job,) = jobs(app)
    assert job.completion_id == ids[0]
    run_outbox(app)
    (score,) = lms.gradebook.scores
    # A completion recorded later than its day is dated at the start of that day.
    # Midnight in London (BST) on the day it was completed.
    assert score.body["timestamp"] == "2024-09-01T23:00:00.000+00:00"


def test_a_completion_that_rolls_back_queues_nothing(
    app: Flask, lms: Lms, clock: FakeClock
) -> None:
    _launch(app, lms)
    learner = person(app, lms.registration_id, lms.sub("learner"))
    mod = module(app, lms.org_id)
    with app.app_context():
        db.session.add(
            Completion(
                organisation_id=lms.org_id,
                person_id=learner.id,
                module_id=mod.id,
                completed_on=clock().date(),
                method=CompletionMethod.RECORDED,
            )
        )
        db.session.flush()
        assert db.session.scalar(select(ServiceJob.id)) is not None
        db.session.rollback()
    assert jobs(app) == []


def test_a_refusal_gives_up_after_three_tries_and_retry_now_sends_it(
    app: Flask, lms: Lms, clock: FakeClock
) -> None:
    client, _ = _launch(app, lms)
    pass_module(client, module(app, lms.org_id))
    lms.gradebook.failures.plan(403, 403, 403)
    run_outbox(app)
    clock.advance(60)
    run_outbox(app)
    clock.advance(300)
    report = run_outbox(app)
    assert report.failed == 1
    (job,) = jobs(app)
    assert job.status is JobStatus.FAILED
    assert job.last_status == 403
    assert job.last_error is not None
    assert "Switch on grade synchronisation" in job.last_error
    clock.advance(24 * 3600)
    assert run_outbox(app).attempted == 0
    with app.app_context():
        from cpd_tracker.services.outbox import OutboxService

        service = OutboxService(db.session, AuditService(db.session, Actor("test")), clock)
        row = db.session.get(ServiceJob, job.id)
        assert row is not None
        service.retry_now(row)
        db.session.commit()
    assert run_outbox(app).done == 1
    assert len(lms.gradebook.scores) == 1


@pytest.mark.parametrize("dialect", ["moodle"], indirect=True)
def test_moodle_refusing_an_older_score_counts_as_done(
    app: Flask, lms: Lms, clock: FakeClock
) -> None:
    client, _ = _launch(app, lms)
    pass_module(client, module(app, lms.org_id))
    lms.gradebook.failures.plan(409)
    assert run_outbox(app).done == 1
    (job,) = jobs(app)
    assert job.status is JobStatus.DONE
    assert job.outcome == "the LMS already holds this grade or a newer one"


def test_a_command_line_import_posts_scores(
    app: Flask, lms: Lms, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    _launch(app, lms, custom={"school_urn": "100001"})
    learner = lms.platform.user("learner")
    path = tmp_path / "done.csv"
    path.write_bytes(
        completions_csv(
            [
                completion_row(
                    staff_number="", email=learner.email, module=IN_TOOL, completed_on="02/09/2024"
                )
            ]
        )
    )
    result = runner.invoke(args=["import", "completions", str(path)])
    assert result.exit_code == 0, result.output
    assert "1 added" in result.stdout
    (job,) = jobs(app)
    assert job.kind is JobKind.SCORE
    outbox = runner.invoke(args=["lti-outbox", "run"])
    assert outbox.exit_code == 0, outbox.output
    assert outbox.stdout == "Done 1 job.\n"
    (score,) = lms.gradebook.scores
    # Midnight in London (BST) on the day it was completed.
    assert score.body["timestamp"] == "2024-09-01T23:00:00.000+00:00"


def test_verified_evidence_posts_a_score(app: Flask, lms: Lms, clock: FakeClock) -> None:
    from cpd_tracker.models import Evidence, EvidenceStatus

    slug = "behaviour-de-escalation-6h"
    _launch(app, lms, slug, custom={"school_urn": "100001"})
    lead = new_client(app)
    land(lead, lms.launch(lead, "instructor", custom={"school_urn": "100001"}))
    learner = person(app, lms.registration_id, lms.sub("learner"))
    mod = module(app, lms.org_id, slug)
    with app.app_context():
        school = db.session.scalar(select(School).where(School.urn == "100001"))
        assert school is not None
        evidence = Evidence(
            organisation_id=lms.org_id,
            person_id=learner.id,
            module_id=mod.id,
            school_id=school.id,
            course_title="De-escalation",
            provider="Calm Ltd",
            completed_on=clock().date(),
            cpd_hours=Decimal("6"),
            status=EvidenceStatus.PENDING,
        )
        db.session.add(evidence)
        db.session.commit()
        evidence_id = evidence.id
    with app.app_context():
        from cpd_tracker.services.records import EvidenceService
        from cpd_tracker.storage import EvidenceStore

        reviewer = db.session.scalar(select(Person).where(Person.sub == lms.sub("instructor")))
        assert reviewer is not None
        row = db.session.get(Evidence, evidence_id)
        assert row is not None
        service = EvidenceService(
            db.session,
            AuditService(db.session, Actor("test")),
            clock,
            EvidenceStore(tmp_store(app)),
        )
        service.verify([row], reviewer)
        db.session.commit()
    (job,) = [j for j in jobs(app) if j.kind is JobKind.SCORE]
    assert job.person_id == learner.id
    run_outbox(app)
    assert [s.body["userId"] for s in lms.gradebook.scores] == [lms.sub("learner")]


def tmp_store(app: Flask) -> Path:
    return Path(app.instance_path) / "evidence"


# ---------------------------------------------------------------- only ``lineitems`` (issue 13)


def _items_for(lms: Lms, link_id: str) -> list[dict[str, Any]]:
    return [i for i in lms.gradebook.items if i.get("resourceLinkId") == link_id]


def test_with_only_lineitems_the_links_column_is_created_once_and_scored(
    app: Flask, lms: Lms
) -> None:
    """Open edX in programmatic mode (and any LMS whose link is not graded yet) sends the
    context's lineitems and no lineitem: the grade used to be dropped without a word."""
    first = new_client(app)
    land(first, lms.launch(first, module=IN_TOOL, lineitems_only=True, resource_link_id="rl-7"))
    second = new_client(app)
    land(
        second,
        lms.launch(
            second,
            "instructor",
            module=IN_TOOL,
            lineitems_only=True,
            resource_link_id="rl-7",
            nrps=False,  # no roster job beside the scores
        ),
    )
    assert lms.gradebook.items == []
    pass_module(first, module(app, lms.org_id))
    pass_module(second, module(app, lms.org_id))
    assert len(jobs(app)) == 2

    report = run_outbox(app)

    assert report.done == 2
    (column,) = _items_for(lms, "rl-7")
    assert len(lms.gradebook.items) == 1  # one column for the link, not one per score
    assert column["tag"] == LINE_ITEM_TAG
    assert column["scoreMaximum"] == 1
    assert sorted(s.body["userId"] for s in lms.gradebook.scores) == sorted(
        [lms.sub("learner"), lms.sub("instructor")]
    )
    assert {s.url for s in lms.gradebook.scores} == {scores_url_for(column["id"])}
    assert all(j.status is JobStatus.DONE for j in jobs(app))


def test_with_only_lineitems_the_lms_own_column_for_the_link_is_used(app: Flask, lms: Lms) -> None:
    other = lms.gradebook.add_item("Another activity", "elsewhere")
    existing = lms.gradebook.add_item("SEND awareness (LMS column)", None)
    lms.gradebook.items[-1]["resourceLinkId"] = "rl-8"
    client = new_client(app)
    land(client, lms.launch(client, module=IN_TOOL, lineitems_only=True, resource_link_id="rl-8"))
    pass_module(client, module(app, lms.org_id))

    assert run_outbox(app).done == 1

    assert len(lms.gradebook.items) == 2  # nothing created
    (score,) = lms.gradebook.scores
    assert score.url == scores_url_for(existing)
    assert score.url != scores_url_for(other)


def test_without_the_lineitem_scope_only_lineitems_sends_nothing(app: Flask, lms: Lms) -> None:
    client = new_client(app)
    land(
        client,
        lms.launch(
            client,
            module=IN_TOOL,
            lineitems_only=True,
            scopes=["https://purl.imsglobal.org/spec/lti-ags/scope/score"],
        ),
    )
    result = pass_module(client, module(app, lms.org_id))
    assert jobs(app) == []
    assert "gradebook will be updated" not in text(result)


@pytest.mark.parametrize(
    "answer",
    [
        {"timestamp": ["Score already exists for the provided timestamp"]},  # Open edX
        {"errors": [{"message": "Provided timestamp of x before last updated timestamp of y"}]},
    ],
)
def test_a_resend_the_lms_already_holds_ends_as_delivered(
    app: Flask, lms: Lms, answer: dict[str, Any]
) -> None:
    """The first answer was lost; the LMS refuses the resend because it holds the score. That
    is a delivered grade, not a failed one on LMS updates."""
    client, lineitem = _launch(app, lms)
    pass_module(client, module(app, lms.org_id))
    lms.services.http.handle(
        scores_url_for(lineitem), lambda _request: respond(answer, status=400), method="POST"
    )

    assert run_outbox(app).done == 1

    (job,) = jobs(app)
    assert job.status is JobStatus.DONE
    assert job.outcome == "the LMS already holds this grade or a newer one"


def test_a_permanent_refusal_says_what_to_check_not_to_wait(
    app: Flask, lms: Lms, clock: FakeClock
) -> None:
    client, lineitem = _launch(app, lms)
    pass_module(client, module(app, lms.org_id))
    lms.services.http.handle(
        scores_url_for(lineitem),
        lambda _request: respond({"userId": ["Not a member of this course."]}, status=400),
        method="POST",
    )
    run_outbox(app)
    (job,) = jobs(app)
    assert job.status is JobStatus.PENDING
    assert job.last_status == 400
    assert job.last_error is not None
    assert "try again in a few minutes" not in job.last_error.lower()
    assert "still enrolled" in job.last_error
