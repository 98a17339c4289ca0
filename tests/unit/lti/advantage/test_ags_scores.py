"""lti.ags: publishing scores and finding or creating line items, as Moodle and Canvas take them."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests

from lti.advantage_errors import LineItemError, ScorePublishError
from lti.ags import (
    LINEITEM_CONTAINER_MEDIA_TYPE,
    LINEITEM_MEDIA_TYPE,
    SCOPE_LINEITEM,
    SCOPE_SCORE,
    SCORE_MEDIA_TYPE,
    LineItem,
    LineItemClient,
    Score,
    ScoreClient,
    completion_score,
    format_timestamp,
)
from lti.platforms import scores_url_for
from lti.registration import Registration
from lti.service_tokens import MemoryTokenCache, ServiceTokenClient
from tests.support.advantage_platform import (
    MOODLE_ISO8601,
    AdvantagePlatform,
    ServiceHttp,
    respond,
    tool_signer,
)
from tests.support.clock import FakeClock
from tests.support.launcher import assert_clean
from tests.support.platform import TestPlatform

COMPLETED_AT = datetime(2025, 1, 15, 10, 0, 0, 123456, tzinfo=UTC)


def moodle(clock: FakeClock) -> tuple[AdvantagePlatform, ScoreClient, Registration]:
    http = ServiceHttp()
    platform = TestPlatform("moodle", clock=clock)
    lms = AdvantagePlatform(platform, http, clock)
    lms.trust_tool()
    tokens = ServiceTokenClient(http, tool_signer(), clock, MemoryTokenCache())
    return lms, ScoreClient(http, tokens), platform.registration()


@pytest.fixture
def scores(http: ServiceHttp, tokens: ServiceTokenClient) -> ScoreClient:
    return ScoreClient(http, tokens)


@pytest.fixture
def lineitems(http: ServiceHttp, tokens: ServiceTokenClient) -> LineItemClient:
    return LineItemClient(http, tokens)


@pytest.fixture
def lineitem_url(lms: AdvantagePlatform) -> str:
    return lms.gradebook.add_item("SEND awareness", "module-7")


# ---------------------------------------------------------------- the score body


def test_a_completion_is_full_marks(clock: FakeClock) -> None:
    score = completion_score("user-1", COMPLETED_AT, comment="Knowledge check passed")

    assert score.to_json() == {
        "userId": "user-1",
        "scoreGiven": 1.0,
        "scoreMaximum": 1.0,
        "activityProgress": "Completed",
        "gradingProgress": "FullyGraded",
        "timestamp": "2025-01-15T10:00:00.123+00:00",
        "comment": "Knowledge check passed",
    }


def test_a_progress_only_score_has_no_score_given() -> None:
    score = Score(
        user_id="u",
        score_given=None,
        score_maximum=None,
        timestamp=COMPLETED_AT,
        activity_progress="Started",
        grading_progress="NotReady",
    )
    assert score.to_json() == {
        "userId": "u",
        "activityProgress": "Started",
        "gradingProgress": "NotReady",
        "timestamp": "2025-01-15T10:00:00.123+00:00",
    }


@pytest.mark.parametrize(
    ("moment", "sent"),
    [
        (datetime(2025, 1, 15, 10, 0, tzinfo=UTC), "2025-01-15T10:00:00.000+00:00"),
        (
            datetime(2025, 6, 1, 9, 30, 5, 999999, tzinfo=timezone(timedelta(hours=1))),
            "2025-06-01T08:30:05.999+00:00",
        ),
    ],
)
def test_timestamps_are_utc_iso8601_with_milliseconds(moment: datetime, sent: str) -> None:
    assert format_timestamp(moment) == sent
    # Moodle's own validate_iso8601_date accepts it.
    assert MOODLE_ISO8601.match(sent)


def test_a_naive_timestamp_is_refused() -> None:
    with pytest.raises(ValueError, match="time zone"):
        completion_score("u", datetime(2025, 1, 15, 10, 0))  # naive: the point of the test


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"user_id": ""}, "user_id"),
        ({"activity_progress": "Done"}, "activityProgress"),
        ({"grading_progress": "Graded"}, "gradingProgress"),
        ({"score_maximum": None}, "positive scoreMaximum"),
        ({"score_maximum": 0}, "positive scoreMaximum"),
        ({"score_given": -1}, "negative"),
    ],
)
def test_malformed_scores_are_programming_errors(changes: dict[str, Any], message: str) -> None:
    fields: dict[str, Any] = {
        "user_id": "u",
        "score_given": 1,
        "score_maximum": 1,
        "timestamp": COMPLETED_AT,
        **changes,
    }
    with pytest.raises(ValueError, match=message):
        Score(**fields)


# ---------------------------------------------------------------- publishing


def test_moodle_scores_go_to_the_path_plus_scores_with_the_query_kept(clock: FakeClock) -> None:
    lms, client, registration = moodle(clock)
    lineitem = "https://moodle.example.org/mod/lti/services.php/2/lineitems/5/lineitem?type_id=3"
    lms.gradebook.serve_scores(lineitem)

    client.publish(registration, lineitem, completion_score("4", clock()))

    (posted,) = lms.gradebook.scores
    assert posted.url == (
        "https://moodle.example.org/mod/lti/services.php/2/lineitems/5/lineitem/scores?type_id=3"
    )
    assert posted.content_type == "application/vnd.ims.lis.v1.score+json"
    assert posted.body["scoreGiven"] == posted.body["scoreMaximum"] == 1.0


def test_a_score_posts_its_body_with_the_score_media_type_and_token(
    lms: AdvantagePlatform,
    scores: ScoreClient,
    registration: Registration,
    lineitem_url: str,
    clock: FakeClock,
) -> None:
    score = Score(
        user_id="user-9",
        score_given=7,
        score_maximum=10,
        timestamp=clock(),
        comment="7 of 10 questions",
    )

    scores.publish(registration, lineitem_url, score)

    (posted,) = lms.gradebook.scores
    assert posted.client_id == registration.client_id
    assert posted.content_type == SCORE_MEDIA_TYPE
    assert posted.body == {
        "userId": "user-9",
        "scoreGiven": 7,
        "scoreMaximum": 10,
        "activityProgress": "Completed",
        "gradingProgress": "FullyGraded",
        "timestamp": "2025-01-15T10:00:00.000+00:00",
        "comment": "7 of 10 questions",
    }
    request = lms.http.calls(posted.url, "POST")[0]
    assert request.headers["User-Agent"].startswith("cpd-tracker-lti/")
    assert json.loads(request.body or b"") == posted.body
    assert lms.tokens.forms[0]["scope"] == SCOPE_SCORE


def test_canvas_shows_a_completion_as_complete(clock: FakeClock) -> None:
    http = ServiceHttp()
    canvas = TestPlatform("canvas", clock=clock)
    lms = AdvantagePlatform(canvas, http, clock)
    lms.trust_tool()
    client = ScoreClient(http, ServiceTokenClient(http, tool_signer(), clock, MemoryTokenCache()))
    lineitem = lms.gradebook.add_item("Complete/incomplete", "module-1")

    client.publish(canvas.registration(), lineitem, completion_score("canvas-user", clock()))

    (posted,) = lms.gradebook.scores
    assert posted.url == f"{lineitem}/scores"
    # Canvas: complete only at 100%.
    assert posted.body["scoreGiven"] == posted.body["scoreMaximum"]


def test_the_token_is_reused_across_scores(
    lms: AdvantagePlatform,
    scores: ScoreClient,
    registration: Registration,
    lineitem_url: str,
    clock: FakeClock,
) -> None:
    for n in range(5):
        clock.advance(1)
        scores.publish(registration, lineitem_url, completion_score(f"u{n}", clock()))
    assert len(lms.gradebook.scores) == 5
    assert lms.tokens.count == 1


@pytest.mark.parametrize(
    ("failure", "status", "retryable"),
    [
        (500, 500, True),
        (502, 502, True),
        (503, 503, True),
        (504, 504, True),
        (429, 429, True),
        (408, 408, True),
        ("timeout", None, True),
        ("connection", None, True),
        (400, 400, False),
        (401, 401, False),
        (403, 403, False),
        (404, 404, False),
        (422, 422, False),
    ],
)
def test_failures_say_whether_to_retry(
    lms: AdvantagePlatform,
    scores: ScoreClient,
    registration: Registration,
    lineitem_url: str,
    clock: FakeClock,
    failure: int | str,
    status: int | None,
    retryable: bool,
) -> None:
    lms.gradebook.failures.plan(failure)

    with pytest.raises(ScorePublishError) as caught:
        scores.publish(registration, lineitem_url, completion_score("u", clock()))

    error = caught.value
    assert_clean(error)
    assert error.retryable is retryable
    assert error.platform_status == status
    assert "could not be sent" in error.message
    if failure in (429, 503):
        assert error.retry_after == 30
    if failure == 404:
        assert "deleted" in error.hint


def test_a_job_that_retries_gets_through_after_transient_failures(
    lms: AdvantagePlatform,
    scores: ScoreClient,
    registration: Registration,
    lineitem_url: str,
    clock: FakeClock,
) -> None:
    lms.gradebook.failures.plan(503, "timeout", "connection")
    score = completion_score("u", clock())
    failures: list[ScorePublishError] = []
    while True:
        try:
            scores.publish(registration, lineitem_url, score)
            break
        except ScorePublishError as exc:
            failures.append(exc)
            if not exc.retryable:
                break
    assert [f.platform_status for f in failures] == [503, None, None]
    assert all(f.retryable for f in failures)
    assert len(lms.gradebook.scores) == 1


def test_moodle_refusing_a_score_no_newer_than_the_one_it_holds_means_delivered(
    clock: FakeClock,
) -> None:
    lms, client, registration = moodle(clock)
    lineitem = lms.gradebook.add_item("SEND awareness", "module-7")
    assert client.publish(registration, lineitem, completion_score("4", clock())) == "delivered"
    clock.advance(0.5)  # Moodle compares whole seconds

    # Moodle answers 409: it holds this grade already (a resend after a lost answer).
    again = client.publish(registration, lineitem, completion_score("4", clock()))

    assert again == "already_held"
    assert len(lms.gradebook.scores) == 1
    clock.advance(1)
    client.publish(registration, lineitem, completion_score("4", clock()))
    assert len(lms.gradebook.scores) == 2


# What each platform answers to a score it already holds (a resend after a lost answer), and
# a refusal that only looks alike. Open edX: lti_consumer/lti_1p3/extensions/rest_framework/
# serializers.py; Canvas: app/controllers/lti/ims/scores_controller.rb.
ALREADY_HELD = [
    (409, {"error": "Refusing score with an earlier timestamp"}, True),
    (400, {"timestamp": ["Score already exists for the provided timestamp"]}, True),
    (400, {"timestamp": ["Score timestamp can only be updated to a later point in time"]}, True),
    (
        400,
        {
            "errors": [
                {
                    "message": "Provided timestamp of 2025-01-15T10:00:00.000+00:00 before last "
                    "updated timestamp of 2025-01-15T10:05:00.000Z"
                }
            ]
        },
        True,
    ),
    (400, {"userId": ["This field is required."]}, False),
    (400, {"errors": [{"message": "Provided timestamp of x not a valid timestamp"}]}, False),
    (422, {"errors": [{"message": "ScoreMaximum not supplied when ScoreGiven present."}]}, False),
]


@pytest.mark.parametrize(("status", "body", "held"), ALREADY_HELD)
def test_a_platform_that_already_holds_the_score_ends_it_as_delivered(
    lms: AdvantagePlatform,
    scores: ScoreClient,
    registration: Registration,
    lineitem_url: str,
    clock: FakeClock,
    status: int,
    body: dict[str, Any],
    held: bool,
) -> None:
    lms.http.handle(
        scores_url_for(lineitem_url), lambda _request: respond(body, status=status), method="POST"
    )
    score = completion_score("u", clock())
    if held:
        assert scores.publish(registration, lineitem_url, score) == "already_held"
        return
    with pytest.raises(ScorePublishError) as caught:
        scores.publish(registration, lineitem_url, score)
    error = caught.value
    assert error.retryable is False
    assert error.platform_status == status
    # A permanent refusal says what to check, never "try again in a few minutes".
    assert "try again in a few minutes" not in (error.hint or "").lower()
    assert "will not help" in (error.hint or "")


def test_token_failures_become_score_errors_that_keep_retryability(
    lms: AdvantagePlatform,
    scores: ScoreClient,
    registration: Registration,
    lineitem_url: str,
    clock: FakeClock,
) -> None:
    lms.tokens.failures.plan("timeout")
    with pytest.raises(ScorePublishError) as caught:
        scores.publish(registration, lineitem_url, completion_score("u", clock()))
    assert caught.value.retryable
    assert "token endpoint" in caught.value.message


def test_a_grading_service_switched_off_is_not_retryable(
    platform: TestPlatform,
    http: ServiceHttp,
    clock: FakeClock,
    scores: ScoreClient,
) -> None:
    lms = AdvantagePlatform(platform, http, clock)
    lms.trust_tool(
        scopes=["https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"]
    )
    lineitem = lms.gradebook.add_item("SEND awareness", "module-7")

    with pytest.raises(ScorePublishError) as caught:
        scores.publish(platform.registration(), lineitem, completion_score("u", clock()))

    assert caught.value.retryable is False
    assert "Assignment and Grade Services" in caught.value.hint


def test_a_clear_text_lineitem_url_is_refused_without_sending(
    lms: AdvantagePlatform, scores: ScoreClient, registration: Registration, clock: FakeClock
) -> None:
    with pytest.raises(ScorePublishError, match="not an https address") as caught:
        scores.publish(
            registration, "http://lms.example/lineitems/1", completion_score("u", clock())
        )
    assert not caught.value.retryable
    assert lms.tokens.count == 0


# ---------------------------------------------------------------- line items


def test_an_existing_line_item_is_found_by_resource_id(
    lms: AdvantagePlatform, lineitems: LineItemClient, registration: Registration
) -> None:
    lms.gradebook.add_item("Other module", "module-1", 5)
    url = lms.gradebook.add_item("SEND awareness", "module-7")

    item = lineitems.find_or_create(
        registration, lms.lineitems_url, "module-7", "SEND awareness", 1
    )

    assert item == LineItem(
        id=url, label="SEND awareness", score_maximum=1.0, resource_id="module-7"
    )
    (request,) = [r for r in lms.http.calls() if r.method == "GET"]
    sent = dict(parse_qsl(urlsplit(request.url).query))
    assert sent["resource_id"] == "module-7"
    if lms.platform.dialect == "moodle":
        assert sent["type_id"] == "1"  # Moodle's own query kept
    assert request.headers["Accept"] == LINEITEM_CONTAINER_MEDIA_TYPE
    assert lms.tokens.forms[0]["scope"] == SCOPE_LINEITEM
    assert not lms.http.calls(method="POST")[1:]  # only the token request was a POST


def test_a_missing_line_item_is_created(
    lms: AdvantagePlatform, lineitems: LineItemClient, registration: Registration, clock: FakeClock
) -> None:
    item = lineitems.find_or_create(
        registration,
        lms.lineitems_url,
        "module-9",
        "SEND module 9",
        1,
        tag="cpd",
        resource_link_id="rl-9",
    )

    assert item.resource_id == "module-9"
    assert item.label == "SEND module 9"
    assert item.tag == "cpd"
    assert item.resource_link_id == "rl-9"
    create = lms.http.calls(method="POST")[-1]
    assert create.headers["Content-Type"] == LINEITEM_MEDIA_TYPE
    assert json.loads(create.body or b"") == {
        "label": "SEND module 9",
        "scoreMaximum": 1,
        "resourceId": "module-9",
        "tag": "cpd",
        "resourceLinkId": "rl-9",
    }
    # Scores can go to the new column straight away.
    ScoreClient(lms.http, lineitems._tokens).publish(
        registration, item.id, completion_score("u", clock())
    )
    assert len(lms.gradebook.scores) == 1
    # ... and the next lookup finds it instead of creating another.
    again = lineitems.find_or_create(registration, lms.lineitems_url, "module-9", "x", 1)
    assert again.id == item.id
    assert len(lms.gradebook.items) == 1


def test_a_platform_that_ignores_the_filter_is_filtered_here(
    lms: AdvantagePlatform, lineitems: LineItemClient, registration: Registration
) -> None:
    lms.gradebook.ignores_filter = True
    lms.gradebook.add_item("Other", "module-1")
    lms.gradebook.add_item("Unlinked", None)
    wanted = lms.gradebook.add_item("SEND awareness", "module-7")

    assert lineitems.find(registration, lms.lineitems_url, "module-7") == LineItem(
        wanted, "SEND awareness", 1.0, "module-7"
    )
    assert lineitems.find(registration, lms.lineitems_url, "module-404") is None


def test_container_pages_are_followed(
    lms: AdvantagePlatform, lineitems: LineItemClient, registration: Registration
) -> None:
    lms.gradebook.ignores_filter = True
    lms.gradebook.page_size = 2
    for n in range(5):
        lms.gradebook.add_item(f"Module {n}", f"module-{n}")

    item = lineitems.find(registration, lms.lineitems_url, "module-4")

    assert item is not None
    assert item.label == "Module 4"
    assert len([r for r in lms.http.calls() if r.method == "GET"]) == 3


def test_too_many_container_pages_are_refused_rather_than_duplicating_a_column(
    http: ServiceHttp,
    tokens: ServiceTokenClient,
    lms: AdvantagePlatform,
    registration: Registration,
) -> None:
    lms.gradebook.ignores_filter = True
    lms.gradebook.page_size = 1
    for n in range(3):
        lms.gradebook.add_item(f"Module {n}", f"module-{n}")

    client = LineItemClient(http, tokens, max_pages=2)
    with pytest.raises(LineItemError, match="more than 2 pages"):
        client.find_or_create(registration, lms.lineitems_url, "module-9", "M", 1)
    assert len(lms.gradebook.items) == 3


def test_a_next_page_on_another_site_is_refused(
    http: ServiceHttp, lineitems: LineItemClient, lms: AdvantagePlatform, registration: Registration
) -> None:
    url = "https://lms.example/lineitems"
    http.add(
        url + "?resource_id=m", json=[], headers={"Link": '<https://evil.example/li>; rel="next"'}
    )

    with pytest.raises(LineItemError, match="another site"):
        lineitems.find(registration, url, "m")
    assert not [r for r in http.calls() if "evil" in r.url]


@pytest.mark.parametrize("answer", [{"json": {"items": []}}, {"body": "<html/>"}])
def test_a_container_that_is_not_a_list_is_refused(
    http: ServiceHttp,
    lineitems: LineItemClient,
    lms: AdvantagePlatform,
    registration: Registration,
    answer: dict[str, Any],
) -> None:
    url = "https://lms.example/lineitems"
    http.add(url + "?resource_id=m", **answer)

    with pytest.raises(LineItemError, match="not a line item container"):
        lineitems.find(registration, url, "m")


@pytest.mark.parametrize(
    "created",
    [
        {"label": "M", "scoreMaximum": 1},
        {"id": "", "label": "M", "scoreMaximum": 1},
        {"id": "https://lms.example/li/1", "scoreMaximum": 1},
        {"id": "https://lms.example/li/1", "label": "M", "scoreMaximum": "1"},
        {"id": "https://lms.example/li/1", "label": "M", "scoreMaximum": True},
        ["not", "an", "object"],
    ],
)
def test_a_created_line_item_must_say_where_it_is(
    http: ServiceHttp,
    lineitems: LineItemClient,
    lms: AdvantagePlatform,
    registration: Registration,
    created: Any,
) -> None:
    url = "https://lms.example/lineitems"
    http.add(url, method="POST", status=201, json=created)

    with pytest.raises(LineItemError, match="did not say where") as caught:
        lineitems.create(registration, url, resource_id="m", label="M", score_maximum=1)
    assert caught.value.platform_status == 201


@pytest.mark.parametrize(("failure", "retryable"), [(403, False), (500, True), ("timeout", True)])
def test_line_item_failures_are_line_item_errors(
    http: ServiceHttp,
    lineitems: LineItemClient,
    lms: AdvantagePlatform,
    registration: Registration,
    failure: int | str,
    retryable: bool,
) -> None:
    url = "https://lms.example/lineitems"
    if failure == "timeout":
        http.fail(url + "?resource_id=m", requests.ReadTimeout("slow"))
    else:
        http.add(url + "?resource_id=m", status=int(failure))

    with pytest.raises(LineItemError) as caught:
        lineitems.find_or_create(registration, url, "m", "M", 1)
    assert caught.value.retryable is retryable
    assert_clean(caught.value)


def test_a_non_positive_maximum_is_a_programming_error(
    lineitems: LineItemClient, registration: Registration
) -> None:
    with pytest.raises(ValueError, match="positive"):
        lineitems.create(
            registration, "https://lms.example/li", resource_id="m", label="M", score_maximum=0
        )
