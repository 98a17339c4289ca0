"""Two hosted Canvas schools share ``iss = https://canvas.instructure.com`` and one token
endpoint, with different client ids: they never share a token, a roster or a score.

Canvas even gives the same person the same ``sub`` pattern in both (the fake platform derives
it from the issuer), which is exactly the case a cache or a lookup keyed by issuer gets wrong.
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import select

from cpd_tracker.extensions import db
from cpd_tracker.models import Completion, Person, ServiceJob
from lti.platforms import scores_url_for
from tests.functional.advantage.helpers import (
    IN_TOOL,
    Lms,
    land,
    make_lms,
    module,
    new_client,
    pass_module,
    run_outbox,
)
from tests.support.advantage_platform import ServiceHttp, member_json
from tests.support.clock import FakeClock
from tests.support.factories import make_org


def _school(
    app: Flask,
    http: ServiceHttp,
    clock: FakeClock,
    tool_jwks: dict[str, Any],
    name: str,
    urn: str,
    client_id: str,
    members: range,
) -> Lms:
    org_id = make_org(app, name, schools=[(urn, f"{name} School")])
    return make_lms(
        app,
        http,
        clock,
        org_id,
        "canvas",
        tool_jwks,
        client_id=client_id,
        members=[member_json(i, "canvas") for i in members],
    )


def test_two_canvas_schools_never_share_a_token_a_roster_or_a_score(
    app: Flask, http: ServiceHttp, clock: FakeClock, tool_jwks: dict[str, Any]
) -> None:
    north = _school(app, http, clock, tool_jwks, "North", "300001", "10000000000001", range(1, 6))
    south = _school(app, http, clock, tool_jwks, "South", "300002", "10000000000002", range(4, 9))
    assert north.platform.issuer == south.platform.issuer
    assert north.services.tokens is south.services.tokens  # one shared token endpoint
    assert north.services.memberships_url != south.services.memberships_url

    lineitems = {}
    for lms, urn in ((north, "300001"), (south, "300002")):
        teacher = new_client(app)
        land(teacher, lms.launch(teacher, "instructor", custom={"school_urn": urn}))
        lineitems[lms.platform.client_id] = lms.gradebook.add_item("SEND", f"module:{IN_TOOL}")
        learner = new_client(app)
        land(
            learner,
            lms.launch(learner, module=IN_TOOL, lineitem=lineitems[lms.platform.client_id]),
        )
        pass_module(learner, module(app, lms.org_id))
    report = run_outbox(app)
    assert report.done == 4  # two rosters, two scores
    assert report.failed == report.retrying == 0

    # Tokens: one per client id (the score and NRPS scopes need separate grants per client).
    endpoint = north.services.tokens
    assertion_clients = [a["sub"] for a in endpoint.assertions]
    assert sorted(set(assertion_clients)) == ["10000000000001", "10000000000002"]
    owners = {t.client_id for t in endpoint.issued.values()}
    assert owners == {"10000000000001", "10000000000002"}
    # Each service accepted only its own client's token (it answers 403 to another's).
    for lms in (north, south):
        for request in lms.services.nrps.requests:
            token = request.headers["Authorization"].removeprefix("Bearer ")
            assert endpoint.issued[token].client_id == lms.platform.client_id

    # Rosters: each organisation got its own people, the shared user ids too.
    with app.app_context():
        for lms, expected in ((north, range(1, 6)), (south, range(4, 9))):
            subs = set(
                db.session.scalars(
                    select(Person.sub).where(
                        Person.organisation_id == lms.org_id, Person.sub.like("user-%")
                    )
                )
            )
            assert subs == {f"user-{i:05d}" for i in expected}
        shared = db.session.scalars(select(Person).where(Person.sub == "user-00004")).all()
        assert len(shared) == 2
        assert {p.organisation_id for p in shared} == {north.org_id, south.org_id}
        # The same learner sub at both schools: two people, each with their own completion.
        learners = db.session.scalars(
            select(Person).where(Person.sub == north.sub("learner"))
        ).all()
        assert north.sub("learner") == south.sub("learner")
        assert len(learners) == 2
        assert (
            db.session.scalar(select(Completion.id).where(Completion.person_id.is_(None))) is None
        )
        jobs = db.session.scalars(select(ServiceJob).where(ServiceJob.kind == "score")).all()
        assert {(j.organisation_id, j.registration_id) for j in jobs} == {
            (north.org_id, north.registration_id),
            (south.org_id, south.registration_id),
        }

    # Scores: each gradebook got exactly its own learner's score, with its own client's token.
    for lms in (north, south):
        (score,) = lms.gradebook.scores
        assert score.client_id == lms.platform.client_id
        assert score.url == scores_url_for(lineitems[lms.platform.client_id])
