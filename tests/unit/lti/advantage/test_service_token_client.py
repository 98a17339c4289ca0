"""lti.service_tokens: client_credentials grants with private_key_jwt, the token cache, and the
authorised call every Advantage service makes."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qsl

import jwt
import pytest

from lti.advantage_errors import ServiceTokenError
from lti.http import HttpError
from lti.nrps import NamesRolesClient
from lti.registration import Registration
from lti.service_tokens import (
    DEFAULT_LIFETIME,
    JWT_BEARER,
    AccessToken,
    MemoryTokenCache,
    ServiceTokenClient,
    authorized_request,
    describe_failure,
    is_secure_url,
    parse_links,
    same_origin,
)
from tests.support.advantage_platform import (
    ALL_SCOPES,
    LINEITEM_SCOPE,
    NRPS_SCOPE,
    SCORE_SCOPE,
    AdvantagePlatform,
    FakeTokenEndpoint,
    ServiceHttp,
    member_json,
    other_tool_key,
    tool_signer,
)
from tests.support.clock import FakeClock
from tests.support.platform import TestPlatform


def form_of(http: ServiceHttp, url: str) -> dict[str, str]:
    body = http.calls(url, "POST")[-1].body or b""
    return dict(parse_qsl(body.decode()))


# ---------------------------------------------------------------- the grant


def test_the_assertion_is_verified_by_the_platform_against_the_tools_jwks(
    lms: AdvantagePlatform,
    tokens: ServiceTokenClient,
    registration: Registration,
    http: ServiceHttp,
    clock: FakeClock,
) -> None:
    token = tokens.token(registration, [NRPS_SCOPE])

    assert token in lms.tokens.issued
    (claims,) = lms.tokens.assertions
    assert claims["iss"] == claims["sub"] == registration.client_id
    assert claims["aud"] == registration.auth_token_url
    assert claims["iat"] == clock.timestamp
    assert claims["exp"] == clock.timestamp + 300
    assert len(claims["jti"]) >= 32
    form = form_of(http, registration.auth_token_url)
    assert form["grant_type"] == "client_credentials"
    assert form["client_assertion_type"] == JWT_BEARER
    assert form["scope"] == NRPS_SCOPE
    header = jwt.get_unverified_header(form["client_assertion"])
    assert header["alg"] == "RS256"
    assert header["kid"]


def test_token_requests_go_through_the_http_wrapper(
    lms: AdvantagePlatform,
    tokens: ServiceTokenClient,
    registration: Registration,
    http: ServiceHttp,
) -> None:
    tokens.token(registration, [NRPS_SCOPE])

    request = http.calls(registration.auth_token_url, "POST")[0]
    assert request.headers["User-Agent"].startswith("cpd-tracker-lti/")
    assert request.headers["Accept"] == "application/json"
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert request.timeout is not None


def test_several_scopes_are_sent_space_separated_in_a_stable_order(
    lms: AdvantagePlatform,
    tokens: ServiceTokenClient,
    registration: Registration,
    http: ServiceHttp,
) -> None:
    tokens.token(registration, [SCORE_SCOPE, LINEITEM_SCOPE])
    assert form_of(http, registration.auth_token_url)["scope"] == f"{LINEITEM_SCOPE} {SCORE_SCOPE}"


def test_each_assertion_has_a_fresh_jti(
    lms: AdvantagePlatform,
    tokens: ServiceTokenClient,
    registration: Registration,
    clock: FakeClock,
) -> None:
    tokens.token(registration, [NRPS_SCOPE])
    clock.advance(4000)
    tokens.token(registration, [NRPS_SCOPE])

    first, second = lms.tokens.assertions
    assert first["jti"] != second["jti"]


def test_the_registrations_auth_audience_is_used_when_set(
    platform: TestPlatform, http: ServiceHttp, clock: FakeClock, tokens: ServiceTokenClient
) -> None:
    audience = "https://sso.example/token-audience"
    endpoint = FakeTokenEndpoint(http, platform.auth_token_url, clock, audience=audience)
    endpoint.register(platform.client_id)
    registration = Registration(**{**platform.registration().__dict__, "auth_audience": audience})

    tokens.token(registration, [NRPS_SCOPE])

    assert endpoint.assertions[0]["aud"] == audience


def test_an_assertion_signed_with_a_key_the_lms_does_not_know_is_refused(
    lms: AdvantagePlatform, http: ServiceHttp, clock: FakeClock, registration: Registration
) -> None:
    impostor = ServiceTokenClient(http, tool_signer(other_tool_key()), clock, MemoryTokenCache())

    with pytest.raises(ServiceTokenError) as caught:
        impostor.token(registration, [NRPS_SCOPE])

    error = caught.value
    assert error.error == "invalid_client"
    assert error.error_description == "no key with that kid in the tool's JWKS"
    assert error.platform_status == 400
    assert not error.retryable
    assert "JWKS URL" in error.hint
    assert "invalid_client" in error.message
    assert error.status == 424


def test_an_unknown_client_is_refused(
    platform: TestPlatform, http: ServiceHttp, clock: FakeClock, tokens: ServiceTokenClient
) -> None:
    FakeTokenEndpoint(http, platform.auth_token_url, clock)  # nobody registered

    with pytest.raises(ServiceTokenError) as caught:
        tokens.token(platform.registration(), [NRPS_SCOPE])
    assert caught.value.platform_status == 401
    assert caught.value.error == "invalid_client"


def test_a_service_the_lms_has_not_switched_on_is_named_in_the_hint(
    platform: TestPlatform, http: ServiceHttp, clock: FakeClock, tokens: ServiceTokenClient
) -> None:
    services = AdvantagePlatform(platform, http, clock)
    services.trust_tool(scopes=[SCORE_SCOPE])  # grades on, names and roles off

    with pytest.raises(ServiceTokenError) as caught:
        tokens.token(platform.registration(), [NRPS_SCOPE])

    assert caught.value.error == "invalid_scope"
    assert "Names and Role" in caught.value.hint


def test_only_granted_scopes_are_remembered(
    platform: TestPlatform,
    http: ServiceHttp,
    clock: FakeClock,
    tokens: ServiceTokenClient,
    cache: MemoryTokenCache,
) -> None:
    services = AdvantagePlatform(platform, http, clock)
    services.trust_tool(scopes=[SCORE_SCOPE])  # Moodle grants the allowed subset
    registration = platform.registration()

    tokens.token(registration, [SCORE_SCOPE, LINEITEM_SCOPE])

    cached = cache.get(ServiceTokenClient.key(registration, [SCORE_SCOPE, LINEITEM_SCOPE]))
    assert cached is not None
    assert cached.scopes == {SCORE_SCOPE}


@pytest.mark.parametrize(
    ("failure", "status", "retryable"),
    [
        ("timeout", None, True),
        ("connection", None, True),
        (500, 500, True),
        (503, 503, True),
        (429, 429, True),
        (400, 400, False),
        (401, 401, False),
    ],
)
def test_token_endpoint_failures_say_whether_to_retry(
    lms: AdvantagePlatform,
    tokens: ServiceTokenClient,
    registration: Registration,
    failure: int | str,
    status: int | None,
    retryable: bool,
) -> None:
    lms.tokens.failures.plan(failure)

    with pytest.raises(ServiceTokenError) as caught:
        tokens.token(registration, [NRPS_SCOPE])

    assert caught.value.retryable is retryable
    assert caught.value.platform_status == status
    if status is None:
        assert "did not answer" in caught.value.message
    if failure in (429, 503):
        assert caught.value.retry_after == 30
    # Nothing was cached: the next call asks again, and succeeds.
    assert tokens.token(registration, [NRPS_SCOPE]) in lms.tokens.issued


def test_a_refusal_without_json_quotes_the_platforms_text(
    platform: TestPlatform, http: ServiceHttp, tokens: ServiceTokenClient
) -> None:
    http.add(platform.auth_token_url, method="POST", status=400, body="token_already_used")

    with pytest.raises(ServiceTokenError) as caught:
        tokens.token(platform.registration(), [NRPS_SCOPE])

    assert caught.value.error is None
    assert caught.value.platform_reason == "token_already_used"
    assert "client ID" in caught.value.hint  # not retryable: what to check
    assert caught.value.message.endswith("(HTTP 400): token_already_used.")


def test_a_refusal_with_an_empty_body_still_reads_well(
    platform: TestPlatform, http: ServiceHttp, tokens: ServiceTokenClient
) -> None:
    http.add(platform.auth_token_url, method="POST", status=403)

    with pytest.raises(ServiceTokenError) as caught:
        tokens.token(platform.registration(), [NRPS_SCOPE])
    assert "(HTTP 403)" in caught.value.message


@pytest.mark.parametrize(
    "answer",
    [
        {"body": "<html>login</html>"},
        {"json": {"token_type": "Bearer"}},
        {"json": {"access_token": ""}},
        {"json": ["access_token"]},
    ],
)
def test_a_200_without_an_access_token_is_refused(
    platform: TestPlatform, http: ServiceHttp, tokens: ServiceTokenClient, answer: dict[str, Any]
) -> None:
    http.add(platform.auth_token_url, method="POST", **answer)

    with pytest.raises(ServiceTokenError, match="without an access token") as caught:
        tokens.token(platform.registration(), [NRPS_SCOPE])
    assert "token endpoint" in caught.value.hint
    assert caught.value.platform_status == 200


def test_a_non_bearer_token_is_refused(
    platform: TestPlatform, http: ServiceHttp, tokens: ServiceTokenClient
) -> None:
    http.add(
        platform.auth_token_url,
        method="POST",
        json={"access_token": "t", "token_type": "mac", "expires_in": 3600},
    )
    with pytest.raises(ServiceTokenError, match="“mac” token"):
        tokens.token(platform.registration(), [NRPS_SCOPE])


def test_token_type_is_case_insensitive(
    platform: TestPlatform, http: ServiceHttp, tokens: ServiceTokenClient
) -> None:
    http.add(
        platform.auth_token_url,
        method="POST",
        json={"access_token": "t", "token_type": "bearer", "expires_in": 3600},
    )
    assert tokens.token(platform.registration(), [NRPS_SCOPE]) == "t"


def test_a_clear_text_token_endpoint_is_never_called(
    platform: TestPlatform, http: ServiceHttp, tokens: ServiceTokenClient
) -> None:
    registration = Registration(
        **{**platform.registration().__dict__, "auth_token_url": "http://lms.example/token"}
    )
    with pytest.raises(ServiceTokenError, match="not an https address"):
        tokens.token(registration, [NRPS_SCOPE])
    assert http.requests == []


def test_at_least_one_scope_is_required(
    tokens: ServiceTokenClient, registration: Registration
) -> None:
    with pytest.raises(ValueError, match="scope"):
        tokens.token(registration, [])


# ---------------------------------------------------------------- the cache


def test_a_cached_token_is_reused_until_shortly_before_it_expires(
    lms: AdvantagePlatform,
    tokens: ServiceTokenClient,
    registration: Registration,
    clock: FakeClock,
) -> None:
    first = tokens.token(registration, [NRPS_SCOPE])
    clock.advance(3600 - 61)
    assert tokens.token(registration, [NRPS_SCOPE]) == first
    assert lms.tokens.count == 1

    clock.advance(1)  # 60 s (the margin) before expiry: time for a new one
    second = tokens.token(registration, [NRPS_SCOPE])

    assert second != first
    assert lms.tokens.count == 2


def test_the_same_scopes_in_any_order_share_a_token(
    lms: AdvantagePlatform, tokens: ServiceTokenClient, registration: Registration
) -> None:
    first = tokens.token(registration, [SCORE_SCOPE, LINEITEM_SCOPE])
    second = tokens.token(registration, (s for s in [LINEITEM_SCOPE, SCORE_SCOPE, SCORE_SCOPE]))

    assert first == second
    assert lms.tokens.count == 1


def test_different_scopes_get_different_tokens(
    lms: AdvantagePlatform, tokens: ServiceTokenClient, registration: Registration
) -> None:
    nrps = tokens.token(registration, [NRPS_SCOPE])
    score = tokens.token(registration, [SCORE_SCOPE])
    both = tokens.token(registration, [NRPS_SCOPE, SCORE_SCOPE])

    assert len({nrps, score, both}) == 3
    assert lms.tokens.count == 3


@pytest.mark.parametrize(
    ("expires_in", "lifetime"),
    [
        (None, DEFAULT_LIFETIME),
        ("7200", timedelta(hours=2)),
        ("soon", DEFAULT_LIFETIME),
        (True, DEFAULT_LIFETIME),
        (-5, DEFAULT_LIFETIME),
        (0, DEFAULT_LIFETIME),
        (90.5, timedelta(seconds=90.5)),
    ],
)
def test_expires_in_is_read_defensively(
    platform: TestPlatform,
    http: ServiceHttp,
    tokens: ServiceTokenClient,
    cache: MemoryTokenCache,
    clock: FakeClock,
    expires_in: object,
    lifetime: timedelta,
) -> None:
    body: dict[str, Any] = {"access_token": "t", "token_type": "Bearer"}
    if expires_in is not None:
        body["expires_in"] = expires_in
    http.add(platform.auth_token_url, method="POST", json=body)
    registration = platform.registration()

    tokens.token(registration, [NRPS_SCOPE])

    cached = cache.get(ServiceTokenClient.key(registration, [NRPS_SCOPE]))
    assert cached is not None
    assert cached.expires_at == clock() + lifetime
    # Refreshed a minute early, or at half-life for tokens that live under two minutes.
    assert cached.refresh_at == clock() + max(lifetime - timedelta(seconds=60), lifetime / 2)
    assert cached.scopes == {NRPS_SCOPE}


def test_invalidate_forgets_a_token(
    lms: AdvantagePlatform, tokens: ServiceTokenClient, registration: Registration
) -> None:
    first = tokens.token(registration, [NRPS_SCOPE])
    tokens.invalidate(registration, [NRPS_SCOPE])
    assert tokens.token(registration, [NRPS_SCOPE]) != first


def test_the_memory_cache_drops_tokens_that_have_expired(clock: FakeClock) -> None:
    cache = MemoryTokenCache()
    now = clock()

    def token(value: str, issued_minutes_ago: int, lives_minutes: int) -> AccessToken:
        issued = now - timedelta(minutes=issued_minutes_ago)
        expires = issued + timedelta(minutes=lives_minutes)
        return AccessToken(value, issued, expires, expires, frozenset({"s"}))

    old, live = ("i", "c", frozenset({"a"})), ("i", "c", frozenset({"b"}))
    cache.put(old, token("old", 120, 60))
    cache.put(live, token("live", 30, 60))
    cache.put(("i", "c", frozenset({"c"})), token("new", 0, 60))

    assert cache.get(old) is None
    assert cache.get(live) is not None
    cache.discard(live)
    cache.discard(live)  # twice is fine
    assert cache.get(live) is None


def test_the_memory_cache_is_safe_to_share_between_threads(
    lms: AdvantagePlatform, http: ServiceHttp, clock: FakeClock, registration: Registration
) -> None:
    cache = MemoryTokenCache()
    tokens = ServiceTokenClient(http, tool_signer(), clock, cache)
    tokens.token(registration, [NRPS_SCOPE])
    seen: list[str] = []

    def work() -> None:
        for _ in range(50):
            seen.append(tokens.token(registration, [NRPS_SCOPE]))

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(seen) == 400
    assert len(set(seen)) == 1
    assert lms.tokens.count == 1


# ---------------------------------------------------------------- two Canvas schools


def test_two_canvas_schools_never_share_a_token(clock: FakeClock) -> None:
    http = ServiceHttp()
    # Both hosted: the same issuer and the same token endpoint, different developer keys.
    school_a = TestPlatform("canvas", client_id="10000000000001", clock=clock)
    school_b = TestPlatform("canvas", client_id="10000000000002", clock=clock)
    assert school_a.issuer == school_b.issuer
    assert school_a.auth_token_url == school_b.auth_token_url
    lms_a = AdvantagePlatform(school_a, http, clock, members=[member_json(1, "canvas")])
    lms_b = AdvantagePlatform(school_b, http, clock, members=[member_json(2, "canvas")])
    lms_a.trust_tool()
    lms_b.trust_tool()
    assert lms_a.tokens is lms_b.tokens
    tokens = ServiceTokenClient(http, tool_signer(), clock, MemoryTokenCache())
    reg_a, reg_b = school_a.registration(), school_b.registration()

    token_a = tokens.token(reg_a, [NRPS_SCOPE])
    token_b = tokens.token(reg_b, [NRPS_SCOPE])

    assert token_a != token_b
    assert [a["sub"] for a in lms_a.tokens.assertions] == ["10000000000001", "10000000000002"]
    assert lms_a.tokens.issued[token_a].client_id == "10000000000001"
    assert lms_a.tokens.issued[token_b].client_id == "10000000000002"
    # Each school's roster is read with that school's own token ...
    nrps = NamesRolesClient(http, tokens)
    assert [m.user_id for m in nrps.members(reg_a, lms_a.memberships_url)] == ["user-00001"]
    assert [m.user_id for m in nrps.members(reg_b, lms_b.memberships_url)] == ["user-00002"]
    assert lms_a.nrps.requests[0].headers["Authorization"] == f"Bearer {token_a}"
    assert lms_b.nrps.requests[0].headers["Authorization"] == f"Bearer {token_b}"
    # ... and school B's service refuses school A's token.
    with pytest.raises(HttpError) as caught:
        http.get(
            lms_b.memberships_url,
            headers={
                "Authorization": f"Bearer {token_a}",
                "Accept": "application/vnd.ims.lti-nrps.v2.membershipcontainer+json",
            },
        )
    assert caught.value.status == 403


# ---------------------------------------------------------------- the authorised call


def test_a_cached_token_refused_with_401_is_replaced_once(
    lms: AdvantagePlatform,
    tokens: ServiceTokenClient,
    registration: Registration,
    http: ServiceHttp,
) -> None:
    lms.nrps.members = [member_json(1, lms.platform.dialect)]
    first = tokens.token(registration, [NRPS_SCOPE])
    lms.tokens.revoke_all()  # e.g. the developer key was re-saved

    response = authorized_request(
        http,
        tokens,
        registration,
        [NRPS_SCOPE],
        "GET",
        lms.memberships_url,
        headers={"Accept": "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"},
    )

    assert response.status_code == 200
    sent = [r.headers["Authorization"] for r in lms.nrps.requests]
    assert sent[0] == f"Bearer {first}"
    assert sent[1] != sent[0]
    assert lms.tokens.count == 2


def test_a_fresh_token_refused_with_401_is_final(
    lms: AdvantagePlatform,
    tokens: ServiceTokenClient,
    registration: Registration,
    http: ServiceHttp,
) -> None:
    http.add("https://lms.example/api", status=401)

    with pytest.raises(HttpError) as caught:
        authorized_request(
            http, tokens, registration, [NRPS_SCOPE], "GET", "https://lms.example/api"
        )
    assert caught.value.status == 401
    assert http.count("https://lms.example/api") == 1


def test_other_failures_are_not_retried(
    lms: AdvantagePlatform,
    tokens: ServiceTokenClient,
    registration: Registration,
    http: ServiceHttp,
) -> None:
    tokens.token(registration, [NRPS_SCOPE])
    http.add("https://lms.example/api", status=403)

    with pytest.raises(HttpError):
        authorized_request(
            http, tokens, registration, [NRPS_SCOPE], "GET", "https://lms.example/api"
        )
    assert http.count("https://lms.example/api") == 1


def test_no_token_is_fetched_for_a_clear_text_service_url(
    lms: AdvantagePlatform,
    tokens: ServiceTokenClient,
    registration: Registration,
    http: ServiceHttp,
) -> None:
    with pytest.raises(HttpError) as caught:
        authorized_request(
            http, tokens, registration, [NRPS_SCOPE], "GET", "http://lms.example/api"
        )
    assert lms.tokens.count == 0
    assert describe_failure(caught.value).retryable is False


# ---------------------------------------------------------------- small rules


@pytest.mark.parametrize(
    ("url", "secure"),
    [
        ("https://lms.example/x", True),
        ("http://localhost/x", True),
        ("http://LOCALHOST:8000/x", True),
        ("http://moodle.localhost/x", True),
        ("http://127.0.0.1:8080/x", True),
        ("http://[::1]/x", True),
        ("http://10.0.0.1/x", False),
        ("http://lms.example/x", False),
        ("ftp://lms.example/x", False),
        ("https:///x", False),
        ("https://user:pw@lms.example/x", False),
        ("http://[::1/x", False),
        ("/relative", False),
    ],
)
def test_is_secure_url(url: str, secure: bool) -> None:
    assert is_secure_url(url) is secure


def test_same_origin_compares_scheme_host_and_port() -> None:
    assert same_origin("https://a.example/x?y", "https://A.example:443/z")
    assert not same_origin("https://a.example/x", "https://a.example:8443/x")
    assert same_origin("https://a.example/x", "https://a.example/z")
    assert not same_origin("https://a.example/x", "http://a.example/x")
    assert not same_origin("https://a.example/x", "https://b.example/x")
    assert not same_origin("https://a.example:bad/x", "https://a.example/x")


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, {}),
        ("", {}),
        (
            '<https://c.example/r?page=1>; rel="current",<https://c.example/r?page=2>; rel="next",'
            '<https://c.example/r?page=1>; rel="first",<https://c.example/r?page=9>; rel="last"',
            {
                "current": "https://c.example/r?page=1",
                "next": "https://c.example/r?page=2",
                "first": "https://c.example/r?page=1",
                "last": "https://c.example/r?page=9",
            },
        ),
        (
            '<https://c.example/r?page=9>; rel="next last"',
            {"next": "https://c.example/r?page=9", "last": "https://c.example/r?page=9"},
        ),
        ("</r?from=10>; rel=NEXT", {"next": "https://c.example/r?from=10"}),
        ('<>; rel="next", <https://c.example/a>; rel="next"', {"next": "https://c.example/a"}),
        (
            '<https://c.example/a>; rel="next", <https://c.example/b>; rel="next"',
            {"next": "https://c.example/a"},
        ),
        ("<https://c.example/a>", {}),
    ],
)
def test_parse_links(header: str | None, expected: dict[str, str]) -> None:
    assert parse_links(header, "https://c.example/r?page=1") == expected


def test_tool_key_signer_signs_with_the_given_key() -> None:
    token = tool_signer()({"iss": "x"})
    assert jwt.get_unverified_header(token)["alg"] == "RS256"


def test_all_scopes_constant_matches_the_library() -> None:
    from lti.ags import SCOPE_LINEITEM, SCOPE_LINEITEM_READONLY, SCOPE_SCORE
    from lti.nrps import SCOPE_MEMBERSHIP_READONLY

    assert {SCOPE_LINEITEM, SCOPE_LINEITEM_READONLY, SCOPE_SCORE, SCOPE_MEMBERSHIP_READONLY} <= (
        ALL_SCOPES
    )
