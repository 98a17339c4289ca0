"""The tool against Open edX's LTI 1.3 platform code: lti-consumer-xblock (11.4.4).

The library's own Django views serve the platform (``tests/support/edx_platform.py``): the
launch gate signs the id_token with ``LtiAdvantageConsumer``, the token endpoint checks the
tool's client assertion against the tool's JWKS, AGS and NRPS are its DRF viewsets (with
Open edX's answers, such as 400 ``{"timestamp": ["Score already exists for the provided
timestamp"]}``), and its Deep Linking return endpoint verifies the tool's JWT. A score the
tool sends ends in ``LtiAgsScore`` and, through the library's ``post_save`` signal, in the
course block's grade (:class:`~tests.support.edx_platform.CourseBlock.grades`).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from cpd_tracker.models import JobKind, JobStatus
from tests.functional.advantage.helpers import IN_TOOL, module, pass_module, run_outbox, text
from tests.interop.platforms.helpers import (
    browser,
    choose_modules,
    id_token_claims,
    jobs,
    people,
    register_platform,
    run_until_idle,
)
from tests.support.edx_platform import EdxPlatform, EdxTool, Learner
from tests.support.factories import school_id
from tests.support.loopback import LossyHttp, ShiftedClock

pytestmark = [
    # Import-time deprecations inside Open edX's dependencies (webob via XBlock; openedx-filters).
    pytest.mark.filterwarnings("ignore:'cgi' is deprecated:DeprecationWarning"),
    pytest.mark.filterwarnings("ignore:Python 3.11 support is deprecated:DeprecationWarning"),
]

MAPPED = {"school_urn": "100001"}
LEARNER = Learner(101, "ann", "Ann Lee", "ann.lee@alder.example", "student")
TEACHER = Learner(201, "ravi", "Ravi Shah", "ravi.shah@alder.example", "instructor")
STAFF = Learner(202, "mo", "Mo Patel", "mo.patel@alder.example", "staff")
CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"


@pytest.fixture(scope="session")
def edx(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EdxPlatform]:
    from tests.support import edx_platform

    platform = edx_platform.start(Path(tmp_path_factory.mktemp("openedx")) / "lms.sqlite3")
    yield platform
    platform.server.stop()


@pytest.fixture
def openedx(edx: EdxPlatform, monkeypatch: pytest.MonkeyPatch) -> EdxPlatform:
    """The platform with edx-platform's own parts stood in for, for this test."""
    from lti_consumer.plugin import compat

    for name, value in edx.patches():
        monkeypatch.setattr(compat, name, value)
    return edx


def _place(
    app: Flask, org_id: int, openedx: EdxPlatform, tool_keyset_url: str, **options: Any
) -> tuple[EdxTool, int]:
    """Add the tool to a course as an LTI consumer block and register it in the tool."""
    tool = openedx.add_block(tool_keyset_url=tool_keyset_url, **options)
    registration_id = register_platform(
        app,
        org_id,
        name="Open edX",
        issuer=tool.issuer,
        client_id=tool.client_id,
        deployment_id=tool.deployment_id,
        auth_login_url=tool.auth_login_url,
        auth_token_url=tool.auth_token_url,
        key_set_url=tool.key_set_url,
    )
    return tool, registration_id


@pytest.fixture
def placed(
    app: Flask, org_id: int, openedx: EdxPlatform, tool_keyset_url: str
) -> tuple[EdxTool, int]:
    return _place(app, org_id, openedx, tool_keyset_url, custom={"module": IN_TOOL, **MAPPED})


# ---------------------------------------------------------------- launches


def test_learner_launch_lands_on_the_module(
    app: Flask, org_id: int, placed: tuple[EdxTool, int]
) -> None:
    tool, registration_id = placed
    tool.enrol(LEARNER)
    mod = module(app, org_id)
    person = browser(app)
    result = person.launch(tool.login_url(LEARNER))
    claims = id_token_claims(result.form.fields)
    # Open edX's own claim shapes: sub is the learner's external id, every role list carries
    # system and institution "None" roles, deployment "1", hour-long tokens, an AGS claim with
    # the block's line item (declarative mode).
    assert claims["sub"] == LEARNER.external_user_id
    assert set(claims[CLAIM + "roles"]) == {
        "http://purl.imsglobal.org/vocab/lis/v2/system/person#None",
        "http://purl.imsglobal.org/vocab/lis/v2/institution/person#None",
        "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner",
    }
    assert claims[CLAIM + "deployment_id"] == "1"
    assert claims["exp"] - claims["iat"] == 3600
    assert claims[CLAIM + "resource_link"] == {"id": tool.resource_link_id}
    assert claims[CLAIM + "tool_platform"]["name"] == "Oakfield Open edX"
    ags = claims["https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"]
    assert set(ags) == {"scope", "lineitems", "lineitem"}
    page = person.land(result)
    assert page.status_code == 200
    assert page.request.path == f"/modules/{mod.id}"
    assert mod.title in text(page)
    (learner,) = people(app, registration_id).values()
    assert learner.sub == LEARNER.external_user_id
    assert learner.name == LEARNER.name
    assert learner.email == LEARNER.email


def test_learner_launch_without_personal_data_lands(
    app: Flask, org_id: int, placed: tuple[EdxTool, int]
) -> None:
    # Open edX sends no name, username or email unless the block is set to share them.
    tool, registration_id = placed
    tool.enrol(LEARNER)
    mod = module(app, org_id)
    person = browser(app)
    result = person.launch(tool.login_url(LEARNER, pii=False))
    claims = id_token_claims(result.form.fields)
    assert not {"name", "email", "preferred_username"} & set(claims)
    page = person.land(result)
    assert page.status_code == 200
    assert page.request.path == f"/modules/{mod.id}"
    (learner,) = people(app, registration_id).values()
    assert learner.sub == LEARNER.external_user_id


@pytest.mark.parametrize("teacher", [TEACHER, STAFF], ids=["instructor", "staff"])
def test_instructor_launch_lands_on_the_modules_compliance_at_the_school(
    app: Flask, org_id: int, placed: tuple[EdxTool, int], teacher: Learner
) -> None:
    tool, registration_id = placed
    tool.enrol(teacher)
    mod = module(app, org_id)
    person = browser(app)
    result = person.launch(tool.login_url(teacher))
    roles = id_token_claims(result.form.fields)[CLAIM + "roles"]
    assert "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor" in roles
    page = person.land(result)
    assert page.status_code == 200
    assert page.request.path == f"/schools/{school_id(app, '100001')}/modules/{mod.id}"
    assert "Alder Primary" in text(page)
    assert set(people(app, registration_id)) == {teacher.external_user_id}


# ---------------------------------------------------------------- Deep Linking


def test_deep_linking_response_is_verified_and_kept_by_open_edx(
    app: Flask, org_id: int, placed: tuple[EdxTool, int]
) -> None:
    tool, _ = placed
    person = browser(app)
    result = person.launch(tool.login_url(TEACHER, deep_link=True))
    claims = id_token_claims(result.form.fields)
    assert claims[CLAIM + "message_type"] == "LtiDeepLinkingRequest"
    settings = claims["https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"]
    picker = person.land(result)
    assert picker.status_code == 200, text(picker)[:500]
    assert "Add training to your course" in text(picker)
    first, second = module(app, org_id), module(app, org_id, "autism-awareness")
    form = choose_modules(person.tool, picker, first.id, second.id)
    assert form["action"] == settings["deep_link_return_url"]
    saved = person.platform.post(form["action"], data=form["fields"], timeout=30)
    assert saved.status_code == 200, saved.text[:800]
    items = tool.content_items()
    assert [i.content_type for i in items] == ["ltiResourceLink", "ltiResourceLink"]
    assert [i.attributes["title"] for i in items] == [first.title, second.title]
    assert [i.attributes["custom"]["module"] for i in items] == [first.slug, second.slug]
    # A learner opening the second item launches with that item's URL and custom parameters.
    tool.enrol(LEARNER)
    learner = browser(app)
    result = learner.launch(tool.login_url(LEARNER, content_item=items[1].id))
    assert id_token_claims(result.form.fields)[CLAIM + "custom"]["module"] == second.slug
    page = learner.land(result)
    assert page.request.path == f"/modules/{second.id}"
    assert second.title in text(page)


# ---------------------------------------------------------------- AGS


def _complete(app: Flask, org_id: int, tool: EdxTool) -> None:
    tool.enrol(LEARNER)
    person = browser(app)
    person.land(person.launch(tool.login_url(LEARNER)))
    page = pass_module(person.tool, module(app, org_id))
    assert "Your LMS gradebook will be updated shortly." in text(page)


def _assert_one_full_score(tool: EdxTool) -> Any:
    (score,) = tool.scores()
    assert score.user_id == LEARNER.external_user_id
    assert score.score_given == score.score_maximum == 1
    assert score.activity_progress == "Completed"
    assert score.grading_progress == "FullyGraded"
    # The library's signal published it to the course block's grade, once.
    (grade,) = tool.block.grades
    assert grade.user_id == LEARNER.id
    assert grade.score == 1.0
    return score


def test_score_goes_to_the_blocks_line_item(
    app: Flask, org_id: int, placed: tuple[EdxTool, int], clock: ShiftedClock
) -> None:
    tool, _ = placed
    _complete(app, org_id, tool)
    (item,) = tool.line_items()  # made by the library in declarative mode
    assert tool.scores() == []  # nothing sent during the request
    run_until_idle(app)
    score = _assert_one_full_score(tool)
    assert score.line_item_id == item.id
    assert [j.status for j in jobs(app) if j.kind is JobKind.SCORE] == [JobStatus.DONE]
    clock.advance(6 * 3600)
    run_until_idle(app)
    assert len(tool.scores()) == 1
    assert len(tool.block.grades) == 1


def test_with_only_lineitems_the_tool_creates_the_links_line_item(
    app: Flask, org_id: int, openedx: EdxPlatform, tool_keyset_url: str
) -> None:
    # Programmatic mode: the block has no line item yet, so the claim names only the container.
    tool, _ = _place(
        app,
        org_id,
        openedx,
        tool_keyset_url,
        ags_mode="programmatic",
        custom={"module": IN_TOOL, **MAPPED},
    )
    tool.enrol(LEARNER)
    person = browser(app)
    result = person.launch(tool.login_url(LEARNER))
    ags = id_token_claims(result.form.fields)[
        "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
    ]
    assert set(ags) == {"scope", "lineitems"}
    person.land(result)
    pass_module(person.tool, module(app, org_id))
    assert tool.line_items() == []
    run_until_idle(app)
    (item,) = tool.line_items()
    # Open edX publishes a score to the block's grade only for a line item of its resource link.
    assert str(item.resource_link_id) == tool.resource_link_id
    assert item.score_maximum > 0
    score = _assert_one_full_score(tool)
    assert score.line_item_id == item.id
    assert all(j.status is JobStatus.DONE for j in jobs(app))


def test_a_score_resent_after_a_lost_answer_is_delivered_once(
    app: Flask,
    org_id: int,
    placed: tuple[EdxTool, int],
    clock: ShiftedClock,
    http: LossyHttp,
) -> None:
    tool, _ = placed
    _complete(app, org_id, tool)
    # Open edX stores the score and answers 201; the tool never hears it.
    http.lose_answer_to("POST", "/scores")
    first = run_outbox(app)
    assert (first.done, first.retrying) == (0, 1)
    assert len(http.lost) == 1
    assert len(tool.scores()) == 1
    # The retry carries the same timestamp: Open edX answers 400 {"timestamp": ["Score
    # already exists for the provided timestamp"]}, i.e. it has this very score.
    clock.advance(60)
    run_until_idle(app)
    (job,) = [j for j in jobs(app) if j.kind is JobKind.SCORE]
    assert job.status is JobStatus.DONE, job.last_error
    assert job.attempts == 2
    _assert_one_full_score(tool)
    clock.advance(6 * 3600)
    run_until_idle(app)
    assert len(tool.scores()) == 1
    assert len(tool.block.grades) == 1


# ---------------------------------------------------------------- NRPS


def test_roster_sync_reads_open_edx_course_members(
    app: Flask, org_id: int, placed: tuple[EdxTool, int]
) -> None:
    tool, registration_id = placed
    staff = [
        Learner(300 + n, f"staff{n}", f"Staff {n}", f"staff{n}@alder.example", "student")
        # More than the tool's page size (100): the tool follows Open edX's next link.
        for n in range(130)
    ]
    tool.enrol(TEACHER, *staff)
    from lti_consumer.models import CourseAllowPIISharingInLTIFlag

    # The course shares names and email with LTI tools (a Django admin setting in Open edX).
    CourseAllowPIISharingInLTIFlag.objects.create(course_id=tool.course_key, enabled=True)
    person = browser(app)
    page = person.land(person.launch(tool.login_url(TEACHER)))
    assert "Roster sync queued" in text(page)
    run_until_idle(app)
    (job,) = [j for j in jobs(app) if j.kind is JobKind.ROSTER]
    assert job.status is JobStatus.DONE, job.last_error
    known = people(app, registration_id)
    assert set(known) == {m.external_user_id for m in (TEACHER, *staff)}
    last = known[staff[-1].external_user_id]
    assert last.name == "Staff 129"
    assert last.email == "staff129@alder.example"
