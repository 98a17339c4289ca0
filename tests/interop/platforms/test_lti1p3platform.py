"""The tool against a platform built on the PyPI library ``lti1p3platform`` (0.1.8).

The library builds the login initiation, checks the tool's authentication request and signs
the id_token, issues service tokens after checking the tool's client assertion against the
tool's JWKS, serves AGS and NRPS through its own service classes and verifies the tool's deep
linking response (see ``tests/support/lti1p3_platform.py``). Claims are the library's own.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask

from cpd_tracker.models import JobKind, JobStatus
from lti.platforms import scores_url_for
from tests.functional.advantage.helpers import IN_TOOL, module, pass_module, text
from tests.interop.platforms.helpers import (
    browser,
    choose_modules,
    id_token_claims,
    jobs,
    people,
    register_platform,
    run_until_idle,
)
from tests.support.factories import school_id
from tests.support.loopback import ShiftedClock
from tests.support.lti1p3_platform import INSTRUCTOR, LEARNER, Lti1p3Platform, User

MAPPED = {"school_urn": "100001"}
LEARNER_USER = User("lms-user-7f3a", "Ann Lee", "ann.lee@alder.example", [LEARNER])
TEACHER_USER = User("lms-user-21", "Ravi Shah", "ravi.shah@alder.example", [INSTRUCTOR])
RESOURCE_LINK = "resource-link-1"


@pytest.fixture
def lms(tool_keyset_url: str) -> Iterator[Lti1p3Platform]:
    platform = Lti1p3Platform(tool_keyset_url=tool_keyset_url).serve()
    yield platform
    platform.stop()


@pytest.fixture
def registration_id(app: Flask, org_id: int, lms: Lti1p3Platform) -> int:
    return register_platform(
        app,
        org_id,
        name="lti1p3platform LMS",
        issuer=lms.issuer,
        client_id=lms.client_id,
        deployment_id=lms.deployment_id,
        auth_login_url=lms.auth_login_url,
        auth_token_url=lms.auth_token_url,
        key_set_url=lms.key_set_url,
    )


# ---------------------------------------------------------------- launches


def test_learner_launch_lands_on_the_module(
    app: Flask, org_id: int, lms: Lti1p3Platform, registration_id: int
) -> None:
    mod = module(app, org_id)
    person = browser(app)
    result = person.launch(lms.login_url(LEARNER_USER, custom={"module": IN_TOOL, **MAPPED}))
    claims = id_token_claims(result.form.fields)
    # The library's own claim shapes: aud and azp are the client id, five-minute tokens,
    # no tool_platform claim, names as "name" only.
    assert claims["aud"] == claims["azp"] == lms.client_id
    assert claims["exp"] - claims["iat"] == 300
    assert claims["https://purl.imsglobal.org/spec/lti/claim/roles"] == [LEARNER]
    assert "https://purl.imsglobal.org/spec/lti/claim/tool_platform" not in claims
    assert "given_name" not in claims
    page = person.land(result)
    assert page.status_code == 200
    assert page.request.path == f"/modules/{mod.id}"
    assert mod.title in text(page)
    (learner,) = people(app, registration_id).values()
    assert learner.sub == LEARNER_USER.id
    assert learner.name == LEARNER_USER.name
    assert learner.email == LEARNER_USER.email


def test_instructor_launch_lands_on_the_school(
    app: Flask, org_id: int, lms: Lti1p3Platform, registration_id: int
) -> None:
    mod = module(app, org_id)
    person = browser(app)
    result = person.launch(lms.login_url(TEACHER_USER, custom={"module": IN_TOOL, **MAPPED}))
    page = person.land(result)
    assert page.status_code == 200
    # A CPD lead lands on the module's compliance at the course's school.
    assert page.request.path == f"/schools/{school_id(app, '100001')}/modules/{mod.id}"
    assert "Alder Primary" in text(page)
    assert set(people(app, registration_id)) == {TEACHER_USER.id}


# ---------------------------------------------------------------- Deep Linking


def test_deep_linking_response_is_verified_by_the_library(
    app: Flask, org_id: int, lms: Lti1p3Platform, registration_id: int
) -> None:
    person = browser(app)
    result = person.launch(lms.login_url(TEACHER_USER, custom=MAPPED, deep_link=True))
    claims = id_token_claims(result.form.fields)
    assert claims["https://purl.imsglobal.org/spec/lti/claim/message_type"] == (
        "LtiDeepLinkingRequest"
    )
    picker = person.land(result)
    assert picker.status_code == 200
    assert "Add training to your course" in text(picker)
    first, second = module(app, org_id), module(app, org_id, "autism-awareness")
    form = choose_modules(person.tool, picker, first.id, second.id)
    assert form["action"] == lms.deep_link_return_url
    saved = person.platform.post(form["action"], data=form["fields"], timeout=30)
    assert saved.status_code == 200, saved.text
    assert saved.text == "Saved"
    items = lms.course.content_items
    assert [i["type"] for i in items] == ["ltiResourceLink", "ltiResourceLink"]
    assert [i["title"] for i in items] == [first.title, second.title]
    assert [i["custom"]["module"] for i in items] == [first.slug, second.slug]
    assert all(i["lineItem"]["scoreMaximum"] > 0 for i in items)


# ---------------------------------------------------------------- AGS


def _complete(
    app: Flask, org_id: int, lms: Lti1p3Platform, *, ags: str, user: User = LEARNER_USER
) -> None:
    person = browser(app)
    result = person.launch(
        lms.login_url(
            user,
            resource_link_id=RESOURCE_LINK,
            ags=ags,
            custom={"module": IN_TOOL, **MAPPED},
        )
    )
    person.land(result)
    page = pass_module(person.tool, module(app, org_id))
    assert "Your LMS gradebook will be updated shortly." in text(page)


def _assert_one_full_score(lms: Lti1p3Platform, line_item_id: str) -> None:
    (score,) = lms.course.scores
    assert score.line_item_id == line_item_id
    assert score.body["userId"] == LEARNER_USER.id
    assert score.body["scoreGiven"] == score.body["scoreMaximum"] == 1
    assert score.body["activityProgress"] == "Completed"
    assert score.body["gradingProgress"] == "FullyGraded"


def test_score_goes_to_the_line_item_named_in_the_claim(
    app: Flask, org_id: int, lms: Lti1p3Platform, registration_id: int, clock: ShiftedClock
) -> None:
    _complete(app, org_id, lms, ags="lineitem")
    (item,) = lms.course.line_items
    assert lms.course.scores == []  # nothing sent during the request
    run_until_idle(app)
    _assert_one_full_score(lms, item["id"])
    assert [j.status for j in jobs(app) if j.kind is JobKind.SCORE] == [JobStatus.DONE]
    assert scores_url_for(item["id"]).startswith(lms.lineitems_url)
    clock.advance(6 * 3600)
    run_until_idle(app)
    assert len(lms.course.scores) == 1


def test_with_only_lineitems_the_tool_finds_the_links_line_item(
    app: Flask, org_id: int, lms: Lti1p3Platform, registration_id: int
) -> None:
    # Another activity's column first: a tool that takes the first line item would use it.
    lms.add_line_item(
        label="Autism awareness",
        scoreMaximum=1,
        resourceId="module:autism-awareness",
        resourceLinkId="resource-link-2",
        tag="send-cpd",
    )
    mine = lms.add_line_item(
        label="SEND awareness",
        scoreMaximum=1,
        resourceId=f"module:{IN_TOOL}",
        resourceLinkId=RESOURCE_LINK,
        tag="send-cpd",
    )
    _complete(app, org_id, lms, ags="lineitems")
    run_until_idle(app)
    assert len(lms.course.line_items) == 2  # found, not created again
    _assert_one_full_score(lms, mine["id"])
    assert all(j.status is JobStatus.DONE for j in jobs(app))


def test_with_only_lineitems_and_no_column_the_tool_creates_one(
    app: Flask, org_id: int, lms: Lti1p3Platform, registration_id: int
) -> None:
    _complete(app, org_id, lms, ags="lineitems")
    assert lms.course.line_items == []  # nothing sent during the request
    run_until_idle(app)
    (item,) = lms.course.line_items
    assert item["resourceLinkId"] == RESOURCE_LINK
    assert item["scoreMaximum"] > 0
    assert item["label"]
    _assert_one_full_score(lms, item["id"])
    # A colleague completing the same activity later is scored in that column, not a new one.
    colleague = User("lms-user-88", "Jo Bell", "jo.bell@alder.example", [LEARNER])
    _complete(app, org_id, lms, ags="lineitems", user=colleague)
    run_until_idle(app)
    assert lms.course.line_items == [item]
    assert [(s.line_item_id, s.body["userId"]) for s in lms.course.scores] == [
        (item["id"], LEARNER_USER.id),
        (item["id"], colleague.id),
    ]


# ---------------------------------------------------------------- NRPS


def test_roster_sync_reads_the_librarys_membership_container(
    app: Flask, org_id: int, lms: Lti1p3Platform, registration_id: int
) -> None:
    staff = [
        {
            "user_id": f"lms-user-{n}",
            "roles": [LEARNER],
            "name": f"Staff {n}",
            "email": f"staff{n}@alder.example",
        }
        # More than the tool's page size (100): the tool follows the library's next link.
        for n in range(100, 230)
    ]
    # The library fills in "status": "Active" where the platform's rows have none.
    staff[0]["status"] = "Inactive"
    lms.course.members = [
        {
            "user_id": TEACHER_USER.id,
            "roles": [INSTRUCTOR],
            "name": TEACHER_USER.name,
            "email": TEACHER_USER.email,
        },
        *staff,
    ]
    person = browser(app)
    page = person.land(person.launch(lms.login_url(TEACHER_USER, custom=MAPPED)))
    assert "Roster sync queued" in text(page)
    (job,) = jobs(app)
    assert job.kind is JobKind.ROSTER
    run_until_idle(app)
    (job,) = jobs(app)
    assert job.status is JobStatus.DONE, job.last_error
    known = people(app, registration_id)
    # Everyone active in the course is on the school's list; the one the platform marks
    # inactive (and who never opened the tool) is not added.
    assert set(known) == {TEACHER_USER.id} | {m["user_id"] for m in staff[1:]}
    assert known["lms-user-229"].name == "Staff 229"
    assert known["lms-user-229"].email == "staff229@alder.example"


def test_two_completions_queued_before_the_column_exists_share_one_created_column(
    app: Flask, org_id: int, lms: Lti1p3Platform, registration_id: int
) -> None:
    colleague = User("lms-user-88", "Jo Bell", "jo.bell@alder.example", [LEARNER])
    _complete(app, org_id, lms, ags="lineitems")
    _complete(app, org_id, lms, ags="lineitems", user=colleague)
    run_until_idle(app)
    (item,) = lms.course.line_items
    assert sorted((s.line_item_id, s.body["userId"]) for s in lms.course.scores) == sorted(
        [(item["id"], LEARNER_USER.id), (item["id"], colleague.id)]
    )
