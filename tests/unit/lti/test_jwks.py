"""lti.jwks: fetching, caching and choosing a platform's verifying key."""

from __future__ import annotations

import base64
from datetime import timedelta
from typing import Any

import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

from lti.errors import PlatformKeysUnavailable, UnknownKid, UnsuitablePlatformKey
from lti.jwks import (
    MAX_JWKS_BYTES,
    CachedKeySet,
    MemoryKeySetCache,
    PlatformKeys,
    cache_lifetime,
    rsa_public_key,
)
from lti.keys import generate_key_pair
from tests.support.clock import FakeClock
from tests.support.http import FakeHttp
from tests.support.launcher import assert_clean
from tests.support.platform import TestPlatform

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


@pytest.fixture
def platform(clock: FakeClock) -> TestPlatform:
    return TestPlatform("canvas", clock=clock)


@pytest.fixture
def http() -> FakeHttp:
    return FakeHttp()


@pytest.fixture
def keys(http: FakeHttp, clock: FakeClock) -> PlatformKeys:
    return PlatformKeys(http, MemoryKeySetCache(), clock)


def serve(
    http: FakeHttp, platform: TestPlatform, cache_control: str | None = None, **kw: Any
) -> None:
    headers = {"Cache-Control": cache_control} if cache_control else {}
    http.add(platform.key_set_url, json=kw.get("jwks", platform.jwks()), headers=headers)


def fetches(http: FakeHttp, platform: TestPlatform) -> int:
    return http.count(platform.key_set_url)


def test_the_key_is_found_by_kid(
    keys: PlatformKeys, http: FakeHttp, platform: TestPlatform
) -> None:
    serve(http, platform)
    key = keys.key_for(platform.registration(), platform.kid)

    assert isinstance(key, rsa.RSAPublicKey)
    assert RSAAlgorithm.to_jwk(key, as_dict=True)["n"] == platform.key.public_jwk["n"]


def test_fetches_send_a_user_agent_and_accept_json(
    keys: PlatformKeys, http: FakeHttp, platform: TestPlatform
) -> None:
    serve(http, platform)
    keys.key_for(platform.registration(), platform.kid)

    request = http.calls(platform.key_set_url)[0]
    assert request.headers["User-Agent"].startswith("cpd-tracker-lti/")
    assert request.headers["Accept"] == "application/json"
    assert request.timeout is not None


# ---------------------------------------------------------------- caching


def test_a_key_set_is_reused_while_fresh(
    keys: PlatformKeys, http: FakeHttp, platform: TestPlatform, clock: FakeClock
) -> None:
    serve(http, platform, "max-age=300")
    for _ in range(3):
        keys.key_for(platform.registration(), platform.kid)
        clock.advance(60)
    assert fetches(http, platform) == 1


def test_max_age_is_honoured(
    keys: PlatformKeys, http: FakeHttp, platform: TestPlatform, clock: FakeClock
) -> None:
    serve(http, platform, "public, max-age=60")
    keys.key_for(platform.registration(), platform.kid)
    clock.advance(59)
    keys.key_for(platform.registration(), platform.kid)
    assert fetches(http, platform) == 1
    clock.advance(2)
    keys.key_for(platform.registration(), platform.kid)
    assert fetches(http, platform) == 2


@pytest.mark.parametrize("header", ["no-store", "no-cache", "private, no-cache", "max-age=0"])
def test_no_store_means_fetch_again_next_time(
    keys: PlatformKeys, http: FakeHttp, platform: TestPlatform, header: str
) -> None:
    serve(http, platform, header)
    keys.key_for(platform.registration(), platform.kid)
    keys.key_for(platform.registration(), platform.kid)
    assert fetches(http, platform) == 2


def test_without_cache_control_the_default_ttl_applies(
    keys: PlatformKeys, http: FakeHttp, platform: TestPlatform, clock: FakeClock
) -> None:
    serve(http, platform)
    keys.key_for(platform.registration(), platform.kid)
    clock.advance(59 * 60)
    keys.key_for(platform.registration(), platform.kid)
    assert fetches(http, platform) == 1
    clock.advance(2 * 60)
    keys.key_for(platform.registration(), platform.kid)
    assert fetches(http, platform) == 2


def test_a_huge_max_age_is_clamped(
    keys: PlatformKeys, http: FakeHttp, platform: TestPlatform, clock: FakeClock
) -> None:
    serve(http, platform, "max-age=31536000")
    keys.key_for(platform.registration(), platform.kid)
    clock.advance(DAY.total_seconds() + 1)
    keys.key_for(platform.registration(), platform.kid)
    assert fetches(http, platform) == 2


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, HOUR),
        ("", HOUR),
        ("public", HOUR),
        ("max-age=120", timedelta(seconds=120)),
        ('MAX-AGE="30"', timedelta(seconds=30)),
        ("private, max-age=5, must-revalidate", timedelta(seconds=5)),
        ("s-maxage=900", HOUR),
        ("max-age=999999999", DAY),
        ("no-store", timedelta(0)),
        ("no-cache, max-age=600", timedelta(0)),
        ('no-cache="set-cookie"', timedelta(0)),
    ],
)
def test_cache_lifetime(header: str | None, expected: timedelta) -> None:
    assert cache_lifetime(header, HOUR, DAY) == expected


def test_a_default_ttl_above_the_maximum_is_clamped() -> None:
    assert cache_lifetime(None, 2 * DAY, DAY) == DAY


# ---------------------------------------------------------------- unknown kid and rotation


def test_an_unknown_kid_refetches_once_and_finds_a_rotated_key(
    keys: PlatformKeys, http: FakeHttp, platform: TestPlatform, clock: FakeClock
) -> None:
    serve(http, platform, "max-age=86400")
    keys.key_for(platform.registration(), platform.kid)
    rotated = generate_key_pair().public_jwk
    clock.advance(30)
    serve(http, platform, "max-age=86400", jwks={"keys": [platform.key.public_jwk, rotated]})

    assert keys.key_for(platform.registration(), rotated["kid"])
    assert fetches(http, platform) == 2


def test_an_unknown_kid_is_refused_after_one_refetch(
    keys: PlatformKeys, http: FakeHttp, platform: TestPlatform, clock: FakeClock
) -> None:
    serve(http, platform, "max-age=86400")
    keys.key_for(platform.registration(), platform.kid)
    clock.advance(30)
    with pytest.raises(UnknownKid) as caught:
        keys.key_for(platform.registration(), "nope")
    assert_clean(caught.value)
    assert fetches(http, platform) == 2


def test_a_first_fetch_is_not_repeated_for_an_unknown_kid(
    keys: PlatformKeys, http: FakeHttp, platform: TestPlatform
) -> None:
    serve(http, platform)
    with pytest.raises(UnknownKid):
        keys.key_for(platform.registration(), "nope")
    assert fetches(http, platform) == 1


def test_kid_spraying_fetches_at_most_once_per_ten_seconds(
    keys: PlatformKeys, http: FakeHttp, platform: TestPlatform, clock: FakeClock
) -> None:
    serve(http, platform, "max-age=86400")
    keys.key_for(platform.registration(), platform.kid)
    seen = []
    for second in range(30):
        with pytest.raises(UnknownKid):
            keys.key_for(platform.registration(), f"sprayed-{second}")
        seen.append(fetches(http, platform))
        clock.advance(1)
    # One fetch at t=0, then one refetch at t=10 and one at t=20.
    assert seen[-1] == 3
    assert seen[9] == 1
    assert seen[10] == 2


# ---------------------------------------------------------------- failures


@pytest.mark.parametrize("error", [requests.ConnectionError("refused"), requests.Timeout("slow")])
def test_an_unreachable_key_set_is_a_424(
    keys: PlatformKeys, http: FakeHttp, platform: TestPlatform, error: Exception
) -> None:
    http.fail(platform.key_set_url, error)
    with pytest.raises(PlatformKeysUnavailable) as caught:
        keys.key_for(platform.registration(), platform.kid)
    assert caught.value.status == 424
    assert platform.key_set_url in caught.value.message
    assert_clean(caught.value)


@pytest.mark.parametrize("status", [403, 404, 500, 502, 503])
def test_an_error_answer_is_a_424(
    keys: PlatformKeys, http: FakeHttp, platform: TestPlatform, status: int
) -> None:
    http.add(platform.key_set_url, status=status, body="down")
    with pytest.raises(PlatformKeysUnavailable) as caught:
        keys.key_for(platform.registration(), platform.kid)
    assert str(status) in caught.value.message


@pytest.mark.parametrize(
    "body",
    [
        "<html>maintenance</html>",
        "[]",
        '{"keys": {"kid": "x"}}',
        '{"no_keys": []}',
        "{" * 100_000,
    ],
)
def test_a_body_that_is_not_a_jwk_set_is_a_424(
    keys: PlatformKeys, http: FakeHttp, platform: TestPlatform, body: str
) -> None:
    http.add(platform.key_set_url, body=body)
    with pytest.raises(PlatformKeysUnavailable):
        keys.key_for(platform.registration(), platform.kid)


def test_a_key_set_declared_over_one_megabyte_is_refused(
    keys: PlatformKeys, http: FakeHttp, platform: TestPlatform
) -> None:
    http.add(platform.key_set_url, body="{}", headers={"Content-Length": str(MAX_JWKS_BYTES + 1)})
    with pytest.raises(PlatformKeysUnavailable, match="1 MB"):
        keys.key_for(platform.registration(), platform.kid)


def test_a_key_set_over_one_megabyte_without_a_true_length_is_refused(
    keys: PlatformKeys, http: FakeHttp, platform: TestPlatform
) -> None:
    http.add(
        platform.key_set_url,
        body=b" " * (MAX_JWKS_BYTES + 10),
        headers={"Content-Length": "chunked"},
    )
    with pytest.raises(PlatformKeysUnavailable, match="1 MB"):
        keys.key_for(platform.registration(), platform.kid)


def test_a_failed_refresh_keeps_recent_keys_working(
    keys: PlatformKeys, http: FakeHttp, platform: TestPlatform, clock: FakeClock
) -> None:
    serve(http, platform, "max-age=60")
    keys.key_for(platform.registration(), platform.kid)
    clock.advance(120)
    http.fail(platform.key_set_url)

    assert keys.key_for(platform.registration(), platform.kid)
    with pytest.raises(PlatformKeysUnavailable):
        keys.key_for(platform.registration(), "rotated-away")


def test_keys_older_than_the_maximum_age_are_not_used_when_refresh_fails(
    keys: PlatformKeys, http: FakeHttp, platform: TestPlatform, clock: FakeClock
) -> None:
    serve(http, platform, "max-age=60")
    keys.key_for(platform.registration(), platform.kid)
    clock.advance(DAY.total_seconds() + 1)
    http.fail(platform.key_set_url)

    with pytest.raises(PlatformKeysUnavailable):
        keys.key_for(platform.registration(), platform.kid)


def test_entries_that_are_not_objects_are_skipped(
    keys: PlatformKeys, http: FakeHttp, platform: TestPlatform
) -> None:
    serve(http, platform, jwks={"keys": ["junk", 5, platform.key.public_jwk]})
    assert keys.key_for(platform.registration(), platform.kid)


def test_each_registration_uses_only_its_own_key_set(
    keys: PlatformKeys, http: FakeHttp, clock: FakeClock
) -> None:
    moodle_a = TestPlatform("moodle", issuer="https://a.example.org", clock=clock)
    moodle_b = TestPlatform("moodle", issuer="https://b.example.org", clock=clock)
    serve(http, moodle_a)
    serve(http, moodle_b)

    with pytest.raises(UnknownKid):
        keys.key_for(moodle_a.registration(), moodle_b.kid)
    assert keys.key_for(moodle_b.registration(), moodle_b.kid)


# ---------------------------------------------------------------- unsuitable keys


def _rsa_jwk(bits: int = 2048, **extra: Any) -> dict[str, Any]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits).public_key()
    return {**RSAAlgorithm.to_jwk(key, as_dict=True), "kid": "k", **extra}


@pytest.mark.parametrize(
    ("jwk", "reason"),
    [
        ({"kty": "oct", "k": "c2VjcmV0", "kid": "k"}, "key type"),
        ({"kty": "RSA", "kid": "k", "n": "!!", "e": "AQAB"}, "not a valid RSA key"),
        ({"kty": "RSA", "kid": "k"}, "not a valid RSA key"),
    ],
)
def test_unsuitable_jwks_are_refused(jwk: dict[str, Any], reason: str) -> None:
    with pytest.raises(UnsuitablePlatformKey, match=reason) as caught:
        rsa_public_key(jwk)
    assert_clean(caught.value)


def test_an_ec_key_is_refused() -> None:
    ec_key = ec.generate_private_key(ec.SECP256R1()).public_key()
    jwk = {**ECAlgorithm.to_jwk(ec_key, as_dict=True), "kid": "k"}
    with pytest.raises(UnsuitablePlatformKey, match="not RSA"):
        rsa_public_key(jwk)


def test_a_key_published_for_another_algorithm_is_refused() -> None:
    with pytest.raises(UnsuitablePlatformKey, match="RS512"):
        rsa_public_key(_rsa_jwk(alg="RS512"))


def test_a_key_published_for_encryption_is_refused() -> None:
    with pytest.raises(UnsuitablePlatformKey, match="enc"):
        rsa_public_key(_rsa_jwk(use="enc"))


def test_a_short_rsa_key_is_refused() -> None:
    with pytest.raises(UnsuitablePlatformKey, match="1024 bits"):
        rsa_public_key(_rsa_jwk(bits=1024))


def test_a_leaked_private_jwk_still_yields_only_the_public_key() -> None:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = {**RSAAlgorithm.to_jwk(private, as_dict=True), "kid": "k"}
    assert "d" in jwk
    assert isinstance(rsa_public_key(jwk), rsa.RSAPublicKey)


def test_the_kid_in_errors_is_the_jwk_s() -> None:
    junk = base64.urlsafe_b64encode(b"x").decode()
    with pytest.raises(UnsuitablePlatformKey) as caught:
        rsa_public_key({"kty": "EC", "kid": "ec-1", "x": junk})
    assert caught.value.kid == "ec-1"


# ---------------------------------------------------------------- the cache


def test_memory_cache(clock: FakeClock) -> None:
    cache = MemoryKeySetCache()
    entry = CachedKeySet(keys=({"kid": "a"},), fetched_at=clock(), expires_at=clock())
    assert cache.get("u") is None
    cache.put("u", entry)
    assert cache.get("u") is entry
    assert entry.find("a") == {"kid": "a"}
    assert entry.find("b") is None
