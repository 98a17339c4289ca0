"""lti.nrps: reading a course's members page by page, in Canvas's and Moodle's dialects."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

from lti import roles as r
from lti.advantage_errors import NamesRolesError
from lti.claims import LTI11_LEGACY_USER_ID
from lti.nrps import (
    MEMBERSHIP_CONTAINER,
    SCOPE_MEMBERSHIP_READONLY,
    MembershipContext,
    NamesRolesClient,
    member_from_json,
)
from lti.registration import Registration
from lti.service_tokens import MemoryTokenCache, ServiceTokenClient
from tests.support.advantage_platform import (
    AdvantagePlatform,
    ServiceHttp,
    member_json,
    tool_signer,
)
from tests.support.clock import FakeClock
from tests.support.launcher import assert_clean
from tests.support.platform import TestPlatform


def roster(count: int, dialect: str, **statuses: str) -> list[dict[str, Any]]:
    """``count`` members; ``statuses`` maps "index" to a status, e.g. {"3": "Inactive"}."""
    return [member_json(i, dialect, status=statuses.get(str(i), "Active")) for i in range(count)]


def services(
    dialect: str, clock: FakeClock, members: list[Any], **options: Any
) -> tuple[AdvantagePlatform, NamesRolesClient, Registration]:
    http = ServiceHttp()
    platform = TestPlatform(dialect, clock=clock)  # type: ignore[arg-type]
    lms = AdvantagePlatform(platform, http, clock, members=members, **options)
    lms.trust_tool()
    tokens = ServiceTokenClient(http, tool_signer(), clock, MemoryTokenCache())
    return lms, NamesRolesClient(http, tokens), platform.registration()


def params(url: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(url).query))


@pytest.fixture
def client(http: ServiceHttp, tokens: ServiceTokenClient) -> NamesRolesClient:
    return NamesRolesClient(http, tokens)


# ---------------------------------------------------------------- paging


def test_canvas_1000_members_over_10_pages_arrive_once_in_order(clock: FakeClock) -> None:
    members = roster(1000, "canvas", **{"7": "Inactive", "500": "Deleted"})
    lms, client, registration = services("canvas", clock, members)

    membership = client.members(registration, lms.memberships_url, limit=100)
    got = list(membership)

    assert [m.user_id for m in got] == [f"user-{i:05d}" for i in range(1000)]
    assert membership.pages == 10
    assert len(lms.nrps.requests) == 10
    assert membership.skipped == 0
    assert membership.duplicates == 0
    # Inactive and deleted members are kept, with their status.
    assert got[7].status == "Inactive"
    assert got[500].status == "Deleted"
    assert sum(m.is_active for m in got) == 998
    # Every page after the first came from Canvas's Link header (page/per_page).
    pages = [params(req.url) for req in lms.nrps.requests]
    assert pages[0] == {"limit": "100"}
    assert pages[1:] == [{"page": str(n), "per_page": "100"} for n in range(2, 11)]


def test_canvas_pages_by_10_with_several_links_in_one_header(clock: FakeClock) -> None:
    lms, client, registration = services("canvas", clock, roster(25, "canvas"))

    membership = client.members(registration, lms.memberships_url)

    assert len(list(membership)) == 25
    assert membership.pages == 3
    first = lms.nrps.sent_links[0]
    assert first is not None
    assert [part.split(";")[1].strip() for part in first.split(",")] == [
        'rel="current"',
        'rel="next"',
        'rel="first"',
        'rel="last"',
    ]
    # The last page has no next link, and the client stops there.
    assert 'rel="next"' not in (lms.nrps.sent_links[-1] or "")


def test_several_relations_on_one_link_are_understood(clock: FakeClock) -> None:
    lms, client, registration = services("canvas", clock, roster(25, "canvas"), combined_rels=True)

    membership = client.members(registration, lms.memberships_url)

    assert [m.user_id for m in membership] == [f"user-{i:05d}" for i in range(25)]
    assert membership.pages == 3


def test_moodle_sends_everyone_on_one_page_without_a_limit(clock: FakeClock) -> None:
    members = roster(120, "moodle", **{"3": "Inactive"})
    lms, client, registration = services("moodle", clock, members)

    membership = client.members(registration, lms.memberships_url)
    got = list(membership)

    assert len(got) == 120
    assert membership.pages == 1
    # Moodle leaves status out for active members: Active is assumed (NRPS 2.0 §2.3.1).
    assert got[0].status == "Active"
    assert got[3].status == "Inactive"
    assert got[0].lis_person_sourcedid == "sis-0"


def test_moodle_pages_with_limit_and_from(clock: FakeClock) -> None:
    lms, client, registration = services("moodle", clock, roster(95, "moodle"))

    membership = client.members(registration, lms.memberships_url, limit=20)

    assert [m.user_id for m in membership] == [f"user-{i:05d}" for i in range(95)]
    assert membership.pages == 5
    assert [params(r.url).get("from") for r in lms.nrps.requests] == [
        None,
        "20",
        "40",
        "60",
        "80",
    ]


def test_moodles_memberships_url_keeps_its_path_and_gets_limit_appended(
    clock: FakeClock,
) -> None:
    lms, client, registration = services("moodle", clock, roster(3, "moodle"))

    list(client.members(registration, lms.memberships_url, limit=50))

    assert lms.nrps.requests[0].url == f"{lms.memberships_url}?limit=50"


def test_the_context_and_differences_link_are_returned(
    platform: TestPlatform, clock: FakeClock
) -> None:
    lms, client, registration = services(
        platform.dialect, clock, roster(15, platform.dialect), differences=True
    )

    membership = client.members(registration, lms.memberships_url, limit=10)
    assert membership.context is None  # nothing read yet: pages are fetched lazily
    assert lms.nrps.requests == []
    list(membership)

    assert membership.context == MembershipContext("course-3", "SEND101", "SEND")
    assert membership.differences_url == (f"{lms.memberships_url}?since=2025-01-15T10%3A00%3A00Z")


def test_no_differences_link_unless_sent(platform: TestPlatform, clock: FakeClock) -> None:
    lms, client, registration = services(platform.dialect, clock, roster(2, platform.dialect))
    membership = client.members(registration, lms.memberships_url)
    list(membership)
    assert membership.differences_url is None


def test_requests_carry_the_media_type_and_an_nrps_token(
    lms: AdvantagePlatform, client: NamesRolesClient, registration: Registration
) -> None:
    lms.nrps.members = roster(2, lms.platform.dialect)

    list(client.members(registration, lms.memberships_url))

    request = lms.nrps.requests[0]
    assert request.headers["Accept"] == MEMBERSHIP_CONTAINER
    assert request.headers["Authorization"].startswith("Bearer token-")
    assert request.headers["User-Agent"].startswith("cpd-tracker-lti/")
    assert lms.tokens.forms[0]["scope"] == SCOPE_MEMBERSHIP_READONLY


# ---------------------------------------------------------------- members


def test_garbage_members_are_skipped_and_counted(
    lms: AdvantagePlatform, client: NamesRolesClient, registration: Registration
) -> None:
    dialect = lms.platform.dialect
    lms.nrps.members = [
        member_json(1, dialect),
        {"name": "No id", "roles": [r.LEARNER]},
        {"user_id": "", "roles": []},
        {"user_id": "   "},
        {"user_id": None},
        {"user_id": True},
        {"user_id": "x" * 256},
        "not an object",
        None,
        member_json(2, dialect),
    ]

    membership = client.members(registration, lms.memberships_url)

    assert [m.user_id for m in membership] == ["user-00001", "user-00002"]
    assert membership.skipped == 8


def test_a_member_listed_twice_is_returned_once(
    lms: AdvantagePlatform, client: NamesRolesClient, registration: Registration
) -> None:
    dialect = lms.platform.dialect
    lms.nrps.members = [member_json(1, dialect), member_json(2, dialect), member_json(1, dialect)]

    membership = client.members(registration, lms.memberships_url)

    assert [m.user_id for m in membership] == ["user-00001", "user-00002"]
    assert membership.duplicates == 1


def test_a_canvas_member_is_read_in_full() -> None:
    member = member_from_json({**member_json(20, "canvas"), "validation_context": None})

    assert member is not None
    assert (member.user_id, member.status) == ("user-00020", "Active")
    assert (member.name, member.given_name, member.family_name) == ("Person 20", "Person", "20")
    assert member.email == "person20@school.example"
    assert member.lti11_legacy_user_id == "legacy00020"
    assert member.lis_person_sourcedid is None
    assert member.roles.all == (r.INSTRUCTOR,)
    assert member.roles.is_instructor


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ({"user_id": 42}, ("42", "Active")),
        ({"user_id": "u", "status": "inactive"}, ("u", "Inactive")),
        ({"user_id": "u", "status": "DELETED"}, ("u", "Deleted")),
        ({"user_id": "u", "status": "Suspended"}, ("u", "Suspended")),
        ({"user_id": "u", "status": ""}, ("u", "Active")),
        ({"user_id": "u", "status": 3}, ("u", "Active")),
    ],
)
def test_ids_and_statuses_are_normalised(raw: dict[str, Any], expected: tuple[str, str]) -> None:
    member = member_from_json(raw)
    assert member is not None
    assert (member.user_id, member.status) == expected
    assert member.roles.all == ()
    assert member.name is None


def test_short_roles_are_normalised() -> None:
    member = member_from_json({"user_id": "u", "roles": ["Learner", 7]})
    assert member is not None
    assert member.roles.all == (r.LEARNER,)
    assert member.roles.is_learner


@pytest.mark.parametrize(
    ("raw", "legacy"),
    [
        ({"message": [{LTI11_LEGACY_USER_ID: "from-message"}]}, "from-message"),
        ({"message": ["junk", {"other": 1}, {LTI11_LEGACY_USER_ID: "second"}]}, "second"),
        ({"message": [{LTI11_LEGACY_USER_ID: ""}]}, None),
        ({"message": "not a list"}, None),
        ({"lti11_legacy_user_id": "top", "message": [{LTI11_LEGACY_USER_ID: "m"}]}, "top"),
    ],
)
def test_the_lti11_legacy_id_is_found_on_the_member_or_its_message(
    raw: dict[str, Any], legacy: str | None
) -> None:
    member = member_from_json({"user_id": "u", **raw})
    assert member is not None
    assert member.lti11_legacy_user_id == legacy


@pytest.mark.parametrize(
    ("context", "expected"),
    [
        ({"id": 3, "title": "T"}, MembershipContext("3", None, "T")),
        ({"title": "no id"}, None),
        ({"id": False}, None),
        ("course", None),
    ],
)
def test_the_context_is_read_defensively(
    lms: AdvantagePlatform,
    client: NamesRolesClient,
    registration: Registration,
    context: Any,
    expected: MembershipContext | None,
) -> None:
    lms.nrps.context = context
    membership = client.members(registration, lms.memberships_url)
    list(membership)
    assert membership.context == expected


# ---------------------------------------------------------------- failures


def test_a_page_link_loop_is_refused(clock: FakeClock) -> None:
    lms, client, registration = services(
        "canvas",
        clock,
        roster(25, "canvas"),
        next_link=lambda url: url.replace("page=3", "page=2"),
    )

    with pytest.raises(NamesRolesError, match="loop back") as caught:
        list(client.members(registration, lms.memberships_url))
    assert_clean(caught.value)


def test_the_page_count_is_capped(clock: FakeClock) -> None:
    lms, client, registration = services("canvas", clock, roster(25, "canvas"))

    membership = client.members(registration, lms.memberships_url, max_pages=2)
    with pytest.raises(NamesRolesError, match="more than 2 pages"):
        list(membership)
    assert membership.pages == 2


def test_a_next_link_to_another_site_is_not_followed(clock: FakeClock) -> None:
    lms, client, registration = services(
        "canvas",
        clock,
        roster(25, "canvas"),
        next_link=lambda url: url.replace("https://", "https://attacker.example/"),
    )

    membership = client.members(registration, lms.memberships_url)
    with pytest.raises(NamesRolesError, match="another site"):
        list(membership)
    assert not [c for c in lms.http.calls() if "attacker" in c.url]


@pytest.mark.parametrize(
    "answer",
    [{"body": "<html>maintenance</html>"}, {"json": {"members": "nobody"}}, {"json": []}],
)
def test_a_page_that_is_not_a_membership_container_is_refused(
    platform: TestPlatform,
    http: ServiceHttp,
    client: NamesRolesClient,
    lms: AdvantagePlatform,
    registration: Registration,
    answer: dict[str, Any],
) -> None:
    url = "https://lms.example/api/memberships"
    http.add(url, **answer)

    with pytest.raises(NamesRolesError, match="not a membership container") as caught:
        list(client.members(registration, url))
    assert caught.value.platform_status == 200
    assert caught.value.retryable is False


def test_a_container_without_members_is_an_empty_course(
    http: ServiceHttp, client: NamesRolesClient, lms: AdvantagePlatform, registration: Registration
) -> None:
    url = "https://lms.example/api/memberships"
    http.add(url, json={"id": url, "context": {"id": "c"}})

    membership = client.members(registration, url)
    assert list(membership) == []
    assert membership.context == MembershipContext("c")


@pytest.mark.parametrize(
    ("failure", "retryable", "hint"),
    [
        (403, False, "names and roles service"),
        (404, False, None),
        (500, True, None),
        (503, True, None),
        ("timeout", True, None),
        ("connection", True, None),
    ],
)
def test_service_failures_say_whether_to_retry(
    lms: AdvantagePlatform,
    client: NamesRolesClient,
    registration: Registration,
    failure: int | str,
    retryable: bool,
    hint: str | None,
) -> None:
    lms.nrps.failures.plan(failure)

    with pytest.raises(NamesRolesError) as caught:
        list(client.members(registration, lms.memberships_url))

    error = caught.value
    assert_clean(error)
    assert error.retryable is retryable
    assert error.platform_status == (failure if isinstance(failure, int) else None)
    if hint:
        assert hint in error.hint
    assert lms.memberships_url[:60] in error.message


def test_token_failures_become_names_roles_errors(
    lms: AdvantagePlatform, client: NamesRolesClient, registration: Registration
) -> None:
    lms.tokens.failures.plan(502)

    with pytest.raises(NamesRolesError) as caught:
        list(client.members(registration, lms.memberships_url))

    assert caught.value.retryable
    assert caught.value.platform_status == 502
    assert "token endpoint" in caught.value.message


def test_a_clear_text_memberships_url_gets_no_token(
    lms: AdvantagePlatform, client: NamesRolesClient, registration: Registration
) -> None:
    with pytest.raises(NamesRolesError, match="not an https address") as caught:
        list(client.members(registration, "http://lms.example/memberships"))
    assert not caught.value.retryable
    assert lms.tokens.count == 0


def test_a_revoked_token_is_replaced_mid_roster(clock: FakeClock) -> None:
    lms, client, registration = services("canvas", clock, roster(30, "canvas"))

    membership = client.members(registration, lms.memberships_url)
    first_ten = [next(membership) for _ in range(10)]
    lms.tokens.revoke_all()
    rest = list(membership)

    assert len(first_ten) + len(rest) == 30
    assert lms.tokens.count == 2


@pytest.mark.parametrize(("limit", "max_pages"), [(0, 10), (None, 0)])
def test_limits_must_be_positive(
    client: NamesRolesClient, registration: Registration, limit: int | None, max_pages: int
) -> None:
    with pytest.raises(ValueError, match="at least 1"):
        client.members(registration, "https://lms.example/m", limit=limit, max_pages=max_pages)
